// generic.NewObjectCountEvaluator: one of the object counts `count/<resource>.<group>`, plus the
// legacy names configmaps, secrets, resourcequotas and replicationcontrollers for those kinds.
import { newQuantity, type ResourceList } from '../../objects/index.ts';
import { objectCountResourceName, type QuotaEvaluator } from './types.ts';

const legacyAliases: Readonly<Record<string, string>> = {
  configmaps: 'configmaps',
  secrets: 'secrets',
  resourcequotas: 'resourcequotas',
  replicationcontrollers: 'replicationcontrollers',
};

/** An evaluator that charges 1 of each of its names per object, with no scopes and no constraints. */
export function objectCountEvaluator(groupResource: string): QuotaEvaluator {
  const names = [objectCountResourceName(groupResource)];
  const alias = legacyAliases[groupResource];
  if (alias) names.push(alias);
  const one = newQuantity(1);
  const usage: ResourceList = Object.fromEntries(names.map((n) => [n, one]));
  return {
    groupResource,
    matchingResources: (input) => names.filter((n) => input.includes(n)),
    matchesScope: () => false,
    constraints: () => undefined,
    usage: () => usage,
  };
}
