// Label selectors as metav1.LabelSelectorAsSelector builds them (k8s.io/apimachinery
// pkg/apis/meta/v1/helpers.go and pkg/labels/selector.go): validation of keys, operators and
// values, and matching against a label set.
import { labelValueErrors, qualifiedNameErrors } from './names.ts';

/** The operators of a matchExpressions entry. */
export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

/** One matchExpressions entry. */
export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

/** metav1.LabelSelector. */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

/** A compiled selector; `matches` never throws. */
export interface Selector {
  readonly empty: boolean;
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
}

/** Thrown for an invalid selector; the message is worded as the API server words it. */
export class LabelSelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelSelectorError';
  }
}

interface Requirement {
  readonly key: string;
  readonly op: SelectorOperator | 'Equals';
  readonly values: ReadonlySet<string>;
}

/**
 * Validates one requirement as labels.NewRequirement does.
 * @throws LabelSelectorError naming the key, the operator or the values.
 */
export function newRequirement(key: string, operator: string, values: readonly string[] = []): Requirement {
  const keyErrors = qualifiedNameErrors(key);
  if (keyErrors.length > 0) throw new LabelSelectorError(`key: Invalid value: "${key}": ${keyErrors.join('; ')}`);
  let op: Requirement['op'];
  switch (operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) {
        throw new LabelSelectorError("values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty");
      }
      op = operator;
      break;
    case 'Equals':
      if (values.length !== 1) throw new LabelSelectorError('values: Invalid value: exact-match compatibility requires one single value');
      op = 'Equals';
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length !== 0) {
        throw new LabelSelectorError(`values: Invalid value: ${JSON.stringify(values)}: values set must be empty for exists and does not exist`);
      }
      op = operator;
      break;
    default:
      throw new LabelSelectorError(`"${operator}" is not a valid label selector operator`);
  }
  values.forEach((v, i) => {
    const errors = labelValueErrors(v);
    if (errors.length > 0) throw new LabelSelectorError(`values[${i}]: Invalid value: "${v}": ${errors.join('; ')}`);
  });
  return { key, op, values: new Set(values) };
}

function requirementMatches(r: Requirement, labels: Readonly<Record<string, string>> | undefined): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  switch (r.op) {
    case 'Equals':
    case 'In':
      return has && r.values.has(labels[r.key]);
    case 'NotIn':
      return !has || !r.values.has(labels[r.key]);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

/** A selector from already validated requirements (all must match). */
export function selectorOf(requirements: readonly Requirement[]): Selector {
  return {
    empty: requirements.length === 0,
    matches: (labels) => requirements.every((r) => requirementMatches(r, labels)),
  };
}

const EVERYTHING: Selector = { empty: true, matches: () => true };
const NOTHING: Selector = { empty: false, matches: () => false };

/**
 * LabelSelectorAsSelector. A missing (undefined or null) selector selects nothing; an empty one
 * selects everything. Callers whose API field means "nil selects everything" (for example a
 * NetworkPolicy's podSelector is required, a Service's selector is a plain map) pass `{}` instead.
 * @throws LabelSelectorError for an invalid key, operator or value.
 */
export function labelSelectorAsSelector(selector: LabelSelector | null | undefined): Selector {
  if (selector === null || selector === undefined) return NOTHING;
  const matchLabels = Object.entries(selector.matchLabels ?? {});
  const expressions = selector.matchExpressions ?? [];
  if (matchLabels.length + expressions.length === 0) return EVERYTHING;
  const requirements = [
    ...matchLabels.map(([k, v]) => newRequirement(k, 'Equals', [v])),
    ...expressions.map((e) => {
      if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.operator)) {
        throw new LabelSelectorError(`"${e.operator}" is not a valid label selector operator`);
      }
      return newRequirement(e.key, e.operator, e.values ?? []);
    }),
  ];
  return selectorOf(requirements);
}
