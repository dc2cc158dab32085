// Differential test: Berth's node subnet choice (nextFreeSubnet in src/network/cidr.ts) against
// the pod CIDR that kube-controller-manager's nodeipam range allocator gives each new Node, on
// random sequences of Node creations and deletions. The allocator's next candidate carries from
// one scenario to the next in the real controller, so the model carries it too; a reproduction
// prints the candidate it started from. The controller frees a deleted Node's subnet when it
// sees the deletion, a moment later: after each delete the test waits until the controller's
// release counter (its /metrics) has counted it, so that the next create meets the state the
// model has.
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, test } from 'node:test';
import { cidrsOverlap, formatCidr, nextFreeSubnet, parseCidr } from '../../src/network/index.ts';
import type { Cidr } from '../../src/network/index.ts';
import { eventually, startCluster, uniqueName } from '../clusters/index.ts';
import type { Cluster, KubeObject } from '../clusters/index.ts';
import { formatFailure, runFamily } from './harness.ts';
import type { Disagreement, Family } from './harness.ts';
import type { Rng } from './random.ts';

// Eight /24s, one of which the service range takes (nodeipam filters it out at start-up).
const CLUSTER_CIDR = '10.250.0.0/21';
const SERVICE_CIDR = '10.250.6.0/24';
const MASK = 24;

type Step = { readonly op: 'create'; readonly name: string } | { readonly op: 'delete'; readonly name: string };

interface Scenario {
  /** The allocator's next candidate when the scenario began (informative; set by play). */
  startCandidate?: string;
  readonly steps: readonly Step[];
}

/** The allocator state both sides share: live Nodes' subnets and where the next search starts. */
interface Model {
  readonly cluster: Cidr;
  readonly reserved: readonly Cidr[];
  readonly nodes: Map<string, Cidr>;
  nextCandidate: bigint;
  /** Subnets freed so far, as the controller's release counter should show. */
  releases: number;
}

/** kube-controller-manager's count of released node subnets, from its /metrics. */
function cidrReleases(cluster: Cluster): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: cluster.ports.controllerManager, path: '/metrics', rejectUnauthorized: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => {
        const m = /^node_ipam_controller_cidrset_cidrs_releases_total\{[^}]*\} (\d+)/m.exec(text);
        resolve(m ? Number(m[1]) : 0);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Deletes a Node that holds a subnet and waits until the controller has freed it. */
async function deleteNode(cluster: Cluster, model: Model, name: string): Promise<void> {
  await cluster.request('DELETE', `/api/v1/nodes/${name}`);
  model.releases++;
  await eventually(`release of ${name}'s subnet`, async () => ((await cidrReleases(cluster)) >= model.releases ? true : undefined), 15_000, 10);
}

function generate(rng: Rng): Scenario {
  const free = 7;
  const live: string[] = [];
  const steps: Step[] = [];
  const count = rng.int(1, 9);
  for (let i = 0; i < count; i++) {
    // Never more Nodes than subnets: a Node without a subnet is retried by the controller
    // in the background, which would make later answers depend on timing.
    if (live.length > 0 && (live.length >= free || rng.chance(0.35))) {
      steps.push({ op: 'delete', name: live.splice(rng.int(0, live.length - 1), 1)[0] });
    } else {
      const name = `n${i}`;
      live.push(name);
      steps.push({ op: 'create', name });
    }
  }
  return { steps };
}

async function podCidr(cluster: Cluster, name: string): Promise<string> {
  return eventually(`podCIDR of Node ${name}`, async () => {
    const res = await cluster.request('GET', `/api/v1/nodes/${name}`);
    return (res.body as KubeObject).spec?.podCIDR as string | undefined;
  }, 15_000, 20);
}

async function play(cluster: Cluster, model: Model, scenario: Scenario): Promise<Disagreement | undefined> {
  scenario.startCandidate = model.nextCandidate.toString();
  const prefix = uniqueName('cidr');
  const real = (name: string): string => `${prefix}-${name}`;
  // Nodes that hold a subnet; a Node whose subnet was never seen is deleted without waiting.
  const live = new Set<string>();
  const created = new Set<string>();
  try {
    for (const [i, step] of scenario.steps.entries()) {
      if (step.op === 'delete') {
        await deleteNode(cluster, model, real(step.name));
        live.delete(step.name);
        created.delete(step.name);
        model.nodes.delete(step.name);
        continue;
      }
      const res = await cluster.request('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: real(step.name) } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      created.add(step.name);
      const kube = await podCidr(cluster, real(step.name));
      live.add(step.name);
      const choice = nextFreeSubnet(model.cluster, MASK, [...model.reserved, ...model.nodes.values()], model.nextCandidate);
      const berth = choice === undefined ? 'none' : formatCidr(choice.subnet);
      // The real allocator moved on whatever Berth says; the model follows it.
      const kubeCidr = parseCidr(kube);
      model.nodes.set(step.name, kubeCidr);
      const index = (kubeCidr.base - model.cluster.base) >> BigInt(32 - MASK);
      model.nextCandidate = (index + 1n) % (1n << BigInt(MASK - model.cluster.prefix));
      if (berth !== kube) return { step: i, kube, berth };
    }
    return undefined;
  } finally {
    for (const name of created) {
      if (live.has(name)) await deleteNode(cluster, model, real(name));
      else await cluster.request('DELETE', `/api/v1/nodes/${real(name)}`);
      model.nodes.delete(name);
    }
  }
}

function shrink(scenario: Scenario, step: number): readonly Scenario[] {
  const prefix = scenario.steps.slice(0, step + 1);
  const candidates: Scenario[] = [];
  if (prefix.length < scenario.steps.length) candidates.push({ steps: prefix });
  for (let j = 0; j < prefix.length - 1; j++) {
    const dropped = prefix[j];
    candidates.push({ steps: prefix.filter((s, k) => k !== j && !(dropped.op === 'create' && s.name === dropped.name)) });
  }
  return candidates;
}

let cluster: Cluster;
before(async () => {
  cluster = await startCluster({
    name: 'cidr', clusterCidr: CLUSTER_CIDR, serviceClusterIpRange: SERVICE_CIDR, nodeCidrMaskSize: MASK,
    controllerManagerArgs: ['--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics'],
  });
});
after(async () => {
  await cluster?.stop();
});

test(`node pod CIDRs agree with kube-controller-manager's nodeipam (${CLUSTER_CIDR}, /${MASK}, service range ${SERVICE_CIDR})`, async (t) => {
  const clusterCidr = parseCidr(CLUSTER_CIDR);
  const service = parseCidr(SERVICE_CIDR);
  const model: Model = {
    cluster: clusterCidr,
    reserved: cidrsOverlap(clusterCidr, service) ? [service] : [],
    nodes: new Map(),
    nextCandidate: 0n,
    releases: 0,
  };
  const family: Family<Scenario> = { generate, play: (s) => play(cluster, model, s), shrink };
  const failures = await runFamily(t, 'node CIDR', family, { fixedSeed: 0x43494452, fixedCount: 300, freshCount: 30 });
  if (failures.length > 0) assert.fail(`${failures.length} disagreements; first:\n${formatFailure(failures[0])}`);
});
