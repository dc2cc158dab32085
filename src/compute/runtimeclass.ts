// The RuntimeClass admission plugin (plugin/pkg/admission/runtimeclass): a pod naming a
// RuntimeClass gets that class's pod overhead, which ResourceQuota then charges (LimitRanger
// leaves overhead out). Messages are upstream's; the caller adds `pods "<name>" is forbidden: `.
import { listsEqual } from './resource-list.ts';
import type { Pod, RuntimeClass } from '../objects/index.ts';

/** What the mutating half decided: the pod with its overhead, or why it is refused. */
export type RuntimeClassMutation = { readonly pod: Pod } | { readonly refusal: string };

/**
 * Admit: a pod without spec.runtimeClassName is left alone; one naming a class that does not
 * exist is refused; a class with overhead sets spec.overhead, refusing a pod whose own non-empty
 * overhead differs. `lookup` finds a RuntimeClass by name.
 */
export function runtimeClassMutatePod(pod: Pod, lookup: (name: string) => RuntimeClass | undefined): RuntimeClassMutation {
  if (pod.runtimeClassName === undefined) return { pod };
  const rc = lookup(pod.runtimeClassName);
  if (rc === undefined) return { refusal: `pod rejected: RuntimeClass "${pod.runtimeClassName}" not found` };
  if (rc.overhead === undefined) return { pod };
  if (pod.overhead !== undefined && Object.keys(pod.overhead).length > 0 && !listsEqual(rc.overhead ?? {}, pod.overhead ?? {})) {
    return { refusal: "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead" };
  }
  return { pod: { ...pod, overhead: rc.overhead } };
}

/**
 * Validate: the pod's overhead must be exactly its RuntimeClass's; a pod with an overhead and no
 * class defining one is refused. Undefined when the pod passes.
 */
export function runtimeClassValidatePod(pod: Pod, lookup: (name: string) => RuntimeClass | undefined): string | undefined {
  const rc = pod.runtimeClassName === undefined ? undefined : lookup(pod.runtimeClassName);
  if (rc?.overhead !== undefined) {
    return listsEqual(rc.overhead ?? {}, pod.overhead ?? {}) ? undefined : "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead";
  }
  return pod.overhead !== undefined ? 'pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead' : undefined;
}
