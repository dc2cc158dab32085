import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeObject, encodeResourceList, groupResourceString, type KubeObject, type ResourceQuota } from '../objects/index.ts';
import { checkQuotas, evaluateQuotas, initialUsage, chargeExisting, type QuotaUsage } from './quota.ts';
import { EvaluatorRegistry } from './quota-evaluators/registry.ts';
import { podEvaluator } from './quota-evaluators/pods.ts';
import { persistentVolumeClaimEvaluator } from './quota-evaluators/persistent-volume-claims.ts';
import { serviceEvaluator } from './quota-evaluators/services.ts';

const registry = new EvaluatorRegistry();

function quota(name: string, hard: Record<string, string>, spec: Record<string, unknown> = {}): ResourceQuota {
  return decodeObject({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name }, spec: { hard, ...spec } }) as ResourceQuota;
}

function usage(q: ResourceQuota, existing: KubeObject[] = []): QuotaUsage {
  return existing.reduce((u, o) => chargeExisting(u, registry.get(groupResourceString(o.type)), o), { quota: q, used: initialUsage(q, registry) });
}

type R = { requests?: Record<string, string>; limits?: Record<string, string> };
function pod(name: string, containers: R[], spec: Record<string, unknown> = {}, init: R[] = [], status?: Record<string, unknown>): KubeObject {
  return decodeObject({
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: { containers: containers.map((r, i) => ({ name: `c${i}`, resources: r })), initContainers: init.map((r, i) => ({ name: `init${i}`, resources: r })), ...spec },
    ...(status ? { status } : {}),
  });
}

const cpu = (c: string): R => ({ requests: { cpu: c } });

describe('ResourceQuota admission of pods', () => {
  it('refuses with only the exceeded resources, worded as kube-apiserver', () => {
    const q = usage(quota('compute', { 'requests.cpu': '4', 'requests.memory': '8Gi' }), [pod('a', [cpu('3')])]);
    const d = checkQuotas(podEvaluator, [q], pod('web-1', [{ requests: { cpu: '2', memory: '1Gi' } }]));
    assert.deepEqual(d, { allowed: false, message: 'exceeded quota: compute, requested: requests.cpu=2, used: requests.cpu=3, limited: requests.cpu=4' });
  });
  it('lists several exceeded resources sorted and comma-separated', () => {
    const q = usage(quota('q', { cpu: '1', 'limits.memory': '1Gi', pods: '10' }));
    const d = checkQuotas(podEvaluator, [q], pod('p', [{ requests: { cpu: '2' }, limits: { cpu: '2', memory: '2Gi' } }]));
    assert.equal(d.allowed ? '' : d.message, 'exceeded quota: q, requested: cpu=2,limits.memory=2Gi, used: cpu=0,limits.memory=0, limited: cpu=1,limits.memory=1Gi');
  });
  it('allows and returns the new usage of every matching quota', () => {
    const q = usage(quota('q', { 'requests.cpu': '4', pods: '2', 'count/pods': '5' }), [pod('a', [cpu('1')])]);
    const d = checkQuotas(podEvaluator, [q], pod('b', [cpu('500m')]));
    assert.ok(d.allowed);
    assert.deepEqual(encodeResourceList(d.quotas[0].used), { 'requests.cpu': '1500m', pods: '2', 'count/pods': '2' });
  });
  it('pod count: the third pod exceeds pods=2', () => {
    const q = usage(quota('count', { pods: '2' }), [pod('a', [{}]), pod('b', [{}])]);
    const d = checkQuotas(podEvaluator, [q], pod('c', [{}]));
    assert.equal(d.allowed ? '' : d.message, 'exceeded quota: count, requested: pods=1, used: pods=2, limited: pods=2');
  });
  it('terminal pods free their compute and pods, but not count/pods', () => {
    const done = pod('done', [cpu('3')], {}, [], { phase: 'Succeeded' });
    const failed = pod('failed', [cpu('3')], {}, [], { phase: 'Failed' });
    const q = usage(quota('q', { 'requests.cpu': '4', pods: '1', 'count/pods': '10' }), [done, failed]);
    assert.deepEqual(encodeResourceList(q.used), { 'requests.cpu': '0', pods: '0', 'count/pods': '2' });
  });
  it('with several quotas, every one must allow; the first refusing (by order) is reported', () => {
    const a = usage(quota('a', { 'requests.cpu': '10' }));
    const b = usage(quota('b', { 'requests.cpu': '1' }));
    const d = checkQuotas(podEvaluator, [a, b], pod('p', [cpu('2')]));
    assert.equal(d.allowed ? '' : d.message, 'exceeded quota: b, requested: requests.cpu=2, used: requests.cpu=0, limited: requests.cpu=1');
  });
  it('a quota tracking nothing the pod uses does not match', () => {
    const q = usage(quota('objects', { configmaps: '1' }));
    const d = checkQuotas(podEvaluator, [q], pod('p', [cpu('2')]));
    assert.ok(d.allowed);
    assert.equal(d.quotas[0], q);
  });
});

describe('the "must specify" rule', () => {
  const cases: ReadonlyArray<{ name: string; hard: Record<string, string>; pod: KubeObject; want: string | undefined }> = [
    { name: 'limits.cpu missing on both containers', hard: { 'limits.cpu': '4' }, pod: pod('p', [cpu('1'), cpu('1')]), want: 'failed quota: q: must specify limits.cpu for: c0,c1' },
    {
      name: 'init containers must declare too',
      hard: { 'requests.memory': '4Gi', 'limits.memory': '4Gi' },
      pod: pod('p', [{ requests: { memory: '1Gi' }, limits: { memory: '1Gi' } }], {}, [{}]),
      want: 'failed quota: q: must specify limits.memory for: init0; requests.memory for: init0',
    },
    { name: 'bare cpu means requests', hard: { cpu: '4' }, pod: pod('p', [{ limits: { memory: '1Gi' } }]), want: 'failed quota: q: must specify cpu for: c0' },
    { name: 'ephemeral-storage is not enforced', hard: { 'requests.ephemeral-storage': '1Gi' }, pod: pod('p', [{}]), want: undefined },
    { name: 'pods-only quota needs nothing', hard: { pods: '10' }, pod: pod('p', [{}]), want: undefined },
    { name: 'pod-level resources lift the rule', hard: { 'limits.cpu': '4' }, pod: pod('p', [{}], { resources: { limits: { cpu: '1' } } }), want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = checkQuotas(podEvaluator, [usage(quota('q', c.hard))], c.pod);
      assert.equal(d.allowed ? undefined : d.message, c.want);
    });
  }
});

describe('quota scopes', () => {
  const besteffort = pod('be', [{}]);
  const burstable = pod('bu', [cpu('1')]);
  const terminating = pod('t', [cpu('1')], { activeDeadlineSeconds: 60 });
  const high = pod('h', [cpu('1')], { priorityClassName: 'high' });
  const crossNs = pod('x', [cpu('1')], { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'k', namespaces: ['other'] }] } } });
  const cases: ReadonlyArray<{ name: string; spec: Record<string, unknown>; pod: KubeObject; matches: boolean }> = [
    { name: 'BestEffort matches a best-effort pod', spec: { scopes: ['BestEffort'] }, pod: besteffort, matches: true },
    { name: 'BestEffort skips a burstable pod', spec: { scopes: ['BestEffort'] }, pod: burstable, matches: false },
    { name: 'NotBestEffort matches a burstable pod', spec: { scopes: ['NotBestEffort'] }, pod: burstable, matches: true },
    { name: 'Terminating needs activeDeadlineSeconds', spec: { scopes: ['Terminating'] }, pod: terminating, matches: true },
    { name: 'NotTerminating skips it', spec: { scopes: ['NotTerminating'] }, pod: terminating, matches: false },
    { name: 'NotTerminating and NotBestEffort combined', spec: { scopes: ['NotTerminating', 'NotBestEffort'] }, pod: burstable, matches: true },
    { name: 'Terminating and BestEffort combined skip a terminating burstable pod', spec: { scopes: ['Terminating', 'BestEffort'] }, pod: terminating, matches: false },
    { name: 'PriorityClass In', spec: { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high', 'mid'] }] } }, pod: high, matches: true },
    { name: 'PriorityClass In skips a pod without class', spec: { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } }, pod: burstable, matches: false },
    { name: 'PriorityClass NotIn matches a pod without class', spec: { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'NotIn', values: ['high'] }] } }, pod: burstable, matches: true },
    { name: 'PriorityClass Exists', spec: { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'Exists' }] } }, pod: high, matches: true },
    { name: 'PriorityClass DoesNotExist', spec: { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'DoesNotExist' }] } }, pod: high, matches: false },
    { name: 'CrossNamespacePodAffinity', spec: { scopes: ['CrossNamespacePodAffinity'] }, pod: crossNs, matches: true },
    { name: 'CrossNamespacePodAffinity skips plain pods', spec: { scopes: ['CrossNamespacePodAffinity'] }, pod: burstable, matches: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const q = usage(quota('scoped', { pods: '0' }, c.spec));
      const d = checkQuotas(podEvaluator, [q], c.pod);
      assert.equal(!d.allowed, c.matches);
    });
  }
  it('a scoped quota never tracks services', () => {
    const q = usage(quota('scoped', { services: '0' }, { scopes: ['BestEffort'] }));
    const svc = decodeObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: {} });
    assert.ok(checkQuotas(serviceEvaluator, [q], svc).allowed);
  });
  it('a scoped quota only counts in-scope existing pods', () => {
    const q = usage(quota('be', { pods: '5' }, { scopes: ['BestEffort'] }), [besteffort, burstable, pod('be2', [{}])]);
    assert.deepEqual(encodeResourceList(q.used), { pods: '2' });
  });
});

describe('other kinds', () => {
  it('Services: node ports per port, load balancers', () => {
    const lb = decodeObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }, { port: 443 }] } });
    assert.deepEqual(encodeResourceList(serviceEvaluator.usage(lb)), { 'count/services': '1', services: '1', 'services.loadbalancers': '1', 'services.nodeports': '2' });
    const noAlloc = decodeObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 80, nodePort: 30080 }, { port: 443 }] } });
    assert.equal(encodeResourceList(serviceEvaluator.usage(noAlloc))['services.nodeports'], '1');
    const q = usage(quota('svc', { 'services.nodeports': '1' }));
    const d = checkQuotas(serviceEvaluator, [q], lb);
    assert.equal(d.allowed ? '' : d.message, 'exceeded quota: svc, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1');
  });
  it('PVCs: storage classes and max(spec, allocated)', () => {
    const grown = decodeObject({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'a' }, spec: { storageClassName: 'gold', resources: { requests: { storage: '10Gi' } } }, status: { allocatedResources: { storage: '20Gi' } } });
    const q = usage(quota('storage', { 'requests.storage': '100Gi', 'gold.storageclass.storage.k8s.io/requests.storage': '25Gi', 'gold.storageclass.storage.k8s.io/persistentvolumeclaims': '5' }), [grown]);
    assert.deepEqual(encodeResourceList(q.used), { 'requests.storage': '20Gi', 'gold.storageclass.storage.k8s.io/requests.storage': '20Gi', 'gold.storageclass.storage.k8s.io/persistentvolumeclaims': '1' });
    const next = decodeObject({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'b' }, spec: { storageClassName: 'gold', resources: { requests: { storage: '10Gi' } } } });
    const d = checkQuotas(persistentVolumeClaimEvaluator, [q], next);
    assert.equal(d.allowed ? '' : d.message, 'exceeded quota: storage, requested: gold.storageclass.storage.k8s.io/requests.storage=10Gi, used: gold.storageclass.storage.k8s.io/requests.storage=20Gi, limited: gold.storageclass.storage.k8s.io/requests.storage=25Gi');
  });
  it('object counts for any kind, with legacy names', () => {
    const q = usage(quota('objects', { 'count/deployments.apps': '1', configmaps: '1' }), [decodeObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a' } })]);
    const d = checkQuotas(registry.get('deployments.apps'), [q], decodeObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'b' } }));
    assert.equal(d.allowed ? '' : d.message, 'exceeded quota: objects, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1');
    assert.ok(checkQuotas(registry.get('configmaps'), [q], decodeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm' } })).allowed);
  });
  it('extended and hugepages resources', () => {
    const p = pod('gpu', [{ requests: { 'example.com/gpu': '2', 'hugepages-2Mi': '4Mi' }, limits: { 'example.com/gpu': '2', 'hugepages-2Mi': '4Mi' } }]);
    const q = usage(quota('gpu', { 'requests.example.com/gpu': '1', 'requests.hugepages-2Mi': '8Mi' }));
    const d = checkQuotas(podEvaluator, [q], p);
    assert.equal(d.allowed ? '' : d.message, 'exceeded quota: gpu, requested: requests.example.com/gpu=2, used: requests.example.com/gpu=0, limited: requests.example.com/gpu=1');
  });
  it('status.used of an exported quota is trusted over counting', () => {
    const exported = decodeObject({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { 'requests.cpu': '4' } }, status: { used: { 'requests.cpu': '3500m' } } }) as ResourceQuota;
    const q = usage(exported, [pod('a', [cpu('1')])]);
    assert.deepEqual(encodeResourceList(q.used), { 'requests.cpu': '3500m' });
  });
});

// Cases found by a mutation pass: each fails when the line it names is removed.
describe('checkQuotas rules around the count', () => {
  it('refuses, naming the quota, when a quota\'s scope selector cannot be evaluated (the ScopeError path)', () => {
    const q = usage(quota('odd', { pods: '5' }, { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'Bogus', values: ['x'] }] } }));
    assert.deepEqual(checkQuotas(podEvaluator, [q], pod('p', [cpu('1')])), { allowed: false, message: 'error matching scopes of quota odd, err: "Bogus" is not a valid scope selector operator' });
  });
  it('an exceeded quota is a refusal in the evaluation itself, not only in its message', () => {
    const ev = evaluateQuotas(podEvaluator, [usage(quota('q', { 'requests.cpu': '1' }))], pod('big', [cpu('2')]));
    assert.equal(ev.allowed, false);
  });
  it('refuses an object whose usage is negative, naming the resources (the negative-usage check)', () => {
    const q = usage(quota('q', { 'requests.cpu': '4' }));
    assert.deepEqual(checkQuotas(podEvaluator, [q], pod('neg', [cpu('-1')])), { allowed: false, message: 'quota usage is negative for resource(s): cpu,requests.cpu' });
  });
  it('compares only the resources the object requests: a quota already over on another resource still admits it', () => {
    const over = decodeObject({
      apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' },
      spec: { hard: { pods: '1', 'count/configmaps': '5' } }, status: { used: { pods: '3', 'count/configmaps': '0' } },
    }) as ResourceQuota;
    const d = checkQuotas(registry.get('configmaps'), [usage(over)], decodeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm' } }));
    assert.ok(d.allowed);
    assert.deepEqual(encodeResourceList(d.quotas[0].used), { pods: '3', 'count/configmaps': '1' });
  });
});

describe('CheckRequest deltas', () => {
  const svc = (name: string, spec: Record<string, unknown>): KubeObject => decodeObject({ apiVersion: 'v1', kind: 'Service', metadata: { name, resourceVersion: '1' }, spec });
  const over = (hard: Record<string, string>, used: Record<string, string>): QuotaUsage => usage(decodeObject({
    apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard }, status: { used },
  }) as ResourceQuota);

  it('drops zero usage: a ClusterIP Service is admitted under a quota already over on node ports', () => {
    const q = over({ services: '10', 'services.nodeports': '0' }, { services: '1', 'services.nodeports': '2' });
    const d = checkQuotas(serviceEvaluator, [q], svc('s', { type: 'ClusterIP', ports: [{ port: 80 }] }));
    assert.ok(d.allowed);
    assert.deepEqual(encodeResourceList(d.quotas[0].used), { services: '2', 'services.nodeports': '2' });
  });
  it('an update charges only what the new object adds to the old one', () => {
    const q = over({ services: '2', 'services.nodeports': '2' }, { services: '2', 'services.nodeports': '1' });
    const old = svc('s', { type: 'NodePort', ports: [{ port: 80 }] });
    const d = checkQuotas(serviceEvaluator, [q], svc('s', { type: 'NodePort', ports: [{ port: 80 }, { port: 81 }] }), { old });
    assert.ok(d.allowed);
    assert.deepEqual(encodeResourceList(d.quotas[0].used), { services: '2', 'services.nodeports': '2' });
    const lb = checkQuotas(serviceEvaluator, [q], svc('s', { type: 'LoadBalancer', ports: [{ port: 80 }, { port: 81 }, { port: 82 }] }), { old });
    assert.equal(lb.allowed ? '' : lb.message, 'exceeded quota: q, requested: services.nodeports=2, used: services.nodeports=1, limited: services.nodeports=2');
  });
  it('an update that frees resources charges nothing and refunds nothing', () => {
    const q = over({ 'services.nodeports': '1' }, { 'services.nodeports': '2' });
    const d = checkQuotas(serviceEvaluator, [q], svc('s', { type: 'ClusterIP', ports: [{ port: 80 }] }), { old: svc('s', { type: 'NodePort', ports: [{ port: 80 }, { port: 81 }] }) });
    assert.ok(d.allowed);
    assert.deepEqual(encodeResourceList(d.quotas[0].used), { 'services.nodeports': '2' });
  });
  it('an update of an object the quota did not count (out of scope before) charges it all', () => {
    const q = usage(quota('t', { pods: '1', 'requests.cpu': '1' }, { scopes: ['Terminating'] }));
    const terminating = pod('p', [cpu('2')], { activeDeadlineSeconds: 60 });
    const d = checkQuotas(podEvaluator, [q], terminating, { old: pod('p', [cpu('2')]) });
    assert.equal(d.allowed ? '' : d.message, 'exceeded quota: t, requested: requests.cpu=2, used: requests.cpu=0, limited: requests.cpu=1');
    assert.ok(checkQuotas(podEvaluator, [q], terminating, { old: pod('p', [cpu('2')], { activeDeadlineSeconds: 120 }) }).allowed);
  });
  it('a status update is charged but never refused', () => {
    const claim = (allocated?: string): KubeObject => decodeObject({
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' },
      spec: { resources: { requests: { storage: '1Gi' } } }, ...(allocated ? { status: { allocatedResources: { storage: allocated } } } : {}),
    });
    const q = over({ 'requests.storage': '2Gi' }, { 'requests.storage': '1Gi' });
    const d = checkQuotas(persistentVolumeClaimEvaluator, [q], claim('5Gi'), { old: claim(), subresource: 'status' });
    assert.ok(d.allowed);
    assert.deepEqual(encodeResourceList(d.quotas[0].used), { 'requests.storage': '5Gi' });
    assert.ok(!checkQuotas(persistentVolumeClaimEvaluator, [q], claim('5Gi'), { old: claim() }).allowed);
  });
});
