// Registry projects and who may use them: projects (of a tenant or of the platform), members
// with roles and repository-level grants, robot accounts, quotas; repositories and artifacts
// for the API. Every change goes through the use-case path (platform/usecase.ts); the SQL is in
// project-store.ts and store.ts.
import { randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Database } from '../platform/db/database.ts';
import { isUniqueViolation } from '../platform/db/database.ts';
import type { AuditLog } from '../platform/audit/service.ts';
import type { PlatformTables } from '../platform/db/schema.ts';
import type { AuthPrincipal, RequestContext } from '../platform/context.ts';
import { BerthError, alreadyExists, conflict, forbidden, invalid, notFound, quotaExceeded, unauthorized, type Cause } from '../platform/errors.ts';
import { can } from '../platform/identity/rbac.ts';
import { actionsOn, administers, managesProject, seesProject } from './access.ts';
import { robotSecretDigest, type RegistryAuth } from './auth-service.ts';
import { isProjectName } from './names.ts';
import { patternProblem } from './pattern.ts';
import { projectRoles, repositoryActions, robotUsername, type Artifact, type Member, type Project, type ProjectRole, type Repository, type Robot, type RobotPermission } from './model.ts';
import * as store from './store.ts';
import * as projectStore from './project-store.ts';
import type { UsageCache } from './usage-cache.ts';
import { change, changeActor, recordChange } from '../platform/usecase.ts';
import { imagesDb, type Db } from './store.ts';

/** What a project create or update may set. */
export interface ProjectSpec {
  readonly name: string;
  readonly tenant?: string;
  readonly public?: boolean;
  readonly storageLimit?: number;
  readonly artifactLimit?: number;
  readonly rateLimit?: number;
}

/** A project with its current usage. */
export interface ProjectView extends Project {
  readonly usage: { readonly storageBytes: number; readonly artifacts: number; readonly repositories: number };
}

/** A tenant's registry quota with its usage. */
export interface TenantQuotaView {
  readonly tenant: string;
  readonly storageLimit: number;
  readonly artifactLimit: number;
  readonly usage: { readonly storageBytes: number; readonly artifacts: number };
}

/** What creating a robot returns: the robot and its secret, shown this once. */
export interface CreatedRobot extends Robot {
  readonly secret: string;
}

export interface ProjectServiceOptions {
  readonly db: Database;
  readonly audit: AuditLog;
  readonly auth: RegistryAuth;
  /** Storage usage as the quota bound reads it: forgotten when a repository (with its links) is deleted. */
  readonly usage: UsageCache;
  readonly now?: () => Date;
}

const maxRobotDays = 366;

/** Most repository grants one user may hold in one project: each registry request matches them all. */
export const maxGrantsPerMember = 50;
const robotNamePattern = /^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$/;

function principalOf(ctx: RequestContext): AuthPrincipal {
  if (!ctx.principal) throw unauthorized();
  return ctx.principal;
}

/**
 * Project fields only administrators (platform admins, admins of the project's tenant) may
 * change: the quotas and the visibility they set bound what the project's own admins do.
 */
const administeredFields = ['public', 'storageLimit', 'artifactLimit', 'rateLimit'] as const;

function limitCauses(spec: Partial<ProjectSpec>): Cause[] {
  const causes: Cause[] = [];
  for (const f of ['storageLimit', 'artifactLimit', 'rateLimit'] as const) {
    const v = spec[f];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < -1)) causes.push({ field: f, reason: 'FieldValueInvalid', message: 'must be a whole number, or -1 for no limit' });
  }
  return causes;
}

/** Projects, members, robots and the registry's browsing API. One instance per server. */
export class ProjectService {
  readonly #db: Database;
  readonly #audit: AuditLog;
  readonly #auth: RegistryAuth;
  readonly #now: () => Date;
  readonly #deps: ProjectServiceOptions;

  constructor(o: ProjectServiceOptions) {
    this.#deps = o;
    this.#db = o.db;
    this.#audit = o.audit;
    this.#auth = o.auth;
    this.#now = o.now ?? (() => new Date());
  }

  get #k(): Db {
    return imagesDb(this.#db.kysely);
  }

  /** The project if the caller may see it; NotFound otherwise (a hidden project does not exist). */
  async #visible(ctx: RequestContext, name: string): Promise<{ project: Project; members: Member[] }> {
    const p = principalOf(ctx);
    const project = await store.findProject(this.#k, name);
    if (!project) throw notFound('Project', name);
    const members = await store.projectMembers(this.#k, name);
    if (!seesProject({ kind: 'user', principal: p }, project, members)) throw notFound('Project', name);
    return { project, members };
  }

  async #managed(ctx: RequestContext, name: string): Promise<{ project: Project; members: Member[] }> {
    const facts = await this.#visible(ctx, name);
    if (!managesProject(principalOf(ctx), facts.project, facts.members)) {
      throw forbidden(`user "${principalOf(ctx).name}" cannot manage project "${name}": it takes the project-admin role or administration of its tenant`);
    }
    return facts;
  }

  /** Creates a project. Platform admins create any; tenant admins create their tenant's. Throws AlreadyExists, Invalid, Forbidden. */
  async createProject(ctx: RequestContext, spec: ProjectSpec): Promise<ProjectView> {
    const p = principalOf(ctx);
    const tenant = spec.tenant ?? '';
    const causes = limitCauses(spec);
    if (!isProjectName(spec.name)) causes.push({ field: 'name', reason: 'FieldValueInvalid', message: 'must be 2 to 63 lower-case letters, digits and single ".", "_" or "-" between them' });
    if (causes.length) throw invalid('Project', spec.name, causes);
    const now = this.#now().toISOString();
    const row: store.ProjectsTable = {
      name: spec.name, tenant, public: spec.public ? 1 : 0, storage_limit: spec.storageLimit ?? -1, artifact_limit: spec.artifactLimit ?? -1,
      rate_limit: spec.rateLimit ?? -1, created_at: now, created_by: p.name,
    };
    try {
      await change(this.#deps, ctx, { permission: 'projects:create', tenant, audit: { action: 'create', resource: 'projects', name: spec.name, detail: { public: Boolean(spec.public) } } }, (tx) =>
        projectStore.insertProject(imagesDb(tx), row));
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists('Project', spec.name);
      throw err;
    }
    this.#auth.forgetProject(spec.name);
    return { ...store.toProject(row), usage: { storageBytes: 0, artifacts: 0, repositories: 0 } };
  }

  /** The projects the caller may see, in name order, each with its usage (as getProject gives it). */
  async listProjects(ctx: RequestContext): Promise<ProjectView[]> {
    const p = principalOf(ctx);
    const all = await store.listProjects(this.#k);
    const mine = new Set((await store.membershipsOf(this.#k, p.name)).map((m) => m.project));
    const visible = all.filter((pr) => pr.public || mine.has(pr.name) || administers(p, pr) || (pr.tenant !== '' && can(p, 'repositories:get', pr.tenant)));
    // One grouped query per figure for the whole list, not three per project.
    const usage = await store.projectsUsage(this.#k);
    return visible.map((pr) => ({ ...pr, usage: usage.get(pr.name) ?? { storageBytes: 0, artifacts: 0, repositories: 0 } }));
  }

  /** One project with its usage. NotFound when the caller may not see it. */
  async getProject(ctx: RequestContext, name: string): Promise<ProjectView> {
    const { project } = await this.#visible(ctx, name);
    return {
      ...project,
      usage: { storageBytes: await store.projectBytes(this.#k, name), artifacts: await store.projectArtifacts(this.#k, name), repositories: await projectStore.countRepositories(this.#k, name) },
    };
  }

  /**
   * Changes visibility and quotas: administrators only. A project admin may send those fields
   * with their current values (a form sends every field) but not change them: Forbidden naming
   * the fields. Throws NotFound, Forbidden, Invalid.
   */
  async updateProject(ctx: RequestContext, name: string, patch: Omit<Partial<ProjectSpec>, 'name' | 'tenant'>): Promise<ProjectView> {
    const { project } = await this.#managed(ctx, name);
    const p = principalOf(ctx);
    const changed = administeredFields.filter((f) => patch[f] !== undefined && patch[f] !== project[f]);
    if (changed.length && !administers(p, project)) {
      const who = project.tenant ? `the administrators of tenant "${project.tenant}"` : 'platform administrators';
      throw new BerthError('Forbidden', `user "${p.name}" cannot change ${changed.join(', ')} of project "${name}": quotas and visibility are set by ${who}`, {
        kind: 'Project', name, causes: changed.map((field) => ({ field, reason: 'FieldValueForbidden', message: `only ${who} may change it` })),
      });
    }
    const causes = limitCauses(patch);
    if (causes.length) throw invalid('Project', name, causes);
    await change(this.#deps, ctx, { tenant: project.tenant, audit: { action: 'update', resource: 'projects', name, detail: { ...patch } } }, (tx) =>
      projectStore.updateProjectSettings(imagesDb(tx), name, {
        ...(patch.public !== undefined ? { public: patch.public ? 1 : 0 } : {}),
        ...(patch.storageLimit !== undefined ? { storage_limit: patch.storageLimit } : {}),
        ...(patch.artifactLimit !== undefined ? { artifact_limit: patch.artifactLimit } : {}),
        ...(patch.rateLimit !== undefined ? { rate_limit: patch.rateLimit } : {}),
      }));
    this.#auth.forgetProject(name);
    return this.getProject(ctx, name);
  }

  /** Deletes an empty project (administrators only). Conflict while it holds repositories. */
  async deleteProject(ctx: RequestContext, name: string): Promise<void> {
    const { project } = await this.#visible(ctx, name);
    if (!can(principalOf(ctx), 'projects:delete', project.tenant || undefined)) throw forbidden(`user "${principalOf(ctx).name}" cannot delete project "${name}"`);
    await change(this.#deps, ctx, { tenant: project.tenant, audit: { action: 'delete', resource: 'projects', name } }, async (raw) => {
      const tx = imagesDb(raw);
      const repo = await projectStore.someRepository(tx, name);
      if (repo) throw conflict('Project', name, `it still holds repository "${repo}"; delete its repositories first`);
      await projectStore.deleteProject(tx, name);
    });
    this.#auth.forgetProject(name);
  }

  /** The project's members (anyone who sees the project, except limited guests). */
  async listMembers(ctx: RequestContext, name: string): Promise<Member[]> {
    const { project, members } = await this.#visible(ctx, name);
    const p = principalOf(ctx);
    const limited = members.some((m) => m.user === p.name && m.role === 'limited-guest') && !managesProject(p, project, members);
    if (limited) throw forbidden(`limited guests cannot list the members of project "${name}"`);
    return members;
  }

  /**
   * Grants `role` to `user`, on the whole project or on repositories matching `repositories`.
   * Idempotent (replaces the role). Forbidden beyond {@link maxGrantsPerMember} grants.
   */
  async setMember(ctx: RequestContext, name: string, user: string, role: string, repositories = ''): Promise<Member> {
    const { project } = await this.#managed(ctx, name);
    const causes: Cause[] = [];
    if (!(projectRoles as readonly string[]).includes(role)) causes.push({ field: 'role', reason: 'FieldValueNotSupported', message: `Unsupported value: "${role}": supported values: ${projectRoles.map((r) => `"${r}"`).join(', ')}` });
    const problem = repositories === '' ? undefined : patternProblem(repositories, 'repository');
    if (problem) causes.push({ field: 'repositories', ...problem });
    if (causes.length) throw invalid('Member', user, causes);
    const now = this.#now().toISOString();
    await change(this.#deps, ctx, { tenant: project.tenant, audit: { action: 'grant', resource: 'members', name, detail: { user, role, repositories } } }, async (raw) => {
      // Checked in the transaction, the user's row held: a deletion cannot slip between the
      // check and the insert and leave a membership for the next user of the name.
      if (!(await projectStore.holdUser(raw, this.#db.dialect, user))) throw invalid('Member', user, [{ field: 'user', reason: 'FieldValueNotFound', message: `user "${user}" not found` }]);
      const tx = imagesDb(raw);
      const grants = await projectStore.grantsOf(tx, name, user);
      if (grants.length >= maxGrantsPerMember && !grants.includes(repositories)) {
        throw quotaExceeded(`user "${user}" already holds ${maxGrantsPerMember} grants in project "${name}", the most one member may hold`);
      }
      await projectStore.upsertMember(tx, { project: name, user_name: user, role, repositories, created_at: now });
    });
    this.#auth.forgetProject(name);
    return { project: name, user, role: role as ProjectRole, repositories, createdAt: now };
  }

  /**
   * Removes every membership of `user`, who is being deleted, in the deleting transaction `raw`:
   * a later user of the same name inherits none. Each removal is audited as a revoke.
   */
  async forgetUser(raw: Transaction<PlatformTables>, ctx: RequestContext, user: string): Promise<void> {
    for (const g of await projectStore.deleteMemberships(imagesDb(raw), user)) {
      // Several records in the deleting user's transaction, which is not a change of this area's.
      await recordChange(this.#audit, raw, changeActor(ctx), g.tenant, {
        action: 'revoke', resource: 'members', name: g.project, detail: { user, repositories: g.repositories, reason: 'user deleted' },
      });
      this.#auth.forgetProject(g.project);
    }
  }

  /** Removes a user's grant (the whole-project one unless `repositories` names a grant). NotFound when absent. */
  async removeMember(ctx: RequestContext, name: string, user: string, repositories = ''): Promise<void> {
    const { project } = await this.#managed(ctx, name);
    await change(this.#deps, ctx, { tenant: project.tenant, audit: { action: 'revoke', resource: 'members', name, detail: { user, repositories } } }, async (tx) => {
      if (!(await projectStore.deleteMember(imagesDb(tx), name, user, repositories))) throw notFound('Member', user);
    });
    this.#auth.forgetProject(name);
  }

  /** The project's robots (managers only); secrets are never shown again. */
  async listRobots(ctx: RequestContext, name: string): Promise<Robot[]> {
    await this.#managed(ctx, name);
    return (await projectStore.listRobots(this.#k, name)).map(store.toRobot);
  }

  /** Creates a robot; the returned secret is shown once and stored only as a digest. */
  async createRobot(ctx: RequestContext, project: string, spec: { name: string; description?: string; permissions: readonly RobotPermission[]; expiresInDays?: number }): Promise<CreatedRobot> {
    const { project: pr } = await this.#managed(ctx, project);
    const days = spec.expiresInDays ?? 30;
    const causes: Cause[] = [];
    if (!robotNamePattern.test(spec.name)) causes.push({ field: 'name', reason: 'FieldValueInvalid', message: 'must be 1 to 64 lower-case letters, digits, ".", "_" or "-", starting and ending with a letter or digit' });
    if (!Number.isInteger(days) || days < 1 || days > maxRobotDays) causes.push({ field: 'expiresInDays', reason: 'FieldValueInvalid', message: `must be a whole number of days from 1 to ${maxRobotDays}` });
    if (spec.permissions.length === 0) causes.push({ field: 'permissions', reason: 'FieldValueRequired', message: 'a robot needs at least one permission' });
    spec.permissions.forEach((perm, i) => {
      if (perm.actions.length === 0 || perm.actions.some((a) => !(repositoryActions as readonly string[]).includes(a))) {
        causes.push({ field: `permissions[${i}].actions`, reason: 'FieldValueNotSupported', message: 'actions are "pull", "push" and "delete"' });
      }
      const problem = perm.repositories === '' ? undefined : patternProblem(perm.repositories, 'repository');
      if (problem) causes.push({ field: `permissions[${i}].repositories`, ...problem });
    });
    if (causes.length) throw invalid('Robot', spec.name, causes);
    const secret = randomBytes(32).toString('base64url');
    const now = this.#now();
    const row: store.RobotsTable = {
      project, name: spec.name, description: spec.description ?? '', secret_hash: robotSecretDigest(secret),
      permissions: JSON.stringify(spec.permissions.map((x) => ({ repositories: x.repositories, actions: [...new Set(x.actions)].sort() }))),
      expires_at: new Date(now.getTime() + days * 86_400_000).toISOString(), revoked_at: null, created_at: now.toISOString(), created_by: principalOf(ctx).name,
    };
    try {
      const audit = { action: 'create', resource: 'robots', name: robotUsername(project, spec.name), detail: { permissions: spec.permissions, expiresAt: row.expires_at } };
      await change(this.#deps, ctx, { tenant: pr.tenant, audit }, (tx) => projectStore.insertRobot(imagesDb(tx), row));
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists('Robot', robotUsername(project, spec.name));
      throw err;
    }
    return { ...store.toRobot(row), secret };
  }

  /** Deletes a robot: its credentials stop working at once. NotFound when absent. */
  async deleteRobot(ctx: RequestContext, project: string, name: string): Promise<void> {
    const { project: pr } = await this.#managed(ctx, project);
    await change(this.#deps, ctx, { tenant: pr.tenant, audit: { action: 'delete', resource: 'robots', name: robotUsername(project, name) } }, async (tx) => {
      if (!(await projectStore.deleteRobot(imagesDb(tx), project, name))) throw notFound('Robot', robotUsername(project, name));
    });
    this.#auth.forgetRobot(project, name);
  }

  /** True when the caller may pull `repository` (repository-level grants narrow what a member sees). */
  #pulls(ctx: RequestContext, facts: { project: Project; members: Member[] }, repository: string): boolean {
    return actionsOn({ kind: 'user', principal: principalOf(ctx) }, facts.project, facts.members, repository.slice(facts.project.name.length + 1)).has('pull');
  }

  /** The project's repositories the caller may pull, with their counts. */
  async listRepositories(ctx: RequestContext, project: string): Promise<Repository[]> {
    const facts = await this.#visible(ctx, project);
    const rows = (await projectStore.listRepositories(this.#k, project)).filter((r) => this.#pulls(ctx, facts, r.name));
    const byRepo = await projectStore.artifactCounts(this.#k, rows.map((r) => r.name));
    return rows.map((r) => ({ name: r.name, project: r.project, createdAt: r.created_at, updatedAt: r.updated_at, pullCount: Number(r.pull_count), artifactCount: byRepo.get(r.name) ?? 0 }));
  }

  /** The artifacts (manifests with their tags) of a repository, newest first. */
  async listArtifacts(ctx: RequestContext, repository: string): Promise<Artifact[]> {
    const project = repository.split('/')[0];
    const facts = await this.#visible(ctx, project);
    if (!this.#pulls(ctx, facts, repository)) throw notFound('Repository', repository);
    const { manifests: rows, tags } = await projectStore.artifactsOf(this.#k, repository);
    if (rows.length === 0 && !(await store.repositoryExists(this.#k, repository))) throw notFound('Repository', repository);
    return rows.map((r) => ({
      repository: r.repository, digest: r.digest, mediaType: r.media_type, artifactType: r.artifact_type, size: Number(r.size), subject: r.subject,
      tags: tags.filter((t) => t.digest === r.digest).map((t) => t.tag), pushedAt: r.created_at, pushedBy: r.pushed_by, pulledAt: r.pulled_at,
    }));
  }

  /** A tenant's registry quota and usage (the route has checked the caller may read it). */
  async getTenantQuota(tenant: string): Promise<TenantQuotaView> {
    const q = await store.tenantQuota(this.#k, tenant);
    return { tenant, ...q, usage: { storageBytes: await store.tenantBytes(this.#k, tenant), artifacts: await store.tenantArtifacts(this.#k, tenant) } };
  }

  /** Sets a tenant's registry quota (-1: none). Audited. The route allows platform admins only. */
  async setTenantQuota(ctx: RequestContext, tenant: string, q: { storageLimit: number; artifactLimit: number }): Promise<TenantQuotaView> {
    const causes = limitCauses(q);
    if (causes.length) throw invalid('TenantQuota', tenant, causes);
    const now = this.#now().toISOString();
    await change(this.#deps, ctx, { permission: 'quotas:update', tenant, audit: { action: 'update', resource: 'quotas', name: `registry/${tenant}`, detail: { ...q } } }, (tx) =>
      projectStore.upsertTenantQuota(imagesDb(tx), { tenant, storage_limit: q.storageLimit, artifact_limit: q.artifactLimit, updated_at: now }));
    return this.getTenantQuota(tenant);
  }

  /**
   * Deletes a repository: its manifests, tags and blob links (garbage collection frees the
   * bytes). Takes the delete action on it. NotFound when absent or invisible. Audited.
   */
  async deleteRepository(ctx: RequestContext, repository: string): Promise<void> {
    const project = repository.split('/')[0];
    const facts = await this.#visible(ctx, project);
    const may = actionsOn({ kind: 'user', principal: principalOf(ctx) }, facts.project, facts.members, repository.slice(project.length + 1));
    if (!may.has('pull') || !(await store.repositoryExists(this.#k, repository))) throw notFound('Repository', repository);
    if (!may.has('delete')) throw forbidden(`user "${principalOf(ctx).name}" cannot delete repository "${repository}"`);
    await change(this.#deps, ctx, { tenant: facts.project.tenant, audit: { action: 'delete', resource: 'repositories', name: repository, detail: { project } } }, (tx) =>
      projectStore.deleteRepository(imagesDb(tx), repository));
    this.#deps.usage.forget(project, facts.project.tenant);
  }
}
