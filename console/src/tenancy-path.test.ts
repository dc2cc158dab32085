import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTenancyPath, tenancyPath } from './tenancy-path.ts';
import type { TenancyView } from './tenancy-path.ts';

test('parseTenancyPath reads cluster, tenant and namespace paths and refuses the rest', () => {
  const cases: readonly [string, TenancyView][] = [
    ['/clusters', { kind: 'clusters' }],
    ['/clusters/', { kind: 'clusters' }],
    ['/clusters/east-1', { kind: 'cluster', cluster: 'east-1' }],
    ['/clusters/east-1/nodes', { kind: 'notFound' }],
    ['/tenants', { kind: 'tenants' }],
    ['/tenants/team-a', { kind: 'tenant', tenant: 'team-a' }],
    ['/tenants/team-a/namespaces/east-1/web', { kind: 'namespace', tenant: 'team-a', cluster: 'east-1', namespace: 'web' }],
    ['/tenants/team-a/namespaces/east-1', { kind: 'notFound' }],
    ['/tenants/team-a/members', { kind: 'notFound' }],
    ['/tenants/team-a/namespaces/east-1/web/x', { kind: 'notFound' }],
    ['/tenants/%E0%A4%A', { kind: 'notFound' }],
    ['/tenants/a%2Fb', { kind: 'notFound' }],
    ['/projects', { kind: 'notFound' }],
  ];
  for (const [path, want] of cases) assert.deepEqual(parseTenancyPath(path), want, path);
});

test('tenancyPath writes paths that read back to the same view', () => {
  const views = [
    { kind: 'clusters' }, { kind: 'cluster', cluster: 'a b' }, { kind: 'tenants' }, { kind: 'tenant', tenant: 'team-a' },
    { kind: 'namespace', tenant: 'team-a', cluster: 'east', namespace: 'web' },
  ] as const;
  for (const v of views) assert.deepEqual(parseTenancyPath(tenancyPath(v)), v);
  assert.equal(tenancyPath({ kind: 'namespace', tenant: 't', cluster: 'c', namespace: 'n' }), '/tenants/t/namespaces/c/n');
});
