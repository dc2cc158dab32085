import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeObject, DecodeError } from './decode.ts';
import { admitDefaultStorageClass, defaultStorageClass, isDefaultStorageClass } from './storage-class.ts';
import type { PersistentVolumeClaim, StorageClass } from './model.ts';

type Json = Record<string, unknown>;

function storageClass(name: string, annotations: Record<string, string> = {}, creationTimestamp?: string): StorageClass {
  const sc = decodeObject({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name, annotations, creationTimestamp }, provisioner: 'csi.example.com' });
  assert.equal(sc.kind, 'StorageClass');
  return sc as StorageClass;
}

const ga = { 'storageclass.kubernetes.io/is-default-class': 'true' };
const beta = { 'storageclass.beta.kubernetes.io/is-default-class': 'true' };
const def = (name: string, creationTimestamp?: string) => storageClass(name, ga, creationTimestamp);

describe('defaultStorageClass (GetDefaultClass)', () => {
  const cases: readonly { name: string; classes: readonly StorageClass[]; want: string | undefined }[] = [
    { name: 'no classes', classes: [], want: undefined },
    { name: 'none marked', classes: [storageClass('a'), storageClass('b')], want: undefined },
    { name: 'the GA annotation', classes: [storageClass('a'), def('b')], want: 'b' },
    { name: 'the beta annotation', classes: [storageClass('a', beta), storageClass('b')], want: 'a' },
    { name: 'only exactly "true" marks', classes: [storageClass('a', { 'storageclass.kubernetes.io/is-default-class': 'True' }), storageClass('b', { 'storageclass.beta.kubernetes.io/is-default-class': 'yes' })], want: undefined },
    { name: 'several: the newest', classes: [def('old', '2023-01-01T00:00:00Z'), def('new', '2024-01-01T00:00:00Z'), def('mid', '2023-06-01T00:00:00Z')], want: 'new' },
    { name: 'newest by instant, not by text', classes: [def('a', '2024-01-01T10:00:00+02:00'), def('b', '2024-01-01T09:00:00Z')], want: 'b' },
    { name: 'several: the newest whichever annotation marks it', classes: [def('ga', '2023-01-01T00:00:00Z'), storageClass('beta', beta, '2024-01-01T00:00:00Z')], want: 'beta' },
    { name: 'equal timestamps: the smallest name', classes: [def('b', '2024-01-01T00:00:00Z'), def('a', '2024-01-01T00:00:00Z'), def('c', '2024-01-01T00:00:00Z')], want: 'a' },
    // Go's zero time is older than any time an API server writes, the epoch included.
    { name: 'no timestamp is older than the epoch', classes: [def('a'), def('b', '1970-01-01T00:00:00Z')], want: 'b' },
    { name: 'no timestamp is older than a time before the epoch', classes: [def('b', '1960-01-01T00:00:00Z'), def('a')], want: 'b' },
    { name: 'no timestamps: the smallest name', classes: [def('b'), def('a')], want: 'a' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(defaultStorageClass(c.classes)?.metadata.name, c.want);
      assert.equal(defaultStorageClass([...c.classes].reverse())?.metadata.name, c.want, 'the order of the list does not matter');
    });
  }

  it('an unparseable creationTimestamp fails to decode, as metav1.Time does', () => {
    for (const creationTimestamp of ['yesterday', '2024-01-01', '2024-01-01 00:00:00Z', '2024-02-30T00:00:00Z', '']) {
      assert.throws(() => storageClass('a', ga, creationTimestamp), (err: unknown) => err instanceof DecodeError && err.field === 'metadata.creationTimestamp', creationTimestamp);
    }
  });

  it('isDefaultStorageClass reads both annotations', () => {
    assert.deepEqual([storageClass('a', ga), storageClass('b', beta), storageClass('c')].map(isDefaultStorageClass), [true, true, false]);
  });
});

describe('admitDefaultStorageClass (the DefaultStorageClass admission plugin)', () => {
  const claim = (spec: Json, annotations?: Record<string, string>): PersistentVolumeClaim => {
    const o = decodeObject({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', namespace: 'team-a', annotations }, spec: { accessModes: ['ReadWriteOnce'], ...spec } });
    assert.equal(o.kind, 'PersistentVolumeClaim');
    return o as PersistentVolumeClaim;
  };
  const cases: readonly { name: string; claim: PersistentVolumeClaim; defaultClass: string | undefined; want: string | undefined }[] = [
    { name: 'no class gets the default', claim: claim({}), defaultClass: 'standard', want: 'standard' },
    { name: 'a null class gets the default', claim: claim({ storageClassName: null }), defaultClass: 'standard', want: 'standard' },
    { name: '"" asks for no class and stays', claim: claim({ storageClassName: '' }), defaultClass: 'standard', want: '' },
    { name: 'a named class stays', claim: claim({ storageClassName: 'fast' }), defaultClass: 'standard', want: 'fast' },
    { name: 'the beta annotation names a class', claim: claim({}, { 'volume.beta.kubernetes.io/storage-class': 'fast' }), defaultClass: 'standard', want: 'fast' },
    { name: 'no default class: unchanged', claim: claim({}), defaultClass: undefined, want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const admitted = admitDefaultStorageClass(c.claim, c.defaultClass);
      assert.equal(admitted.storageClassName, c.want);
      assert.deepEqual(decodeObject(admitted.raw), admitted, 'the manifest says what the typed claim says');
    });
  }
});
