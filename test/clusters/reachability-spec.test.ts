// The reachability harness's oracle held to the hand-checked matrices, and its scenario
// generator and matrix helpers, without a cluster: the real-traffic side is reachability.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../differential/random.ts';
import {
  HAND_CHECKED, allEdges, allowedExcept, enforcerPolicies, expandPattern, formatMatrix, generateScenario, matrixDiff, specReach,
} from './reachability.ts';

test('the specification oracle gives every hand-checked matrix', () => {
  for (const hand of HAND_CHECKED) {
    const expected = allowedExcept(hand.denied);
    const oracle = specReach(hand.scenario);
    assert.deepEqual(matrixDiff(expected, oracle), { missing: [], extra: [] }, `${hand.scenario.id}: ${hand.why}\nby hand:\n${formatMatrix(expected)}\noracle:\n${formatMatrix(oracle)}`);
  }
});

test('edge patterns expand to exactly the connections they name, and refuse typos', () => {
  assert.equal(allEdges().length, 90);
  assert.deepEqual(expandPattern('a/x -> b/y :81'), ['a/x -> b/y :81']);
  assert.equal(expandPattern('*/* -> b/* :*').length, 30);
  assert.equal(expandPattern('c/* -> a/y :*').length, 6);
  assert.throws(() => expandPattern('* -> b/* :*'), /bad edge pattern/);
  assert.throws(() => expandPattern('a/z -> b/y :80'), /matches no connection/);
});

test('random scenarios are reproducible from their seed and stay within the stated bounds', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const a = generateScenario(new Rng(seed), 's');
    assert.deepEqual(generateScenario(new Rng(seed), 's'), a);
    assert.ok(a.policies.length >= 1 && a.policies.length <= 6, `seed ${seed}: ${a.policies.length} policies`);
    for (const p of a.policies) {
      for (const r of [...(p.ingress ?? []), ...(p.egress ?? [])]) {
        for (const port of r.ports ?? []) assert.ok(port.endPort === undefined || (port.port !== undefined && port.endPort > port.port && port.endPort <= 82));
      }
    }
  }
});

test('splitting a policy with both types in two leaves what the specification allows unchanged', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const scenario = generateScenario(new Rng(seed), 's');
    const split = { ...scenario, policies: scenario.policies.flatMap(enforcerPolicies) };
    assert.deepEqual(matrixDiff(specReach(scenario), specReach(split)), { missing: [], extra: [] }, `seed ${seed}`);
  }
});
