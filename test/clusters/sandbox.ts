// `npm run sandbox [-- N]`: starts N (default 1) test clusters for people to poke at with
// kubectl, prints their kubeconfig paths, and stops them on Ctrl-C.
import { join } from 'node:path';
import { kubeBinDir, startClusters } from './cluster.ts';

const n = Number(process.argv[2] ?? '1');
if (!Number.isInteger(n) || n < 1 || n > 8) {
  process.stderr.write('usage: npm run sandbox -- [N]   (1 to 8 clusters)\n');
  process.exit(2);
}

const kubectl = join(kubeBinDir(), 'kubectl');
const clusters = await startClusters(n, { name: 'sandbox' });
for (const c of clusters) {
  process.stdout.write(`${c.name}: ready in ${(c.startMs / 1000).toFixed(1)} s\n`
    + `  export KUBECONFIG=${c.kubeconfigPath}\n  ${kubectl} --kubeconfig ${c.kubeconfigPath} get namespaces\n`);
}
process.stdout.write('Ctrl-C stops the clusters and removes their folders.\n');

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\nstopping…\n');
  await Promise.all(clusters.map((c) => c.stop()));
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
// The cluster processes are unref'd; this keeps the sandbox alive until a signal arrives.
setInterval(() => undefined, 1 << 30);
