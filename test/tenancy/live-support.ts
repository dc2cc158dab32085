// Shared pieces of the live tenancy tests (a Berth server reconciling real clusters): where each
// rendered object lives in the API server, what a cluster holds for a tenant, what of an object
// Berth set, and waits on Berth's per-object status.
import assert from 'node:assert/strict';
import { expectOk, eventually } from '../clusters/index.ts';
import type { Cluster, KubeObject } from '../clusters/index.ts';
import { kubectl } from '../kube/support.ts';
import type { TestServer } from '../support/server.ts';
import { must } from './support.ts';

/** A rendered object as GET /api/v1/tenants/{t}/render lists it. */
export interface Rendered {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly [field: string]: unknown;
}

const collections: Readonly<Record<string, string>> = {
  Namespace: '/api/v1/namespaces', ResourceQuota: '/api/v1/resourcequotas', LimitRange: '/api/v1/limitranges',
  RoleBinding: '/apis/rbac.authorization.k8s.io/v1/rolebindings', NetworkPolicy: '/apis/networking.k8s.io/v1/networkpolicies',
};

/** The API path of an object of `kind` named `name` in `namespace` (none for a Namespace). */
export function kindPath(kind: string, name: string, namespace?: string): string {
  const all = collections[kind];
  if (all === undefined) throw new Error(`unexpected kind ${kind}`);
  if (namespace === undefined) return `${all}/${name}`;
  const [prefix, plural] = [all.slice(0, all.lastIndexOf('/')), all.slice(all.lastIndexOf('/') + 1)];
  return `${prefix}/namespaces/${namespace}/${plural}/${name}`;
}

/** The API path of a rendered (or read) object. */
export function pathOf(o: { readonly kind?: string; readonly metadata?: { readonly name?: string; readonly namespace?: string } }): string {
  return kindPath(o.kind!, o.metadata!.name!, o.metadata!.namespace);
}

/** GET /api/v1/namespaces/... path of namespace `name` of `tenant` in Berth. */
export const nsPath = (tenant: string, cluster: string, name: string): string => `/api/v1/tenants/${tenant}/namespaces/${cluster}/${name}`;

/** What Berth renders for `tenant` in `cluster`. */
export async function renderOf(s: TestServer, token: string, tenant: string, cluster: string): Promise<Rendered[]> {
  return (await must(s, token, 'GET', `/api/v1/tenants/${tenant}/render?cluster=${cluster}`)).items;
}

/** Paths, sorted, of every object of the kinds Berth manages that carries `tenant`'s label in `cluster`. */
export async function managedKeys(cluster: Cluster, tenant: string): Promise<string[]> {
  const keys: string[] = [];
  for (const [kind, all] of Object.entries(collections)) {
    const list = expectOk(await cluster.request('GET', `${all}?labelSelector=${encodeURIComponent(`berth.io/tenant=${tenant}`)}`), `list ${kind}`) as { items: KubeObject[] };
    keys.push(...list.items.filter((o) => o.metadata?.deletionTimestamp === undefined).map((o) => pathOf({ ...o, kind })));
  }
  return keys.sort();
}

/** The fields Berth sets on an object, as an API server holds them (labels, annotations, spec, roleRef, subjects). */
export function applied(o: KubeObject | undefined): Record<string, unknown> {
  assert.ok(o !== undefined, 'object present');
  const m = o.metadata ?? {};
  const out: Record<string, unknown> = { labels: m.labels ?? {}, annotations: m.annotations ?? {} };
  for (const field of ['spec', 'roleRef', 'subjects']) if (o[field] !== undefined) out[field] = o[field];
  return out;
}

/** Reads each path from `cluster`. */
export async function objectsOf(cluster: Cluster, paths: readonly string[]): Promise<Map<string, KubeObject>> {
  const got = await Promise.all(paths.map(async (p) => [p, expectOk(await cluster.request('GET', p), `get ${p}`) as KubeObject] as const));
  return new Map(got);
}

/** Asserts that `cluster` holds each rendered object with the labels, annotations and fields Berth rendered. */
export async function sameAsRendered(cluster: Cluster, rendered: readonly Rendered[]): Promise<void> {
  const held = await objectsOf(cluster, rendered.map(pathOf));
  for (const r of rendered) {
    const o = held.get(pathOf(r))!;
    const labels = r.kind === 'Namespace' ? { ...r.metadata.labels, 'kubernetes.io/metadata.name': r.metadata.name } : r.metadata.labels;
    assert.deepEqual(o.metadata?.labels, labels, `${pathOf(r)} labels`);
    for (const [k, v] of Object.entries(r.metadata.annotations ?? {})) assert.equal((o.metadata?.annotations as Record<string, string>)[k], v, `${pathOf(r)} annotation ${k}`);
    for (const field of ['spec', 'roleRef', 'subjects']) {
      if (r[field] === undefined) continue;
      // A Namespace's spec.finalizers is the API server's default, not Berth's.
      if (r.kind === 'Namespace') continue;
      assert.deepEqual(o[field], r[field], `${pathOf(r)} ${field}`);
    }
  }
}

/** What shows whether an object was written: identity, version, and Berth's field-manager entries. */
export interface WriteState {
  readonly uid: string;
  readonly created: string;
  /** Absent for ResourceQuotas, whose status the quota controller keeps writing. */
  readonly resourceVersion?: string;
  readonly generation?: number;
  /** The operations of manager `berth`'s managedFields entries, comma-separated (written once by apply: `Apply`). */
  readonly berthEntries: string;
  /** When Berth last changed its fields. */
  readonly berthTime?: string;
}

/** The write state of every object of `tenant` in `cluster`, by path. */
export async function appliedState(cluster: Cluster, tenant: string): Promise<Map<string, WriteState>> {
  const held = await objectsOf(cluster, await managedKeys(cluster, tenant));
  return new Map([...held].map(([p, o]): [string, WriteState] => {
    const m = (o.metadata ?? {}) as Record<string, any>;
    const berth = ((m.managedFields ?? []) as { manager: string; operation: string; time?: string }[]).filter((f) => f.manager === 'berth');
    return [p, {
      uid: String(m.uid), created: String(m.creationTimestamp), ...(p.includes('/resourcequotas/') ? {} : { resourceVersion: m.resourceVersion }),
      ...(m.generation === undefined ? {} : { generation: m.generation as number }),
      berthEntries: berth.map((f) => f.operation).join(','),
      ...(berth[0]?.time === undefined ? {} : { berthTime: berth[0].time }),
    }];
  }));
}

/**
 * Waits until Berth reports every object of namespace `name` Applied (seven of them: Namespace,
 * quota, LimitRange, three RoleBindings, NetworkPolicy); returns how long that took.
 */
export async function waitApplied(s: TestServer, token: string, tenant: string, cluster: string, name: string, timeoutMs = 30_000, count = 7): Promise<number> {
  const from = Date.now();
  let last: unknown;
  try {
    await eventually(`${cluster}/${name} Applied`, async () => {
      const ns = await must(s, token, 'GET', nsPath(tenant, cluster, name));
      last = ns.objects;
      return ns.objects.length === count && ns.objects.every((o: { state: string }) => o.state === 'Applied') ? true : undefined;
    }, timeoutMs, 25);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last objects ${JSON.stringify(last)}`);
  }
  return Date.now() - from;
}

/** Creates a pod with one container (with `resources` when given); the API server's answer. */
export async function createPod(cluster: Cluster, namespace: string, name: string, resources?: Record<string, unknown>) {
  return cluster.request('POST', `/api/v1/namespaces/${namespace}/pods`, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: { automountServiceAccountToken: false, containers: [{ name: 'app', image: 'busybox', ...(resources ? { resources } : {}) }] },
  });
}

/** Waits `ms`. */
export const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function serverSideApply(cluster: Cluster, items: readonly Rendered[], dryRun: boolean): Promise<KubeObject[]> {
  const args = ['apply', '--server-side', '--field-manager=berth', ...(dryRun ? ['--dry-run=server'] : []), '-o', 'json', '-f', '-'];
  const out = JSON.parse(await kubectl(cluster, args, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }))) as KubeObject & { items?: KubeObject[] };
  return out.items ?? [out];
}

/**
 * Applies a render output to `cluster` (one that does not hold the tenant) with
 * `kubectl apply --server-side --dry-run=server`, and returns, per object, what the API server
 * would store. Namespaced objects can only be dry-run into namespaces that exist, so after the
 * Namespaces' dry run they are created for real (not the rest).
 */
export async function dryRunRender(cluster: Cluster, items: readonly Rendered[]): Promise<{ path: string; applied: Record<string, unknown> }[]> {
  const namespaces = items.filter((o) => o.kind === 'Namespace');
  const rest = items.filter((o) => o.kind !== 'Namespace');
  const dryNs = await serverSideApply(cluster, namespaces, true);
  await serverSideApply(cluster, namespaces, false);
  const dryRest = await serverSideApply(cluster, rest, true);
  for (const o of rest) assert.equal((await cluster.request('GET', pathOf(o))).status, 404, `${pathOf(o)}: a dry run stores nothing`);
  const all = [...dryNs.map((o) => ({ ...o, kind: 'Namespace' })), ...dryRest];
  assert.equal(all.length, items.length, 'every rendered object accepted');
  return all.map((o) => ({ path: pathOf(o), applied: applied(o) }));
}
