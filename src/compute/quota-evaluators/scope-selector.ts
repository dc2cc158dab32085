// A quota's scope selector requirement as a label selector over one label, the scope's name
// (ScopedResourceSelectorRequirementsAsSelector in pkg/apis/core/v1/helper), which the pod and
// claim evaluators match against labels made from the object.
import {
  LabelSelectorError, newRequirement, type ScopedResourceSelectorRequirement, type Selector, selectorOf,
} from '../../objects/index.ts';

const OPERATORS: readonly string[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/**
 * The requirement as a selector on the label named by its scope.
 * @throws LabelSelectorError for an operator other than In, NotIn, Exists, DoesNotExist, or
 * values that do not fit the operator.
 */
export function scopeSelectorAsSelector(selector: ScopedResourceSelectorRequirement): Selector {
  if (!OPERATORS.includes(selector.operator)) throw new LabelSelectorError(`"${selector.operator}" is not a valid scope selector operator`);
  return selectorOf([newRequirement(selector.scopeName, selector.operator, selector.values ?? [])]);
}
