// NetworkPolicies really enforced on real nodes: kube-router's policy controller on each node of
// a two-node cluster, responder pods pulled from Berth, and real TCP connections between pods.
// A default-deny policy cuts a connection that worked a moment before; each kind of allow rule
// (podSelector, namespaceSelector, ipBlock, port) then lets exactly its traffic through.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestContext } from 'node:test';
import { createNamespace, eventually, expectOk, uniqueName } from './fixtures.ts';
import { createResponders, startEnforcedCluster } from './netpol-support.ts';
import type { EnforcedCluster } from './netpol-support.ts';
import { probeFrom } from './probe.ts';

const PORTS = [80, 81] as const;

let env: EnforcedCluster;
let failed = false;
/** Namespace roles → names: `srv` holds the server and two neighbours, `friends` is labelled team=friend, `strangers` is not. */
const ns = { srv: '', friends: '', strangers: '' };
/** `role/pod` → pod IP. */
const ips = new Map<string, string>();
/** The clients of every probe, as `role/pod`. */
const CLIENTS = ['srv/friend', 'srv/foe', 'friends/client', 'strangers/client'] as const;

before(async () => {
  env = await startEnforcedCluster('netpol', 2);
  const { cluster } = env;
  const [n0, n1] = cluster.nodes;
  ns.srv = await createNamespace(cluster, { prefix: 'srv' });
  ns.friends = await createNamespace(cluster, { prefix: 'friends', labels: { team: 'friend' } });
  ns.strangers = await createNamespace(cluster, { prefix: 'strangers' });
  const placed = await Promise.all([
    createResponders(cluster, ns.srv, [
      { name: 'web', labels: { app: 'web' }, node: n0.name, ports: [...PORTS] },
      { name: 'friend', labels: { role: 'frontend' }, node: n0.name, ports: [...PORTS] },
      { name: 'foe', labels: { role: 'other' }, node: n1.name, ports: [...PORTS] },
    ]),
    createResponders(cluster, ns.friends, [{ name: 'client', labels: { role: 'frontend' }, node: n1.name, ports: [...PORTS] }]),
    createResponders(cluster, ns.strangers, [{ name: 'client', labels: { role: 'frontend' }, node: n0.name, ports: [...PORTS] }]),
  ]);
  for (const [role, byName] of [['srv', placed[0]], ['friends', placed[1]], ['strangers', placed[2]]] as const) {
    for (const [name, ip] of byName) ips.set(`${role}/${name}`, ip);
  }
});

after(async () => {
  if (failed) process.stderr.write(`${env.debugDump()}\n`);
  await env?.stop({ keepLogs: failed });
});

/** Runs a test body; on failure the file's `after` prints every log tail and filter table. */
function body(fn: (t: TestContext) => Promise<void>): (t: TestContext) => Promise<void> {
  return async (t) => {
    try {
      await fn(t);
    } catch (err) {
      failed = true;
      throw err;
    }
  };
}

function podRef(ref: string): { namespace: string; pod: string } {
  const [role, pod] = ref.split('/');
  return { namespace: ns[role as keyof typeof ns], pod };
}

/** Which of `CLIENTS` reach `srv/web` on each port, as sorted `client:port` strings. */
async function reachingWeb(): Promise<string[]> {
  const web = ips.get('srv/web') ?? '';
  const results = await Promise.all(CLIENTS.map(async (client) => {
    const { namespace, pod } = podRef(client);
    const seen = await probeFrom(env.cluster, namespace, pod, PORTS.map((port) => ({ ip: web, port })));
    return PORTS.filter((port) => seen.get(`${web}:${port}`) === true).map((port) => `${client}:${port}`);
  }));
  return results.flat().sort();
}

const everyone = CLIENTS.flatMap((c) => PORTS.map((p) => `${c}:${p}`)).sort();

async function createPolicy(name: string, spec: Record<string, unknown>): Promise<void> {
  expectOk(await env.cluster.request('POST', `/apis/networking.k8s.io/v1/namespaces/${ns.srv}/networkpolicies`, {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name }, spec,
  }), `create NetworkPolicy ${name}`);
}

async function deletePolicy(name: string): Promise<void> {
  expectOk(await env.cluster.request('DELETE', `/apis/networking.k8s.io/v1/namespaces/${ns.srv}/networkpolicies/${name}`), `delete NetworkPolicy ${name}`);
}

test('a default-deny ingress NetworkPolicy cuts connections that worked a moment before, and only in its namespace', { timeout: 240_000 }, body(async (t) => {
  t.diagnostic(`kube-router ready on every node ${env.enforcers.readyMs} ms after its start`);
  assert.deepEqual(await reachingWeb(), everyone, 'with no policy every client reaches the server on every port');

  const deny = uniqueName('deny');
  const created = Date.now();
  await createPolicy(deny, { podSelector: {}, policyTypes: ['Ingress'] });
  // Convergence seen from the outside: real connections polled until the first one fails.
  const firstBlocked = await eventually('the first connection to be refused', async () => {
    const { namespace, pod } = podRef('strangers/client');
    // No second try: this measures when the first refusal comes, and the full check below confirms it.
    const seen = await probeFrom(env.cluster, namespace, pod, [{ ip: ips.get('srv/web') ?? '', port: 80 }], { retries: 0 });
    return [...seen.values()].includes(false) ? Date.now() - created : undefined;
  }, 30_000, 100);
  const synced = await env.enforcers.waitForSync(created, { policies: 1 });
  t.diagnostic(`default deny: the first connection was refused ${firstBlocked} ms after the policy's create; every node had synced ${synced} ms after it`);
  assert.deepEqual(await reachingWeb(), [], 'under default deny no client reaches the server');

  // The policy is namespaced: a responder in another namespace still answers everyone.
  const { namespace, pod } = podRef('srv/foe');
  const friendsClient = ips.get('friends/client') ?? '';
  const outside = await probeFrom(env.cluster, namespace, pod, [{ ip: friendsClient, port: 80 }]);
  assert.equal(outside.get(`${friendsClient}:80`), true, 'a pod outside the policy\'s namespace is still reachable');

  const removed = Date.now();
  await deletePolicy(deny);
  await env.enforcers.waitForSync(removed, { policies: 0 });
  assert.deepEqual(await reachingWeb(), everyone, 'with the policy deleted every client reaches the server again');
}));

/** Each allow rule, next to a default deny, and exactly the `client:port` pairs it lets through. */
const ALLOW_CASES: readonly { readonly what: string; readonly ingress: (ip: (ref: string) => string) => unknown[]; readonly expected: readonly string[] }[] = [
  {
    what: 'podSelector: pods labelled role=frontend in the policy\'s namespace, port 80',
    ingress: () => [{ from: [{ podSelector: { matchLabels: { role: 'frontend' } } }], ports: [{ protocol: 'TCP', port: 80 }] }],
    // friends/client and strangers/client carry role=frontend too, but a bare podSelector means the policy's own namespace.
    expected: ['srv/friend:80'],
  },
  {
    what: 'namespaceSelector: every pod of namespaces labelled team=friend',
    ingress: () => [{ from: [{ namespaceSelector: { matchLabels: { team: 'friend' } } }] }],
    expected: ['friends/client:80', 'friends/client:81'],
  },
  {
    what: 'namespaceSelector and podSelector in one peer: both must match',
    ingress: () => [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { role: 'frontend' } } }], ports: [{ port: 81 }] }],
    expected: ['friends/client:81', 'srv/friend:81', 'strangers/client:81'],
  },
  {
    what: 'ipBlock: the stranger\'s address alone',
    ingress: (ip) => [{ from: [{ ipBlock: { cidr: `${ip('strangers/client')}/32` } }] }],
    expected: ['strangers/client:80', 'strangers/client:81'],
  },
  {
    what: 'ipBlock with except: the whole pod network but the foe',
    ingress: (ip) => [{ from: [{ ipBlock: { cidr: '10.244.0.0/16', except: [`${ip('srv/foe')}/32`] } }], ports: [{ port: 80 }] }],
    expected: ['friends/client:80', 'srv/friend:80', 'strangers/client:80'],
  },
  {
    what: 'port alone: anyone, on port 81 only',
    ingress: () => [{ ports: [{ protocol: 'TCP', port: 81 }] }],
    expected: ['friends/client:81', 'srv/foe:81', 'srv/friend:81', 'strangers/client:81'],
  },
];

test('allow rules next to a default deny let exactly their traffic through: podSelector, namespaceSelector, ipBlock, port', { timeout: 300_000 }, body(async (t) => {
  const deny = uniqueName('deny');
  let since = Date.now();
  await createPolicy(deny, { podSelector: {}, policyTypes: ['Ingress'] });
  await env.enforcers.waitForSync(since, { policies: 1 });
  assert.deepEqual(await reachingWeb(), [], 'default deny first');
  const ip = (ref: string): string => ips.get(ref) ?? '';
  for (const c of ALLOW_CASES) {
    const allow = uniqueName('allow');
    since = Date.now();
    await createPolicy(allow, { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: c.ingress(ip) });
    const ms = await env.enforcers.waitForSync(since, { policies: 2 });
    assert.deepEqual(await reachingWeb(), [...c.expected].sort(), c.what);
    t.diagnostic(`${c.what}: enforced on every node ${ms} ms after the create`);
    since = Date.now();
    await deletePolicy(allow);
    await env.enforcers.waitForSync(since, { policies: 1 });
    assert.deepEqual(await reachingWeb(), [], `${c.what}: deleted, default deny again`);
  }
  since = Date.now();
  await deletePolicy(deny);
  await env.enforcers.waitForSync(since, { policies: 0 });
}));
