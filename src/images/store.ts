// Persistence of the registry's metadata: projects, members, robots, repositories, blob links,
// manifests and their references, tags, uploads. Both backends; plain text/integer columns.
import { sql, type Kysely } from 'kysely';
import type { Dialect, Queryable } from '../platform/db/database.ts';
import { bigintType, type Migration } from '../platform/db/migrations.ts';
import type { PlatformTables } from '../platform/db/schema.ts';
import type { Member, Project, ProjectRole, Robot, RobotPermission } from './model.ts';
import { robotUsername } from './model.ts';
import { fromCrossingPattern } from './pattern.ts';
import type { ImmutabilityRule } from './retention.ts';

export type ProjectsTable = {
  name: string;
  tenant: string;
  public: number;
  storage_limit: number;
  artifact_limit: number;
  rate_limit: number;
  created_at: string;
  created_by: string;
}
export type MembersTable = {
  project: string;
  user_name: string;
  role: string;
  repositories: string;
  created_at: string;
}
export type RobotsTable = {
  project: string;
  name: string;
  description: string;
  secret_hash: string;
  permissions: string;
  expires_at: string;
  revoked_at: string | null;
  created_at: string;
  created_by: string;
}
export type RepositoriesTable = {
  name: string;
  project: string;
  created_at: string;
  updated_at: string;
  pull_count: number;
}
export type BlobsTable = {
  digest: string;
  size: number;
  created_at: string;
}
export type RepositoryBlobsTable = {
  repository: string;
  project: string;
  digest: string;
  size: number;
  created_at: string;
}
export type ManifestsTable = {
  repository: string;
  digest: string;
  media_type: string;
  artifact_type: string;
  subject: string;
  size: number;
  content: string;
  annotations: string;
  created_at: string;
  pushed_by: string;
  pulled_at: string | null;
}
export type ManifestRefsTable = {
  repository: string;
  digest: string;
  child: string;
  kind: string;
}
export type TagsTable = {
  repository: string;
  tag: string;
  digest: string;
  updated_at: string;
}
export type UploadsTable = {
  id: string;
  repository: string;
  started_by: string;
  started_at: string;
  updated_at: string;
}

/** The registry's tables, for `kysely.withTables<ImagesTables>()`. */
export type GcRunsTable = {
  id: string;
  started_at: string;
  finished_at: string | null;
  dry_run: number;
  triggered_by: string;
  status: string;
  result: string;
};

export type PoliciesTable = {
  id: string;
  project: string;
  kind: string;
  spec: string;
  created_at: string;
  created_by: string;
};

export type TenantQuotasTable = {
  tenant: string;
  storage_limit: number;
  artifact_limit: number;
  updated_at: string;
};

export type RetentionRunsTable = {
  id: string;
  project: string;
  time: string;
  dry_run: number;
  triggered_by: string;
  result: string;
};

export type ImagesTables = {
  registry_projects: ProjectsTable;
  registry_members: MembersTable;
  registry_robots: RobotsTable;
  registry_repositories: RepositoriesTable;
  registry_blobs: BlobsTable;
  registry_repository_blobs: RepositoryBlobsTable;
  registry_manifests: ManifestsTable;
  registry_manifest_refs: ManifestRefsTable;
  registry_tags: TagsTable;
  registry_uploads: UploadsTable;
  registry_gc_runs: GcRunsTable;
  registry_policies: PoliciesTable;
  registry_tenant_quotas: TenantQuotasTable;
  registry_retention_runs: RetentionRunsTable;
}

export type Db = Queryable<ImagesTables>;

/**
 * The registry's view of a platform handle or transaction (one from usecase.ts `change`): the
 * same connection, typed with the registry's tables. Its tables live in the same database, so
 * the cast only widens what the type knows. The one place the registry casts a handle.
 */
export function imagesDb(q: Queryable<PlatformTables>): Db {
  return q.withTables<ImagesTables>() as unknown as Db;
}

type ColumnType = ReturnType<typeof bigintType>;

/** Projects with their members and robot accounts. */
async function createProjectTables(db: Kysely<unknown>, big: ColumnType): Promise<void> {
  await db.schema.createTable('registry_projects')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('public', 'integer', (c) => c.notNull())
    .addColumn('storage_limit', big, (c) => c.notNull())
    .addColumn('artifact_limit', big, (c) => c.notNull())
    .addColumn('rate_limit', big, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createTable('registry_members')
    .addColumn('project', 'text', (c) => c.notNull().references('registry_projects.name').onDelete('cascade'))
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('repositories', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registry_members_pk', ['project', 'user_name', 'repositories'])
    .execute();
  await db.schema.createTable('registry_robots')
    .addColumn('project', 'text', (c) => c.notNull().references('registry_projects.name').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('permissions', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registry_robots_pk', ['project', 'name'])
    .execute();
}

/** Repositories and the blobs they hold. */
async function createContentTables(db: Kysely<unknown>, big: ColumnType): Promise<void> {
  await db.schema.createTable('registry_repositories')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('pull_count', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('registry_repositories_project').on('registry_repositories').columns(['project', 'name']).execute();
  await db.schema.createTable('registry_blobs')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('size', big, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createTable('registry_repository_blobs')
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('size', big, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registry_repository_blobs_pk', ['repository', 'digest'])
    .execute();
  await db.schema.createIndex('registry_repository_blobs_project').on('registry_repository_blobs').columns(['project', 'digest']).execute();
  await db.schema.createIndex('registry_repository_blobs_digest').on('registry_repository_blobs').column('digest').execute();
}

/** Manifests, what they reference, and tags. */
async function createManifestTables(db: Kysely<unknown>, big: ColumnType): Promise<void> {
  await db.schema.createTable('registry_manifests')
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('artifact_type', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('size', big, (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('annotations', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('pushed_by', 'text', (c) => c.notNull())
    .addColumn('pulled_at', 'text')
    .addPrimaryKeyConstraint('registry_manifests_pk', ['repository', 'digest'])
    .execute();
  await db.schema.createIndex('registry_manifests_subject').on('registry_manifests').columns(['repository', 'subject']).execute();
  await db.schema.createTable('registry_manifest_refs')
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('child', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registry_manifest_refs_pk', ['repository', 'digest', 'child'])
    .execute();
  await db.schema.createIndex('registry_manifest_refs_child').on('registry_manifest_refs').columns(['child']).execute();
  await db.schema.createTable('registry_tags')
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('tag', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registry_tags_pk', ['repository', 'tag'])
    .execute();
  await db.schema.createIndex('registry_tags_digest').on('registry_tags').columns(['repository', 'digest']).execute();
}

/** Blob uploads in progress. */
async function createUploadTables(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('registry_uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('started_by', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

/** The registry's migrations. */
export const imagesMigrations: readonly Migration[] = [
  {
    name: '0100-images-registry',
    async up(db: Kysely<unknown>, dialect: Dialect) {
      const big = bigintType(dialect);
      await createProjectTables(db, big);
      await createContentTables(db, big);
      await createManifestTables(db, big);
      await createUploadTables(db);
    },
  },
  {
    name: '0101-images-gc-runs',
    async up(db: Kysely<unknown>) {
      await db.schema.createTable('registry_gc_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .addColumn('dry_run', 'integer', (c) => c.notNull())
        .addColumn('triggered_by', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('result', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('registry_gc_runs_started').on('registry_gc_runs').column('started_at').execute();
    },
  },
  {
    name: '0102-images-policies',
    async up(db: Kysely<unknown>) {
      await db.schema.createTable('registry_policies')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project', 'text', (c) => c.notNull().references('registry_projects.name').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('registry_policies_project').on('registry_policies').columns(['project', 'kind']).execute();
    },
  },
  {
    name: '0103-images-tenant-quotas',
    async up(db: Kysely<unknown>, dialect: Dialect) {
      await db.schema.createTable('registry_tenant_quotas')
        .addColumn('tenant', 'text', (c) => c.primaryKey())
        .addColumn('storage_limit', bigintType(dialect), (c) => c.notNull())
        .addColumn('artifact_limit', bigintType(dialect), (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  {
    name: '0104-images-retention-runs',
    async up(db: Kysely<unknown>) {
      await db.schema.createTable('registry_retention_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project', 'text', (c) => c.notNull().references('registry_projects.name').onDelete('cascade'))
        .addColumn('time', 'text', (c) => c.notNull())
        .addColumn('dry_run', 'integer', (c) => c.notNull())
        .addColumn('triggered_by', 'text', (c) => c.notNull())
        .addColumn('result', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('registry_retention_runs_project').on('registry_retention_runs').columns(['project', 'time']).execute();
    },
  },
  {
    // Deleting a user left its memberships behind until the deletion removed them too; a new
    // user of the same name would inherit what is left from then.
    name: '0105-images-members-of-deleted-users',
    async up(db: Kysely<unknown>) {
      await sql`delete from registry_members where user_name not in (select name from users)`.execute(db);
    },
  },
  {
    // Immutability and retention patterns let `*` cross `/` until the registry got one pattern
    // language (`pattern.ts`), where `*` stays inside a segment: stored patterns are rewritten to
    // match what they matched, and empty ones (which meant "all") spelled out.
    name: '0106-images-policy-patterns',
    async up(db: Kysely<unknown>) {
      const k = db as unknown as Kysely<Pick<ImagesTables, 'registry_policies'>>;
      for (const r of await k.selectFrom('registry_policies').select(['id', 'kind', 'spec']).execute()) {
        const spec = JSON.parse(r.spec) as { repositories?: string; tags?: string };
        const next = { ...spec, repositories: fromCrossingPattern(spec.repositories || '*'), ...(r.kind === 'immutability' ? { tags: spec.tags || '*' } : {}) };
        const text = JSON.stringify(next);
        if (text !== r.spec) await k.updateTable('registry_policies').set({ spec: text }).where('id', '=', r.id).execute();
      }
    },
  },
];

/** A tenant's registry quota; -1 means none. */
export async function tenantQuota(db: Db, tenant: string): Promise<{ storageLimit: number; artifactLimit: number }> {
  const r = await db.selectFrom('registry_tenant_quotas').selectAll().where('tenant', '=', tenant).executeTakeFirst();
  return { storageLimit: r ? Number(r.storage_limit) : -1, artifactLimit: r ? Number(r.artifact_limit) : -1 };
}

/** Bytes stored by a tenant's projects, each distinct blob counted once. */
export async function tenantBytes(db: Db, tenant: string): Promise<number> {
  const r = await sql<{ total: number | string | null }>`select sum(size) as total from (select distinct rb.digest, rb.size from registry_repository_blobs rb join registry_projects p on p.name = rb.project where p.tenant = ${tenant}) t`.execute(db);
  return Number(r.rows[0]?.total ?? 0);
}

/** True when one of the tenant's projects already counts a blob. */
export async function tenantHasBlob(db: Db, tenant: string, digest: string): Promise<boolean> {
  return (await db.selectFrom('registry_repository_blobs').innerJoin('registry_projects', 'registry_projects.name', 'registry_repository_blobs.project')
    .select('registry_repository_blobs.digest').where('registry_projects.tenant', '=', tenant).where('registry_repository_blobs.digest', '=', digest).limit(1).executeTakeFirst()) !== undefined;
}

/** Manifests stored in a tenant's projects. */
export async function tenantArtifacts(db: Db, tenant: string): Promise<number> {
  const r = await db.selectFrom('registry_manifests').innerJoin('registry_repositories', 'registry_repositories.name', 'registry_manifests.repository')
    .innerJoin('registry_projects', 'registry_projects.name', 'registry_repositories.project')
    .select((eb) => eb.fn.countAll<number>().as('n')).where('registry_projects.tenant', '=', tenant).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Immutability rules of a project. */
export async function immutabilityRules(db: Db, project: string): Promise<ImmutabilityRule[]> {
  const rows = await db.selectFrom('registry_policies').select(['id', 'spec']).where('project', '=', project).where('kind', '=', 'immutability').orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, ...(JSON.parse(r.spec) as { repositories: string; tags: string }) }));
}

/** A project row as the model type. */
export function toProject(r: ProjectsTable): Project {
  return {
    name: r.name, tenant: r.tenant, public: Number(r.public) === 1, storageLimit: Number(r.storage_limit),
    artifactLimit: Number(r.artifact_limit), rateLimit: Number(r.rate_limit), createdAt: r.created_at, createdBy: r.created_by,
  };
}

/** A member row as the model type. */
export function toMember(r: MembersTable): Member {
  return { project: r.project, user: r.user_name, role: r.role as ProjectRole, repositories: r.repositories, createdAt: r.created_at };
}

/** A robot row as the model type (without its secret digest). */
export function toRobot(r: RobotsTable): Robot {
  return {
    project: r.project, name: r.name, username: robotUsername(r.project, r.name), description: r.description,
    permissions: JSON.parse(r.permissions) as RobotPermission[], expiresAt: r.expires_at, revoked: r.revoked_at !== null,
    createdAt: r.created_at, createdBy: r.created_by,
  };
}

export async function findProject(db: Db, name: string): Promise<Project | undefined> {
  const r = await db.selectFrom('registry_projects').selectAll().where('name', '=', name).executeTakeFirst();
  return r ? toProject(r) : undefined;
}

export async function listProjects(db: Db): Promise<Project[]> {
  return (await db.selectFrom('registry_projects').selectAll().orderBy('name').execute()).map(toProject);
}

export async function projectMembers(db: Db, project: string): Promise<Member[]> {
  return (await db.selectFrom('registry_members').selectAll().where('project', '=', project).orderBy('user_name').orderBy('repositories').execute()).map(toMember);
}

/** Every membership of one user, across projects. */
export async function membershipsOf(db: Db, user: string): Promise<Member[]> {
  return (await db.selectFrom('registry_members').selectAll().where('user_name', '=', user).execute()).map(toMember);
}

export async function findRobotRow(db: Db, project: string, name: string): Promise<RobotsTable | undefined> {
  return db.selectFrom('registry_robots').selectAll().where('project', '=', project).where('name', '=', name).executeTakeFirst();
}

/** Bytes stored by a project, each distinct blob counted once. */
export async function projectBytes(db: Db, project: string): Promise<number> {
  const r = await sql<{ total: number | string | null }>`select sum(size) as total from (select distinct digest, size from registry_repository_blobs where project = ${project}) t`.execute(db);
  return Number(r.rows[0]?.total ?? 0);
}

/** Manifests stored in a project. */
export async function projectArtifacts(db: Db, project: string): Promise<number> {
  const r = await db.selectFrom('registry_manifests').innerJoin('registry_repositories', 'registry_repositories.name', 'registry_manifests.repository')
    .select((eb) => eb.fn.countAll<number>().as('n')).where('registry_repositories.project', '=', project).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Usage of every project that stores anything, by project name (a blob counted once per project). */
export async function projectsUsage(db: Db): Promise<ReadonlyMap<string, { storageBytes: number; artifacts: number; repositories: number }>> {
  const bytes = await sql<{ project: string; total: number | string | null }>`select project, sum(size) as total from (select distinct project, digest, size from registry_repository_blobs) t group by project`.execute(db);
  const artifacts = await db.selectFrom('registry_manifests').innerJoin('registry_repositories', 'registry_repositories.name', 'registry_manifests.repository')
    .select(['registry_repositories.project as project', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('registry_repositories.project').execute();
  const repositories = await db.selectFrom('registry_repositories').select(['project', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('project').execute();
  const out = new Map<string, { storageBytes: number; artifacts: number; repositories: number }>();
  const entry = (project: string) => {
    let e = out.get(project);
    if (!e) out.set(project, (e = { storageBytes: 0, artifacts: 0, repositories: 0 }));
    return e;
  };
  for (const r of bytes.rows) entry(r.project).storageBytes = Number(r.total ?? 0);
  for (const r of artifacts) entry(r.project).artifacts = Number(r.n);
  for (const r of repositories) entry(r.project).repositories = Number(r.n);
  return out;
}

/** True when the project already counts a blob. */
export async function projectHasBlob(db: Db, project: string, digest: string): Promise<boolean> {
  return (await db.selectFrom('registry_repository_blobs').select('digest').where('project', '=', project).where('digest', '=', digest).limit(1).executeTakeFirst()) !== undefined;
}

export async function repositoryHasBlob(db: Db, repository: string, digest: string): Promise<{ size: number } | undefined> {
  const r = await db.selectFrom('registry_repository_blobs').select('size').where('repository', '=', repository).where('digest', '=', digest).executeTakeFirst();
  return r ? { size: Number(r.size) } : undefined;
}

/** Ensures the repository row exists (idempotent). */
export async function ensureRepository(db: Db, name: string, project: string, now: string): Promise<void> {
  await db.insertInto('registry_repositories').values({ name, project, created_at: now, updated_at: now, pull_count: 0 })
    .onConflict((oc) => oc.column('name').doUpdateSet({ updated_at: now })).execute();
}

/** Links a verified blob into a repository (idempotent); records the blob itself too. */
export async function linkBlob(db: Db, repository: string, project: string, digest: string, size: number, now: string): Promise<void> {
  await ensureRepository(db, repository, project, now);
  await db.insertInto('registry_blobs').values({ digest, size, created_at: now }).onConflict((oc) => oc.column('digest').doUpdateSet({ created_at: now })).execute();
  await db.insertInto('registry_repository_blobs').values({ repository, project, digest, size, created_at: now })
    .onConflict((oc) => oc.columns(['repository', 'digest']).doUpdateSet({ created_at: now })).execute();
}

/** Marks links as just used; returns how many of `digests` the repository links. */
export async function touchLinks(db: Db, repository: string, digests: readonly string[], now: string): Promise<number> {
  const r = await db.updateTable('registry_repository_blobs').set({ created_at: now }).where('repository', '=', repository).where('digest', 'in', [...digests]).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function findManifest(db: Db, repository: string, digest: string): Promise<ManifestsTable | undefined> {
  return db.selectFrom('registry_manifests').selectAll().where('repository', '=', repository).where('digest', '=', digest).executeTakeFirst();
}

export async function findTaggedManifest(db: Db, repository: string, tag: string): Promise<ManifestsTable | undefined> {
  return db.selectFrom('registry_tags').innerJoin('registry_manifests', (j) => j.onRef('registry_manifests.repository', '=', 'registry_tags.repository').onRef('registry_manifests.digest', '=', 'registry_tags.digest'))
    .selectAll('registry_manifests').where('registry_tags.repository', '=', repository).where('registry_tags.tag', '=', tag).executeTakeFirst();
}

export async function findTag(db: Db, repository: string, tag: string): Promise<TagsTable | undefined> {
  return db.selectFrom('registry_tags').selectAll().where('repository', '=', repository).where('tag', '=', tag).executeTakeFirst();
}

/** Tags of a repository in lexical order after `last`, at most `n` (all when n is undefined). */
export async function listTags(db: Db, repository: string, n: number | undefined, last: string | undefined): Promise<string[]> {
  let q = db.selectFrom('registry_tags').select('tag').where('repository', '=', repository);
  if (last !== undefined) q = q.where('tag', '>', last);
  q = q.orderBy('tag');
  if (n !== undefined) q = q.limit(n);
  return (await q.execute()).map((r) => r.tag);
}

export async function repositoryExists(db: Db, repository: string): Promise<boolean> {
  return (await db.selectFrom('registry_repositories').select('name').where('name', '=', repository).executeTakeFirst()) !== undefined;
}

export async function findUpload(db: Db, id: string): Promise<UploadsTable | undefined> {
  return db.selectFrom('registry_uploads').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Manifests in `repository` whose subject is `digest` (the referrers API). */
export async function referrers(db: Db, repository: string, digest: string): Promise<ManifestsTable[]> {
  return db.selectFrom('registry_manifests').selectAll().where('repository', '=', repository).where('subject', '=', digest).orderBy('digest').execute();
}

/** Every repository name, in order, after `last` (the catalog walks it and filters). */
export async function listRepositoryNames(db: Db, after: string | undefined, limit: number): Promise<{ name: string; project: string }[]> {
  let q = db.selectFrom('registry_repositories').select(['name', 'project']);
  if (after !== undefined) q = q.where('name', '>', after);
  return q.orderBy('name').limit(limit).execute();
}
