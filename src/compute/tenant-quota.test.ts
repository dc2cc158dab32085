import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeObject, decodeResourceList, encodeResourceList, type KubeObject, type ResourceList } from '../objects/index.ts';
import { decideTenantQuota, namespaceUsage, sumUsage, type TenantQuotaRequest } from './tenant-quota.ts';
import { EvaluatorRegistry } from './quota-evaluators/registry.ts';

const registry = new EvaluatorRegistry();
const list = (l: Record<string, string>): ResourceList => decodeResourceList(l, 'list') ?? {};

type R = { requests?: Record<string, string>; limits?: Record<string, string> };
function pod(name: string, containers: R[], extra: Record<string, unknown> = {}): KubeObject {
  return decodeObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: containers.map((resources, i) => ({ name: `c${i}`, resources })) }, ...extra });
}
function svc(name: string, type: string, ports = 1): KubeObject {
  return decodeObject({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type, ports: Array.from({ length: ports }, (_, p) => ({ port: 80 + p })) } });
}
function decide(hard: Record<string, string>, used: Record<string, string>, object: KubeObject, extra: Partial<TenantQuotaRequest> = {}) {
  return decideTenantQuota(registry, { tenant: 'team-a', hard: list(hard), used: list(used), object, ...extra });
}
const message = (d: ReturnType<typeof decide>): string => (d.allowed ? `allowed, reserve ${JSON.stringify(encodeResourceList(d.reserve))}` : d.message);

describe('tenant quota decision', () => {
  const cases: ReadonlyArray<{ name: string; hard: Record<string, string>; used: Record<string, string>; object: KubeObject; old?: KubeObject; want: string }> = [
    {
      name: 'the last pod is refused, naming the tenant',
      hard: { pods: '10' }, used: { pods: '10' }, object: pod('web-1', [{}]),
      want: 'pods "web-1" is forbidden: exceeded tenant quota: team-a, requested: pods=1, used: pods=10, limited: pods=10',
    },
    { name: 'room for one more: reserve what it takes', hard: { pods: '10', 'requests.cpu': '4' }, used: { pods: '9', 'requests.cpu': '1' }, object: pod('web-1', [{ requests: { cpu: '500m' } }]), want: 'allowed, reserve {"pods":"1","requests.cpu":"500m"}' },
    {
      name: 'several exceeded resources, sorted by name as kube lists them',
      hard: { 'requests.cpu': '1', 'limits.memory': '1Gi', pods: '10', cpu: '1' }, used: { 'requests.cpu': '500m', cpu: '500m', pods: '2' },
      object: pod('p', [{ requests: { cpu: '1' }, limits: { cpu: '1', memory: '2Gi' } }]),
      want: 'pods "p" is forbidden: exceeded tenant quota: team-a, requested: cpu=1,limits.memory=2Gi,requests.cpu=1, used: cpu=500m,limits.memory=0,requests.cpu=500m, limited: cpu=1,limits.memory=1Gi,requests.cpu=1',
    },
    { name: 'resources the tenant does not limit are ignored', hard: { services: '5' }, used: { services: '1' }, object: pod('p', [{ requests: { cpu: '64' } }]), want: 'allowed, reserve {}' },
    { name: 'unmeasured usage counts as zero', hard: { 'services.nodeports': '2' }, used: {}, object: svc('s', 'NodePort', 3), want: 'services "s" is forbidden: exceeded tenant quota: team-a, requested: services.nodeports=3, used: services.nodeports=0, limited: services.nodeports=2' },
    { name: 'load balancers and their node ports', hard: { 'services.loadbalancers': '1', 'services.nodeports': '10' }, used: { 'services.loadbalancers': '1' }, object: svc('lb', 'LoadBalancer'), want: 'services "lb" is forbidden: exceeded tenant quota: team-a, requested: services.loadbalancers=1, used: services.loadbalancers=1, limited: services.loadbalancers=1' },
    {
      name: 'storage and claims',
      hard: { 'requests.storage': '10Gi', persistentvolumeclaims: '5' }, used: { 'requests.storage': '9Gi', persistentvolumeclaims: '1' },
      object: decodeObject({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, spec: { resources: { requests: { storage: '2Gi' } } } }),
      want: 'persistentvolumeclaims "data" is forbidden: exceeded tenant quota: team-a, requested: requests.storage=2Gi, used: requests.storage=9Gi, limited: requests.storage=10Gi',
    },
    { name: 'object counts of any kind', hard: { 'count/deployments.apps': '1' }, used: { 'count/deployments.apps': '1' }, object: decodeObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } }), want: 'deployments.apps "d" is forbidden: exceeded tenant quota: team-a, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1' },
    { name: 'a tenant limiting limits.cpu makes containers state it', hard: { 'limits.cpu': '8' }, used: {}, object: pod('p', [{ requests: { cpu: '1' } }]), want: 'pods "p" is forbidden: failed tenant quota: team-a: must specify limits.cpu for: c0' },
    { name: 'an update charges only the increase', hard: { 'services.nodeports': '3' }, used: { 'services.nodeports': '2' }, object: svc('s', 'NodePort', 2), old: svc('s', 'NodePort', 1), want: 'allowed, reserve {"services.nodeports":"1"}' },
    { name: 'an update beyond the limit names only the increase', hard: { 'services.nodeports': '3' }, used: { 'services.nodeports': '3' }, object: svc('s', 'LoadBalancer', 3), old: svc('s', 'NodePort', 1), want: 'services "s" is forbidden: exceeded tenant quota: team-a, requested: services.nodeports=2, used: services.nodeports=3, limited: services.nodeports=3' },
    { name: 'an update that shrinks reserves nothing', hard: { 'services.nodeports': '1' }, used: { 'services.nodeports': '5' }, object: svc('s', 'ClusterIP', 2), old: svc('s', 'NodePort', 2), want: 'allowed, reserve {}' },
    { name: 'a generateName is quoted when there is no name', hard: { configmaps: '0' }, used: {}, object: decodeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'cfg-' } }), want: 'configmaps "cfg-" is forbidden: exceeded tenant quota: team-a, requested: configmaps=1, used: configmaps=0, limited: configmaps=0' },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(message(decide(c.hard, c.used, c.object, c.old ? { old: c.old } : {})), c.want));
  }
  it('a status update is charged but never refused', () => {
    const claim = (allocated?: string) => decodeObject({
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' },
      spec: { resources: { requests: { storage: '1Gi' } } }, ...(allocated ? { status: { allocatedResources: { storage: allocated } } } : {}),
    });
    assert.equal(message(decide({ 'requests.storage': '2Gi' }, { 'requests.storage': '2Gi' }, claim('3Gi'), { old: claim(), subresource: 'status' })), 'allowed, reserve {"requests.storage":"2Gi"}');
  });
  it('a refusal says allowed: false, not only in its message (found by a mutation pass)', () => {
    assert.equal(decide({ pods: '1' }, { pods: '1' }, pod('p', [{}])).allowed, false);
  });
  it('refusals carry the numbers apart from the words', () => {
    const d = decide({ pods: '1' }, { pods: '1' }, pod('p', [{}]));
    assert.ok(!d.allowed && d.refusal.reason === 'ExceededQuota');
    assert.deepEqual(encodeResourceList(d.refusal.requested), { pods: '1' });
    assert.deepEqual(encodeResourceList(d.refusal.used), { pods: '1' });
    assert.deepEqual(encodeResourceList(d.refusal.limited), { pods: '1' });
  });
});

describe('tenant usage', () => {
  const hard = list({ pods: '10', 'requests.cpu': '8', 'services.nodeports': '4' });
  it('a namespace counts as the quota controller does: terminal pods free their compute', () => {
    const used = namespaceUsage(registry, hard, [pod('a', [{ requests: { cpu: '1' } }]), pod('b', [{ requests: { cpu: '2' } }], { status: { phase: 'Succeeded' } }), svc('s', 'NodePort', 2)]);
    assert.deepEqual(encodeResourceList(used), { pods: '1', 'requests.cpu': '1', 'services.nodeports': '2' });
  });
  it('sums namespaces from several clusters and reservations', () => {
    const a = namespaceUsage(registry, hard, [pod('a', [{ requests: { cpu: '1' } }])]);
    const b = namespaceUsage(registry, hard, [pod('b', [{ requests: { cpu: '1500m' } }]), svc('s', 'NodePort')]);
    const total = sumUsage([a, b, list({ pods: '1', 'requests.cpu': '250m' })]);
    assert.deepEqual(encodeResourceList(total), { pods: '3', 'requests.cpu': '2750m', 'services.nodeports': '1' });
    assert.deepEqual(sumUsage([]), {});
  });
});
