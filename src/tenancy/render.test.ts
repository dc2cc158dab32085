import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderNamespace, renderTenant } from './render.ts';
import type { Cluster, Tenant, TenantNamespace } from './model.ts';

const labels = { 'app.kubernetes.io/managed-by': 'berth', 'berth.io/tenant': 'team-a' };

const tenant: Tenant = {
  name: 'team-a',
  displayName: 'Team A',
  members: [
    { kind: 'User', name: 'zoe', role: 'member' },
    { kind: 'User', name: 'alice', role: 'tenant-admin' },
    { kind: 'Group', name: 'devs', role: 'member' },
    { kind: 'User', name: 'bob', role: 'member' },
  ],
  clusters: ['west', 'east'],
  quota: { 'requests.cpu': '10', namespaces: '5' },
  defaultLimitRange: {
    container: { max: { cpu: '2000m', memory: '2048Mi' }, defaultRequest: { cpu: '0.1' } },
    pod: { max: { cpu: '4' } },
  },
  nodeSelector: { zone: 'a', 'berth.io/pool': 'team-a' },
};

function ns(name: string, cluster: string, extra: Partial<TenantNamespace> = {}): TenantNamespace {
  return { name, tenant: 'team-a', cluster, quota: { 'requests.cpu': '1500m', pods: '10' }, adopted: false, ...extra };
}

const clusters: Cluster[] = ['east', 'west', 'lab'].map((name) => ({ name, labels: {}, settings: {} }));

describe('renderNamespace', () => {
  it('renders every object of a namespace, canonical and in apply order', () => {
    const meta = (name: string) => ({ name, namespace: 'web', labels });
    assert.deepEqual(renderNamespace(tenant, ns('web', 'east')), [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web', labels, annotations: { 'scheduler.alpha.kubernetes.io/node-selector': 'berth.io/pool=team-a,zone=a' } } },
      { apiVersion: 'v1', kind: 'ResourceQuota', metadata: meta('berth-quota'), spec: { hard: { pods: '10', 'requests.cpu': '1500m' } } },
      {
        apiVersion: 'v1', kind: 'LimitRange', metadata: meta('berth-limits'),
        spec: {
          limits: [
            { type: 'Container', max: { cpu: '2', memory: '2Gi' }, default: { cpu: '2', memory: '2Gi' }, defaultRequest: { cpu: '100m', memory: '2Gi' } },
            { type: 'Pod', max: { cpu: '4' } },
          ],
        },
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta('berth-tenant-admin'),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
        subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta('berth-member'),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: [
          { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'devs' },
          { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bob' },
          { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'zoe' },
        ],
      },
      {
        apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('berth-isolate-tenant'),
        spec: {
          podSelector: {}, policyTypes: ['Ingress'],
          ingress: [{ from: [
            { namespaceSelector: { matchLabels: { 'berth.io/tenant': 'team-a' } } },
            { namespaceSelector: { matchExpressions: [{ key: 'berth.io/tenant', operator: 'DoesNotExist' }] } },
          ] }],
        },
      },
    ]);
  });

  const kinds = (t: Tenant, n: TenantNamespace) => renderNamespace(t, n).map((o) => `${o.kind}/${o.metadata.name}`);
  const cases: [string, Tenant, TenantNamespace, string[]][] = [
    ['no members, no quota, no limits: Namespace and isolation only', { ...tenant, members: [], defaultLimitRange: {} }, ns('web', 'east', { quota: {} }),
      ['Namespace/web', 'NetworkPolicy/berth-isolate-tenant']],
    ['one RoleBinding per role that has members', { ...tenant, members: [{ kind: 'Group', name: 'auditors', role: 'viewer' }] }, ns('web', 'east'),
      ['Namespace/web', 'ResourceQuota/berth-quota', 'LimitRange/berth-limits', 'RoleBinding/berth-viewer', 'NetworkPolicy/berth-isolate-tenant']],
    ['an adopted namespace is rendered like any other', tenant, ns('legacy', 'east', { adopted: true }),
      ['Namespace/legacy', 'ResourceQuota/berth-quota', 'LimitRange/berth-limits', 'RoleBinding/berth-tenant-admin', 'RoleBinding/berth-member', 'NetworkPolicy/berth-isolate-tenant']],
  ];
  for (const [name, t, n, want] of cases) it(name, () => assert.deepEqual(kinds(t, n), want));

  it('uses the namespace override instead of the tenant default', () => {
    const lr = renderNamespace(tenant, ns('web', 'east', { limitRange: { container: { max: { cpu: '1' } } } })).find((o) => o.kind === 'LimitRange');
    assert.deepEqual(lr?.spec, { limits: [{ type: 'Container', max: { cpu: '1' }, default: { cpu: '1' }, defaultRequest: { cpu: '1' } }] });
  });

  it('marks an adopted namespace with berth.io/adopted, so it is given back rather than deleted', () => {
    assert.deepEqual(renderNamespace({ ...tenant, nodeSelector: {} }, ns('legacy', 'east', { adopted: true }))[0].metadata, {
      name: 'legacy', labels, annotations: { 'berth.io/adopted': 'true' },
    });
  });

  it('leaves the node-selector annotation out when the tenant has none', () => {
    assert.deepEqual(renderNamespace({ ...tenant, nodeSelector: {} }, ns('web', 'east'))[0].metadata, { name: 'web', labels });
  });
});

describe('renderTenant', () => {
  it('groups by cluster, sorted, with an entry for every allowed registered cluster', () => {
    const out = renderTenant({ ...tenant, clusters: ['west', 'east', 'gone'] }, [ns('b', 'west'), ns('z', 'east'), ns('a', 'west')], clusters);
    assert.deepEqual([...out.keys()], ['east', 'west']);
    assert.deepEqual(out.get('east')?.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name), ['z']);
    assert.deepEqual(out.get('west')?.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name), ['a', 'b']);
    assert.ok(out.get('west')?.every((o) => o.metadata.labels['berth.io/tenant'] === 'team-a' && o.metadata.labels['app.kubernetes.io/managed-by'] === 'berth'));
  });

  it('keeps an entry, empty, for a cluster without namespaces so its objects get pruned', () => {
    assert.deepEqual([...renderTenant(tenant, [], clusters)], [['east', []], ['west', []]]);
  });

  it('is deterministic whatever the input order', () => {
    const a = renderTenant(tenant, [ns('a', 'east'), ns('b', 'east'), ns('c', 'west')], clusters);
    const b = renderTenant({ ...tenant, members: [...tenant.members].reverse(), clusters: ['east', 'west'] }, [ns('c', 'west'), ns('b', 'east'), ns('a', 'east')], [...clusters].reverse());
    assert.equal(JSON.stringify([...a]), JSON.stringify([...b]));
  });

  it('refuses namespaces of another tenant or on an unregistered cluster', () => {
    assert.throws(() => renderTenant(tenant, [ns('x', 'east', { tenant: 'team-b' })], clusters), /namespace "x" belongs to tenant "team-b", not "team-a"/);
    assert.throws(() => renderTenant(tenant, [ns('x', 'north')], clusters), /namespace "x" is on unregistered cluster "north"/);
  });
});
