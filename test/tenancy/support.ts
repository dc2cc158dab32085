// Shared pieces of the tenancy API tests: a kubeconfig Berth takes for a test cluster, and
// calls that must succeed.
import type { Cluster } from '../clusters/index.ts';
import { adminUser, kubeconfigFor } from '../kube/support.ts';
import type { TestServer } from '../support/server.ts';

/** The admin kubeconfig of a test cluster, inline data only (as the API takes it). */
export function adminKubeconfig(cluster: Cluster): string {
  return kubeconfigFor(cluster, adminUser(cluster));
}

/** Calls the API and throws with the answer unless the status is one of `ok`. */
export async function must(s: Pick<TestServer, 'api'>, token: string, method: string, path: string, body?: unknown, ok: readonly number[] = [200, 201]): Promise<any> {
  const r = await s.api(method, path, { token, body });
  if (!ok.includes(r.status)) throw new Error(`${method} ${path}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Registers `cluster` as `name` with its admin kubeconfig. */
export async function registerCluster(s: TestServer, token: string, name: string, cluster: Cluster, labels: Record<string, string> = {}): Promise<any> {
  return must(s, token, 'POST', '/api/v1/clusters', { name, kubeconfig: adminKubeconfig(cluster), labels });
}

/** The audit records of `resource`, newest first. */
export async function auditOf(s: TestServer, token: string, resource: string): Promise<any[]> {
  return (await must(s, token, 'GET', `/api/v1/audit?resource=${resource}&limit=500`)).items;
}
