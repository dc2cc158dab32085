// `npm run sandbox [-- N] [--nodes M]`: starts N (default 1) test clusters for people to poke at
// with kubectl, prints their kubeconfig paths, and stops them on Ctrl-C. With `--nodes M` each
// cluster gets M real worker nodes, and a Berth holding the node images starts first.
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { startRegistryServer, tool } from '../registry/support.ts';
import type { RegistryServer } from '../registry/support.ts';
import { adminPassword } from '../support/server.ts';
import { kubeBinDir, startClusters } from './cluster.ts';
import type { Cluster } from './cluster.ts';
import { clusterDnsIp } from './coredns.ts';
import { pushNodeImages } from './images.ts';
import type { NodeRegistry } from './node.ts';

const usage = 'usage: npm run sandbox -- [N] [--nodes M]   (1 to 8 clusters, 0 to 4 nodes each)\n';
let n = 1;
let nodes = 0;
try {
  const { values, positionals } = parseArgs({ options: { nodes: { type: 'string' } }, allowPositionals: true });
  n = Number(positionals[0] ?? '1');
  nodes = Number(values.nodes ?? '0');
} catch {
  n = Number.NaN;
}
if (!Number.isInteger(n) || n < 1 || n > 8 || !Number.isInteger(nodes) || nodes < 0 || nodes > 4) {
  process.stderr.write(usage);
  process.exit(2);
}

const kubectl = join(kubeBinDir(), 'kubectl');
let berth: RegistryServer | undefined;
let nodeRegistry: NodeRegistry | undefined;
if (nodes > 0) {
  berth = await startRegistryServer('sqlite', {}, { host: '0.0.0.0' });
  await berth.createProject('nodes');
  const robot = await berth.createRobot('nodes', 'node', [{ repositories: '**', actions: ['pull'] }]);
  await pushNodeImages({ registry: berth.host, project: 'nodes', username: 'admin', password: adminPassword, crane: tool('crane') });
  nodeRegistry = { name: 'berth.test', address: berth.host, username: robot.username, password: robot.secret, pauseImage: 'berth.test/nodes/pause:1' };
  process.stdout.write(`Berth: ${berth.url} (admin / ${adminPassword}); pods use berth.test/nodes/busybox:1 and berth.test/nodes/responder:1`
    + ' (HTTP and UDP on 8080; `responder probe tcp|udp HOST:PORT` inside a pod)\n');
}
let clusters: Cluster[];
try {
  clusters = await startClusters(n, { name: 'sandbox', nodes, nodeRegistry });
} catch (err) {
  await berth?.close();
  throw err;
}
for (const c of clusters) {
  const nodeTimes = c.nodes.map((x) => `, ${x.name} (${x.link.nodeIp}) Ready in ${(x.readyMs / 1000).toFixed(1)} s`).join('');
  const dns = c.nodes.length > 0 ? `  cluster DNS: kube-system/kube-dns ${clusterDnsIp(c.serviceClusterIpRange)} (CoreDNS on ${c.nodes[0].link.nodeIp}); NodePorts at the node addresses\n` : '';
  process.stdout.write(`${c.name}: ready in ${(c.startMs / 1000).toFixed(1)} s${nodeTimes}\n`
    + `${dns}  export KUBECONFIG=${c.kubeconfigPath}\n  ${kubectl} --kubeconfig ${c.kubeconfigPath} get namespaces\n`);
}
process.stdout.write('Ctrl-C stops the clusters and removes their folders.\n');

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\nstopping…\n');
  await Promise.all(clusters.map((c) => c.stop()));
  await berth?.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
// The cluster processes are unref'd; this keeps the sandbox alive until a signal arrives.
setInterval(() => undefined, 1 << 30);
