// What tests import to get real Kubernetes clusters (see README section on test clusters).
export {
  ADMISSION_PLUGINS, CONTROLLERS, Cluster, ClusterStartError, clusterRoot, keptLogsRoot, kubeBinDir, kubeVersion,
  startCluster, startClusters,
} from './cluster.ts';
export type { ClusterOptions, ClusterPorts, KubeResponse } from './cluster.ts';
export {
  createNamespace, createNode, eventually, expectOk, uniqueName, waitForQuotaUsed, withCluster, withClusters,
} from './fixtures.ts';
export type { KubeObject, NodeSpec } from './fixtures.ts';
