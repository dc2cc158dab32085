import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  accessModesKey,
  bindClaims,
  boundByControllerAnnotation,
  decideBinding,
  findBestMatchForClaim,
  findMatchingVolume,
  volumeFitsNode,
} from './binding.ts';
import { decodeObject, type KubeObject, type PersistentVolume, type PersistentVolumeAccessMode, type PersistentVolumeClaim, type StorageClass } from '../objects/index.ts';

type Json = Record<string, unknown>;

/** The typed object the shared decoder makes of `raw`, which must be of `kind`. */
function decoded<T extends KubeObject>(raw: Json, kind: T['kind']): T {
  const object = decodeObject(raw);
  assert.equal(object.kind, kind);
  return object as T;
}

function pv(name: string, storage: string, extra: { spec?: Json; meta?: Json; phase?: string } = {}): PersistentVolume {
  return decoded({
    apiVersion: 'v1', kind: 'PersistentVolume',
    metadata: { name, ...extra.meta },
    spec: { capacity: { storage }, accessModes: ['ReadWriteOnce'], ...extra.spec },
    status: { phase: extra.phase ?? 'Available' },
  }, 'PersistentVolume');
}

function pvc(name: string, storage: string, spec: Json = {}, meta: Json = {}): PersistentVolumeClaim {
  return decoded({
    apiVersion: 'v1', kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'team-a', uid: `uid-${name}`, ...meta },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } }, storageClassName: '', ...spec },
  }, 'PersistentVolumeClaim');
}

const storageClass = (raw: Json): StorageClass => decoded({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', ...raw }, 'StorageClass');
const classes: readonly StorageClass[] = [
  storageClass({ metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' }, creationTimestamp: '2024-01-01T00:00:00Z' }, provisioner: 'csi.example.com' }),
  storageClass({ metadata: { name: 'fast' }, provisioner: 'csi.example.com', volumeBindingMode: 'Immediate' }),
  storageClass({ metadata: { name: 'local' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' }),
];

const names = (v: PersistentVolume | undefined) => v?.metadata.name;

describe('findMatchingVolume (controller path)', () => {
  const cases: readonly { name: string; claim: PersistentVolumeClaim; volumes: readonly PersistentVolume[]; want: string | undefined }[] = [
    {
      name: 'smallest volume that fits',
      claim: pvc('c', '5Gi'),
      volumes: [pv('big', '100Gi'), pv('small', '1Gi'), pv('fit', '8Gi'), pv('exact', '5Gi'), pv('mid', '10Gi')],
      want: 'exact',
    },
    {
      name: 'quantities compare by value across notations',
      claim: pvc('c', '1Gi'),
      volumes: [pv('decimal-1G', '1G'), pv('bytes', '1073741824'), pv('2G', '2G')],
      want: 'bytes',
    },
    { name: 'equal sizes: the first listed wins', claim: pvc('c', '1Gi'), volumes: [pv('a', '2Gi'), pv('b', '2Gi')], want: 'a' },
    { name: 'a claim without a size request takes the smallest', claim: pvc('c', '0', { resources: {} }), volumes: [pv('a', '2Gi'), pv('b', '1Mi')], want: 'b' },
    {
      name: 'pre-bound through claimRef (no UID) beats a smaller free volume',
      claim: pvc('c', '1Gi'),
      volumes: [pv('small', '1Gi'), pv('reserved', '50Gi', { spec: { claimRef: { namespace: 'team-a', name: 'c' } } })],
      want: 'reserved',
    },
    {
      name: 'pre-bound ignores phase, selector and class',
      claim: pvc('c', '1Gi', { selector: { matchLabels: { tier: 'gold' } }, storageClassName: 'fast' }),
      volumes: [pv('reserved', '5Gi', { spec: { claimRef: { namespace: 'team-a', name: 'c' } }, phase: 'Pending' })],
      want: 'reserved',
    },
    {
      name: 'pre-bound but too small is skipped',
      claim: pvc('c', '10Gi'),
      volumes: [pv('reserved', '5Gi', { spec: { claimRef: { namespace: 'team-a', name: 'c' } } }), pv('free', '20Gi')],
      want: 'free',
    },
    {
      name: 'PV pre-bound to another claim is skipped',
      claim: pvc('c', '1Gi'),
      volumes: [pv('theirs', '1Gi', { spec: { claimRef: { namespace: 'team-a', name: 'other' } } }), pv('free', '2Gi')],
      want: 'free',
    },
    {
      name: 'same name, other namespace is another claim',
      claim: pvc('c', '1Gi'),
      volumes: [pv('theirs', '1Gi', { spec: { claimRef: { namespace: 'team-b', name: 'c' } } })],
      want: undefined,
    },
    {
      name: 'claimRef UID of a deleted namesake is another claim',
      claim: pvc('c', '1Gi'),
      volumes: [pv('released', '1Gi', { spec: { claimRef: { namespace: 'team-a', name: 'c', uid: 'old-uid' } }, phase: 'Released' })],
      want: undefined,
    },
    {
      name: 'claimRef with this claim UID is this claim',
      claim: pvc('c', '1Gi'),
      volumes: [pv('mine', '1Gi', { spec: { claimRef: { namespace: 'team-a', name: 'c', uid: 'uid-c' } }, phase: 'Bound' })],
      want: 'mine',
    },
    {
      name: 'Released, Failed and Pending volumes are not available',
      claim: pvc('c', '1Gi'),
      volumes: [pv('rel', '1Gi', { phase: 'Released' }), pv('fail', '1Gi', { phase: 'Failed' }), pv('pend', '1Gi', { phase: 'Pending' }), pv('ok', '3Gi')],
      want: 'ok',
    },
    {
      name: 'a volume being deleted is skipped',
      claim: pvc('c', '1Gi'),
      volumes: [pv('going', '1Gi', { meta: { deletionTimestamp: '2024-05-01T00:00:00Z' } }), pv('ok', '3Gi')],
      want: 'ok',
    },
    {
      name: 'claim with "" binds only a volume without class',
      claim: pvc('c', '1Gi', { storageClassName: '' }),
      volumes: [pv('fast', '1Gi', { spec: { storageClassName: 'fast' } }), pv('none', '2Gi')],
      want: 'none',
    },
    {
      name: 'claim with a class binds only that class',
      claim: pvc('c', '1Gi', { storageClassName: 'fast' }),
      volumes: [pv('none', '1Gi'), pv('std', '1Gi', { spec: { storageClassName: 'standard' } }), pv('fast', '2Gi', { spec: { storageClassName: 'fast' } })],
      want: 'fast',
    },
    {
      name: 'the beta class annotation overrides storageClassName',
      claim: pvc('c', '1Gi', { storageClassName: '' }, { annotations: { 'volume.beta.kubernetes.io/storage-class': 'fast' } }),
      volumes: [pv('none', '1Gi'), pv('fast', '2Gi', { meta: { annotations: { 'volume.beta.kubernetes.io/storage-class': 'fast' } } })],
      want: 'fast',
    },
    {
      name: 'matchLabels selector',
      claim: pvc('c', '1Gi', { selector: { matchLabels: { tier: 'gold' } } }),
      volumes: [pv('plain', '1Gi'), pv('silver', '1Gi', { meta: { labels: { tier: 'silver' } } }), pv('gold', '5Gi', { meta: { labels: { tier: 'gold', zone: 'a' } } })],
      want: 'gold',
    },
    {
      name: 'matchExpressions selector',
      claim: pvc('c', '1Gi', { selector: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }, { key: 'legacy', operator: 'DoesNotExist' }] } }),
      volumes: [pv('c-zone', '1Gi', { meta: { labels: { zone: 'c' } } }), pv('old', '1Gi', { meta: { labels: { zone: 'a', legacy: 'yes' } } }), pv('b-zone', '9Gi', { meta: { labels: { zone: 'b' } } })],
      want: 'b-zone',
    },
    {
      name: 'an empty selector selects every volume',
      claim: pvc('c', '1Gi', { selector: {} }),
      volumes: [pv('any', '1Gi')],
      want: 'any',
    },
    {
      name: 'volumeMode Block does not take a Filesystem volume',
      claim: pvc('c', '1Gi', { volumeMode: 'Block' }),
      volumes: [pv('fs-default', '1Gi'), pv('fs', '1Gi', { spec: { volumeMode: 'Filesystem' } }), pv('block', '4Gi', { spec: { volumeMode: 'Block' } })],
      want: 'block',
    },
    {
      name: 'VolumeAttributesClass must match, even for a pre-bound volume',
      claim: pvc('c', '1Gi', { volumeAttributesClassName: 'gold-iops' }),
      volumes: [pv('plain', '1Gi'), pv('reserved-silver', '1Gi', { spec: { volumeAttributesClassName: 'silver', claimRef: { namespace: 'team-a', name: 'c' } } }), pv('gold', '2Gi', { spec: { volumeAttributesClassName: 'gold-iops' } })],
      want: 'gold',
    },
    {
      name: 'a claim without VolumeAttributesClass skips volumes that have one',
      claim: pvc('c', '1Gi', { volumeAttributesClassName: null }),
      volumes: [pv('gold', '1Gi', { spec: { volumeAttributesClassName: 'gold-iops' } }), pv('plain', '2Gi')],
      want: 'plain',
    },
    {
      name: 'a claim without volumeMode is Filesystem',
      claim: pvc('c', '1Gi'),
      volumes: [pv('block', '1Gi', { spec: { volumeMode: 'Block' } }), pv('fs', '4Gi', { spec: { volumeMode: 'Filesystem' } })],
      want: 'fs',
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(names(findMatchingVolume(c.claim, c.volumes)), c.want));
  }

  it('delayed binding returns only a pre-bound volume', () => {
    const claim = pvc('c', '1Gi', { storageClassName: 'local' });
    const free = pv('free', '1Gi', { spec: { storageClassName: 'local' } });
    assert.equal(findMatchingVolume(claim, [free], { delayBinding: true }), undefined);
    const reserved = pv('reserved', '1Gi', { spec: { storageClassName: 'local', claimRef: { namespace: 'team-a', name: 'c' } } });
    assert.equal(names(findMatchingVolume(claim, [free, reserved], { delayBinding: true })), 'reserved');
  });

  it('throws on an invalid quantity or selector', () => {
    assert.throws(() => findMatchingVolume(pvc('c', 'lots'), [pv('a', '1Gi')]), /quantity "lots" is invalid/);
    assert.throws(() => findMatchingVolume(pvc('c', '1Gi', { selector: { matchExpressions: [{ key: 'k', operator: 'In', values: [] }] } }), [pv('a', '1Gi')]));
  });
});

describe('findMatchingVolume (scheduler path, with a node)', () => {
  const zoneA = { name: 'node-1', labels: { 'topology.kubernetes.io/zone': 'a', 'kubernetes.io/hostname': 'node-1' } };
  const inZone = (zone: string) => ({ required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In' as const, values: [zone] }] }] } });

  it('checks node affinity and binds delayed-binding classes', () => {
    const claim = pvc('c', '1Gi', { storageClassName: 'local' });
    const volumes = [
      pv('zone-b', '1Gi', { spec: { storageClassName: 'local', nodeAffinity: inZone('b') } }),
      pv('zone-a', '2Gi', { spec: { storageClassName: 'local', nodeAffinity: inZone('a') } }),
    ];
    assert.equal(names(findMatchingVolume(claim, volumes, { node: zoneA, delayBinding: true })), 'zone-a');
    assert.equal(names(findMatchingVolume(claim, volumes, { delayBinding: true })), undefined, 'the controller leaves it to the scheduler');
  });

  it('checks access modes there (and keeps the globally smallest)', () => {
    const claim = pvc('c', '1Gi', { accessModes: ['ReadWriteMany'] });
    const volumes = [pv('rwo', '1Gi'), pv('rwx', '3Gi', { spec: { accessModes: ['ReadWriteOnce', 'ReadWriteMany'] } })];
    assert.equal(names(findMatchingVolume(claim, volumes, { node: zoneA })), 'rwx');
  });

  it('a pre-bound volume that does not fit the node means no match at all', () => {
    const claim = pvc('c', '1Gi');
    const volumes = [pv('reserved', '1Gi', { spec: { claimRef: { namespace: 'team-a', name: 'c' }, nodeAffinity: inZone('b') } }), pv('free', '1Gi')];
    assert.equal(findMatchingVolume(claim, volumes, { node: zoneA }), undefined);
  });

  it('skips excluded volumes', () => {
    assert.equal(names(findMatchingVolume(pvc('c', '1Gi'), [pv('a', '1Gi'), pv('b', '2Gi')], { node: zoneA, excluded: new Set(['a']) })), 'b');
  });

  const affinity: readonly { name: string; terms: Json | undefined; fits: boolean }[] = [
    { name: 'no affinity', terms: undefined, fits: true },
    { name: 'terms are ORed', terms: { required: { nodeSelectorTerms: [inZone('b').required.nodeSelectorTerms[0], inZone('a').required.nodeSelectorTerms[0]] } }, fits: true },
    { name: 'an empty term matches nothing', terms: { required: { nodeSelectorTerms: [{}] } }, fits: false },
    { name: 'matchFields on metadata.name', terms: { required: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] }] } }, fits: true },
    { name: 'NotIn with a missing label matches', terms: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'gpu', operator: 'NotIn', values: ['yes'] }] }] } }, fits: true },
    { name: 'Gt compares integers', terms: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['8'] }] }] } }, fits: true },
    { name: 'Lt fails on a non-integer label', terms: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'Lt', values: ['8'] }] }] } }, fits: false },
  ];
  for (const a of affinity) {
    it(`node affinity: ${a.name}`, () => {
      const node = { name: 'node-1', labels: { ...zoneA.labels, cores: '16' } };
      assert.equal(volumeFitsNode(pv('v', '1Gi', { spec: { nodeAffinity: a.terms } }), node), a.fits);
    });
  }
});

describe('findBestMatchForClaim (access-mode groups)', () => {
  const modes = (...m: PersistentVolumeAccessMode[]) => ({ spec: { accessModes: m } });
  it('PV modes must contain all the claim modes', () => {
    const claim = pvc('c', '1Gi', { accessModes: ['ReadWriteOnce', 'ReadOnlyMany'] });
    const volumes = [pv('rwo', '1Gi', modes('ReadWriteOnce')), pv('rox', '1Gi', modes('ReadOnlyMany')), pv('both', '5Gi', modes('ReadOnlyMany', 'ReadWriteOnce'))];
    assert.equal(names(findBestMatchForClaim(claim, volumes, false)), 'both');
  });
  it('prefers the group with the fewest modes over a smaller volume with more modes', () => {
    const claim = pvc('c', '1Gi');
    const volumes = [pv('rwo-rox-small', '1Gi', modes('ReadWriteOnce', 'ReadOnlyMany')), pv('rwo-big', '10Gi', modes('ReadWriteOnce'))];
    assert.equal(names(findBestMatchForClaim(claim, volumes, false)), 'rwo-big');
    assert.equal(names(findMatchingVolume(claim, volumes)), 'rwo-rox-small', 'one flat list would pick the smaller');
  });
  it('falls through to a larger group when the first has no match', () => {
    const claim = pvc('c', '5Gi');
    const volumes = [pv('rwo-small', '1Gi', modes('ReadWriteOnce')), pv('rwo-rwx', '10Gi', modes('ReadWriteOnce', 'ReadWriteMany'))];
    assert.equal(names(findBestMatchForClaim(claim, volumes, false)), 'rwo-rwx');
  });
  it('no volume offers the mode', () => {
    assert.equal(findBestMatchForClaim(pvc('c', '1Gi', { accessModes: ['ReadWriteMany'] }), [pv('rwo', '1Gi')], false), undefined);
  });
  it('keys access modes in upstream order', () => {
    assert.equal(accessModesKey(['ReadWriteOncePod', 'ReadWriteMany', 'ReadWriteOnce']), 'RWO,RWX,RWOP');
  });
});

describe('decideBinding (syncUnboundClaim)', () => {
  const nilClass = { storageClassName: undefined };
  const cases: readonly { name: string; claim: PersistentVolumeClaim; volumes: readonly PersistentVolume[]; defaultClass?: string; noDefault?: boolean; want: string }[] = [
    { name: 'nil class with a default class binds a volume of that class', claim: pvc('c', '1Gi', nilClass), volumes: [pv('none', '1Gi'), pv('std', '2Gi', { spec: { storageClassName: 'standard' } })], want: 'Bind std' },
    { name: 'nil class with a default class and no volume provisions', claim: pvc('c', '1Gi', nilClass), volumes: [pv('none', '1Gi')], want: 'Provision standard' },
    { name: 'nil class without a default binds a classless volume', claim: pvc('c', '1Gi', nilClass), volumes: [pv('none', '1Gi')], noDefault: true, want: 'Bind none' },
    { name: 'a given default class overrides the annotated one', claim: pvc('c', '1Gi', nilClass), volumes: [pv('std', '1Gi', { spec: { storageClassName: 'standard' } }), pv('f', '1Gi', { spec: { storageClassName: 'fast' } })], defaultClass: 'fast', want: 'Bind f' },
    { name: '"" class never provisions', claim: pvc('c', '1Gi'), volumes: [], want: 'Pending no persistent volumes available for this claim and no storage class is set' },
    { name: 'named class with no volume provisions', claim: pvc('c', '1Gi', { storageClassName: 'fast' }), volumes: [], want: 'Provision fast' },
    { name: 'WaitForFirstConsumer class waits', claim: pvc('c', '1Gi', { storageClassName: 'local' }), volumes: [pv('l', '1Gi', { spec: { storageClassName: 'local' } })], want: 'WaitForFirstConsumer' },
    { name: 'WaitForFirstConsumer still binds a pre-bound volume', claim: pvc('c', '1Gi', { storageClassName: 'local' }), volumes: [pv('l', '1Gi', { spec: { storageClassName: 'local', claimRef: { namespace: 'team-a', name: 'c' } } })], want: 'Bind l' },
    { name: 'an unknown class binds immediately (provisions)', claim: pvc('c', '1Gi', { storageClassName: 'ghost' }), volumes: [], want: 'Provision ghost' },
    { name: 'volumeName: a free volume that satisfies the claim', claim: pvc('c', '1Gi', { volumeName: 'named' }), volumes: [pv('smaller-other', '1Gi'), pv('named', '9Gi')], want: 'Bind named' },
    { name: 'volumeName: too small', claim: pvc('c', '10Gi', { volumeName: 'named' }), volumes: [pv('named', '1Gi')], want: 'Pending Cannot bind to requested volume "named": requested PV is too small' },
    { name: 'volumeName: wrong class', claim: pvc('c', '1Gi', { volumeName: 'named' }), volumes: [pv('named', '1Gi', { spec: { storageClassName: 'fast' } })], want: 'Pending Cannot bind to requested volume "named": storageClassName does not match' },
    { name: 'volumeName: wrong VolumeAttributesClass', claim: pvc('c', '1Gi', { volumeName: 'named' }), volumes: [pv('named', '1Gi', { spec: { volumeAttributesClassName: 'gold' } })], want: 'Pending Cannot bind to requested volume "named": volumeAttributesClassName does not match' },
    { name: 'volumeName: wrong volumeMode', claim: pvc('c', '1Gi', { volumeName: 'named', volumeMode: 'Block' }), volumes: [pv('named', '1Gi')], want: 'Pending Cannot bind to requested volume "named": incompatible volumeMode' },
    { name: 'volumeName: wrong access mode', claim: pvc('c', '1Gi', { volumeName: 'named', accessModes: ['ReadWriteMany'] }), volumes: [pv('named', '1Gi')], want: 'Pending Cannot bind to requested volume "named": incompatible accessMode' },
    { name: 'volumeName: bound to another claim', claim: pvc('c', '1Gi', { volumeName: 'named' }), volumes: [pv('named', '1Gi', { spec: { claimRef: { namespace: 'team-a', name: 'x', uid: 'u' } }, phase: 'Bound' })], want: 'Pending volume "named" already bound to a different claim.' },
    { name: 'volumeName: missing', claim: pvc('c', '1Gi', { volumeName: 'named' }), volumes: [], want: 'Pending volume "named" requested by the claim does not exist' },
    { name: 'volumeName: pre-bound to this claim', claim: pvc('c', '1Gi', { volumeName: 'named' }), volumes: [pv('named', '1Gi', { spec: { claimRef: { namespace: 'team-a', name: 'c' } } })], want: 'Bind named' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const available = c.noDefault ? classes.filter((k) => k.metadata.name !== 'standard') : classes;
      const d = decideBinding(c.claim, { volumes: c.volumes, classes: available, defaultStorageClass: c.defaultClass });
      const got = d.action === 'Bind' ? `Bind ${d.volume.metadata.name}` : d.action === 'Provision' ? `Provision ${d.storageClassName}` : d.action === 'Pending' ? `Pending ${d.message}` : d.action;
      assert.equal(got, c.want);
    });
  }
});

describe('bindClaims', () => {
  it('binds claims in order, each seeing what earlier claims took', () => {
    const volumes = [pv('v1', '1Gi'), pv('v5', '5Gi'), pv('v10', '10Gi')];
    const claims = [pvc('a', '1Gi'), pvc('b', '1Gi'), pvc('c', '1Gi'), pvc('d', '1Gi')];
    const plan = bindClaims(claims, { volumes, classes });
    const summary = plan.bindings.map((b) => `${b.claim}=${b.decision.action === 'Bind' ? b.decision.volume.metadata.name : b.decision.action}`);
    assert.deepEqual(summary, ['team-a/a=v1', 'team-a/b=v5', 'team-a/c=v10', 'team-a/d=Pending']);
    const v1 = plan.volumes.find((v) => v.metadata.name === 'v1');
    const claimRef = { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'team-a', name: 'a', uid: 'uid-a' };
    assert.deepEqual(v1?.claimRef, claimRef);
    assert.equal(v1?.phase, 'Bound');
    assert.equal(v1?.metadata.annotations?.[boundByControllerAnnotation], 'yes');
    assert.deepEqual(v1 && decodeObject(v1.raw), v1, 'the manifest says what the typed volume says');
    assert.equal(volumes[0].claimRef, undefined, 'the input volumes are unchanged');
  });
  it('a pre-bound volume is kept for its claim and is not marked bound-by-controller', () => {
    const volumes = [pv('reserved', '1Gi', { spec: { claimRef: { namespace: 'team-a', name: 'b' } } }), pv('spare', '2Gi')];
    const plan = bindClaims([pvc('a', '1Gi'), pvc('b', '1Gi')], { volumes, classes });
    assert.deepEqual(plan.bindings.map((b) => b.decision.action === 'Bind' && b.decision.volume.metadata.name), ['spare', 'reserved']);
    const reserved = plan.volumes[0];
    assert.equal(reserved.metadata.annotations?.[boundByControllerAnnotation], undefined);
    assert.equal(reserved.claimRef?.uid, 'uid-b');
  });
  it('order decides a contested volume, as in a cluster', () => {
    const volumes = [pv('only', '1Gi')];
    const first = bindClaims([pvc('named', '1Gi', { volumeName: 'only' }), pvc('any', '1Gi')], { volumes, classes });
    assert.deepEqual(first.bindings.map((b) => b.decision.action), ['Bind', 'Pending']);
    const second = bindClaims([pvc('any', '1Gi'), pvc('named', '1Gi', { volumeName: 'only' })], { volumes, classes });
    assert.deepEqual(second.bindings.map((b) => b.decision.action), ['Bind', 'Pending']);
    const lost = second.bindings[1].decision;
    assert.equal(lost.action === 'Pending' && lost.message, 'volume "only" already bound to a different claim.');
  });
});
