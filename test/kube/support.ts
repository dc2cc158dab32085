// Kubeconfigs for the kube/ tests, built from a test cluster's certificates: inline data only,
// as Berth takes them.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kubeBinDir } from '../clusters/index.ts';
import type { Cluster } from '../clusters/index.ts';

const run = promisify(execFile);

/** A kubeconfig (JSON text) for the API server at `cluster.server` (trusting `cluster.pki`'s CA, when given) with the given cluster and user fields (CA inline unless overridden). */
export function kubeconfigFor(
  cluster: { readonly server: string; readonly pki?: { readonly caCert: string } },
  user: Record<string, unknown>,
  clusterFields: Record<string, unknown> = {},
): string {
  const ca = cluster.pki === undefined ? {} : { 'certificate-authority-data': readFileSync(cluster.pki.caCert).toString('base64') };
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'test',
    clusters: [{ name: 'test', cluster: { server: cluster.server, ...ca, ...clusterFields } }],
    users: [{ name: 'test', user }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'test' } }],
  });
}

/** The admin user of `cluster` as inline client-certificate data. */
export function adminUser(cluster: Cluster): Record<string, unknown> {
  return {
    'client-certificate-data': readFileSync(cluster.pki.adminCert).toString('base64'),
    'client-key-data': readFileSync(cluster.pki.adminKey).toString('base64'),
  };
}

/** Runs the test binaries' kubectl against `cluster` as admin; returns stdout. Throws with stderr on failure. */
export async function kubectl(cluster: Cluster, args: readonly string[], input?: string): Promise<string> {
  const child = run(join(kubeBinDir(), 'kubectl'), ['--kubeconfig', cluster.kubeconfigPath, ...args], { maxBuffer: 16 * 1024 * 1024 });
  if (input !== undefined) child.child.stdin?.end(input);
  const { stdout } = await child;
  return stdout;
}
