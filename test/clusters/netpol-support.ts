// A cluster for NetworkPolicy tests, shared by a test file: a Berth holding the node images, a
// cluster with real nodes pulling from it, kube-router enforcing NetworkPolicies on each node,
// and helpers to run responder pods on chosen nodes.
import { adminPassword } from '../support/server.ts';
import { startRegistryServer, tool } from '../registry/support.ts';
import type { RegistryServer } from '../registry/support.ts';
import { startCluster } from './cluster.ts';
import type { Cluster } from './cluster.ts';
import { expectOk, waitForPodReady } from './fixtures.ts';
import type { KubeObject } from './fixtures.ts';
import { pushNodeImages } from './images.ts';
import { kubeRouterBinary, nodeFilterRules, startNetworkPolicyEnforcers } from './netpol-enforcer.ts';
import type { NetworkPolicyEnforcers } from './netpol-enforcer.ts';
import { responderCommand } from './probe.ts';

/** The registry name pods use for the test's Berth. */
const REGISTRY = 'berth.test';

/** A running cluster with NetworkPolicy enforcement and the Berth its nodes pull from. */
export interface EnforcedCluster {
  readonly cluster: Cluster;
  readonly enforcers: NetworkPolicyEnforcers;
  readonly berth: RegistryServer;
  /** Stops the cluster (nodes, enforcers, control plane) and Berth. With `keepLogs`, prints where the logs are kept. */
  stop(options?: { readonly keepLogs?: boolean }): Promise<void>;
  /** The log tails of every component and the filter table of every node, for a failure. */
  debugDump(): string;
}

/**
 * Starts Berth (images pushed as admin, pulled by a robot), a cluster with `nodes` real nodes,
 * and kube-router on each (see netpol-enforcer.ts). Cleans up what it started when a step
 * fails. Throws with the failing step's message.
 */
export async function startEnforcedCluster(name: string, nodes: number): Promise<EnforcedCluster> {
  // A missing enforcer fails before anything starts.
  kubeRouterBinary();
  const berth = await startRegistryServer('sqlite', {}, { host: '0.0.0.0' });
  let cluster: Cluster | undefined;
  try {
    await berth.createProject('nodes');
    const robot = await berth.createRobot('nodes', 'node', [{ repositories: '**', actions: ['pull'] }]);
    await pushNodeImages({ registry: berth.host, project: 'nodes', username: 'admin', password: adminPassword, crane: tool('crane') });
    cluster = await startCluster({
      name, nodes,
      nodeRegistry: { name: REGISTRY, address: berth.host, username: robot.username, password: robot.secret, pauseImage: `${REGISTRY}/nodes/pause:1` },
    });
    const enforcers = await startNetworkPolicyEnforcers(cluster);
    const c = cluster;
    return {
      cluster: c, enforcers, berth,
      async stop(options = {}) {
        try {
          const kept = await c.stop({ keepLogs: options.keepLogs === true });
          if (kept !== undefined) process.stderr.write(`cluster ${c.name} logs kept in ${kept}\n`);
        } finally {
          await berth.close();
        }
      },
      debugDump() {
        return `${c.logTail(30)}\n${c.nodes.map((n) => `----- ${n.name} iptables-save -t filter -----\n${nodeFilterRules(n)}`).join('\n')}`;
      },
    };
  } catch (err) {
    if (cluster !== undefined) await cluster.stop({ keepLogs: true });
    await berth.close();
    throw err;
  }
}

/** A pod to run: its name, labels, the node it runs on, and the ports its responder serves. */
export interface ResponderPod {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly node: string;
  readonly ports: readonly number[];
}

/** The busybox pod object that serves {@link ResponderPod.ports}, Ready once the first port answers. */
export function responderPod(pod: ResponderPod): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.name, labels: pod.labels },
    spec: {
      nodeName: pod.node, terminationGracePeriodSeconds: 0,
      containers: [{
        name: 'main', image: `${REGISTRY}/nodes/busybox:1`, command: responderCommand(pod.ports),
        readinessProbe: { tcpSocket: { port: pod.ports[0] }, periodSeconds: 1 },
      }],
    },
  };
}

/** Creates the pods in `namespace` and waits until all are Ready; returns each pod's IP by name. */
export async function createResponders(cluster: Cluster, namespace: string, pods: readonly ResponderPod[]): Promise<ReadonlyMap<string, string>> {
  for (const p of pods) expectOk(await cluster.request('POST', `/api/v1/namespaces/${namespace}/pods`, responderPod(p)), `create pod ${namespace}/${p.name}`);
  const ready = await Promise.all(pods.map((p) => waitForPodReady(cluster, namespace, p.name, 90_000)));
  return new Map(ready.map((p, i) => [pods[i].name, String((p.status as { podIP?: string }).podIP)]));
}
