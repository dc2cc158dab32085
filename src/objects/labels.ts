// Label selectors as metav1.LabelSelectorAsSelector builds them (k8s.io/apimachinery
// pkg/apis/meta/v1/helpers.go and pkg/labels/selector.go): validation of keys, operators and
// values, and matching against a label set.

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

const NAME_RE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `key` is not a qualified name (prefix/name), or undefined when it is one. */
export function qualifiedNameError(key: string): string | undefined {
  const parts = key.split('/');
  let name = key;
  if (parts.length === 2) {
    const [prefix, rest] = parts;
    if (prefix.length === 0) return 'prefix part must be non-empty';
    if (prefix.length > 253 || !DNS1123_SUBDOMAIN_RE.test(prefix)) {
      return 'prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character';
    }
    name = rest;
  } else if (parts.length > 2) {
    return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character with an optional DNS subdomain prefix and '/'";
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!NAME_RE.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

/** Why `value` is not a label value, or undefined when it is one (empty is allowed). */
export function labelValueError(value: string): string | undefined {
  if (value.length === 0) return undefined;
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!NAME_RE.test(value)) {
    return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
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
  const keyError = qualifiedNameError(key);
  if (keyError) throw new LabelSelectorError(`key: Invalid value: "${key}": ${keyError}`);
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
    const err = labelValueError(v);
    if (err) throw new LabelSelectorError(`values[${i}]: Invalid value: "${v}": ${err}`);
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
