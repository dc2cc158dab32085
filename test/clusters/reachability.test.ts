// Reachability against real traffic: six responder pods in three namespaces on two nodes with
// kube-router enforcing NetworkPolicies; each scenario relabels the namespaces and pods, creates
// its policies, waits until every node's enforcer has synced, and records which of the 90
// (source pod, destination pod, port) connections really succeed. Hand-checked scenarios are
// compared with their matrices written by hand from the NetworkPolicy specification; seeded
// random scenarios are recorded, printed and held to `specReach`, an oracle written from the
// specification and itself held to the hand-checked matrices (until `berth netpol reach` exists).
// BERTH_REACH_SEED=<run seed> replays a run's random scenarios, BERTH_REACH_SCENARIOS sets their
// count (default 10).
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Rng, scenarioSeed } from '../differential/random.ts';
import { createNamespace, expectOk } from './fixtures.ts';
import { createResponders, startEnforcedCluster } from './netpol-support.ts';
import type { EnforcedCluster } from './netpol-support.ts';
import { probeFrom } from './probe.ts';
import {
  HAND_CHECKED, NAMESPACE_LABEL_KEYS, NAMESPACES, POD_LABEL_KEYS, PODS, REACH_PORTS,
  allowedExcept, edge, enforcerPolicies, formatMatrix, generateScenario, labelPatch, matrixDiff, policyObject, specReach,
} from './reachability.ts';
import type { NamespaceRole, Policy, Scenario } from './reachability.ts';

let env: EnforcedCluster;
let failed = false;
const namespaces = {} as Record<NamespaceRole, string>;
const ips = new Map<string, string>();
/** Taken before the changes of the next scenario are sent: the enforcers' sync must start after it. */
let since = 0;

before(async () => {
  env = await startEnforcedCluster('reach', 2);
  const { cluster } = env;
  since = Date.now();
  for (const role of NAMESPACES) namespaces[role] = await createNamespace(cluster, { prefix: `reach-${role}` });
  await Promise.all(NAMESPACES.map(async (role) => {
    const pods = PODS.filter((p) => p.namespace === role);
    const byName = await createResponders(cluster, namespaces[role], pods.map((p) => ({
      name: p.name, labels: {}, node: cluster.nodes[p.node % cluster.nodes.length].name, ports: [...REACH_PORTS],
    })));
    for (const p of pods) ips.set(p.ref, byName.get(p.name) ?? '');
  }));
});

after(async () => {
  if (failed) process.stderr.write(`${env.debugDump()}\n`);
  await env?.stop({ keepLogs: failed });
});

/**
 * The policies a scenario creates: as written with BERTH_REACH_WHOLE_POLICIES=1, else each
 * policy with both types split in two (see `enforcerPolicies`: kube-router v2.1.0 lets traffic
 * between two pods of one such policy through by a rule of the other direction).
 */
function created(scenario: Scenario): readonly Policy[] {
  return process.env.BERTH_REACH_WHOLE_POLICIES === '1' ? scenario.policies : scenario.policies.flatMap(enforcerPolicies);
}

/** Removes the previous scenario's policies, relabels every namespace and pod, and creates the scenario's policies. */
async function apply(scenario: Scenario): Promise<void> {
  const { cluster } = env;
  for (const role of NAMESPACES) {
    expectOk(await cluster.request('DELETE', `/apis/networking.k8s.io/v1/namespaces/${namespaces[role]}/networkpolicies`), `delete policies in ${role}`);
  }
  const merge = 'application/merge-patch+json';
  await Promise.all([
    ...NAMESPACES.map(async (role) => expectOk(await cluster.request('PATCH', `/api/v1/namespaces/${namespaces[role]}`,
      labelPatch(NAMESPACE_LABEL_KEYS, scenario.namespaceLabels[role]), merge), `label namespace ${role}`)),
    ...PODS.map(async (p) => expectOk(await cluster.request('PATCH', `/api/v1/namespaces/${namespaces[p.namespace]}/pods/${p.name}`,
      labelPatch(POD_LABEL_KEYS, scenario.podLabels[p.ref] ?? {}), merge), `label pod ${p.ref}`)),
  ]);
  for (const policy of created(scenario)) {
    const object = policyObject(policy, (role) => namespaces[role]);
    expectOk(await cluster.request('POST', `/apis/networking.k8s.io/v1/namespaces/${namespaces[policy.namespace]}/networkpolicies`, object),
      `create policy ${policy.namespace}/${policy.name}`);
  }
}

/** Every pod probes every other pod on every port at once; returns the connections that succeeded. */
async function observe(): Promise<ReadonlySet<string>> {
  const allowed = new Set<string>();
  await Promise.all(PODS.map(async (src) => {
    const targets = PODS.filter((d) => d.ref !== src.ref).flatMap((d) => REACH_PORTS.map((port) => ({ dst: d.ref, ip: ips.get(d.ref) ?? '', port })));
    const seen = await probeFrom(env.cluster, namespaces[src.namespace], src.name, targets);
    for (const t of targets) if (seen.get(`${t.ip}:${t.port}`) === true) allowed.add(edge(src.ref, t.dst, t.port));
  }));
  return allowed;
}

/** Applies a scenario, waits for every node's enforcer, and observes the matrix; returns it with the times taken. */
async function run(scenario: Scenario): Promise<{ readonly observed: ReadonlySet<string>; readonly syncMs: number; readonly probeMs: number }> {
  const began = since;
  await apply(scenario);
  const syncMs = await env.enforcers.waitForSync(began, { policies: created(scenario).length });
  const probing = Date.now();
  const observed = await observe();
  since = Date.now();
  return { observed, syncMs, probeMs: since - probing };
}

function describe(scenario: Scenario): string {
  return JSON.stringify(scenario, null, 1).replace(/\n\s*/g, ' ');
}

test('hand-checked scenarios: the connections that really succeed are exactly the ones worked out from the NetworkPolicy specification', { timeout: 600_000 }, async (t) => {
  const wrong: string[] = [];
  try {
    for (const hand of HAND_CHECKED) {
      const expected = allowedExcept(hand.denied);
      const { observed, syncMs, probeMs } = await run(hand.scenario);
      const { missing, extra } = matrixDiff(expected, observed);
      t.diagnostic(`${hand.scenario.id}: synced ${syncMs} ms after the changes began, probed in ${probeMs} ms, ${observed.size}/${expected.size} allowed as expected: ${missing.length + extra.length === 0}`);
      if (missing.length + extra.length > 0) {
        wrong.push(`scenario ${hand.scenario.id} (${hand.why}):\n${describe(hand.scenario)}\nexpected (by hand):\n${formatMatrix(expected)}\n`
          + `observed:\n${formatMatrix(observed)}\nexpected but refused: ${missing.join(', ') || 'none'}\nsucceeded but not expected: ${extra.join(', ') || 'none'}`);
      }
    }
    assert.deepEqual(wrong, [], `real traffic disagrees with ${wrong.length} hand-checked scenario(s)`);
  } catch (err) {
    failed = true;
    throw err;
  }
});

test('seeded random scenarios: the connections that really succeed are the ones the specification oracle allows', { timeout: 1_200_000 }, async (t) => {
  const runSeed = process.env.BERTH_REACH_SEED !== undefined ? Number(process.env.BERTH_REACH_SEED) : randomInt(0, 2 ** 32 - 1);
  const count = Number(process.env.BERTH_REACH_SCENARIOS ?? 10);
  t.diagnostic(`random scenarios: BERTH_REACH_SEED=${runSeed}, ${count} scenarios`);
  const began = Date.now();
  const wrong: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const seed = scenarioSeed(runSeed, i);
      const scenario = generateScenario(new Rng(seed), `seed-${seed}`);
      const { observed, syncMs, probeMs } = await run(scenario);
      const expected = specReach(scenario);
      const { missing, extra } = matrixDiff(expected, observed);
      t.diagnostic(`scenario ${scenario.id}: ${scenario.policies.length} policies, ${observed.size} of 90 connections succeeded, `
        + `${missing.length + extra.length === 0 ? 'as the oracle says' : 'NOT as the oracle says'} (synced in ${syncMs} ms, probed in ${probeMs} ms)\n`
        + `${describe(scenario)}\n${formatMatrix(observed)}`);
      if (missing.length + extra.length > 0) {
        wrong.push(`scenario ${scenario.id} (BERTH_REACH_SEED=${runSeed}, number ${i}):\n${describe(scenario)}\noracle:\n${formatMatrix(expected)}\n`
          + `observed:\n${formatMatrix(observed)}\nallowed but refused: ${missing.join(', ') || 'none'}\nsucceeded but not allowed: ${extra.join(', ') || 'none'}`);
      }
    }
    t.diagnostic(`${count} random scenarios in ${Date.now() - began} ms`);
    assert.deepEqual(wrong, [], `real traffic disagrees with the specification in ${wrong.length} of ${count} random scenario(s)`);
  } catch (err) {
    failed = true;
    throw err;
  }
});
