import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AdmissionState } from './admission.ts';
import { parseManifests } from './manifests.ts';

function state(yaml: string): AdmissionState {
  const s = new AdmissionState();
  for (const m of parseManifests(yaml, 'state.yaml')) s.addExisting(m.object);
  return s;
}
function admitAll(s: AdmissionState, yaml: string) {
  return parseManifests(yaml, 'in.yaml').map((m) => s.admit(m.object));
}

const base = `apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: team-a}
spec: {hard: {requests.cpu: "4", limits.cpu: "4", pods: "3"}}
---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: team-a}
spec:
  limits:
  - {type: Container, default: {cpu: "1"}, defaultRequest: {cpu: 500m}}
`;

describe('AdmissionState: LimitRanger then ResourceQuota, in order', () => {
  it('defaults before quota, and each admitted pod counts for the next', () => {
    const s = state(base);
    const pod = (n: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${n}, namespace: team-a}\nspec: {containers: [{name: app}]}\n`;
    const results = admitAll(s, [pod('a'), pod('b'), pod('c'), pod('d')].join('---\n'));
    assert.deepEqual(results.map((r) => r.allowed), [true, true, true, false]);
    assert.equal(results[3].reason, 'pods "d" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=3, limited: pods=3');
    assert.equal(results[0].qosClass, 'Burstable');
    const spec = results[0].object.spec as { containers: { resources: unknown }[] };
    assert.deepEqual(spec.containers[0].resources, { requests: { cpu: '500m' }, limits: { cpu: '1' } });
    assert.deepEqual(s.quotaReports(), [{ namespace: 'team-a', name: 'compute', hard: { 'requests.cpu': '4', 'limits.cpu': '4', pods: '3' }, used: { 'requests.cpu': '1500m', 'limits.cpu': '3', pods: '3' } }]);
  });
  it('a refused object changes nothing', () => {
    const s = state(base);
    const r = admitAll(s, 'apiVersion: v1\nkind: Pod\nmetadata: {name: big, namespace: team-a}\nspec: {containers: [{name: app, resources: {limits: {cpu: "5"}}}]}\n');
    assert.equal(r[0].allowed, false);
    assert.equal(r[0].reason, 'pods "big" is forbidden: exceeded quota: compute, requested: limits.cpu=5,requests.cpu=5, used: limits.cpu=0,requests.cpu=0, limited: limits.cpu=4,requests.cpu=4');
    assert.deepEqual(s.quotaReports()[0].used, { 'requests.cpu': '0', 'limits.cpu': '0', pods: '0' });
  });
  it('a default limit below the request makes the pod invalid, as validation runs after LimitRanger mutation', () => {
    const s = state(base);
    const r = admitAll(s, 'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: team-a}\nspec: {containers: [{name: app, resources: {requests: {cpu: "2"}}}]}\n');
    assert.equal(r[0].reason, 'Pod "p" is invalid: spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1');
  });
  it('objects that exist already are refused by name', () => {
    const s = state(`${base}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: team-a}\n`);
    const r = admitAll(s, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: team-a}\n');
    assert.equal(r[0].reason, 'configmaps "cfg" already exists');
  });
  it('a quota created in the input counts what exists and applies to what follows', () => {
    const s = state('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: ns}\n');
    const r = admitAll(s, [
      'apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: objects, namespace: ns}\nspec: {hard: {configmaps: "2"}}\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: ns}\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: ns}\n',
    ].join('---\n'));
    assert.deepEqual(r.map((x) => x.allowed), [true, true, false]);
    assert.equal(r[2].reason, 'configmaps "c" is forbidden: exceeded quota: objects, requested: configmaps=1, used: configmaps=2, limited: configmaps=2');
  });
  it('the status a manifest carries is ignored on create', () => {
    const s = state(base);
    const r = admitAll(s, [
      'apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: team-a}\nspec: {containers: [{name: app}]}\nstatus: {phase: Succeeded, qosClass: BestEffort}\n',
    ].join('---\n'));
    assert.equal(r[0].qosClass, 'Burstable');
    assert.deepEqual(r[0].object.status, { phase: 'Pending', qosClass: 'Burstable' });
    assert.deepEqual(s.quotaReports()[0].used, { 'requests.cpu': '500m', 'limits.cpu': '1', pods: '1' });
  });
  it('namespaces are independent; a missing namespace is default', () => {
    const s = state(base);
    const r = admitAll(s, 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: app, resources: {limits: {cpu: "9"}}}]}\n');
    assert.equal(r[0].allowed, true);
    assert.equal(r[0].namespace, 'default');
    assert.equal(r[0].qosClass, 'Burstable');
  });
  it('must-specify applies after LimitRange defaults have filled the gaps', () => {
    const s = state(`apiVersion: v1
kind: ResourceQuota
metadata: {name: mem, namespace: team-a}
spec: {hard: {limits.memory: 1Gi}}
`);
    const r = admitAll(s, 'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: team-a}\nspec:\n  initContainers: [{name: setup}]\n  containers: [{name: app, resources: {limits: {memory: 512Mi}}}]\n');
    assert.equal(r[0].reason, 'pods "p" is forbidden: failed quota: mem: must specify limits.memory for: setup');
  });
});

// Disagreements that test/differential/limitrange-quota.test.ts found against a real
// kube-apiserver, each with kube-apiserver's answer, kept so that they stay fixed.
const KATA = 'apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: kata}\nhandler: kata\noverhead: {podFixed: {cpu: 250m, memory: 120Mi}}\n';

describe('agreement with kube-apiserver (differential reproductions)', () => {
  const ns = (doc: string) => doc.replace(/metadata: \{name: ([a-z0-9-]+)/g, 'metadata: {namespace: d, name: $1');
  const cases: ReadonlyArray<{
    readonly name: string;
    readonly state: string;
    readonly input: string;
    readonly reason?: string;
    readonly resources?: unknown;
    /** The first quota's used after the input. */
    readonly used?: Readonly<Record<string, string>>;
  }> = [
    {
      name: 'seed 1794664845: quantities are rounded up to milli-units when decoded (100500u is 101m)',
      state: 'apiVersion: v1\nkind: LimitRange\nmetadata: {name: limits-0}\nspec: {limits: [{type: Container, min: {cpu: 100500u}}]}\n',
      input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: o0}\nspec: {containers: [{name: c0, resources: {requests: {cpu: 100m}}}]}\n',
      reason: 'pods "o0" is forbidden: minimum cpu usage per Container is 101m, but request is 100m',
    },
    {
      name: 'seed 3137485568: a sub-milli limit is stored rounded up',
      state: '',
      input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: o0}\nspec: {containers: [{name: c0, resources: {requests: {cpu: 100m}, limits: {cpu: 100500u}}}]}\n',
      resources: [{ requests: { cpu: '100m' }, limits: { cpu: '101m' } }],
    },
    {
      name: 'seed 3290391722: a LimitRange default limit above the pod-level limit makes the pod invalid',
      state: 'apiVersion: v1\nkind: LimitRange\nmetadata: {name: limits-0}\nspec: {limits: [{type: Container, defaultRequest: {cpu: 250m}, default: {cpu: "0.5"}, max: {cpu: "2"}}]}\n',
      input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: o1}\nspec:\n  containers: [{name: c0, resources: {requests: {cpu: 50m, example.com/widget: "1"}, limits: {memory: "128974848", example.com/widget: "1"}}}]\n'
        + '  resources: {requests: {cpu: 50m, memory: 500M}, limits: {cpu: 50m, memory: 500M}}\n',
      reason: 'Pod "o1" is invalid: spec.resources.containers[0][cpu].limits: Invalid value: "500m": must be less than or equal to pod limits of 50m',
    },
    {
      name: 'seed 3750510956: pod-level requests default from the containers on create, then pod-level validation',
      state: '',
      input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: o0}\nspec:\n  containers:\n'
        + '  - {name: c0, resources: {requests: {cpu: "0.1", memory: 1024Mi, ephemeral-storage: 500Mi}, limits: {cpu: "1.5"}}}\n'
        + '  - {name: c1, resources: {requests: {cpu: 1000m}, limits: {cpu: "1.5", memory: "2e9"}}}\n'
        + '  - {name: c2, resources: {requests: {memory: "129e6"}, limits: {memory: 256Mi, ephemeral-storage: 2Gi}}}\n'
        + '  resources: {requests: {cpu: 250m}, limits: {cpu: 1000m, memory: "2e9"}}\n',
      reason: 'Pod "o0" is invalid: [spec.resources.requests: Invalid value: "3202741824": must be less than or equal to memory limit of 2e9, '
        + 'spec.resources.requests[cpu]: Invalid value: "250m": must be greater than or equal to aggregate container requests of 1100m, '
        + 'spec.resources.containers[0][cpu].limits: Invalid value: "1500m": must be less than or equal to pod limits of 1, '
        + 'spec.resources.containers[1][cpu].limits: Invalid value: "1500m": must be less than or equal to pod limits of 1]',
    },
    {
      name: 'seed 1614483706: a taken name is checked after admission, so the quota refusal is what is reported',
      state: 'apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: quota-2}\nspec: {hard: {memory: 512Mi}}\n',
      input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: o1}\nspec: {containers: [{name: c0, resources: {requests: {memory: 500M}}}]}\n---\n'
        + 'apiVersion: v1\nkind: Pod\nmetadata: {name: o1}\nspec: {containers: [{name: c0, resources: {requests: {memory: 64Mi}}}]}\n',
      reason: 'pods "o1" is forbidden: exceeded quota: quota-2, requested: memory=64Mi, used: memory=500M, limited: memory=512Mi',
    },
    {
      name: 'seed 262616716: a taken name refused after ResourceQuota stays charged in used (until the controller recounts)',
      state: 'apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: quota-0}\nspec: {hard: {secrets: "2", configmaps: "3"}}\n',
      input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: o3}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: o3}\n',
      reason: 'configmaps "o3" already exists',
      used: { secrets: '0', configmaps: '2' },
    },
    {
      name: 'seed 2963887266: a VolumeAttributesClass scope (DoesNotExist) covers a claim that names no class',
      state: 'apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: quota-2}\n'
        + 'spec: {hard: {persistentvolumeclaims: "1e1", count/persistentvolumeclaims: "0"}, scopeSelector: {matchExpressions: [{scopeName: VolumeAttributesClass, operator: DoesNotExist}]}}\n',
      input: 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: g3-}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 500Mi}}, storageClassName: silver}\n',
      reason: 'persistentvolumeclaims "g3-" is forbidden: exceeded quota: quota-2, requested: count/persistentvolumeclaims=1, used: count/persistentvolumeclaims=0, limited: count/persistentvolumeclaims=0',
    },
    {
      name: 'a VolumeAttributesClass scope (In) charges only claims that name the class',
      state: 'apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: fast}\n'
        + 'spec: {hard: {requests.storage: 1Gi}, scopeSelector: {matchExpressions: [{scopeName: VolumeAttributesClass, operator: In, values: [fast]}]}}\n',
      input: 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: a}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 2Gi}}, volumeAttributesClassName: slow}\n---\n'
        + 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: b}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 2Gi}}, volumeAttributesClassName: fast}\n',
      reason: 'persistentvolumeclaims "b" is forbidden: exceeded quota: fast, requested: requests.storage=2Gi, used: requests.storage=0, limited: requests.storage=1Gi',
      used: { 'requests.storage': '0' },
    },
    {
      name: 'seed 579650311: a pod naming a RuntimeClass that does not exist is refused',
      state: KATA,
      input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: o1}\nspec: {runtimeClassName: missing, containers: [{name: c0}]}\n',
      reason: 'pods "o1" is forbidden: pod rejected: RuntimeClass "missing" not found',
    },
    {
      name: 'the RuntimeClass overhead is charged by quota',
      state: `${KATA}---\napiVersion: v1\nkind: ResourceQuota\nmetadata: {name: quota-0}\nspec: {hard: {cpu: "0"}}\n`,
      input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: o1}\nspec: {runtimeClassName: kata, containers: [{name: c0, resources: {requests: {cpu: 2100m}}}]}\n',
      reason: 'pods "o1" is forbidden: exceeded quota: quota-0, requested: cpu=2350m, used: cpu=0, limited: cpu=0',
    },
    {
      name: 'an overhead written in a pod without a RuntimeClass defining one is refused',
      state: KATA,
      input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: o5}\nspec: {overhead: {cpu: 100m}, containers: [{name: c0}]}\n',
      reason: 'pods "o5" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead',
    },
    {
      name: "an overhead written in a pod that differs from its RuntimeClass's is refused",
      state: KATA,
      input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: o6}\nspec: {runtimeClassName: kata, overhead: {cpu: 100m}, containers: [{name: c0}]}\n',
      reason: 'pods "o6" is forbidden: pod rejected: Pod\'s Overhead doesn\'t match RuntimeClass\'s defined Overhead',
    },
    {
      name: 'seed 3750510956: a pod naming a PriorityClass that does not exist is refused before validation',
      state: '',
      input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: o0}\nspec: {priorityClassName: missing, containers: [{name: c0, resources: {requests: {cpu: "2"}, limits: {cpu: "1"}}}]}\n',
      reason: 'pods "o0" is forbidden: no PriorityClass with name missing was found',
    },
    {
      name: 'a priority written in the pod must be the one its class gives (system classes always exist)',
      state: '',
      input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: g2-}\nspec: {priorityClassName: system-cluster-critical, priority: 0, containers: [{name: c0}]}\n',
      reason: 'pods "g2-" is forbidden: the integer value of priority (0) must not be provided in pod spec; priority admission controller computed 2000000000 from the given PriorityClass name',
    },
    {
      name: 'a pod naming no class gets the globalDefault PriorityClass, which PriorityClass quota scopes see',
      state: 'apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: fallback}\nvalue: 5\nglobalDefault: true\n---\n'
        + 'apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q}\nspec: {hard: {pods: "0"}, scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: In, values: [fallback]}]}}\n',
      input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c0}]}\n',
      reason: 'pods "p" is forbidden: exceeded quota: q, requested: pods=1, used: pods=0, limited: pods=0',
    },
    {
      name: 'seed 1679059139: a claim naming no class gets the default StorageClass, which per-class quotas charge',
      state: 'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: gold, annotations: {storageclass.kubernetes.io/is-default-class: "true"}}\nprovisioner: example.com/none\n---\n'
        + 'apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: quota-0}\nspec: {hard: {count/persistentvolumeclaims: "0", gold.storageclass.storage.k8s.io/requests.storage: "3e9"}}\n',
      input: 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: o0}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 5Gi}}}\n',
      reason: 'persistentvolumeclaims "o0" is forbidden: exceeded quota: quota-0, requested: count/persistentvolumeclaims=1,gold.storageclass.storage.k8s.io/requests.storage=5Gi, '
        + 'used: count/persistentvolumeclaims=0,gold.storageclass.storage.k8s.io/requests.storage=0, limited: count/persistentvolumeclaims=0,gold.storageclass.storage.k8s.io/requests.storage=3e9',
    },
    {
      name: 'an empty storageClassName is a class (none), so the default StorageClass is not applied',
      state: 'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: gold, annotations: {storageclass.kubernetes.io/is-default-class: "true"}}\nprovisioner: example.com/none\n---\n'
        + 'apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: quota-1}\nspec: {hard: {gold.storageclass.storage.k8s.io/persistentvolumeclaims: "0"}}\n',
      input: 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: o1}\nspec: {accessModes: [ReadWriteOnce], storageClassName: "", resources: {requests: {storage: 1Gi}}}\n',
      used: { 'gold.storageclass.storage.k8s.io/persistentvolumeclaims': '0' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = state(ns(c.state));
      const r = admitAll(s, ns(c.input)).at(-1)!;
      assert.equal(r.reason, c.reason);
      if (c.used !== undefined) assert.deepEqual(s.quotaReports()[0].used, c.used);
      if (c.resources !== undefined) {
        assert.deepEqual((r.object.spec as { containers: { resources: unknown }[] }).containers.map((x) => x.resources), c.resources);
      }
    });
  }
});
