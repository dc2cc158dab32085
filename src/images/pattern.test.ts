import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePattern, fromCrossingPattern, matchPattern, maxPatternLength, maxPatternWildcards, patternProblem } from './pattern.ts';

const cases: readonly (readonly [pattern: string, value: string, matches: boolean])[] = [
  ['app', 'app', true],
  ['app', 'apps', false],
  ['a.p', 'axp', false],
  ['frontend/*', 'frontend/web', true],
  ['frontend/*', 'frontend/', true],
  ['frontend/*', 'frontend/web/x', false],
  ['frontend/*', 'frontend', false],
  ['frontend/**', 'frontend/web/x', true],
  ['frontend/**', 'frontend/', true],
  ['frontend/**', 'frontend', false],
  ['**', 'a/b/c', true],
  ['**', '', true],
  ['*', 'a/b', false],
  ['*', '', true],
  ['***', 'a/b', true],
  ['**/api', 'team/x/api', true],
  ['**/api', 'api', false],
  ['*/api', 'prod/api', true],
  ['*/api', 'prod/eu/api', false],
  ['prod/**/api', 'prod/api', false],
  ['prod/**/api', 'prod/eu/api', true],
  ['v1.?', 'v1.2', true],
  ['v1.?', 'v1x2', false],
  ['v1.?', 'v1.', false],
  ['a?b', 'a/b', false],
  ['v*', 'v', true],
  ['v*', 'latest', false],
  ['*-rc*', '1.0-rc2', true],
  ['*a*a*b', 'aaab', true],
  ['*a*a*b', 'ab', false],
  ['*a*a*a*a*b', 'a'.repeat(128), false],
  ['*a*a*a*a*b', `${'a'.repeat(127)}b`, true],
  ['release-*', 'release-1', true],
  ['', '', true],
  ['', 'x', false],
  // Characters beyond ASCII take the matcher's other table (names never hold them; values may).
  ['é*', 'éa', true],
  ['*é', 'xé', true],
  ['*é', 'xe', false],
  ['a*', 'aé', true],
  ['a?', 'aé', true],
];

for (const [pattern, value, want] of cases) {
  test(`"${pattern.length > 24 ? `${pattern.slice(0, 24)}…` : pattern}" ${want ? 'matches' : 'does not match'} "${value.length > 24 ? `${value.slice(0, 24)}… (${value.length})` : value}"`, () => {
    assert.equal(matchPattern(pattern, value), want);
  });
}

test('one compiled matcher decides many values as a fresh one does (no state carried between values)', () => {
  for (const pattern of ['frontend/*', 'v1.?', '*a*a*b', '**/api']) {
    const matcher = compilePattern(pattern);
    for (const [p, value, want] of cases) if (p === pattern) assert.equal(matcher(value), want, `${pattern} on ${value}`);
  }
  // Past 31 tokens the states span two words; the second must be cleared between values too.
  const long = compilePattern(`${'a'.repeat(40)}*`);
  assert.equal(long('a'.repeat(40)), true);
  assert.equal(long(''), false, 'the previous value\'s match is not carried over');
});

test('a hostile pattern of the longest allowed shape against long names finishes in milliseconds', () => {
  const hostile = `${'*a'.repeat(maxPatternWildcards - 1)}*b`;
  const padded = `${'*a'.repeat(maxPatternWildcards - 1)}${'a'.repeat(maxPatternLength - 2 * maxPatternWildcards)}*b`;
  assert.equal(patternProblem(hostile, 'tag'), undefined);
  assert.equal(patternProblem(padded, 'repository'), undefined);
  assert.equal(padded.length, maxPatternLength);
  const names = ['a'.repeat(128), 'a'.repeat(255), 'a/'.repeat(127)];
  // The fastest of five runs, so that a busy machine does not decide the result.
  const fastest = (fn: () => void) => Math.min(...Array.from({ length: 5 }, () => {
    const t0 = performance.now();
    fn();
    return performance.now() - t0;
  }));
  const ms = fastest(() => {
    for (const p of [hostile, padded]) for (const n of names) assert.equal(matchPattern(p, n), false);
  });
  assert.ok(ms < 20, `6 hostile matches took ${ms.toFixed(1)} ms`);
  // Linear in the value: 100 times the name costs about 100 times as much, not 100^16.
  const long = 'a'.repeat(25_500);
  const longMs = fastest(() => assert.equal(matchPattern(padded, long), false));
  assert.ok(longMs < 200, `a 25,500-character name took ${longMs.toFixed(1)} ms`);
});

const problems: readonly (readonly [pattern: string, kind: 'repository' | 'tag', reason: string | undefined])[] = [
  ['frontend/*', 'repository', undefined],
  ['**', 'repository', undefined],
  ['team-a/**/api?', 'repository', undefined],
  ['v*', 'tag', undefined],
  ['V1.?-RC_*', 'tag', undefined],
  ['', 'repository', 'FieldValueRequired'],
  ['', 'tag', 'FieldValueRequired'],
  ['a'.repeat(maxPatternLength), 'tag', undefined],
  ['a'.repeat(maxPatternLength + 1), 'tag', 'FieldValueTooLong'],
  ['Frontend/*', 'repository', 'FieldValueInvalid'],
  ['v1/*', 'tag', 'FieldValueInvalid'],
  ['a b', 'tag', 'FieldValueInvalid'],
  ['a[bc]', 'repository', 'FieldValueInvalid'],
  ['a***', 'tag', 'FieldValueInvalid'],
  ['/app', 'repository', 'FieldValueInvalid'],
  ['app/', 'repository', 'FieldValueInvalid'],
  ['a//b', 'repository', 'FieldValueInvalid'],
  ['*a'.repeat(maxPatternWildcards), 'tag', undefined],
  [`${'*a'.repeat(maxPatternWildcards)}?`, 'tag', 'FieldValueInvalid'],
  [`${'**/'.repeat(maxPatternWildcards)}*`, 'repository', 'FieldValueInvalid'],
];

for (const [pattern, kind, reason] of problems) {
  test(`${kind} pattern "${pattern.length > 24 ? `${pattern.slice(0, 24)}… (${pattern.length})` : pattern}" is ${reason ?? 'accepted'}`, () => {
    assert.equal(patternProblem(pattern, kind)?.reason, reason);
  });
}

test('patterns where "*" crossed "/" are rewritten to match the same paths', () => {
  const old = ['*', 'prod*', 'prod/*', '*/api', 'a**b', 'app', 'team/*/x*'];
  const paths = ['prod', 'prod/api', 'prod/eu/api', 'dev/api', 'app', 'axb', 'a/x/b', 'team/x/x', 'team/x/y/xz'];
  // The former meaning of `*`: any run of characters, `/` included.
  const crossing = (p: string, v: string) => new RegExp(`^${p.replace(/\*+/g, '.*')}$`).test(v);
  for (const p of old) {
    const rewritten = fromCrossingPattern(p);
    assert.equal(fromCrossingPattern(rewritten), rewritten, 'idempotent');
    for (const v of paths) assert.equal(matchPattern(rewritten, v), crossing(p, v), `${p} → ${rewritten} on ${v}`);
  }
});

test('agrees with a regular-expression reference on seeded random patterns of one to three words of states', () => {
  // The reference is safe here only because the patterns are short and hold few stars.
  const reference = (p: string, v: string) => new RegExp(`^${p.replace(/\*\*+|\*|\?|[.]/g, (m) => (m === '?' ? '[^/]' : m === '.' ? '\\.' : m === '*' ? '[^/]*' : '.*'))}$`).test(v);
  let seed = 20261203;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const alphabet = ['a', 'b', '/', '.'];
  for (let round = 0; round < 3000; round++) {
    const length = 1 + random(90);
    let pattern = '';
    let wild = 0;
    while (pattern.length < length) {
      const r = random(20);
      if (r === 0 && wild < 3) { pattern += '*'; wild++; }
      else if (r === 1 && wild < 3) { pattern += '**'; wild++; }
      else if (r === 2) pattern += '?';
      else pattern += alphabet[random(alphabet.length)];
    }
    const value = Array.from({ length: random(100) }, () => alphabet[random(alphabet.length)]).join('');
    // Values built from the pattern so that matches happen too, not only misses.
    const near = pattern.replace(/\*+/g, () => 'ab'.slice(0, random(3))).replace(/\?/g, 'a');
    for (const v of [value, near]) assert.equal(matchPattern(pattern, v), reference(pattern, v), `${pattern} on ${v}`);
  }
});
