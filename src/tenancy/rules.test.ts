import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  allocatedQuota, canonicalQuantity, validateNamespace, validateQuota, validateTenant, validateTenantUpdate,
} from './rules.ts';
import type { Tenant, TenantNamespace } from './model.ts';

const msgs = (causes: { field?: string; message: string }[]) => causes.map((c) => `${c.field}: ${c.message}`);

const clusters = ['east', 'west', 'lab'];

const tenant: Tenant = {
  name: 'team-a',
  displayName: 'Team A',
  members: [{ kind: 'User', name: 'alice', role: 'tenant-admin' }, { kind: 'Group', name: 'devs', role: 'member' }],
  clusters: ['east', 'west'],
  quota: { 'requests.cpu': '10', 'limits.memory': '64Gi', pods: '100', namespaces: '3' },
  defaultLimitRange: { container: { max: { cpu: '2' }, default: { cpu: '500m' }, defaultRequest: { cpu: '100m' } } },
  nodeSelector: { 'berth.io/pool': 'team-a' },
};

function ns(name: string, cluster: string, quota: Record<string, string>, extra: Partial<TenantNamespace> = {}): TenantNamespace {
  return { name, tenant: 'team-a', cluster, quota, adopted: false, ...extra };
}

const share = (cpu: string, mem = '8Gi', pods = '10') => ({ 'requests.cpu': cpu, 'limits.memory': mem, pods });

describe('validateQuota', () => {
  const cases: [string, Record<string, string>, boolean, string[]][] = [
    ['every resource', {
      'requests.cpu': '10', 'requests.memory': '20Gi', 'limits.cpu': '20', 'limits.memory': '40Gi', 'requests.storage': '1Ti',
      pods: '50', services: '10', 'services.nodeports': '2', 'services.loadbalancers': '0', persistentvolumeclaims: '20',
    }, false, []],
    ['namespaces allowed in a tenant quota', { namespaces: '5' }, true, []],
    ['namespaces refused in a namespace quota', { namespaces: '5' }, false, [
      'q[namespaces]: Unsupported value: "namespaces": supported values: "requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "requests.storage", "pods", "services", "services.nodeports", "services.loadbalancers", "persistentvolumeclaims"',
    ]],
    ['unknown resource', { cpu: '1' }, true, [
      'q[cpu]: Unsupported value: "cpu": supported values: "requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "requests.storage", "pods", "services", "services.nodeports", "services.loadbalancers", "persistentvolumeclaims", "namespaces"',
    ]],
    ['does not parse', { 'requests.memory': '1 GB' }, false, [
      'q[requests.memory]: Invalid value: "1 GB": quantity "1 GB" is invalid: quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
    ]],
    ['negative', { 'limits.cpu': '-1' }, false, ['q[limits.cpu]: Invalid value: "-1": must be greater than or equal to 0']],
    ['fractional count', { pods: '1500m', namespaces: '2.5' }, true, [
      'q[namespaces]: Invalid value: "2.5": must be an integer',
      'q[pods]: Invalid value: "1500m": must be an integer',
    ]],
    ['fractional cpu is fine', { 'requests.cpu': '1500m' }, false, []],
  ];
  for (const [name, quota, withNamespaces, want] of cases) it(name, () => assert.deepEqual(msgs(validateQuota(quota, 'q', withNamespaces)), want));
});

describe('validateTenant', () => {
  const cases: [string, Partial<Tenant>, string[]][] = [
    ['a valid tenant', {}, []],
    ['a name that is not a DNS-1123 label', { name: 'Team_A' }, [
      "name: Invalid value: \"Team_A\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]],
    ['a name too long', { name: 'a'.repeat(64) }, [`name: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`]],
    ['a display name too long', { displayName: 'x'.repeat(257) }, ['displayName: Too long: may not be more than 256 bytes']],
    ['bad members', {
      members: [
        { kind: 'ServiceAccount' as 'User', name: 'x', role: 'member' },
        { kind: 'User', name: 'bob', role: 'owner' as 'member' },
        { kind: 'User', name: '', role: 'viewer' },
        { kind: 'User', name: 'bob', role: 'viewer' },
        { kind: 'Group', name: 'bob', role: 'viewer' },
      ],
    }, [
      'members[0].kind: Unsupported value: "ServiceAccount": supported values: "Group", "User"',
      'members[1].role: Unsupported value: "owner": supported values: "tenant-admin", "member", "viewer"',
      'members[2].name: Required value: a user or group name',
      'members[3].name: Duplicate value: "bob"',
    ]],
    ['unknown and duplicate clusters', { clusters: ['east', 'north', 'east'] }, [
      'clusters[1]: Not found: "north"',
      'clusters[2]: Duplicate value: "east"',
    ]],
    ['a quota that does not parse', { quota: { 'requests.cpu': 'ten' } }, [
      'quota[requests.cpu]: Invalid value: "ten": quantity "ten" is invalid: quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
    ]],
    ['an invalid default LimitRange', { defaultLimitRange: { container: { min: { memory: '1Gi' }, max: { memory: '512Mi' } } } }, [
      'defaultLimitRange.container.min[memory]: Invalid value: "1Gi": min value 1Gi is greater than max value 512Mi',
      'defaultLimitRange.container.defaultRequest[memory]: Invalid value: "512Mi": min value 1Gi is greater than default request value 512Mi',
      'defaultLimitRange.container.default[memory]: Invalid value: "1Gi": min value 1Gi is greater than default value 512Mi',
    ]],
    ['a bad node selector', { nodeSelector: { 'bad key!': 'x', zone: 'has space' } }, [
      "nodeSelector: Invalid value: \"bad key!\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      "nodeSelector[zone]: Invalid value: \"has space\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ]],
  ];
  for (const [name, change, want] of cases) it(name, () => assert.deepEqual(msgs(validateTenant({ ...tenant, ...change }, clusters)), want));
});

describe('validateNamespace', () => {
  const existing = [ns('a1', 'east', share('4')), ns('a2', 'west', share('4'))];
  const cases: [string, TenantNamespace, readonly TenantNamespace[], string[]][] = [
    ['fits the tenant quota exactly', ns('a3', 'east', share('2', '48Gi', '80')), existing, []],
    ['a bad name', ns('A3', 'east', share('1')), existing, [
      "name: Invalid value: \"A3\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]],
    ['the cluster\'s own namespaces', ns('kube-system', 'east', share('1')), existing, ['name: Forbidden: namespace "kube-system" belongs to the cluster, not to a tenant']],
    ['default', ns('default', 'east', share('1'), { adopted: true }), existing, ['name: Forbidden: namespace "default" belongs to the cluster, not to a tenant']],
    ['another tenant', ns('a3', 'east', share('1'), { tenant: 'team-b' }), existing, ['tenant: Invalid value: "team-b": must be "team-a"']],
    ['an unknown cluster', ns('a3', 'north', share('1')), existing, ['cluster: Not found: "north"']],
    ['a cluster the tenant may not use', ns('a3', 'lab', share('1')), existing, ['cluster: Forbidden: tenant "team-a" may not use cluster "lab"']],
    ['slices beyond the tenant quota name resource, sum and limit', ns('a3', 'east', share('4', '50Gi')), existing, [
      'quota[limits.memory]: Forbidden: limits.memory: namespaces would hold 66Gi, tenant quota is 64Gi',
      'quota[requests.cpu]: Forbidden: requests.cpu: namespaces would hold 12, tenant quota is 10',
    ]],
    ['cpu sum over the limit', ns('a3', 'east', share('4')), existing, [
      'quota[requests.cpu]: Forbidden: requests.cpu: namespaces would hold 12, tenant quota is 10',
    ]],
    ['milli-units sum with whole units', ns('a3', 'east', share('2500m')), existing, [
      'quota[requests.cpu]: Forbidden: requests.cpu: namespaces would hold 10500m, tenant quota is 10',
    ]],
    ['a resized namespace replaces its old slice', ns('a1', 'east', share('6')), existing, []],
    ['the same name on another cluster is another namespace', ns('a1', 'west', share('6')), existing, [
      'quota[requests.cpu]: Forbidden: requests.cpu: namespaces would hold 14, tenant quota is 10',
    ]],
    ['a bounded resource left unsliced: only the tenant-wide quota bounds it, at admission', ns('a3', 'east', { 'requests.cpu': '1', pods: '1', services: '3' }), existing, []],
    ['more namespaces than the tenant may have', ns('a4', 'east', share('0', '0', '0')), [...existing, ns('a3', 'west', share('1'))], [
      'name: Forbidden: namespaces: tenant "team-a" would have 4 namespaces, tenant quota is 3',
    ]],
    ['a LimitRange override inside the tenant bounds', ns('a3', 'east', share('1'), {
      limitRange: { container: { max: { cpu: '1' }, default: { cpu: '1' }, defaultRequest: { cpu: '250m' } } },
    }), existing, []],
    ['a LimitRange override beyond the tenant bounds', ns('a3', 'east', share('1'), {
      limitRange: { container: { max: { cpu: '4' }, default: { cpu: '3' }, defaultRequest: { cpu: '250m' } } },
    }), existing, ['limitRange.container.max[cpu]: Forbidden: max 4 must be less than or equal to the tenant max 2']],
    ['an override that kube-apiserver would refuse', ns('a3', 'east', share('1'), {
      limitRange: { container: { max: { cpu: '1' }, default: { cpu: '1' }, defaultRequest: { cpu: '2' } } },
    }), existing, [
      'limitRange.container.defaultRequest[cpu]: Invalid value: "2": default request value 2 is greater than max value 1',
      'limitRange.container.defaultRequest[cpu]: Invalid value: "2": default request value 2 is greater than default limit value 1',
    ]],
    ['a quota that does not parse is refused, not summed', ns('a3', 'east', share('x')), existing, [
      'quota[requests.cpu]: Invalid value: "x": quantity "x" is invalid: quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
    ]],
  ];
  for (const [name, namespace, others, want] of cases) {
    it(name, () => assert.deepEqual(msgs(validateNamespace(namespace, tenant, others, clusters)), want));
  }
});

describe('validateTenantUpdate', () => {
  const namespaces = [
    ns('a1', 'east', share('4')),
    ns('a2', 'west', share('8'), { limitRange: { container: { max: { cpu: '2' }, default: { cpu: '1' }, defaultRequest: { cpu: '100m' } } } }),
  ];
  const cases: [string, Partial<Tenant>, string[]][] = [
    ['a raise', { quota: { ...tenant.quota, 'requests.cpu': '20' } }, []],
    ['the quota as it is', {}, ['quota[requests.cpu]: Forbidden: requests.cpu: namespaces already hold 12, tenant quota would be 10']],
    ['lowered below what the namespaces hold', { quota: { ...tenant.quota, 'requests.cpu': '12', 'limits.memory': '8Gi' } }, [
      'quota[limits.memory]: Forbidden: limits.memory: namespaces already hold 16Gi, tenant quota would be 8Gi',
    ]],
    ['fewer namespaces than exist', { quota: { ...tenant.quota, 'requests.cpu': '12', namespaces: '1' } }, [
      'quota[namespaces]: Forbidden: namespaces: tenant "team-a" has 2 namespaces, tenant quota would be 1',
    ]],
    ['a newly bounded resource no namespace slices: the tenant-wide quota alone bounds it', { quota: { ...tenant.quota, 'requests.cpu': '12', services: '10' } }, []],
    ['a cluster removed that holds namespaces', { quota: { ...tenant.quota, 'requests.cpu': '12' }, clusters: ['east'] }, [
      'clusters: Forbidden: cluster "west" still holds namespaces "west/a2"',
    ]],
    ['a default LimitRange an override no longer fits', {
      quota: { ...tenant.quota, 'requests.cpu': '12' },
      defaultLimitRange: { container: { max: { cpu: '1' }, default: { cpu: '500m' }, defaultRequest: { cpu: '100m' } } },
    }, [
      'defaultLimitRange: Forbidden: the LimitRange of namespace "west/a2" would no longer fit: limitRange.container.max[cpu]: Forbidden: max 2 must be less than or equal to the tenant max 1',
    ]],
  ];
  for (const [name, change, want] of cases) it(name, () => assert.deepEqual(msgs(validateTenantUpdate({ ...tenant, ...change }, namespaces)), want));
});

describe('quantities', () => {
  it('allocatedQuota sums slices per resource, canonical and sorted', () => {
    assert.deepEqual(allocatedQuota([ns('a', 'east', { 'requests.cpu': '500m', pods: '3' }), ns('b', 'west', { 'requests.cpu': '1500m', 'limits.memory': '1Gi' })]),
      { 'limits.memory': '1Gi', pods: '3', 'requests.cpu': '2' });
    assert.deepEqual(allocatedQuota([]), {});
  });
  const cases: [string, string][] = [['1000m', '1'], ['0.5', '500m'], ['1024Mi', '1Gi'], ['2Gi', '2Gi'], ['1e3', '1e3'], ['100M', '100M']];
  for (const [input, want] of cases) it(`canonicalQuantity(${input}) is ${want}`, () => assert.equal(canonicalQuantity(input), want));
});
