import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { driftOf, holdingOf, planCluster, subsetDifference, unwantedOwnedField, type ObservedObject, type Plan } from './plan.ts';
import { renderNamespace, type Manifest } from './render.ts';
import type { Tenant, TenantNamespace } from './model.ts';

const tenant: Tenant = {
  name: 'team-a', displayName: 'Team A', members: [{ kind: 'User', name: 'alice', role: 'tenant-admin' }], clusters: ['east'],
  quota: {}, defaultLimitRange: { container: { max: { cpu: '2', memory: '1Gi' } } }, nodeSelector: {},
};

function ns(name: string, extra: Partial<TenantNamespace> = {}): TenantNamespace {
  return { name, tenant: 'team-a', cluster: 'east', quota: { 'requests.cpu': '1500m', pods: '10' }, adopted: false, ...extra };
}

const berthApply = { manager: 'berth', operation: 'Apply', fieldsV1: {} };

/** What the API server returns for an object Berth applied: the manifest plus server fields. */
function applied(m: Manifest, extra: Record<string, unknown> = {}, fieldsV1: unknown = {}): ObservedObject {
  return { ...m, ...extra, metadata: { ...m.metadata, uid: 'u', resourceVersion: '7', managedFields: [{ ...berthApply, fieldsV1 }] } };
}

function summary(p: Plan): Record<string, string[]> {
  const name = (m: Manifest): string => `${m.kind}/${m.metadata.name}`;
  return {
    namespaces: p.namespaces.map((a) => `${name(a.manifest)}:${a.cause}`),
    objects: p.objects.map((a) => `${name(a.manifest)}:${a.cause}`),
    prune: p.prune.map((r) => `${r.kind}/${r.namespace ?? ''}/${r.name}`),
    release: [...p.release],
    rows: p.rows.map((r) => `${r.kind}/${r.name}:${r.state}`),
  };
}

const web = renderNamespace(tenant, ns('web'));
const none = new Set<string>();

describe('subsetDifference', () => {
  const cases: [string, unknown, unknown, string | undefined][] = [
    ['extra fields are defaults', { a: 1 }, { a: 1, b: 2 }, undefined],
    ['a missing field', { a: 1, b: { c: 'x' } }, { a: 1, b: {} }, 'b.c: want "x", have absent'],
    ['arrays need equal length', { l: [1] }, { l: [1, 2] }, 'l: want [1], have [1,2]'],
    ['array elements are subsets', { l: [{ a: 1 }] }, { l: [{ a: 1, d: 0 }] }, undefined],
    ['quota quantities compare by value', { spec: { hard: { cpu: '1000m' } } }, { spec: { hard: { cpu: '1' } } }, undefined],
    ['limit bounds compare by value', { spec: { limits: [{ max: { memory: '1Gi' } }] } }, { spec: { limits: [{ max: { memory: '1073741824' } }] } }, undefined],
    ['other strings compare exactly', { metadata: { labels: { v: '1' } } }, { metadata: { labels: { v: '1.0' } } }, 'metadata.labels.v: want "1", have "1.0"'],
    ['a changed quantity', { spec: { hard: { pods: '10' } } }, { spec: { hard: { pods: '3' } } }, 'spec.hard.pods: want "10", have "3"'],
  ];
  for (const [name, want, have, expected] of cases) it(name, () => assert.equal(subsetDifference(want, have), expected));
});

describe('unwantedOwnedField', () => {
  it('finds a field Berth applied earlier and no longer wants, ignoring list internals and other managers', () => {
    const want = { metadata: { labels: { a: '1' } }, spec: { hard: { pods: '1' } } };
    const owned = { 'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} }, 'f:annotations': { 'f:sel': {} } }, 'f:spec': { 'f:hard': { 'f:pods': {} } } };
    const o = (fieldsV1: unknown, manager = 'berth'): ObservedObject => ({ metadata: { managedFields: [{ manager, operation: 'Apply', fieldsV1 }] } });
    assert.equal(unwantedOwnedField(want, o(owned)), 'metadata.annotations');
    assert.equal(unwantedOwnedField(want, o(owned, 'kubectl')), undefined);
    assert.equal(unwantedOwnedField({ spec: { ingress: [{ from: [] }] } }, o({ 'f:spec': { 'f:ingress': { 'k:{"x":1}': {} } } })), undefined);
  });
});

describe('driftOf', () => {
  const quota = web.find((m) => m.kind === 'ResourceQuota') as Manifest;
  it('is in sync with what the API server returns after applying it, status and defaults included', () => {
    assert.equal(driftOf(quota, applied(quota, { spec: { hard: { pods: '10', 'requests.cpu': '1500m' }, scopes: [] }, status: { used: { pods: '0' } } })), undefined);
  });
  it('names an edited field', () => {
    assert.equal(driftOf(quota, applied(quota, { spec: { hard: { pods: '3', 'requests.cpu': '1500m' } } })), 'spec.hard.pods: want "10", have "3"');
  });
  it('names a field Berth owns and no longer renders', () => {
    assert.equal(driftOf(quota, applied(quota, {}, { 'f:spec': { 'f:hard': { 'f:pods': {}, 'f:requests.cpu': {}, 'f:services': {} } } })),
      'spec.hard.services: owned by Berth and no longer wanted');
  });
});

describe('holdingOf', () => {
  const labels = (tenant?: string): Record<string, string> => ({ 'app.kubernetes.io/managed-by': 'berth', ...(tenant === undefined ? {} : { 'berth.io/tenant': tenant }) });
  const ns = (l: Record<string, string>, ...managers: string[]): ObservedObject =>
    ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web', labels: l, managedFields: managers.map((manager) => ({ manager, operation: 'Apply' })) } });
  const cases: [string, ObservedObject, ReturnType<typeof holdingOf>][] = [
    ['applied by Berth for the tenant', ns(labels('team-a'), 'berth'), { state: 'berth' }],
    ['applied by Berth among other managers', ns(labels('team-a'), 'kubectl-edit', 'berth'), { state: 'berth' }],
    ['applied by Berth for another tenant', ns(labels('team-b'), 'berth'), { state: 'other-tenant', owner: 'team-b' }],
    ['applied by Berth, tenant label removed', ns(labels(), 'berth'), { state: 'other-tenant', owner: '' }],
    ['Berth\'s labels written by someone else', ns(labels('team-a'), 'kubectl-create'), { state: 'foreign', labelled: true }],
    ['Berth\'s labels, no managedFields at all', { metadata: { name: 'web', labels: labels('team-a') } }, { state: 'foreign', labelled: true }],
    ['Berth\'s field manager but not its label (given back)', ns({ 'berth.io/tenant': 'team-a' }, 'berth'), { state: 'foreign', labelled: false }],
    ['neither', ns({}, 'kubectl-create'), { state: 'foreign', labelled: false }],
  ];
  for (const [name, o, want] of cases) it(name, () => assert.deepEqual(holdingOf(o, 'team-a'), want));
});

describe('planCluster', () => {
  const labels = { 'app.kubernetes.io/managed-by': 'berth', 'berth.io/tenant': 'team-a' };
  const ownQuota = (namespace: string): ObservedObject =>
    applied({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'berth-quota', namespace, labels }, spec: { hard: { pods: '1' } } });
  const ownNamespace = (name: string, annotations: Record<string, string> = {}): ObservedObject =>
    applied({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, annotations } });
  const copiedLabel: ObservedObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'web', labels, managedFields: [{ manager: 'kubectl', operation: 'Apply' }] } };
  const cases: [string, readonly Manifest[], ReadonlySet<string>, readonly ObservedObject[], Record<string, string[]>][] = [
    ['an empty cluster: everything created, Namespace first', web, none, [], {
      namespaces: ['Namespace/web:create'],
      objects: ['ResourceQuota/berth-quota:create', 'LimitRange/berth-limits:create', 'RoleBinding/berth-tenant-admin:create', 'NetworkPolicy/berth-isolate-tenant:create'],
      prune: [], release: [], rows: [],
    }],
    ['everything as applied: nothing to do, all Applied', web, none, web.map((m) => applied(m)), {
      namespaces: [], objects: [], prune: [], release: [],
      rows: ['Namespace/web:Applied', 'ResourceQuota/berth-quota:Applied', 'LimitRange/berth-limits:Applied', 'RoleBinding/berth-tenant-admin:Applied', 'NetworkPolicy/berth-isolate-tenant:Applied'],
    }],
    ['a deleted and an edited object are applied again', web, none,
      web.filter((m) => m.kind !== 'LimitRange').map((m) => (m.kind === 'ResourceQuota' ? applied(m, { spec: { hard: { pods: '3' } } }) : applied(m))), {
        namespaces: [], objects: ['ResourceQuota/berth-quota:drift', 'LimitRange/berth-limits:create'], prune: [], release: [],
        rows: ['Namespace/web:Applied', 'RoleBinding/berth-tenant-admin:Applied', 'NetworkPolicy/berth-isolate-tenant:Applied'],
      }],
    ['a foreign namespace: its objects Failed, no request', web.slice(0, 2), none, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web', managedFields: [{ manager: 'kubectl-create' }] } }], {
      namespaces: [], objects: [], prune: [], release: [], rows: ['Namespace/web:Failed', 'ResourceQuota/berth-quota:Failed'],
    }],
    ['a namespace labelled by someone else is foreign too', web.slice(0, 1), none, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web', labels } }], {
      namespaces: [], objects: [], prune: [], release: [], rows: ['Namespace/web:Failed'],
    }],
    ['an adopted namespace is applied to', web.slice(0, 1), new Set(['web']), [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web' } }], {
      namespaces: ['Namespace/web:drift'], objects: [], prune: [], release: [], rows: [],
    }],
    ['a terminating namespace waits', web.slice(0, 2), none, [{ ...ownNamespace('web'), metadata: { ...ownNamespace('web').metadata, deletionTimestamp: 't' } }], {
      namespaces: [], objects: [], prune: [], release: [], rows: ['Namespace/web:Failed', 'ResourceQuota/berth-quota:Failed'],
    }],
    ['no longer desired: the namespace is deleted, its content goes with it; the label alone protects nothing', [], none,
      [ownNamespace('old'), ownQuota('old'), ownQuota('web'), copiedLabel], {
        namespaces: [], objects: [], prune: ['ResourceQuota/web/berth-quota', 'Namespace//old'], release: [], rows: [],
      }],
    ['an adopted namespace is given back, by the set or by its annotation, its content deleted', [], new Set(['kept']),
      [ownNamespace('kept'), ownNamespace('legacy', { 'berth.io/adopted': 'true' }), ownQuota('legacy')], {
        namespaces: [], objects: [], prune: ['ResourceQuota/legacy/berth-quota'], release: ['kept', 'legacy'], rows: [],
      }],
    ['objects being deleted are not deleted again, nor what a terminating namespace holds', [], none,
      [{ ...ownNamespace('old'), metadata: { ...ownNamespace('old').metadata, deletionTimestamp: 't' } }, ownQuota('old')], {
      namespaces: [], objects: [], prune: [], release: [], rows: [],
    }],
  ];
  for (const [name, manifests, adopted, observed, want] of cases) {
    it(name, () => assert.deepEqual(summary(planCluster({ manifests, adopted }, observed)), want));
  }

  it('applies a cluster-scoped object other than a Namespace (a webhook configuration) without vetting a namespace, and reports it in none', () => {
    const hook: Manifest = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'berth-admission', labels: { 'app.kubernetes.io/managed-by': 'berth' } }, webhooks: [] };
    const created = planCluster({ manifests: [hook], adopted: none }, []);
    assert.deepEqual(summary(created), { namespaces: [], objects: ['MutatingWebhookConfiguration/berth-admission:create'], prune: [], release: [], rows: [] });
    const inSync = planCluster({ manifests: [hook], adopted: none }, [{ ...hook, metadata: { ...hook.metadata, managedFields: [{ manager: 'berth' }] } }]);
    assert.deepEqual(inSync.rows, [{ namespace: '', kind: 'MutatingWebhookConfiguration', name: 'berth-admission', tenant: '', state: 'Applied', message: '' }]);
  });

  it('gives a foreign namespace a message that says why and what to do', () => {
    const plan = planCluster({ manifests: web.slice(0, 1), adopted: none }, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web' } }]);
    assert.match(plan.rows[0].message, /namespace "web" exists in the cluster and is not managed by Berth.*adopt it/);
    assert.deepEqual({ ...plan.rows[0], message: '' }, { namespace: 'web', kind: 'Namespace', name: 'web', tenant: 'team-a', state: 'Failed', message: '' });
  });
});
