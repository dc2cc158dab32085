// One conformance suite that every evaluator implementation runs (DESIGN.md "one contract,
// small implementations").
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeObject, type KubeObject } from '../../objects/index.ts';
import { dedicatedEvaluators } from './registry.ts';
import { objectCountEvaluator } from './object-count.ts';
import type { QuotaEvaluator } from './types.ts';

const samples: Readonly<Record<string, KubeObject>> = {
  pods: decodeObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', resources: { requests: { cpu: '1' } } }] } }),
  services: decodeObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } }),
  persistentvolumeclaims: decodeObject({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: { resources: { requests: { storage: '1Gi' } } } }),
  configmaps: decodeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm' } }),
  'deployments.apps': decodeObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } }),
};

const implementations: readonly QuotaEvaluator[] = [...dedicatedEvaluators, objectCountEvaluator('configmaps'), objectCountEvaluator('deployments.apps')];

for (const evaluator of implementations) {
  describe(`evaluator conformance: ${evaluator.groupResource}`, () => {
    const obj = samples[evaluator.groupResource];
    it('has a sample object of its kind', () => assert.ok(obj));
    it('charges its object count', () => {
      assert.equal(evaluator.usage(obj)[`count/${evaluator.groupResource}`]?.nanos, 1_000_000_000n);
    });
    it('matches exactly the usage names it tracks among a quota\'s names', () => {
      const names = [...Object.keys(evaluator.usage(obj)), 'no-such-resource'];
      const matched = evaluator.matchingResources(names);
      assert.ok(!matched.includes('no-such-resource'));
      for (const n of Object.keys(evaluator.usage(obj))) assert.ok(matched.includes(n), `${n} is charged but not matched`);
    });
    it('never returns negative usage', () => {
      for (const q of Object.values(evaluator.usage(obj))) assert.ok(q.nanos >= 0n);
    });
    it('puts no constraint on a quota with no resources', () => assert.equal(evaluator.constraints([], obj), undefined));
    it('answers false for an unknown scope', () => assert.equal(evaluator.matchesScope({ scopeName: 'NoSuchScope', operator: 'Exists' }, obj), false));
  });
}
