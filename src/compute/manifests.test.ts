import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManifestError, parseManifests } from './manifests.ts';

describe('parseManifests', () => {
  it('reads several YAML documents, skipping empty ones', () => {
    const text = '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: b}\n';
    const objs = parseManifests(text, 'x.yaml');
    assert.deepEqual(objs.map((o) => [o.object.type.kind, o.object.metadata.name]), [['ConfigMap', 'a'], ['Secret', 'b']]);
  });
  it('expands kind: List in place, in order', () => {
    const text = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } }, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } }] });
    const objs = parseManifests(text, 'list.json');
    assert.deepEqual(objs.map((o) => `${o.object.type.group}/${o.object.type.kind}/${o.object.type.resource}`), ['/Pod/pods', 'apps/Deployment/deployments']);
  });
  it('reads YAML numbers as quantities (cpu: 0.5, memory: 1e3)', () => {
    const objs = parseManifests('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    resources: {requests: {cpu: 0.5, memory: 1e3}}\n', 'p.yaml');
    const pod = objs[0].object;
    assert.equal(pod.kind, 'Pod');
    if (pod.kind === 'Pod') {
      assert.equal(pod.containers[0].resources.requests?.cpu.nanos, 500_000_000n);
      assert.equal(pod.containers[0].resources.requests?.memory.nanos, 1000n * 1_000_000_000n);
    }
  });
  it('reads floats in the forms go-yaml reads them (1e3 and 2E9 are numbers, not strings)', () => {
    const objs = parseManifests('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    resources: {requests: {memory: 2E9}, limits: {memory: 1.5e3}}\n', 'p.yaml');
    const pod = objs[0].object;
    assert.equal(pod.kind, 'Pod');
    if (pod.kind === 'Pod') {
      assert.equal(pod.containers[0].resources.requests?.memory.text, undefined);
      assert.equal(pod.containers[0].resources.requests?.memory.nanos, 2_000_000_000n * 1_000_000_000n);
      assert.equal(pod.containers[0].resources.limits?.memory.nanos, 1500n * 1_000_000_000n);
    }
  });
  it('reads a plain timestamp as text, as kubectl does (metadata.creationTimestamp of hand-written state)', () => {
    const objs = parseManifests('apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: s, creationTimestamp: 2024-01-01T00:00:00Z}\nprovisioner: x\n', 's.yaml');
    assert.equal(objs[0].object.metadata.creationTimestamp, '2024-01-01T00:00:00Z');
  });
  const bad: ReadonlyArray<{ name: string; text: string; document: number; field: string }> = [
    { name: 'a bad quantity names the field', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    resources: {limits: {cpu: two}}\n', document: 1, field: 'spec.containers[0].resources.limits.cpu' },
    { name: 'a missing kind', text: 'apiVersion: v1\nmetadata: {name: a}\n', document: 0, field: 'kind' },
    { name: 'a missing name', text: 'apiVersion: v1\nkind: Secret\n', document: 0, field: 'metadata.name' },
    { name: 'a pod without containers', text: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n', document: 0, field: 'spec.containers' },
    { name: 'a YAML syntax error', text: 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n---\nkey: [unclosed\n', document: 1, field: '(syntax)' },
    { name: 'a scalar document', text: '42\n', document: 0, field: '(document)' },
    { name: 'a syntax error after a leading document marker and a comment', text: '# x\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n---\n---\nkey: [unclosed\n', document: 2, field: '(syntax)' },
    { name: 'a YAML 1.1 boolean label value (yes) is not a string', text: 'apiVersion: v1\nkind: Secret\nmetadata: {name: s, labels: {a: yes}}\n', document: 0, field: 'metadata.labels.a' },
    { name: 'a bad item of a List', text: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', resources: { requests: { memory: '1 Gi' } } }] } }] }), document: 0, field: 'items[0].spec.containers[0].resources.requests.memory' },
  ];
  for (const c of bad) {
    it(c.name, () => assert.throws(() => parseManifests(c.text, 'f.yaml'), (e: unknown) => {
      assert.ok(e instanceof ManifestError);
      assert.equal(e.document, c.document);
      assert.equal(e.field, c.field);
      assert.match(e.message, /^f\.yaml: document \d+: /);
      return true;
    }));
  }
});
