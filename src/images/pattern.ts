// The one pattern language of the registry: member grants, robot permissions, immutability
// rules and retention policies all match repository paths and tags with it. Pure.
//
// `*` matches any run of characters inside one path segment (never `/`), `**` any run across
// segments, `?` one character other than `/`; everything else is literal. Matching simulates
// the pattern's automaton over every position at once instead of backtracking, so it takes at
// most (value length × pattern length) steps whatever the pattern: a glob compiled into a
// regular expression backtracks exponentially on patterns such as `*a*a*a*a*b`.

/** Longest pattern accepted when a pattern is written. */
export const maxPatternLength = 255;

/** Most wildcards (`*`, `**` and `?` each count one) a pattern may hold when written. */
export const maxPatternWildcards = 16;

// Token kinds; the stars are the two highest so that `kind >= star` asks "may match nothing".
const literal = 0;
const one = 1;
const star = 2;
const any = 3;
const slash = 47;

/** A pattern as tokens: `kinds[i]`, and for literals the UTF-16 code in `codes[i]`. */
interface Compiled {
  readonly kinds: Uint8Array;
  readonly codes: Uint16Array;
}

function compile(pattern: string): Compiled {
  const kinds = new Uint8Array(pattern.length);
  const codes = new Uint16Array(pattern.length);
  let n = 0;
  for (let i = 0; i < pattern.length; i++, n++) {
    const c = pattern.charCodeAt(i);
    if (c === 42) {
      let j = i;
      while (pattern.charCodeAt(j + 1) === 42) j++;
      // Runs longer than two cross segments too: `***` meant `**` followed by `*` before.
      kinds[n] = j > i ? any : star;
      i = j;
    } else {
      kinds[n] = c === 63 ? one : literal;
      codes[n] = c;
    }
  }
  return { kinds: kinds.subarray(0, n), codes: codes.subarray(0, n) };
}

/**
 * True when `value` matches `pattern` as a whole (see the module comment for the language).
 * Never throws; runs in O(value.length × pattern.length) time and O(pattern.length) space.
 * An empty pattern matches only the empty value: callers that give the empty pattern a meaning
 * of their own (a grant on the whole project) decide it before calling.
 */
export function matchPattern(pattern: string, value: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === value;
  const { kinds, codes } = compile(pattern);
  const t = kinds.length;
  // states[i] = 1: some way of matching the value so far stands before token i.
  let states = new Uint8Array(t + 1);
  let next = new Uint8Array(t + 1);
  states[0] = 1;
  // Tokens only move forward, so nothing below `lo` can become active again.
  let lo = 0;
  for (let i = 0; i < t && states[i] && kinds[i] >= star; i++) states[i + 1] = 1;
  for (let p = 0; p < value.length; p++) {
    const c = value.charCodeAt(p);
    let first = -1;
    for (let i = lo; i < t; i++) {
      if (states[i] === 0) continue;
      states[i] = 0;
      const k = kinds[i];
      let to: number;
      if (k === any || (k === star && c !== slash)) to = i;
      else if ((k === one && c !== slash) || (k === literal && codes[i] === c)) to = i + 1;
      else continue;
      next[to] = 1;
      if (first < 0) first = to;
    }
    states[t] = 0;
    if (first < 0) return false;
    // A star that may go on may also stop: its state stands before the next token too.
    for (let i = first; i < t; i++) if (next[i] && kinds[i] >= star) next[i + 1] = 1;
    lo = first;
    [states, next] = [next, states];
  }
  return states[t] === 1;
}

/** What a pattern holds: repository paths inside a project, or tags. */
export type PatternKind = 'repository' | 'tag';

/** Why a written pattern is refused, in the Kubernetes cause vocabulary. */
export interface PatternProblem {
  readonly reason: 'FieldValueRequired' | 'FieldValueTooLong' | 'FieldValueInvalid';
  readonly message: string;
}

const allowed: Readonly<Record<PatternKind, { readonly chars: RegExp; readonly words: string }>> = {
  repository: { chars: /^[a-z0-9._/*?-]*$/, words: 'lower-case letters, digits, ".", "_", "-", "/"' },
  tag: { chars: /^[a-zA-Z0-9._*?-]*$/, words: 'letters, digits, ".", "_", "-"' },
};

/**
 * The first reason `pattern` cannot be written as a `kind` pattern, or undefined when it can:
 * it must be non-empty, at most {@link maxPatternLength} characters and
 * {@link maxPatternWildcards} wildcards, made of the kind's name characters and wildcards,
 * with no run of three or more `*`, and (repositories) no empty path segment.
 */
export function patternProblem(pattern: string, kind: PatternKind): PatternProblem | undefined {
  if (pattern === '') return { reason: 'FieldValueRequired', message: 'a pattern must not be empty' };
  if (pattern.length > maxPatternLength) return { reason: 'FieldValueTooLong', message: `must be at most ${maxPatternLength} characters, got ${pattern.length}` };
  const rule = allowed[kind];
  if (!rule.chars.test(pattern)) return { reason: 'FieldValueInvalid', message: `may hold only ${rule.words} and the wildcards "*" (within a segment), "**" (across segments) and "?" (one character)` };
  if (pattern.includes('***')) return { reason: 'FieldValueInvalid', message: '"***" is not a wildcard: use "*" (within a segment) or "**" (across segments)' };
  if (kind === 'repository' && pattern.split('/').includes('')) return { reason: 'FieldValueInvalid', message: 'must not have an empty path segment (a leading, trailing or doubled "/")' };
  const wildcards = pattern.match(/\*\*|\*|\?/g)?.length ?? 0;
  if (wildcards > maxPatternWildcards) return { reason: 'FieldValueInvalid', message: `must hold at most ${maxPatternWildcards} wildcards, got ${wildcards}` };
  return undefined;
}

/**
 * Rewrites a pattern of the former immutability and retention language, where `*` crossed `/`,
 * into this one: every run of `*` becomes `**`, so the pattern matches the same paths (`?`,
 * which crossed `/` too, now stays inside a segment). Idempotent.
 */
export function fromCrossingPattern(pattern: string): string {
  return pattern.replace(/\*+/g, '**');
}
