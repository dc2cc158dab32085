// Where a refusal belongs in a form: the field paths of a Kubernetes Status's causes read as
// paths (`quota[requests.cpu]`, `members[0].name`), and the causes split into those a form shows
// next to one of its fields and those it shows above them. Pure.
import type { StatusCause } from './model.ts';

/** A form field's path, as antd's `NamePath` array: keys and list indexes. */
export type FieldPath = readonly (string | number)[];

/**
 * `defaultLimitRange.container.default[cpu]` → `['defaultLimitRange', 'container', 'default', 'cpu']`;
 * `members[0].name` → `['members', 0, 'name']` (a bracketed number is a list index, other bracketed
 * text a map key kept whole, dots and all). Returns [] for an empty field.
 */
export function parseFieldPath(field: string): FieldPath {
  const path: (string | number)[] = [];
  const re = /\[([^\]]*)\]|\.?([^.[]+)/g;
  for (const m of field.matchAll(re)) {
    if (m[1] !== undefined) path.push(/^\d+$/.test(m[1]) ? Number(m[1]) : m[1]);
    else path.push(m[2]);
  }
  return path;
}

/** One field's errors, ready for antd's `form.setFields`. */
export interface FieldErrors {
  readonly name: FieldPath;
  readonly errors: readonly string[];
}

/** The causes of a refusal sorted into fields of the form, and the rest. */
export interface PlacedCauses {
  readonly fields: readonly FieldErrors[];
  /** Causes no field of the form shows, as `field: message` lines. */
  readonly rest: readonly string[];
}

/**
 * Sorts `causes` by `place`, which names the form field a cause's field belongs to (or undefined
 * when the form has none). Causes on one field are kept together, in their order.
 */
export function placeCauses(causes: readonly StatusCause[], place: (path: FieldPath) => FieldPath | undefined): PlacedCauses {
  const fields = new Map<string, { name: FieldPath; errors: string[] }>();
  const rest: string[] = [];
  for (const c of causes) {
    const message = c.message ?? c.reason ?? '';
    const name = c.field === undefined ? undefined : place(parseFieldPath(c.field));
    if (name === undefined) {
      rest.push(c.field ? `${c.field}: ${message}` : message);
      continue;
    }
    const key = JSON.stringify(name);
    const entry = fields.get(key) ?? { name, errors: [] };
    entry.errors.push(message);
    fields.set(key, entry);
  }
  return { fields: [...fields.values()], rest };
}

/** A placement for forms whose fields are the body's top-level keys: a cause lands on its first segment when the form has it. */
export function topLevelPlacement(fields: readonly string[]): (path: FieldPath) => FieldPath | undefined {
  return (path) => (typeof path[0] === 'string' && fields.includes(path[0]) ? [path[0]] : undefined);
}
