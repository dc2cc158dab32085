// What tests import to get real Kubernetes clusters (see README section on test clusters).
export {
  ADMISSION_PLUGINS, CONTROLLERS, NODE_CONTROLLERS, Cluster, ClusterStartError, clusterRoot, keptLogsRoot, kubeBinDir, kubeVersion,
  startCluster, startClusters,
} from './cluster.ts';
export type { ClusterOptions, ClusterPorts, KubeResponse } from './cluster.ts';
export {
  connect, createNamespace, createNode, eventually, execInPod, expectOk, firstPodReadyAt, uniqueName, waitForPodReady, waitForPodsReady,
  waitForQuotaUsed, withCluster, withClusters,
} from './fixtures.ts';
export type { ConnectResult, ExecResult, KubeObject, NodeSpec } from './fixtures.ts';
export { NODE_IMAGES, pushNodeImages } from './images.ts';
export type { PushTarget } from './images.ts';
export { CLUSTER_DOMAIN, clusterDnsIp } from './coredns.ts';
export { ClusterNode } from './node.ts';
export { nodeTool, nodeToolsBinDir } from './node-tools.ts';
export type { NodeRegistry } from './node.ts';
export { KUBE_ROUTER_VERSION, NetworkPolicyEnforcers, kubeRouterBinary, startNetworkPolicyEnforcers } from './netpol-enforcer.ts';
export { RESPONDER_BODY, probeFrom, responderCommand } from './probe.ts';
export type { ProbeTarget } from './probe.ts';
