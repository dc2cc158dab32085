// kube-proxy on a test node: iptables mode inside the node's network namespace, so Services'
// ClusterIPs and NodePorts work for the node's pods and for the host (at the node's address),
// and every rule it writes goes away with the namespace.
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Cluster } from './cluster.ts';
import type { ClusterNode } from './node.ts';
import { nodeKubeconfig, writeClientCertificate } from './pki.ts';
import { startComponent } from './processes.ts';
import type { Component } from './processes.ts';

/** Port of kube-proxy's metrics on the node's address; the host reads the first sync's time there. */
export const KUBE_PROXY_METRICS_PORT = 10249;

/** The metric kube-proxy sets when it has written the rules once; absent before that. */
const SYNCED = /^kubeproxy_sync_proxy_rules_last_timestamp_seconds\{ip_family="IPv4"\} /m;

/**
 * The command line of kube-proxy for `node`, for the node's namespace. `--conntrack-max-per-core=0`
 * keeps it off `nf_conntrack_max`, which is the machine's (read-only in a network namespace, and
 * shared by every node and the host); the TCP timeouts it sets are per namespace.
 * `--nodeport-addresses=primary` accepts NodePorts on the node's address only, so it never turns on
 * `route_localnet` for loopback NodePorts.
 */
export function kubeProxyArgs(cluster: Cluster, node: ClusterNode, kubeconfig: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`, '--proxy-mode=iptables', `--hostname-override=${node.name}`,
    // Also its node address, so it need not wait for the kubelet to post the Node's addresses.
    `--bind-address=${node.link.nodeIp}`,
    `--cluster-cidr=${cluster.clusterCidr}`, '--nodeport-addresses=primary', '--conntrack-max-per-core=0',
    `--healthz-bind-address=${node.link.nodeIp}:10256`, `--metrics-bind-address=${node.link.nodeIp}:${KUBE_PROXY_METRICS_PORT}`,
    // This machine may not lower a process's oom_score_adj (containerd has the same limit).
    '--oom-score-adj=0',
    '--v=1',
  ];
}

/**
 * Starts kube-proxy for `node` in its network namespace (`nsenter` before the binary), as
 * `system:kube-proxy` (a client certificate; the API server's bootstrap binding
 * `system:node-proxier` grants what it reads), reaching kube-apiserver at `apiServer` (the
 * node's relay; the kubeconfig names `tls-server-name: localhost`). Returns at once with the
 * component; {@link waitForKubeProxy} waits for its first sync.
 */
export async function startKubeProxy(
  cluster: Cluster, node: ClusterNode, apiServer: string, netns: readonly string[], env: Readonly<Record<string, string>>,
): Promise<Component> {
  const dir = join(node.dir, 'kube-proxy');
  mkdirSync(dir, { recursive: true });
  const cert = await writeClientCertificate(cluster.pki, dir, 'kube-proxy', '/CN=system:kube-proxy');
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, nodeKubeconfig(apiServer, cluster.pki.caCert, cert.cert, cert.key));
  return startComponent(`${node.name}/kube-proxy`, netns[0], [...netns.slice(1), join(cluster.binDir, 'kube-proxy'),
    ...kubeProxyArgs(cluster, node, kubeconfig)], join(node.dir, 'logs', 'kube-proxy.log'), env);
}

function metrics(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 1000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', () => resolve(''));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(''));
    req.end();
  });
}

/**
 * Resolves once kube-proxy on `node` has written its IPv4 rules once (its sync timestamp metric
 * exists). Throws when the process exits first or after `timeoutMs`.
 */
export async function waitForKubeProxy(node: ClusterNode, proxy: Component, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const url = `http://${node.link.nodeIp}:${KUBE_PROXY_METRICS_PORT}/metrics`;
  for (;;) {
    if (proxy.exit !== undefined) throw new Error(`${proxy.name} exited (${JSON.stringify(proxy.exit)})`);
    if (SYNCED.test(await metrics(url))) return;
    if (Date.now() > deadline) throw new Error(`${proxy.name} wrote no rules within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
