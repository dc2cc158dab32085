// The reachability harness's pure part: scenarios (labels on three namespaces and six pods, and
// NetworkPolicies over them), seeded random generation, the NetworkPolicy objects a scenario
// renders to, the matrix of (source pod, destination pod, port) connections, and a set of
// scenarios whose matrices were worked out by hand from the NetworkPolicy specification.
// No I/O: reachability.test.ts applies scenarios to a real cluster and probes.
import type { Rng } from '../differential/random.ts';

/** The ports every pod serves; rules name them singly or as ranges (`endPort`). */
export const REACH_PORTS = [80, 81, 82] as const;

/** The namespaces of every scenario, by role; the test maps each to a real namespace. */
export const NAMESPACES = ['a', 'b', 'c'] as const;
export type NamespaceRole = typeof NAMESPACES[number];

/** The pods of every scenario, `role/name`, and the node (by index) each runs on. */
export const PODS: readonly { readonly ref: string; readonly namespace: NamespaceRole; readonly name: string; readonly node: number }[] = [
  { ref: 'a/x', namespace: 'a', name: 'x', node: 0 }, { ref: 'a/y', namespace: 'a', name: 'y', node: 1 },
  { ref: 'b/x', namespace: 'b', name: 'x', node: 1 }, { ref: 'b/y', namespace: 'b', name: 'y', node: 0 },
  { ref: 'c/x', namespace: 'c', name: 'x', node: 0 }, { ref: 'c/y', namespace: 'c', name: 'y', node: 1 },
];

/** The label keys scenarios set (a scenario sets or removes each of them on every object). */
export const POD_LABEL_KEYS = ['app', 'tier'] as const;
export const NAMESPACE_LABEL_KEYS = ['team', 'env'] as const;

type Labels = Readonly<Record<string, string>>;

/** A label selector as the API spells it. */
export interface Selector {
  readonly matchLabels?: Labels;
  readonly matchExpressions?: readonly { readonly key: string; readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; readonly values?: readonly string[] }[];
}

/** A peer of a rule: pods by label in the policy's namespace, or in the namespaces a selector picks, or both. */
export interface Peer {
  readonly podSelector?: Selector;
  readonly namespaceSelector?: Selector;
}

/** A TCP port or range of a rule. */
export interface PortRule {
  readonly port?: number;
  readonly endPort?: number;
}

/** An ingress (`from`) or egress (`to`) rule: peers omitted = everyone, ports omitted = every port. */
export interface Rule {
  readonly peers?: readonly Peer[];
  readonly ports?: readonly PortRule[];
}

/** A NetworkPolicy of a scenario, in a namespace given by role. */
export interface Policy {
  readonly name: string;
  readonly namespace: NamespaceRole;
  readonly podSelector: Selector;
  readonly types: readonly ('Ingress' | 'Egress')[];
  readonly ingress?: readonly Rule[];
  readonly egress?: readonly Rule[];
}

/** Labels on every namespace and pod, and the policies. */
export interface Scenario {
  readonly id: string;
  readonly namespaceLabels: Readonly<Record<NamespaceRole, Labels>>;
  readonly podLabels: Readonly<Record<string, Labels>>;
  readonly policies: readonly Policy[];
}

/** One connection: `src -> dst :port`, pods as `role/name`. */
export function edge(src: string, dst: string, port: number): string {
  return `${src} -> ${dst} :${port}`;
}

/** Every connection a scenario's probe tries: each pod to each other pod on each port. */
export function allEdges(): string[] {
  return PODS.flatMap((s) => PODS.filter((d) => d.ref !== s.ref).flatMap((d) => REACH_PORTS.map((p) => edge(s.ref, d.ref, p))));
}

/**
 * The edges matching a pattern `src -> dst :port`, where `*` stands for any namespace role,
 * pod name or port (e.g. `b/* -> a/y :*`). Throws for a pattern that matches nothing.
 */
export function expandPattern(pattern: string): string[] {
  const m = /^(\S+)\/(\S+) -> (\S+)\/(\S+) :(\S+)$/.exec(pattern);
  if (m === null) throw new Error(`bad edge pattern ${pattern}`);
  const [, sn, sp, dn, dp, port] = m;
  const fits = (want: string, value: string): boolean => want === '*' || want === value;
  const out = allEdges().filter((e) => {
    const [, a, b, c, d, p] = /^(\S+)\/(\S+) -> (\S+)\/(\S+) :(\d+)$/.exec(e) ?? [];
    return fits(sn, a) && fits(sp, b) && fits(dn, c) && fits(dp, d) && fits(port, p);
  });
  if (out.length === 0) throw new Error(`edge pattern ${pattern} matches no connection`);
  return out;
}

/** The connections allowed when exactly the ones matching `denied` patterns are not. */
export function allowedExcept(denied: readonly string[]): ReadonlySet<string> {
  const no = new Set(denied.flatMap(expandPattern));
  return new Set(allEdges().filter((e) => !no.has(e)));
}

/**
 * A matrix as text: a row per source pod, a column per destination pod and port, `+` where the
 * connection succeeded and `.` where it did not (`-` on the diagonal).
 */
export function formatMatrix(allowed: ReadonlySet<string>): string {
  const cols = PODS.flatMap((d) => REACH_PORTS.map((p) => ({ d: d.ref, p })));
  const header = `${' '.repeat(6)}${PODS.map((d) => d.ref.padEnd(REACH_PORTS.length + 1)).join('')}\n${' '.repeat(6)}${PODS.map(() => `${REACH_PORTS.map((p) => String(p % 10)).join('')} `).join('')}`;
  const rows = PODS.map((s) => `${s.ref.padEnd(6)}${cols.map((c, i) => (c.d === s.ref ? '-' : allowed.has(edge(s.ref, c.d, c.p)) ? '+' : '.')
    + ((i + 1) % REACH_PORTS.length === 0 ? ' ' : '')).join('')}`);
  return [header, ...rows].join('\n');
}

/** Where two matrices differ: connections only `expected` allows and ones only `observed` does. */
export function matrixDiff(expected: ReadonlySet<string>, observed: ReadonlySet<string>): { readonly missing: string[]; readonly extra: string[] } {
  return {
    missing: [...expected].filter((e) => !observed.has(e)).sort(),
    extra: [...observed].filter((e) => !expected.has(e)).sort(),
  };
}

/** The NetworkPolicy object of `policy`, its namespace named by `namespaceOf`. */
export function policyObject(policy: Policy, namespaceOf: (role: NamespaceRole) => string): Record<string, unknown> {
  const peers = (list: readonly Peer[] | undefined): unknown => list?.map((p) => ({ ...p }));
  const ports = (list: readonly PortRule[] | undefined): unknown => list?.map((p) => ({ protocol: 'TCP', ...p }));
  const rules = (list: readonly Rule[] | undefined, key: 'from' | 'to'): unknown => list?.map((r) => ({
    ...(r.peers === undefined ? {} : { [key]: peers(r.peers) }),
    ...(r.ports === undefined ? {} : { ports: ports(r.ports) }),
  }));
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
    metadata: { name: policy.name, namespace: namespaceOf(policy.namespace) },
    spec: {
      podSelector: policy.podSelector, policyTypes: policy.types,
      ...(policy.ingress === undefined ? {} : { ingress: rules(policy.ingress, 'from') }),
      ...(policy.egress === undefined ? {} : { egress: rules(policy.egress, 'to') }),
    },
  };
}

/**
 * The policies to create for `policy` on kube-router v2.1.0: a policy with both types becomes
 * two, `<name>-in` with its ingress rules and `<name>-out` with its egress rules, which the
 * specification makes equivalent (a pod is isolated, and a connection allowed, by the union of
 * the policies that select it, per direction). kube-router puts a policy's ingress and egress
 * rules in one chain and runs a packet to a selected pod, and one from a selected pod, through
 * all of it; so between two pods that one policy selects, a rule of the other direction lets
 * the packet through (seen: an egress rule allowing port 82 let a connection in that the
 * ingress rules refused). Single-type policies are returned as they are.
 */
export function enforcerPolicies(policy: Policy): readonly Policy[] {
  if (policy.types.length < 2) return [policy];
  return [
    { name: `${policy.name}-in`, namespace: policy.namespace, podSelector: policy.podSelector, types: ['Ingress'], ingress: policy.ingress ?? [] },
    { name: `${policy.name}-out`, namespace: policy.namespace, podSelector: policy.podSelector, types: ['Egress'], egress: policy.egress ?? [] },
  ];
}

/** The merge patch that gives an object exactly `labels` among `keys` (other keys untouched). */
export function labelPatch(keys: readonly string[], labels: Labels): Record<string, unknown> {
  return { metadata: { labels: Object.fromEntries(keys.map((k) => [k, labels[k] ?? null])) } };
}

const TEAMS = ['red', 'blue'];
const ENVS = ['prod', 'dev'];
const APPS = ['web', 'db', 'api'];
const TIERS = ['front', 'back'];

function randomLabels(rng: Rng, vocab: Readonly<Record<string, readonly string[]>>): Labels {
  const out: Record<string, string> = {};
  for (const [key, values] of Object.entries(vocab)) if (rng.chance(0.75)) out[key] = rng.pick(values);
  return out;
}

function randomSelector(rng: Rng, vocab: Readonly<Record<string, readonly string[]>>): Selector {
  const [key, values] = rng.pick(Object.entries(vocab));
  switch (rng.int(0, 4)) {
    case 0: return {};
    case 1:
    case 2: return { matchLabels: { [key]: rng.pick(values) } };
    case 3: {
      const operator = rng.pick(['In', 'NotIn'] as const);
      return { matchExpressions: [{ key, operator, values: values.filter(() => rng.chance(0.5)).concat(rng.pick(values)).filter((v, i, all) => all.indexOf(v) === i) }] };
    }
    default: return { matchExpressions: [{ key, operator: rng.pick(['Exists', 'DoesNotExist'] as const) }] };
  }
}

function randomRule(rng: Rng): Rule {
  const podVocab = { app: APPS, tier: TIERS };
  const nsVocab = { team: TEAMS, env: ENVS };
  const peers: Peer[] = [];
  const peerCount = rng.pick([0, 1, 1, 2]);
  for (let i = 0; i < peerCount; i++) {
    switch (rng.int(0, 2)) {
      case 0: peers.push({ podSelector: randomSelector(rng, podVocab) }); break;
      case 1: peers.push({ namespaceSelector: randomSelector(rng, nsVocab) }); break;
      default: peers.push({ namespaceSelector: randomSelector(rng, nsVocab), podSelector: randomSelector(rng, podVocab) });
    }
  }
  const ports: PortRule[] = [];
  const portCount = rng.pick([0, 0, 1, 1, 2]);
  for (let i = 0; i < portCount; i++) {
    const port = rng.pick(REACH_PORTS);
    if (port < 82 && rng.chance(0.4)) ports.push({ port, endPort: rng.int(port + 1, 82) });
    else ports.push({ port });
  }
  return { ...(peerCount === 0 ? {} : { peers }), ...(portCount === 0 ? {} : { ports }) };
}

/**
 * A random scenario: random labels from a small vocabulary on every namespace and pod, and 1 to
 * 6 policies in random namespaces, each Ingress (60 %), Egress (20 %) or both, with 0 to 2
 * rules of 0 to 2 peers (podSelector, namespaceSelector or both; matchLabels or
 * matchExpressions) and 0 to 2 ports or port ranges. The same `rng` state gives the same scenario.
 */
export function generateScenario(rng: Rng, id: string): Scenario {
  const namespaceLabels = Object.fromEntries(NAMESPACES.map((n) => [n, randomLabels(rng, { team: TEAMS, env: ENVS })])) as Record<NamespaceRole, Labels>;
  const podLabels = Object.fromEntries(PODS.map((p) => [p.ref, randomLabels(rng, { app: APPS, tier: TIERS })]));
  const policies: Policy[] = [];
  const count = rng.int(1, 6);
  for (let i = 0; i < count; i++) {
    const kind = rng.next();
    const types: ('Ingress' | 'Egress')[] = kind < 0.6 ? ['Ingress'] : kind < 0.8 ? ['Egress'] : ['Ingress', 'Egress'];
    const rules = (): Rule[] => Array.from({ length: rng.pick([0, 1, 1, 2]) }, () => randomRule(rng));
    policies.push({
      name: `p${i}`, namespace: rng.pick(NAMESPACES), podSelector: randomSelector(rng, { app: APPS, tier: TIERS }), types,
      ...(types.includes('Ingress') ? { ingress: rules() } : {}),
      ...(types.includes('Egress') ? { egress: rules() } : {}),
    });
  }
  return { id, namespaceLabels, podLabels, policies };
}

function selects(selector: Selector, labels: Labels): boolean {
  const matchLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return matchLabels && (selector.matchExpressions ?? []).every((e) => {
    const value = labels[e.key];
    switch (e.operator) {
      case 'In': return value !== undefined && (e.values ?? []).includes(value);
      case 'NotIn': return value === undefined || !(e.values ?? []).includes(value);
      case 'Exists': return value !== undefined;
      default: return value === undefined;
    }
  });
}

/**
 * What the NetworkPolicy specification (networking.k8s.io/v1) says of a scenario, worked out
 * independently of any enforcer: the connections allowed. A pod is isolated for ingress
 * (egress) when a policy of its namespace selects it and lists that type; an isolated pod
 * takes (opens) only what some rule of such a policy allows: a rule without peers allows every
 * pod, a peer with only a podSelector means pods of the policy's namespace, with only a
 * namespaceSelector every pod of the matching namespaces, with both the pods that match both;
 * a rule without ports allows every port, a port with `endPort` a range. A connection needs
 * both the source's egress and the destination's ingress. This is the oracle the random
 * scenarios are held to until `berth netpol reach` exists; the hand-checked matrices hold it.
 */
export function specReach(scenario: Scenario): ReadonlySet<string> {
  const podLabels = (ref: string): Labels => scenario.podLabels[ref] ?? {};
  const pod = (ref: string): typeof PODS[number] => PODS.find((p) => p.ref === ref) ?? PODS[0];
  const peerMatches = (policy: Policy, peer: Peer, other: string): boolean => {
    const o = pod(other);
    if (peer.namespaceSelector === undefined && o.namespace !== policy.namespace) return false;
    if (peer.namespaceSelector !== undefined && !selects(peer.namespaceSelector, scenario.namespaceLabels[o.namespace])) return false;
    return peer.podSelector === undefined || selects(peer.podSelector, podLabels(other));
  };
  const portMatches = (rule: PortRule, port: number): boolean =>
    rule.port === undefined || (rule.endPort === undefined ? rule.port === port : rule.port <= port && port <= rule.endPort);
  const allows = (self: string, other: string, port: number, type: 'Ingress' | 'Egress'): boolean => {
    const selecting = scenario.policies.filter((p) => p.namespace === pod(self).namespace && p.types.includes(type) && selects(p.podSelector, podLabels(self)));
    if (selecting.length === 0) return true;
    return selecting.some((p) => ((type === 'Ingress' ? p.ingress : p.egress) ?? []).some((r) =>
      (r.peers === undefined || r.peers.length === 0 || r.peers.some((peer) => peerMatches(p, peer, other)))
      && (r.ports === undefined || r.ports.length === 0 || r.ports.some((pr) => portMatches(pr, port)))));
  };
  return new Set(PODS.flatMap((s) => PODS.filter((d) => d.ref !== s.ref).flatMap((d) => REACH_PORTS
    .filter((port) => allows(s.ref, d.ref, port, 'Egress') && allows(d.ref, s.ref, port, 'Ingress'))
    .map((port) => edge(s.ref, d.ref, port)))));
}

/** The labels of the hand-checked scenarios (see {@link HAND_CHECKED}). */
const BASE = {
  namespaceLabels: { a: { team: 'red', env: 'prod' }, b: { team: 'blue', env: 'prod' }, c: { team: 'blue' } },
  podLabels: {
    'a/x': { app: 'web', tier: 'front' }, 'a/y': { app: 'db', tier: 'back' },
    'b/x': { app: 'web', tier: 'front' }, 'b/y': { app: 'api', tier: 'back' },
    'c/x': { app: 'db' }, 'c/y': { app: 'api', tier: 'front' },
  },
} as const;

/** A scenario with its matrix worked out by hand: every connection is allowed except those matching `denied`. */
export interface HandChecked {
  readonly scenario: Scenario;
  /** Why the denied connections are denied, from the NetworkPolicy specification. */
  readonly why: string;
  readonly denied: readonly string[];
}

/**
 * Scenarios whose matrices were written by hand (not computed), over the labels of `BASE`:
 * namespaces a {team=red, env=prod}, b {team=blue, env=prod}, c {team=blue};
 * pods a/x {app=web, tier=front}, a/y {app=db, tier=back}, b/x {app=web, tier=front},
 * b/y {app=api, tier=back}, c/x {app=db}, c/y {app=api, tier=front}.
 */
export const HAND_CHECKED: readonly HandChecked[] = [
  {
    scenario: { id: 'no-policy', ...BASE, policies: [] },
    why: 'no policy selects any pod: everything is allowed',
    denied: [],
  },
  {
    scenario: { id: 'default-deny-b', ...BASE, policies: [{ name: 'deny', namespace: 'b', podSelector: {}, types: ['Ingress'] }] },
    why: 'an Ingress policy with no rules isolates every pod of b for ingress; egress and other namespaces are untouched',
    denied: ['*/* -> b/* :*'],
  },
  {
    scenario: {
      id: 'pod-selector-port-range', ...BASE, policies: [{
        name: 'db', namespace: 'a', podSelector: { matchLabels: { app: 'db' } }, types: ['Ingress'],
        ingress: [{ peers: [{ podSelector: { matchLabels: { tier: 'front' } } }], ports: [{ port: 81, endPort: 82 }] }],
      }],
    },
    why: 'a/y takes only tier=front pods of its own namespace (a/x; b/x and c/y are front but elsewhere) on 81-82',
    denied: ['a/x -> a/y :80', 'b/* -> a/y :*', 'c/* -> a/y :*'],
  },
  {
    scenario: {
      id: 'namespace-selector-port', ...BASE, policies: [{
        name: 'blue-web', namespace: 'a', podSelector: {}, types: ['Ingress'],
        ingress: [{ peers: [{ namespaceSelector: { matchLabels: { team: 'blue' } } }], ports: [{ port: 80 }] }],
      }],
    },
    why: 'every pod of a takes pods of team=blue namespaces (b, c) on 80 only; pods of a itself (red) not at all',
    denied: ['a/x -> a/y :*', 'a/y -> a/x :*', 'b/* -> a/* :81', 'b/* -> a/* :82', 'c/* -> a/* :81', 'c/* -> a/* :82'],
  },
  {
    scenario: {
      id: 'and-versus-or', ...BASE, policies: [
        {
          name: 'and', namespace: 'c', podSelector: { matchLabels: { app: 'api' } }, types: ['Ingress'],
          ingress: [{ peers: [{ namespaceSelector: { matchLabels: { env: 'prod' } }, podSelector: { matchLabels: { app: 'web' } } }] }],
        },
        {
          name: 'or', namespace: 'c', podSelector: { matchLabels: { app: 'db' } }, types: ['Ingress'],
          ingress: [{ peers: [{ namespaceSelector: { matchLabels: { env: 'prod' } } }, { podSelector: { matchLabels: { app: 'api' } } }] }],
        },
      ],
    },
    why: 'c/y takes app=web pods of env=prod namespaces (a/x, b/x) only: one peer with both selectors means both; '
      + 'c/x takes every pod of a and b, or app=api of c (c/y): two peers mean either, so all of its sources',
    denied: ['a/y -> c/y :*', 'b/y -> c/y :*', 'c/x -> c/y :*'],
  },
  {
    scenario: {
      id: 'egress-namespace-port', ...BASE, policies: [{
        name: 'out', namespace: 'a', podSelector: { matchLabels: { app: 'web' } }, types: ['Egress'],
        egress: [{ peers: [{ namespaceSelector: { matchLabels: { team: 'blue' } } }], ports: [{ port: 82 }] }],
      }],
    },
    why: 'a/x may open connections only to pods of team=blue namespaces (b, c) on 82; ingress to a/x is untouched',
    denied: ['a/x -> a/y :*', 'a/x -> b/* :80', 'a/x -> b/* :81', 'a/x -> c/* :80', 'a/x -> c/* :81'],
  },
  {
    scenario: {
      id: 'expressions-ingress-and-egress', ...BASE, policies: [
        {
          name: 'front', namespace: 'b', podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] }, types: ['Ingress'],
          ingress: [{ peers: [{ namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] } }] }],
        },
        {
          name: 'tiered', namespace: 'c', podSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, types: ['Egress'],
          egress: [{ peers: [{ podSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] } }] }],
        },
      ],
    },
    why: 'b/x (tier in front) takes only pods of namespaces without env (c); c/y (has tier) may reach only non-web pods '
      + 'of its own namespace (c/x), so its connection to b/x is cut by its own egress even though b/x would take it',
    denied: ['a/* -> b/x :*', 'b/y -> b/x :*', 'c/y -> a/* :*', 'c/y -> b/* :*'],
  },
  {
    scenario: {
      id: 'two-rules-ports', ...BASE, policies: [{
        name: 'api', namespace: 'b', podSelector: { matchLabels: { app: 'api' } }, types: ['Ingress'],
        ingress: [
          { peers: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 80 }] },
          { peers: [{ namespaceSelector: { matchLabels: { team: 'red' } } }], ports: [{ port: 81, endPort: 82 }] },
        ],
      }],
    },
    why: 'b/y takes app=web of b (b/x) on 80, and every pod of team=red namespaces (a) on 81-82; rules add up, each with its own ports',
    denied: ['b/x -> b/y :81', 'b/x -> b/y :82', 'a/* -> b/y :80', 'c/* -> b/y :*'],
  },
];
