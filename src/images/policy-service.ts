// Tag immutability rules and retention policies of projects, and the retention job (with a
// dry run that lists what would go). Project managers edit them; every change is audited.
import { randomBytes } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Database } from '../platform/db/database.ts';
import type { AuditLog } from '../platform/audit/service.ts';
import { actorOf, type RequestContext } from '../platform/context.ts';
import { conflict, forbidden, invalid, notFound, quotaExceeded, unauthorized, type Cause } from '../platform/errors.ts';
import { change } from '../platform/usecase.ts';
import { managesProject, seesProject } from './access.ts';
import type { Registry } from './registry-service.ts';
import { patternProblem, type PatternKind } from './pattern.ts';
import { decideRetention, type RetainedArtifact, type RetentionPolicy } from './retention.ts';
import * as store from './store.ts';
import { imagesDb, type Db } from './store.ts';
import * as policyStore from './policy-store.ts';

/** A stored policy as the API shows it. */
export type Policy =
  | { readonly id: string; readonly project: string; readonly kind: 'immutability'; readonly repositories: string; readonly tags: string; readonly createdAt: string; readonly createdBy: string }
  | ({ readonly project: string; readonly kind: 'retention'; readonly createdAt: string; readonly createdBy: string } & RetentionPolicy);

/** What a retention run removed (or, dry, would remove). */
export interface RetentionResult {
  readonly project: string;
  readonly dryRun: boolean;
  readonly removed: readonly { readonly repository: string; readonly digest: string; readonly tags: readonly string[] }[];
  readonly kept: number;
  /** Artifacts whose deletion failed (a concurrent change), with why. */
  readonly failed?: readonly string[];
}

/**
 * Most immutability rules, and most retention policies, one project may hold: every push of a
 * tag is matched against all of the project's rules, and retention against all its policies.
 */
export const maxPoliciesPerKind = 50;

/**
 * Most `keepTags` patterns the retention policies of one project may hold together: retention
 * matches every tag of the project against each of them, so their number bounds its work.
 */
export const maxKeepTagsPerProject = 100;

export class PolicyService {
  readonly #deps: { db: Database; audit: AuditLog; now: () => Date };
  readonly #registry: Registry;
  /** Projects whose retention runs in this process now. */
  readonly #running = new Set<string>();

  /** `now` is the clock retention decides and stamps its runs with (default: the system's). */
  constructor(o: { db: Database; audit: AuditLog; registry: Registry; now?: () => Date }) {
    this.#deps = { db: o.db, audit: o.audit, now: o.now ?? (() => new Date()) };
    this.#registry = o.registry;
  }

  get #k(): Db {
    return imagesDb(this.#deps.db.kysely);
  }

  async #facts(ctx: RequestContext, project: string, manage: boolean) {
    if (!ctx.principal) throw unauthorized();
    const p = await store.findProject(this.#k, project);
    const members = p ? await store.projectMembers(this.#k, project) : [];
    if (!p || !seesProject({ kind: 'user', principal: ctx.principal }, p, members)) throw notFound('Project', project);
    if (manage && !managesProject(ctx.principal, p, members)) throw forbidden(`user "${ctx.principal.name}" cannot manage the policies of project "${project}"`);
    return p;
  }

  /** The project's policies. */
  async list(ctx: RequestContext, project: string): Promise<Policy[]> {
    await this.#facts(ctx, project, false);
    const rows = await policyStore.listPolicies(this.#k, project);
    return rows.map((r) => ({ id: r.id, project: r.project, kind: r.kind, createdAt: r.created_at, createdBy: r.created_by, ...JSON.parse(r.spec) }) as Policy);
  }

  /** Adds an immutability rule or a retention policy. Throws Invalid, Forbidden (also beyond {@link maxPoliciesPerKind} or {@link maxKeepTagsPerProject}), NotFound. */
  async create(ctx: RequestContext, project: string, kind: 'immutability' | 'retention', spec: Record<string, unknown>): Promise<Policy> {
    const p = await this.#facts(ctx, project, true);
    const causes: Cause[] = [];
    const pattern = (field: string, v: unknown, kind: PatternKind) => {
      const problem = typeof v === 'string' ? patternProblem(v, kind) : { reason: 'FieldValueInvalid', message: 'must be a string' } as const;
      if (v !== undefined && problem) causes.push({ field, ...problem });
    };
    pattern('repositories', spec.repositories, 'repository');
    let clean: Record<string, unknown>;
    if (kind === 'immutability') {
      pattern('tags', spec.tags, 'tag');
      clean = { repositories: spec.repositories ?? '**', tags: spec.tags ?? '*' };
    } else {
      const keepTags = spec.keepTags as string[] | undefined;
      (keepTags ?? []).forEach((t, i) => pattern(`keepTags[${i}]`, t, 'tag'));
      for (const f of ['keepLatest', 'keepPulledWithinDays'] as const) {
        const v = spec[f];
        if (v !== undefined && (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 100_000)) causes.push({ field: f, reason: 'FieldValueInvalid', message: 'must be a whole number from 0 to 100000' });
      }
      if (spec.keepLatest === undefined && !keepTags?.length && spec.keepPulledWithinDays === undefined) {
        causes.push({ field: 'keepLatest', reason: 'FieldValueRequired', message: 'a retention policy needs keepLatest, keepTags or keepPulledWithinDays' });
      }
      clean = { repositories: spec.repositories ?? '**', ...(spec.keepLatest !== undefined ? { keepLatest: spec.keepLatest } : {}), ...(keepTags?.length ? { keepTags } : {}), ...(spec.keepPulledWithinDays !== undefined ? { keepPulledWithinDays: spec.keepPulledWithinDays } : {}) };
    }
    if (causes.length) throw invalid(kind === 'immutability' ? 'ImmutabilityRule' : 'RetentionPolicy', project, causes);
    const id = randomBytes(6).toString('hex');
    const now = this.#deps.now().toISOString();
    const by = ctx.principal?.name ?? 'unknown';
    const audit = { action: 'create', resource: 'registry-policies', name: `${project}/${id}`, detail: { kind, ...clean } };
    await change(this.#deps, ctx, { tenant: p.tenant, audit }, async (raw) => {
      const tx = imagesDb(raw);
      if (await policyStore.countPolicies(tx, project, kind) >= maxPoliciesPerKind) throw quotaExceeded(`project "${project}" already holds ${maxPoliciesPerKind} ${kind} policies, the most a project may hold`);
      const adding = (clean.keepTags as string[] | undefined)?.length ?? 0;
      if (adding > 0) {
        const specs = await policyStore.retentionSpecs(tx, project);
        const patterns = specs.reduce((n, r) => n + ((JSON.parse(r.spec) as RetentionPolicy).keepTags?.length ?? 0), 0);
        if (patterns + adding > maxKeepTagsPerProject) {
          throw quotaExceeded(`project "${project}" holds ${patterns} keepTags patterns and this policy adds ${adding}: a project's retention policies may hold at most ${maxKeepTagsPerProject} keepTags patterns together`);
        }
      }
      await policyStore.insertPolicy(tx, { id, project, kind, spec: JSON.stringify(clean), created_at: now, created_by: by });
    });
    return { id, project, kind, createdAt: now, createdBy: by, ...clean } as Policy;
  }

  /** Removes a policy. NotFound when absent. */
  async delete(ctx: RequestContext, project: string, id: string): Promise<void> {
    const p = await this.#facts(ctx, project, true);
    await change(this.#deps, ctx, { tenant: p.tenant, audit: { action: 'delete', resource: 'registry-policies', name: `${project}/${id}` } }, async (tx) => {
      if (!(await policyStore.deletePolicy(imagesDb(tx), project, id))) throw notFound('Policy', id);
    });
  }

  /** Runs retention on one project (as `ctx`'s caller, who must manage it). Conflict while one runs. */
  async runRetention(ctx: RequestContext, project: string, dryRun: boolean): Promise<RetentionResult> {
    await this.#facts(ctx, project, true);
    return this.retain(project, dryRun, { name: actorOf(ctx), sourceIp: ctx.sourceIp, requestId: ctx.requestId });
  }

  /**
   * Applies the project's retention policies: removes the artifacts no policy keeps, except
   * those an immutability rule protects. Deletions are audited one by one. One run per project
   * at a time in this process: another while one runs is refused (Conflict), so that repeated
   * requests cannot multiply a run's work.
   */
  async retain(project: string, dryRun: boolean, actor: { name: string; sourceIp: string; requestId: string }): Promise<RetentionResult> {
    if (this.#running.has(project)) throw conflict('RetentionRun', project, 'retention is already running on this project');
    this.#running.add(project);
    try {
      return await this.#retain(project, dryRun, actor);
    } finally {
      this.#running.delete(project);
    }
  }

  async #retain(project: string, dryRun: boolean, actor: { name: string; sourceIp: string; requestId: string }): Promise<RetentionResult> {
    const p = await store.findProject(this.#k, project);
    if (!p) throw notFound('Project', project);
    const policies = (await policyStore.retentionSpecs(this.#k, project))
      .map((r) => ({ id: r.id, ...JSON.parse(r.spec) }) as RetentionPolicy);
    if (policies.length === 0) return { project, dryRun, removed: [], kept: 0 };
    const rules = await store.immutabilityRules(this.#k, project);
    const manifests = await policyStore.projectManifests(this.#k, project);
    const tags = await policyStore.projectTags(this.#k, project);
    const children = await policyStore.projectManifestChildren(this.#k, project);
    const group = <T>(rows: readonly T[], key: (r: T) => string, value: (r: T) => string): Map<string, string[]> => {
      const m = new Map<string, string[]>();
      for (const r of rows) {
        const list = m.get(key(r));
        if (list) list.push(value(r));
        else m.set(key(r), [value(r)]);
      }
      return m;
    };
    const tagsOf = group(tags, (t) => `${t.repository}@${t.digest}`, (t) => t.tag);
    const childrenOf = group(children, (c) => `${c.repository}@${c.digest}`, (c) => c.child);
    const artifacts: RetainedArtifact[] = manifests.map((m) => ({
      repository: m.repository, path: m.repository.slice(project.length + 1), digest: m.digest,
      tags: tagsOf.get(`${m.repository}@${m.digest}`) ?? [], pushedAt: m.created_at, pulledAt: m.pulled_at, subject: m.subject,
      children: childrenOf.get(`${m.repository}@${m.digest}`) ?? [],
    }));
    // The decision may take seconds of matching: it runs in steps with the event loop turning
    // between them, so that the server keeps answering meanwhile.
    const deciding = decideRetention(artifacts, policies, rules, this.#deps.now());
    let step = deciding.next();
    while (!step.done) {
      await yieldToLoop();
      step = deciding.next();
    }
    const { keep, immutable, remove: going } = step.value;
    const failed: string[] = [];
    if (!dryRun) {
      for (const a of going) {
        await this.#registry.deleteManifest({ repository: a.repository, project: p }, a.digest, actor).catch((err: unknown) => { failed.push(`${a.repository}@${a.digest}: ${(err as Error).message}`); });
      }
    }
    const result: RetentionResult = {
      project, dryRun, removed: going.map((a) => ({ repository: a.repository, digest: a.digest, tags: a.tags })), kept: keep.length + immutable.length,
      ...(failed.length ? { failed } : {}),
    };
    await policyStore.insertRetentionRun(this.#k, {
      id: randomBytes(8).toString('hex'), project, time: this.#deps.now().toISOString(), dry_run: dryRun ? 1 : 0, triggered_by: actor.name, result: JSON.stringify(result),
    });
    return result;
  }

  /** The project's retention runs, newest first. */
  async runs(ctx: RequestContext, project: string): Promise<{ id: string; time: string; triggeredBy: string; result: RetentionResult }[]> {
    await this.#facts(ctx, project, false);
    const rows = await policyStore.retentionRuns(this.#k, project, 50);
    return rows.map((r) => ({ id: r.id, time: r.time, triggeredBy: r.triggered_by, result: JSON.parse(r.result) as RetentionResult }));
  }

  /** Every project that has a retention policy (for the scheduled job). */
  async projectsWithRetention(): Promise<string[]> {
    return policyStore.projectsWithRetention(this.#k);
  }
}
