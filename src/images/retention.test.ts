import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRetention, protectingRule, retentionStep, type ImmutabilityRule, type RetainedArtifact, type RetentionDecision, type RetentionPolicy } from './retention.ts';

const now = new Date('2026-06-30T00:00:00Z');
let n = 0;
function art(repo: string, tags: string[], pushedDay: number, extra: Partial<RetainedArtifact> = {}): RetainedArtifact {
  n++;
  return {
    repository: `team/${repo}`, path: repo, digest: `sha256:${String(n).padStart(64, '0')}`, tags,
    pushedAt: `2026-06-${String(pushedDay).padStart(2, '0')}T00:00:00Z`, pulledAt: null, subject: '', children: [], ...extra,
  };
}
/** Runs the decision to its end; also how many times it yielded. */
function decide(artifacts: RetainedArtifact[], policies: RetentionPolicy[], rules: ImmutabilityRule[] = []): RetentionDecision & { steps: number } {
  const deciding = decideRetention(artifacts, policies, rules, now);
  let steps = 0;
  for (let r = deciding.next(); ; r = deciding.next(), steps++) if (r.done) return { ...r.value, steps };
}
const digests = (l: readonly RetainedArtifact[]) => l.map((a) => a.tags.join(',') || a.digest.slice(-2)).sort();

test('keep the newest N, tags matching patterns, and recently pulled; other repositories untouched', () => {
  const a1 = art('app', ['v1'], 1);
  const a2 = art('app', ['v2'], 2, { pulledAt: '2026-06-29T00:00:00Z' });
  const a3 = art('app', ['release-1'], 3);
  const a4 = art('app', ['v4'], 4);
  const a5 = art('app', ['v5'], 5);
  const other = art('tools', ['old'], 1);
  const { keep, remove } = decide([a1, a2, a3, a4, a5, other], [{ id: 'p', repositories: 'app', keepLatest: 2, keepTags: ['release-*'], keepPulledWithinDays: 7 }]);
  assert.deepEqual(digests(keep), ['old', 'release-1', 'v2', 'v4', 'v5']);
  assert.deepEqual(digests(remove), ['v1']);
});

test('children of kept indexes and referrers of kept artifacts stay; those of removed ones go', () => {
  const child1 = art('app', [], 1);
  const child2 = art('app', [], 1);
  const index = art('app', ['multi'], 2, { children: [child1.digest, child2.digest] });
  const oldImg = art('app', ['old'], 1);
  const sig = art('app', [], 3, { subject: index.digest });
  const oldSig = art('app', [], 3, { subject: oldImg.digest });
  const { keep, remove } = decide([child1, child2, index, oldImg, sig, oldSig], [{ id: 'p', repositories: '**', keepLatest: 1 }]);
  assert.deepEqual(keep.map((a) => a.digest).sort(), [child1, child2, index, sig].map((a) => a.digest).sort());
  assert.deepEqual(remove.map((a) => a.digest).sort(), [oldImg, oldSig].map((a) => a.digest).sort());
});

test('a referrer of a referrer listed before it stays with its kept subject (dependencies settle over passes)', () => {
  const img = art('app', ['v1'], 2);
  const sig = art('app', [], 3, { subject: img.digest });
  // Listed first: kept only once `sig` is, which is kept only once `img` is.
  const sigOfSig = art('app', [], 4, { subject: sig.digest });
  const { keep, remove } = decide([sigOfSig, img, sig], [{ id: 'p', repositories: '**', keepLatest: 1 }]);
  assert.deepEqual(keep.map((a) => a.digest).sort(), [img, sig, sigOfSig].map((a) => a.digest).sort());
  assert.deepEqual(remove, []);
});

test('a referrer whose subject is not here (pushed before it) stays, and so do its own referrers', () => {
  const early = art('app', [], 3, { subject: `sha256:${'f'.repeat(64)}` });
  const onEarly = art('app', [], 4, { subject: early.digest });
  const old = art('app', ['old'], 1);
  const latest = art('app', ['latest'], 2);
  const { keep, remove } = decide([onEarly, early, old, latest], [{ id: 'p', repositories: '**', keepLatest: 1 }]);
  assert.deepEqual(keep.map((a) => a.digest).sort(), [early, onEarly, latest].map((a) => a.digest).sort());
  assert.deepEqual(digests(remove), ['old']);
});

test('a policy with no keep rule keeps everything; immutability rules match repositories and tags', () => {
  const a = art('app', ['x'], 1);
  assert.equal(decide([a], [{ id: 'p', repositories: '**' }]).remove.length, 0);
  const rules = [{ id: 'r1', repositories: 'prod/*', tags: 'v*' }];
  assert.equal(protectingRule(rules, 'prod/api', 'v1.0')?.id, 'r1');
  assert.equal(protectingRule(rules, 'prod/api', 'latest'), undefined);
  assert.equal(protectingRule(rules, 'dev/api', 'v1.0'), undefined);
  assert.equal(protectingRule(rules, 'prod/eu/api', 'v1.0'), undefined, '"*" stays inside one segment');
  assert.equal(protectingRule([{ id: 'r2', repositories: 'prod/**', tags: 'v1.?' }], 'prod/eu/api', 'v1.0')?.id, 'r2', '"**" crosses segments');
});

test('what an immutability rule protects is set apart from what goes (its referrers go, as before)', () => {
  const old = art('prod/api', ['v1'], 1);
  const oldSig = art('prod/api', [], 2, { subject: old.digest });
  const latest = art('prod/api', ['latest'], 3);
  const scratch = art('prod/api', ['scratch'], 2);
  const { keep, immutable, remove } = decide([old, oldSig, latest, scratch], [{ id: 'p', repositories: '**', keepLatest: 1 }], [{ id: 'r', repositories: 'prod/*', tags: 'v*' }]);
  assert.deepEqual(digests(keep), ['latest']);
  assert.deepEqual(digests(immutable), ['v1']);
  assert.deepEqual(remove.map((a) => a.digest).sort(), [oldSig.digest, scratch.digest].sort());
});

test('the decision yields every few matches, even within the tags of one artifact', () => {
  const tags = Array.from({ length: 1000 }, (_, i) => `${'a'.repeat(124)}${String(i).padStart(4, '0')}`);
  const patterns = Array.from({ length: 100 }, (_, i) => `${'*a'.repeat(15)}*z${i}`);
  const one = art('app', tags, 1);
  const { remove, steps } = decide([one], [{ id: 'p', repositories: '**', keepTags: patterns }], [{ id: 'r', repositories: '**', tags: '*b*b' }]);
  assert.equal(remove.length, 1);
  const matches = tags.length * patterns.length + tags.length;
  assert.ok(steps >= Math.floor(matches / retentionStep), `${matches} matches in ${steps} steps of at most ${retentionStep}`);
});
