import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EvaluatorRegistry, namespaceUsage } from '../compute/index.ts';
import { decodeObject, decodeResourceList, encodeResourceList, type JsonObject, type ResourceList } from '../objects/index.ts';
import { UsageLedger } from './usage-ledger.ts';

const registry = new EvaluatorRegistry();
const hard = (names: string[]): ResourceList => decodeResourceList(Object.fromEntries(names.map((n) => [n, '1000'])), 'hard') ?? {};
const ALL = hard(['pods', 'requests.cpu', 'limits.memory', 'services', 'services.nodeports', 'services.loadbalancers', 'persistentvolumeclaims', 'requests.storage', 'count/pods']);
const COMPUTE = hard(['requests.cpu', 'pods']);

/** Each quantity's value (a sum's printed form depends on the order of its terms, as kube's Quantity.Add does). */
const values = (list: ResourceList): Record<string, bigint> => Object.fromEntries(Object.entries(list).map(([k, q]) => [k, q.nanos]));

/** A small deterministic generator (mulberry32), so a failing sequence can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function object(rnd: () => number, name: string): JsonObject {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const metadata = { name, namespace: 'ns' };
  const kind = pick(['Pod', 'Pod', 'Service', 'PersistentVolumeClaim']);
  if (kind === 'Pod') {
    return {
      apiVersion: 'v1', kind, metadata,
      spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: pick(['100m', '1', '250m', '1500m']) }, limits: { memory: pick(['64Mi', '1Gi', '300M']) } } }] },
      status: { phase: pick(['Pending', 'Running', 'Succeeded', 'Failed']) },
    };
  }
  if (kind === 'Service') {
    const type = pick(['ClusterIP', 'NodePort', 'LoadBalancer']);
    return { apiVersion: 'v1', kind, metadata, spec: { type, ports: Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, i) => ({ port: 80 + i })) } };
  }
  return { apiVersion: 'v1', kind, metadata, spec: { resources: { requests: { storage: pick(['1Gi', '500Mi', '10G']) } } }, status: { capacity: { storage: pick(['1Gi', '20Gi']) } } };
}

describe('UsageLedger', () => {
  it('keeps the same totals as counting every object from scratch, over random puts, replacements and deletes', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rnd = random(seed);
      const ledger = new UsageLedger<JsonObject>(registry, decodeObject);
      const held = new Map<string, JsonObject>();
      ledger.usage(ALL);
      for (let step = 0; step < 150; step++) {
        const name = `o-${Math.floor(rnd() * 12)}`;
        if (rnd() < 0.25) {
          assert.equal(ledger.delete(name), held.delete(name), `seed ${seed} step ${step}: delete ${name}`);
        } else {
          const o = object(rnd, name);
          ledger.put(name, o);
          held.set(name, o);
        }
        if (step === 40) ledger.usage(COMPUTE); // a second set of names joins midway
        const objects = [...held.values()].map((o) => decodeObject(o));
        for (const names of step >= 40 ? [ALL, COMPUTE] : [ALL]) {
          assert.deepEqual(values(ledger.usage(names)), values(namespaceUsage(registry, names, objects)), `seed ${seed} step ${step}`);
        }
      }
      assert.equal(ledger.size, held.size);
    }
  });

  it('counts an object it cannot decode as nothing and says so once', () => {
    const errors: unknown[] = [];
    const ledger = new UsageLedger<JsonObject>(registry, decodeObject, (err) => errors.push(err));
    ledger.put('good', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'good', namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '1' } } }] } });
    ledger.put('bad', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad', namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: 'lots' } } }] } });
    assert.deepEqual(encodeResourceList(ledger.usage(COMPUTE)), { pods: '1', 'requests.cpu': '1' });
    assert.deepEqual(encodeResourceList(ledger.usage(COMPUTE)), { pods: '1', 'requests.cpu': '1' });
    assert.equal(errors.length, 1);
    assert.equal(ledger.delete('bad'), true);
    assert.deepEqual(encodeResourceList(ledger.usage(COMPUTE)), { pods: '1', 'requests.cpu': '1' });
  });

  it('keeps totals for at most four sets of names and counts a forgotten one again when asked', () => {
    const ledger = new UsageLedger<JsonObject>(registry, decodeObject);
    ledger.put('svc', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'ns' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } });
    const sets = ['services', 'services.nodeports', 'pods', 'requests.cpu', 'services.loadbalancers'].map((n) => hard([n]));
    for (const s of sets) ledger.usage(s);
    ledger.put('svc2', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc2', namespace: 'ns' }, spec: { type: 'NodePort', ports: [{ port: 80 }, { port: 81 }] } });
    assert.deepEqual(encodeResourceList(ledger.usage(sets[0])), { services: '2' });
    assert.deepEqual(encodeResourceList(ledger.usage(sets[1])), { 'services.nodeports': '3' });
  });
});
