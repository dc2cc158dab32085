// The one pattern language of the registry: member grants, robot permissions, immutability
// rules and retention policies all match repository paths and tags with it. Pure.
//
// `*` matches any run of characters inside one path segment (never `/`), `**` any run across
// segments, `?` one character other than `/`; everything else is literal. Matching simulates
// the pattern's automaton over every position at once instead of backtracking, so its cost is
// bounded by (value length × pattern length) whatever the pattern: a glob compiled into a
// regular expression backtracks exponentially on patterns such as `*a*a*a*a*b`.

/** Longest pattern accepted when a pattern is written. */
export const maxPatternLength = 255;

/** Most wildcards (`*`, `**` and `?` each count one) a pattern may hold when written. */
export const maxPatternWildcards = 16;

const asterisk = 42;
const question = 63;
const slash = 47;

/** A compiled pattern: `matches(value)` is the whole-value decision. */
export type Matcher = (value: string) => boolean;

/**
 * Compiles `pattern` once for many values (see the module comment for the language). The
 * matcher never throws and takes O(value.length × pattern.length / 32) steps: the automaton's
 * states are bits (one per token, and one past the last for "matched"), and each character of
 * the value moves all of them at once with a few word operations (the Shift-And method).
 * An empty pattern matches only the empty value: callers that give the empty pattern a meaning
 * of their own (a grant on the whole project) decide it before calling.
 */
export function compilePattern(pattern: string): Matcher {
  if (!/[*?]/.test(pattern)) return (value) => value === pattern;
  // Tokens: a literal character, `?`, `*`, or `**` (a longer run of `*` is `**`: `***` meant
  // `**` followed by `*` before). Two star tokens are never adjacent, which keeps the
  // may-match-nothing step below a single shift.
  const tokens: { kind: 'literal' | 'one' | 'star' | 'any'; code: number }[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const code = pattern.charCodeAt(i);
    if (code !== asterisk) {
      tokens.push({ kind: code === question ? 'one' : 'literal', code });
      continue;
    }
    let j = i;
    while (pattern.charCodeAt(j + 1) === asterisk) j++;
    tokens.push({ kind: j > i ? 'any' : 'star', code });
    i = j;
  }
  const t = tokens.length;
  const words = (t >> 5) + 1;
  const stayAny = new Int32Array(words);
  const staySegment = new Int32Array(words);
  const stepOne = new Int32Array(words);
  const stars = new Int32Array(words);
  // Literal masks: ASCII characters (all that names and tags hold) by table, the rest by map.
  const ascii = new Int32Array(128 * words);
  const other = new Map<number, Int32Array>();
  const none = new Int32Array(words);
  tokens.forEach((tok, i) => {
    const bit = 1 << (i & 31);
    const w = i >> 5;
    if (tok.kind === 'any') { stayAny[w] |= bit; stars[w] |= bit; }
    else if (tok.kind === 'star') { staySegment[w] |= bit; stars[w] |= bit; }
    else if (tok.kind === 'one') stepOne[w] |= bit;
    else if (tok.code < 128) ascii[tok.code * words + w] |= bit;
    else {
      let m = other.get(tok.code);
      if (!m) other.set(tok.code, (m = new Int32Array(words)));
      m[w] |= bit;
    }
  });
  const accept = t >> 5;
  const acceptBit = 1 << (t & 31);
  let states = new Int32Array(words);
  let next = new Int32Array(words);
  return (value) => {
    states.fill(0);
    // A star's state also stands before the next token: it may match nothing.
    states[0] = 1 | ((1 & stars[0]) << 1);
    for (let p = 0; p < value.length; p++) {
      const c = value.charCodeAt(p);
      const inSegment = c !== slash;
      const lit = c < 128 ? ascii : (other.get(c) ?? none);
      const base = c < 128 ? c * words : 0;
      let carry = 0;
      let starCarry = 0;
      let alive = 0;
      for (let w = 0; w < words; w++) {
        const d = states[w];
        const step = d & (lit[base + w] | (inSegment ? stepOne[w] : 0));
        let n = (d & (stayAny[w] | (inSegment ? staySegment[w] : 0))) | (step << 1) | carry;
        carry = step >>> 31;
        // Two star tokens are never adjacent, so one shift closes over "match nothing".
        const e = n & stars[w];
        n |= (e << 1) | starCarry;
        starCarry = e >>> 31;
        next[w] = n;
        alive |= n;
      }
      if (alive === 0) return false;
      const swap = states;
      states = next;
      next = swap;
    }
    return (states[accept] & acceptBit) !== 0;
  };
}

/** `compilePattern(pattern)(value)`, for a single decision. */
export function matchPattern(pattern: string, value: string): boolean {
  return compilePattern(pattern)(value);
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
