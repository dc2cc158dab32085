// The cluster DNS of a test cluster with nodes: CoreDNS (built by build-node-tools.sh) as a
// process in the first node's network namespace, with its kubernetes plugin watching the
// cluster, behind the `kube-system/kube-dns` Service whose ClusterIP the kubelets give pods as
// their nameserver. CoreDNS is not a pod, so no selector can find it: the Service has none, and
// an EndpointSlice written here names the node's address, which kube-proxy on every node routes
// the ClusterIP to (other nodes reach that address over their links between node namespaces).
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Cluster } from './cluster.ts';
import type { ClusterNode } from './node.ts';
import { nodeTool } from './node-tools.ts';
import { nodeKubeconfig, writeClientCertificate } from './pki.ts';
import { startComponent } from './processes.ts';
import type { Component } from './processes.ts';

/** The cluster domain the kubelets and CoreDNS use. */
export const CLUSTER_DOMAIN = 'cluster.local';

/** Port of CoreDNS's `ready` plugin on the node's address: 200 once the kubernetes plugin has synced. */
export const CLUSTER_DNS_READY_PORT = 8181;

/** The user CoreDNS authenticates as (a client certificate), bound to {@link CLUSTER_DNS_ROLE}. */
const CLUSTER_DNS_USER = 'system:coredns';
const CLUSTER_DNS_ROLE = 'berth-test:coredns';

/** The `n`-th address of an IPv4 range, e.g. (10.96.0.0/16, 10) → 10.96.0.10. Throws outside the range. */
export function nthAddress(range: string, n: number): string {
  const [base, bits] = range.split('/');
  const start = base.split('.').reduce((acc, o) => (acc * 256) + Number(o), 0);
  if (n < 0 || n >= 2 ** (32 - Number(bits))) throw new Error(`${range} has no address number ${n}`);
  const value = start + n;
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** The ClusterIP of `kube-system/kube-dns`: the tenth address of the service range, as kubeadm picks it. */
export function clusterDnsIp(serviceClusterIpRange: string): string {
  return nthAddress(serviceClusterIpRange, 10);
}

/**
 * CoreDNS's configuration: every name on port 53 of every address of the node's namespace,
 * cluster names from the kubernetes plugin (Services, their endpoints, reverse lookups of
 * Service addresses) and nothing else (no upstream: pods reach nothing outside the test).
 * No cache: a test that creates a Service and resolves it at once must not get a cached miss.
 */
export function corefile(nodeIp: string, kubeconfig: string): string {
  return `.:53 {
    errors
    log
    ready ${nodeIp}:${CLUSTER_DNS_READY_PORT}
    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
        kubeconfig ${kubeconfig} node
    }
}
`;
}

async function apply(
  cluster: Cluster, path: string, object: { readonly metadata: { readonly name: string; readonly [k: string]: unknown }; readonly [k: string]: unknown },
): Promise<void> {
  const res = await cluster.request('POST', path, object);
  if (res.status === 409) {
    const put = await cluster.request('PUT', `${path}/${object.metadata.name}`, object);
    if (put.status === 200) return;
    throw new Error(`replace ${path}/${object.metadata.name}: HTTP ${put.status} ${JSON.stringify(put.body)}`);
  }
  if (res.status !== 201) throw new Error(`create ${path}/${object.metadata.name}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
}

/**
 * Makes CoreDNS's objects in `cluster`: a ClusterRole to read what the kubernetes plugin
 * watches (Services, EndpointSlices, Namespaces) bound to {@link CLUSTER_DNS_USER}, the
 * selector-less `kube-system/kube-dns` Service at {@link clusterDnsIp} (ports 53 UDP and TCP),
 * and its EndpointSlice naming `address`. Replaces them when they exist. Throws with the API
 * server's answer.
 */
export async function publishClusterDns(cluster: Cluster, address: string, nodeName: string): Promise<void> {
  await apply(cluster, '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: CLUSTER_DNS_ROLE },
    rules: [
      { apiGroups: [''], resources: ['services', 'namespaces'], verbs: ['list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
    ],
  });
  await apply(cluster, '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: CLUSTER_DNS_ROLE },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: CLUSTER_DNS_ROLE },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: CLUSTER_DNS_USER }],
  });
  const labels = { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' };
  await apply(cluster, '/api/v1/namespaces/kube-system/services', {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'kube-dns', labels },
    spec: {
      clusterIP: clusterDnsIp(cluster.serviceClusterIpRange),
      ports: [{ name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 }, { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 53 }],
    },
  });
  await apply(cluster, '/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices', {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    // The service-name label ties the slice to the Service; a managed-by other than the
    // EndpointSlice controller's keeps that controller (which owns slices of selector Services) off it.
    metadata: { name: 'kube-dns-coredns', labels: { ...labels, 'kubernetes.io/service-name': 'kube-dns', 'endpointslice.kubernetes.io/managed-by': 'berth-test-clusters' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [address], conditions: { ready: true }, nodeName }],
    ports: [{ name: 'dns', protocol: 'UDP', port: 53 }, { name: 'dns-tcp', protocol: 'TCP', port: 53 }],
  });
}

/**
 * Starts CoreDNS in `node`'s network namespace (`netns` is the command prefix that enters it)
 * as {@link CLUSTER_DNS_USER}, reaching kube-apiserver at `apiServer` (the node's relay), and
 * publishes it as `kube-system/kube-dns` (see {@link publishClusterDns}). Returns the component
 * at once; {@link waitForClusterDns} waits for it. Throws when CoreDNS is not built (build-node-tools.sh).
 */
export async function startClusterDns(
  cluster: Cluster, node: ClusterNode, apiServer: string, netns: readonly string[], env: Readonly<Record<string, string>>,
): Promise<Component> {
  const binary = nodeTool('coredns');
  const dir = join(node.dir, 'coredns');
  mkdirSync(dir, { recursive: true });
  const cert = await writeClientCertificate(cluster.pki, dir, 'coredns', `/CN=${CLUSTER_DNS_USER}`);
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, nodeKubeconfig(apiServer, cluster.pki.caCert, cert.cert, cert.key));
  writeFileSync(join(dir, 'Corefile'), corefile(node.link.nodeIp, kubeconfig));
  await publishClusterDns(cluster, node.link.nodeIp, node.name);
  return startComponent(`${node.name}/coredns`, netns[0], [...netns.slice(1), binary, '-conf', join(dir, 'Corefile')],
    join(node.dir, 'logs', 'coredns.log'), env);
}

function status(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Resolves once CoreDNS on `node` is ready (its kubernetes plugin synced); throws when it exits first or after `timeoutMs`. */
export async function waitForClusterDns(node: ClusterNode, dns: Component, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (dns.exit !== undefined) throw new Error(`${dns.name} exited (${JSON.stringify(dns.exit)})`);
    if (await status(`http://${node.link.nodeIp}:${CLUSTER_DNS_READY_PORT}/ready`) === 200) return;
    if (Date.now() > deadline) throw new Error(`${dns.name} not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
