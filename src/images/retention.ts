// Tag immutability and retention decisions. Pure: the service gives the artifacts and rules.
// Repository and tag patterns are those of `pattern.ts`.
import { compilePattern, matchPattern, type Matcher } from './pattern.ts';

/** A tag rule: tags matching `tags` in repositories matching `repositories` cannot change. */
export interface ImmutabilityRule {
  readonly id: string;
  readonly repositories: string;
  readonly tags: string;
}

/**
 * A retention policy for repositories matching `repositories`: an artifact stays when it is
 * among the newest `keepLatest` of its repository, has a tag matching one of `keepTags`, or
 * was pulled within `keepPulledWithinDays`. A policy that sets none of them keeps everything.
 */
export interface RetentionPolicy {
  readonly id: string;
  readonly repositories: string;
  readonly keepLatest?: number;
  readonly keepTags?: readonly string[];
  readonly keepPulledWithinDays?: number;
}

/** An artifact as retention sees it. */
export interface RetainedArtifact {
  readonly repository: string;
  /** The repository path inside its project (what patterns match). */
  readonly path: string;
  readonly digest: string;
  readonly tags: readonly string[];
  readonly pushedAt: string;
  readonly pulledAt: string | null;
  /** Digest of the subject manifest, '' when none. */
  readonly subject: string;
  /** Manifests an index lists. */
  readonly children: readonly string[];
}

/** The immutability rule that protects `tag` of repository `path`, if any. */
export function protectingRule(rules: readonly ImmutabilityRule[], path: string, tag: string): ImmutabilityRule | undefined {
  return rules.find((r) => matchPattern(r.repositories, path) && matchPattern(r.tags, tag));
}

/**
 * Units of work (an artifact weighed, a tag matched against one pattern) {@link decideRetention}
 * does between two yields: at the longest patterns and tags a few milliseconds.
 */
export const retentionStep = 100;

/** What retention decided for a project's artifacts. */
export interface RetentionDecision {
  /** Artifacts a policy keeps, and what they need. */
  readonly keep: RetainedArtifact[];
  /** Artifacts no policy keeps that an immutability rule protects (one of their tags matches). */
  readonly immutable: RetainedArtifact[];
  /** Artifacts to delete. */
  readonly remove: RetainedArtifact[];
}

/**
 * Splits artifacts into those retention keeps, those it would delete but an immutability rule
 * protects, and those it deletes. Artifacts in repositories no policy covers are kept. What a
 * kept artifact needs is kept too: the manifests a kept index lists, and the referrers
 * (signatures, SBOMs) of kept artifacts go only with their subject.
 *
 * A generator: it yields (nothing) after every {@link retentionStep} units of work, so that a
 * caller on an event loop lets other work run between steps, and returns the decision. A
 * project's patterns may be many and long and its tags many, so that matching them all takes
 * seconds; one step takes milliseconds whatever the input, even within one artifact's tags.
 */
export function* decideRetention(artifacts: readonly RetainedArtifact[], policies: readonly RetentionPolicy[], rules: readonly ImmutabilityRule[], now: Date): Generator<void, RetentionDecision, void> {
  const compiled = new Map<string, Matcher>();
  const run: Run = {
    steps: new Steps(),
    kept: new Set<string>(),
    childOf: new Set(artifacts.flatMap((a) => a.children.map((c) => `${a.repository}@${c}`))),
    matcher: (pattern) => {
      let m = compiled.get(pattern);
      if (!m) compiled.set(pattern, (m = compilePattern(pattern)));
      return m;
    },
  };
  const byRepo = new Map<string, RetainedArtifact[]>();
  for (const a of artifacts) {
    const list = byRepo.get(a.repository);
    if (list) list.push(a);
    else byRepo.set(a.repository, [a]);
  }
  for (const [, list] of byRepo) yield* keepByPolicy(run, list, policies, now);
  yield* keepDependencies(run, artifacts);
  return yield* protectOrRemove(run, artifacts, rules);
}

/** Counts units of work and says when a step is done (time to yield). */
class Steps {
  #work = 0;
  spend(units: number): boolean {
    if ((this.#work += units) < retentionStep) return false;
    this.#work = 0;
    return true;
  }
}

/** State of one {@link decideRetention} call shared by its phases. */
interface Run {
  readonly steps: Steps;
  /** `repository@digest` of every artifact kept so far. */
  readonly kept: Set<string>;
  /** `repository@digest` of every manifest some index lists. */
  readonly childOf: ReadonlySet<string>;
  /** A pattern's matcher, compiled once per call. */
  readonly matcher: (pattern: string) => Matcher;
}

const key = (a: { repository: string; digest: string }) => `${a.repository}@${a.digest}`;

/** Marks the artifacts of one repository that its covering policies keep. */
function* keepByPolicy(run: Run, list: readonly RetainedArtifact[], policies: readonly RetentionPolicy[], now: Date): Generator<void, void, void> {
  const { steps, kept, matcher } = run;
  const path = list[0].path;
  const covering = policies.filter((p) => matcher(p.repositories)(path));
  if (steps.spend(policies.length + list.length)) yield;
  // Top-level artifacts are ranked; index children and referrers follow their parents.
  const top = list.filter((a) => !run.childOf.has(key(a)) && a.subject === '');
  if (covering.length === 0 || covering.every((p) => p.keepLatest === undefined && !p.keepTags?.length && p.keepPulledWithinDays === undefined)) {
    for (const a of top) kept.add(key(a));
    return;
  }
  const newest = [...top].sort((a, b) => b.pushedAt.localeCompare(a.pushedAt) || a.digest.localeCompare(b.digest));
  for (const p of covering) {
    if (p.keepLatest !== undefined) for (const a of newest.slice(0, p.keepLatest)) kept.add(key(a));
    for (const a of top) {
      if (p.keepPulledWithinDays !== undefined && a.pulledAt && now.getTime() - Date.parse(a.pulledAt) <= p.keepPulledWithinDays * 86_400_000) kept.add(key(a));
    }
    if (steps.spend(top.length)) yield;
  }
  // Any covering policy's keepTags keeps an artifact: each distinct pattern is compiled once
  // and tried only on artifacts nothing has kept yet.
  const keepTags = [...new Set(covering.flatMap((p) => p.keepTags ?? []))].map(matcher);
  for (const a of top) {
    if (kept.has(key(a))) continue;
    tags: for (const tag of a.tags) {
      for (const m of keepTags) {
        if (steps.spend(1)) yield;
        if (m(tag)) { kept.add(key(a)); break tags; }
      }
    }
  }
}

/** Keeps the children of kept indexes and the referrers of kept artifacts, until nothing changes. */
function* keepDependencies(run: Run, artifacts: readonly RetainedArtifact[]): Generator<void, void, void> {
  const { steps, kept } = run;
  const byKey = new Map(artifacts.map((a) => [key(a), a]));
  let changed = true;
  while (changed) {
    changed = false;
    for (const a of artifacts) {
      if (steps.spend(1)) yield;
      if (kept.has(key(a))) {
        for (const c of a.children) {
          const k = `${a.repository}@${c}`;
          if (byKey.has(k) && !kept.has(k)) { kept.add(k); changed = true; }
        }
      } else if (a.subject && kept.has(`${a.repository}@${a.subject}`)) {
        kept.add(key(a));
        changed = true;
      } else if (a.subject && !byKey.has(`${a.repository}@${a.subject}`) && !run.childOf.has(key(a))) {
        // A referrer of something that is not here (pushed before its subject): keep it, its subject may still arrive.
        kept.add(key(a));
        changed = true;
      }
    }
  }
}

/** What no policy keeps may still be protected: a tag an immutability rule matches stays. */
function* protectOrRemove(run: Run, artifacts: readonly RetainedArtifact[], rules: readonly ImmutabilityRule[]): Generator<void, RetentionDecision, void> {
  const { steps, kept, matcher } = run;
  const guards = rules.map((r) => ({ repositories: matcher(r.repositories), tags: matcher(r.tags) }));
  const keep: RetainedArtifact[] = [];
  const immutable: RetainedArtifact[] = [];
  const remove: RetainedArtifact[] = [];
  for (const a of artifacts) {
    if (kept.has(key(a))) { keep.push(a); continue; }
    const covering = guards.filter((g) => g.repositories(a.path));
    let held = false;
    guarded: for (const tag of a.tags) {
      for (const g of covering) {
        if (steps.spend(1)) yield;
        if (g.tags(tag)) { held = true; break guarded; }
      }
    }
    (held ? immutable : remove).push(a);
    if (steps.spend(guards.length)) yield;
  }
  return { keep, immutable, remove };
}
