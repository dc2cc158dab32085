// The Priority admission plugin (plugin/pkg/admission/priority) for a pod create: the pod's
// PriorityClass is resolved (the two system classes always exist) or the pod is refused; a pod
// naming none gets the global default class, if there is one; spec.priority and
// spec.preemptionPolicy follow the class, and a pod stating other values is refused. The class
// name it sets is what PriorityClass quota scopes match. Messages are upstream's; the caller adds
// `pods "<name>" is forbidden: `.
import type { Pod, PriorityClass } from '../objects/index.ts';

/** What the plugin decided: the pod with its class and priority, or why it is refused. */
export type PriorityMutation = { readonly pod: Pod } | { readonly refusal: string };

/** The classes kube-apiserver creates at start-up and keeps (SystemPriorityClasses). */
const SYSTEM_CLASSES: ReadonlyMap<string, number> = new Map([
  ['system-node-critical', 2_000_001_000],
  ['system-cluster-critical', 2_000_000_000],
]);

interface Resolved {
  readonly name?: string;
  readonly value: number;
  readonly preemptionPolicy?: string;
}

/** getDefaultPriority: the globalDefault class with the lowest value, else no class, priority 0 and PreemptLowerPriority. */
function defaultPriority(classes: readonly PriorityClass[]): Resolved {
  let best: PriorityClass | undefined;
  for (const pc of classes) if (pc.globalDefault && (best === undefined || best.value > pc.value)) best = pc;
  return best === undefined
    ? { value: 0, preemptionPolicy: 'PreemptLowerPriority' }
    : { name: best.metadata.name, value: best.value, preemptionPolicy: best.preemptionPolicy ?? 'PreemptLowerPriority' };
}

/** admitPod for a create, given every PriorityClass the cluster has besides the system ones. */
export function priorityAdmitPod(pod: Pod, classes: readonly PriorityClass[]): PriorityMutation {
  let resolved: Resolved;
  if (pod.priorityClassName === undefined) {
    resolved = defaultPriority(classes);
  } else {
    const pc = classes.find((c) => c.metadata.name === pod.priorityClassName);
    const system = SYSTEM_CLASSES.get(pod.priorityClassName);
    if (pc === undefined && system === undefined) return { refusal: `no PriorityClass with name ${pod.priorityClassName} was found` };
    // A PriorityClass object without preemptionPolicy is defaulted to PreemptLowerPriority when stored.
    resolved = pc !== undefined
      ? { name: pc.metadata.name, value: pc.value, preemptionPolicy: pc.preemptionPolicy ?? 'PreemptLowerPriority' }
      : { name: pod.priorityClassName, value: system as number, preemptionPolicy: 'PreemptLowerPriority' };
  }
  if (pod.priority !== undefined && pod.priority !== resolved.value) {
    return {
      refusal: `the integer value of priority (${pod.priority}) must not be provided in pod spec; `
        + `priority admission controller computed ${resolved.value} from the given PriorityClass name`,
    };
  }
  if (resolved.preemptionPolicy !== undefined && pod.preemptionPolicy !== undefined && pod.preemptionPolicy !== resolved.preemptionPolicy) {
    return {
      refusal: `the string value of PreemptionPolicy (${pod.preemptionPolicy}) must not be provided in pod spec; `
        + `priority admission controller computed ${resolved.preemptionPolicy} from the given PriorityClass name`,
    };
  }
  return {
    pod: {
      ...pod,
      priorityClassName: resolved.name,
      priority: resolved.value,
      preemptionPolicy: resolved.preemptionPolicy ?? pod.preemptionPolicy,
    },
  };
}
