import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateTenant } from '../../src/tenancy/rules.ts';
import type { Tenant } from './model.ts';
import { checkTenant, limitProblem, quotaProblem, tenantBody, tenantFieldOf, tenantFormValues } from './tenant-form.ts';

const stored: Tenant = {
  name: 'team-a', displayName: 'Team A', clusters: ['east'], quota: { 'requests.cpu': '4', pods: '20' },
  members: [{ kind: 'User', name: 'vic', role: 'viewer' }, { kind: 'Group', name: 'devs', role: 'member' }],
  defaultLimitRange: { container: { default: { cpu: '500m' }, defaultRequest: { cpu: '100m' } }, pod: { max: { memory: '1Gi' } } },
  nodeSelector: { 'pool': 'general', 'topology.kubernetes.io/zone': 'z1' },
  createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', resourceVersion: '3',
};

test('a tenant read into the form and written back is the same tenant', () => {
  const body = tenantBody(tenantFormValues(stored));
  assert.deepEqual(body, {
    name: 'team-a', displayName: 'Team A', members: stored.members, clusters: ['east'], quota: stored.quota,
    defaultLimitRange: stored.defaultLimitRange, nodeSelector: stored.nodeSelector,
  });
});

test('the body leaves out empty quantities and trims what was typed', () => {
  const body = tenantBody({
    name: ' team-b ', clusters: ['east'], quota: { pods: ' 10 ', 'requests.cpu': '', 'limits.cpu': undefined },
    defaultLimitRange: { container: { max: { cpu: ' 2 ', memory: '' }, min: { cpu: '' } }, pod: {} },
    members: [{ kind: 'Group', name: ' ops ', role: 'tenant-admin' }], nodeSelector: '',
  });
  assert.deepEqual(body, {
    name: 'team-b', displayName: '', members: [{ kind: 'Group', name: 'ops', role: 'tenant-admin' }], clusters: ['east'],
    quota: { pods: '10' }, defaultLimitRange: { container: { max: { cpu: '2' } } }, nodeSelector: {},
  });
  assert.deepEqual(tenantBody(tenantFormValues()), {
    name: '', displayName: '', members: [], clusters: [], quota: {}, defaultLimitRange: {}, nodeSelector: {},
  });
});

test('a quantity is refused in the form in the words the server uses', () => {
  for (const [resource, text] of [['requests.cpu', '2 cores'], ['pods', '1.5'], ['requests.memory', '-1Gi'], ['services', 'many']] as const) {
    const server = validateTenant({ ...stored, quota: { [resource]: text } }, ['east']);
    assert.equal(server.length, 1, `${resource}=${text}`);
    assert.equal(quotaProblem(resource, text), server[0].message, `${resource}=${text}`);
  }
  for (const ok of ['4', '500m', '1.5', '']) assert.equal(quotaProblem('requests.cpu', ok), undefined, ok);
  assert.equal(quotaProblem('namespaces', '3'), undefined);
  assert.match(limitProblem('container', 'max', 'memory', '1 GB') ?? '', /^Invalid value: "1 GB"/);
  assert.match(limitProblem('container', 'maxLimitRequestRatio', 'cpu', '0.5') ?? '', /less than 1/);
  assert.equal(limitProblem('pod', 'min', 'cpu', '100m'), undefined);
});

test('checkTenant is the server\'s validateTenant on the body', () => {
  const body = tenantBody({
    name: 'Team', clusters: ['east', 'nowhere'], quota: { pods: 'x' }, members: [{ kind: 'User', name: 'a', role: 'member' }, { kind: 'User', name: 'a', role: 'viewer' }],
    defaultLimitRange: { container: { min: { cpu: '2' }, max: { cpu: '1' } } }, nodeSelector: 'bad key=v',
  });
  const causes = checkTenant(body, ['east']);
  assert.deepEqual(causes.map((c) => c.field), [
    'name', 'members[1].name', 'clusters[1]', 'quota[pods]', 'defaultLimitRange.container.min[cpu]', 'defaultLimitRange.container.defaultRequest[cpu]',
    'defaultLimitRange.container.default[cpu]', 'nodeSelector',
  ]);
});

test('tenantFieldOf places each cause on the form field it names, or nowhere', () => {
  const values = tenantFormValues(stored);
  const cases: readonly [readonly (string | number)[], readonly (string | number)[] | undefined][] = [
    [['name'], ['name']],
    [['displayName'], ['displayName']],
    [['quota', 'requests.cpu'], ['quota', 'requests.cpu']],
    [['quota', 'requests', 'cpu'], ['quota', 'requests.cpu']],
    [['quota', 'namespaces'], ['quota', 'namespaces']],
    [['quota', 'gpus'], undefined],
    [['members', 1, 'role'], ['members', 1, 'role']],
    [['members', 2, 'role'], undefined],
    [['members', 0, 'other'], undefined],
    [['clusters', 1], ['clusters']],
    [['clusters'], ['clusters']],
    [['nodeSelector', 'pool'], ['nodeSelector']],
    [['defaultLimitRange', 'container', 'default', 'cpu'], ['defaultLimitRange', 'container', 'default', 'cpu']],
    [['defaultLimitRange', 'pod', 'default'], undefined],
    [['defaultLimitRange', 'pod', 'default', 'cpu'], undefined],
    [['defaultLimitRange'], undefined],
    [['resourceVersion'], undefined],
  ];
  for (const [path, want] of cases) assert.deepEqual(tenantFieldOf(path, values), want, JSON.stringify(path));
});
