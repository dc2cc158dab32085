import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countStates, limitRangeRows, managesTenant, parseKeyValues } from './tenancy-format.ts';
import type { ObjectStatus } from './model.ts';

test('parseKeyValues reads KEY=VALUE pairs and refuses what is not one', () => {
  const cases: readonly [string, Record<string, string> | undefined][] = [
    ['', {}], ['  ', {}], ['site=east', { site: 'east' }], ['site=east, region=eu ,', { site: 'east', region: 'eu' }],
    ['a=', { a: '' }], ['a=b=c', { a: 'b=c' }], ['topology.kubernetes.io/zone=z1', { 'topology.kubernetes.io/zone': 'z1' }],
    ['site', undefined], ['=east', undefined], [' =x', undefined], ['a=1,a=2', undefined],
  ];
  for (const [text, want] of cases) assert.deepEqual(parseKeyValues(text), want, JSON.stringify(text));
});

test('countStates counts only the states present, failures first', () => {
  const o = (state: ObjectStatus['state']): ObjectStatus => ({ kind: 'K', name: 'n', state, message: '', updatedAt: '' });
  assert.deepEqual(countStates([]), []);
  assert.deepEqual(countStates([o('Applied'), o('Failed'), o('Applied'), o('Pending')]), [
    { state: 'Failed', count: 1 }, { state: 'Pending', count: 1 }, { state: 'Applied', count: 2 },
  ]);
});

test('limitRangeRows lists each non-empty bound, Container before Pod', () => {
  assert.deepEqual(limitRangeRows(null), []);
  assert.deepEqual(limitRangeRows({}), []);
  assert.deepEqual(limitRangeRows({
    pod: { max: { cpu: '4' } },
    container: { default: { cpu: '500m', memory: '256Mi' }, min: { cpu: '10m' }, max: {}, defaultRequest: { cpu: '100m' } },
  }), [
    { type: 'Container', bound: 'min', values: { cpu: '10m' } },
    { type: 'Container', bound: 'defaultRequest', values: { cpu: '100m' } },
    { type: 'Container', bound: 'default', values: { cpu: '500m', memory: '256Mi' } },
    { type: 'Pod', bound: 'max', values: { cpu: '4' } },
  ]);
});

test('managesTenant: platform admins everywhere, tenant admins in their own tenant only', () => {
  const who = (platformRoles: string[], tenantRoles: { tenant: string; role: string }[]) => ({ name: 'u', platformRoles, tenantRoles, permissions: [] }) as never;
  assert.equal(managesTenant(who(['platform-admin'], []), 'team-a'), true);
  assert.equal(managesTenant(who(['user'], [{ tenant: 'team-a', role: 'tenant-admin' }]), 'team-a'), true);
  assert.equal(managesTenant(who(['user'], [{ tenant: 'team-b', role: 'tenant-admin' }]), 'team-a'), false);
  assert.equal(managesTenant(who(['user'], [{ tenant: 'team-a', role: 'tenant-viewer' }, { tenant: 'team-a', role: 'tenant-member' }]), 'team-a'), false);
  assert.equal(managesTenant(who(['auditor'], []), 'team-a'), false);
});
