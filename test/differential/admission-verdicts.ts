// What each side answers for one create, in one comparable shape, and the only normalizations
// the comparison applies. Each one undoes an order that is random in kube-apiserver:
//
// 1. Aggregated messages (`... is forbidden: [a, b]`, `... is invalid: [a, b]`) list their items
//    in Go map order (LimitRange min/max/ratio maps, container requests, the LimitRanges of the
//    namespace), so both sides' items are sorted before comparing.
// 2. LimitRanges and ResourceQuotas come from an informer's index, a Go map, so when several
//    refuse, kube-apiserver names whichever it met first. Berth takes them in name order. When the
//    answers differ, Berth is asked again with the LimitRanges and quotas in every other order
//    (same objects, names prefixed so that they sort that way, prefixes removed from the answer);
//    the step agrees when one of those answers is kube-apiserver's.
// 3. An object created with only `metadata.generateName` is named by kube-apiserver before
//    validation, with five random characters after the prefix, and its refusals quote that
//    name; Berth quotes the prefix (ADR 0006), so the random part is removed from kube's words.
import { isDeepStrictEqual } from 'node:util';
import { AdmissionState } from '../../src/compute/index.ts';
import { decodeObject } from '../../src/objects/index.ts';
import type { AdmissionResult } from '../../src/compute/index.ts';
import type { Json } from './admission-scenarios.ts';

/** What a side says about one created object; fields absent where they do not apply. */
export interface Verdict {
  readonly allowed: boolean;
  readonly reason?: string;
  readonly qosClass?: string;
  /** Requests and limits of every container after defaulting (Pods). */
  readonly resources?: unknown;
  /** The `kubernetes.io/limit-ranger` annotation (Pods). */
  readonly limitRanger?: string;
}

const ITEM_START = /, (?=minimum |maximum |[a-z0-9./-]+ max limit to request ratio |spec\.)/;

/** Normalization 1: the items of an aggregated message, sorted. */
export function normalizeReason(reason: string): string {
  const m = /^(.*?: )\[(.*)\]$/s.exec(reason);
  if (m === null) return reason;
  return `${m[1]}[${m[2].split(ITEM_START).sort().join(', ')}]`;
}

/** Normalization 3: `"<prefix><5 random characters>"` in a refusal becomes `"<prefix>"`. */
export function withoutGeneratedSuffix(verdict: Verdict, generateName: string | undefined): Verdict {
  if (generateName === undefined || verdict.reason === undefined) return verdict;
  const escaped = generateName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return { ...verdict, reason: verdict.reason.replace(new RegExp(`"${escaped}[a-z0-9]{5}"`, 'g'), `"${generateName}"`) };
}

function podFacts(obj: Json): Pick<Verdict, 'resources' | 'limitRanger'> {
  const spec = (obj.spec ?? {}) as { containers?: Json[]; initContainers?: Json[] };
  const list = (containers: Json[] | undefined): unknown => (containers ?? []).map((c) => {
    const r = (c.resources ?? {}) as Json;
    return { name: c.name, ...(r.requests === undefined ? {} : { requests: r.requests }), ...(r.limits === undefined ? {} : { limits: r.limits }) };
  });
  const annotation = ((obj.metadata ?? {}) as { annotations?: Record<string, string> }).annotations?.['kubernetes.io/limit-ranger'];
  return {
    resources: { containers: list(spec.containers), initContainers: list(spec.initContainers) },
    ...(annotation === undefined ? {} : { limitRanger: annotation }),
  };
}

/** kube-apiserver's answer to a create: 201 and the stored object, or a Status. */
export function kubeVerdict(status: number, body: unknown): Verdict {
  const obj = body as Json;
  if (status !== 201) return { allowed: false, reason: normalizeReason(String(obj.message ?? JSON.stringify(body))) };
  if (obj.kind !== 'Pod') return { allowed: true };
  return { allowed: true, qosClass: String((obj.status as Json | undefined)?.qosClass), ...podFacts(obj) };
}

/** Berth's answer, from the result `berth check` prints. */
export function berthVerdict(result: AdmissionResult): Verdict {
  if (!result.allowed) return { allowed: false, reason: normalizeReason(result.reason ?? '') };
  if (result.kind !== 'Pod') return { allowed: true };
  return { allowed: true, qosClass: result.qosClass, ...podFacts(result.object as Json) };
}

/** The namespace's content before a step, as kube-apiserver stored it. */
export interface StepContext {
  readonly namespace: string;
  /** Objects that were there before the scenario (the CA ConfigMap), as stored. */
  readonly preexisting: readonly Json[];
  /** The LimitRanges and quotas kube-apiserver accepted, as written by the scenario. */
  readonly limitRanges: readonly Json[];
  readonly quotas: readonly Json[];
  /** Objects admitted so far, as kube-apiserver returned them. */
  readonly admitted: readonly Json[];
}

function permutations(n: number): number[][] {
  if (n <= 1) return [Array.from({ length: n }, (_, i) => i)];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, at) => [...p.slice(0, at), n - 1, ...p.slice(at)]));
}

const PREFIX = /\bp\dx-/g;

/** `objects` renamed so that name order is `order` (p0x-, p1x-, ...). */
function ordered(objects: readonly Json[], order: readonly number[], namespace: string): Json[] {
  return objects.map((o, i) => {
    const meta = o.metadata as Json;
    return { ...o, metadata: { ...meta, namespace, name: `p${order.indexOf(i)}x-${String(meta.name)}` } };
  });
}

/** The object with its namespace set. */
export function inNamespace(obj: Json, namespace: string): Json {
  return { ...obj, metadata: { ...(obj.metadata as Json), namespace } };
}

/**
 * Normalization 2: whether Berth, with the namespace's LimitRanges and quotas taken in some
 * order other than by name, answers `kube` for `obj`. Rebuilds the state from what
 * kube-apiserver stored, so only the order differs.
 */
export function agreesInSomeOrder(ctx: StepContext, obj: Json, kube: Verdict): boolean {
  for (const lrOrder of permutations(ctx.limitRanges.length)) {
    for (const quotaOrder of permutations(ctx.quotas.length)) {
      const state = new AdmissionState();
      for (const o of ctx.preexisting) state.addExisting(decodeObject(o));
      for (const o of ordered(ctx.limitRanges, lrOrder, ctx.namespace)) state.addExisting(decodeObject(o));
      for (const o of ordered(ctx.quotas, quotaOrder, ctx.namespace)) state.addExisting(decodeObject(o));
      for (const o of ctx.admitted) state.addExisting(decodeObject(o));
      const verdict = berthVerdict(state.admit(decodeObject(inNamespace(obj, ctx.namespace))));
      const unprefixed = verdict.reason === undefined ? verdict : { ...verdict, reason: verdict.reason.replace(PREFIX, '') };
      if (isDeepStrictEqual(unprefixed, kube)) return true;
    }
  }
  return false;
}
