// Persistence of projects as an aggregate: the project row and what hangs off it (members,
// robots, tenant quotas, the repositories as the API lists and deletes them). Reads shared with
// the rest of the registry (findProject, usage, access) stay in store.ts.
import type { Dialect, Queryable } from '../platform/db/database.ts';
import type { PlatformTables } from '../platform/db/schema.ts';
import type { Db, MembersTable, ProjectsTable, RepositoriesTable, RobotsTable, TenantQuotasTable } from './store.ts';

/** Inserts a project row; a taken name fails with a unique violation. */
export async function insertProject(tx: Db, row: ProjectsTable): Promise<void> {
  await tx.insertInto('registry_projects').values(row).execute();
}

/** Sets the given visibility and limit columns of project `name`. */
export async function updateProjectSettings(tx: Db, name: string, set: Partial<Pick<ProjectsTable, 'public' | 'storage_limit' | 'artifact_limit' | 'rate_limit'>>): Promise<void> {
  await tx.updateTable('registry_projects').set(set).where('name', '=', name).execute();
}

/** Repositories in project `name`. */
export async function countRepositories(db: Db, name: string): Promise<number> {
  const r = await db.selectFrom('registry_repositories').select((eb) => eb.fn.countAll<number>().as('n')).where('project', '=', name).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** The name of one repository of project `name`, if it has any. */
export async function someRepository(db: Db, name: string): Promise<string | undefined> {
  return (await db.selectFrom('registry_repositories').select('name').where('project', '=', name).limit(1).executeTakeFirst())?.name;
}

/** Deletes project `name` with its members, robots, policies and retention runs (not its repositories). */
export async function deleteProject(tx: Db, name: string): Promise<void> {
  for (const table of ['registry_members', 'registry_robots', 'registry_policies', 'registry_retention_runs'] as const) {
    await tx.deleteFrom(table).where('project', '=', name).execute();
  }
  await tx.deleteFrom('registry_projects').where('name', '=', name).execute();
}

/**
 * True when user `user` exists; on PostgreSQL its row is share-locked until the transaction
 * ends, so that deleting the user waits (SQLite runs one writing transaction at a time).
 */
export async function holdUser(tx: Queryable<PlatformTables>, dialect: Dialect, user: string): Promise<boolean> {
  let q = tx.selectFrom('users').select('name').where('name', '=', user);
  if (dialect === 'postgres') q = q.forShare();
  return (await q.executeTakeFirst()) !== undefined;
}

/** The repository patterns of `user`'s grants in project `project`. */
export async function grantsOf(db: Db, project: string, user: string): Promise<string[]> {
  return (await db.selectFrom('registry_members').select('repositories').where('project', '=', project).where('user_name', '=', user).execute()).map((g) => g.repositories);
}

/** Inserts a grant, or sets the role of the same grant. */
export async function upsertMember(tx: Db, row: MembersTable): Promise<void> {
  await tx.insertInto('registry_members').values(row)
    .onConflict((oc) => oc.columns(['project', 'user_name', 'repositories']).doUpdateSet({ role: row.role })).execute();
}

/** Deletes one grant; false when there was none. */
export async function deleteMember(tx: Db, project: string, user: string, repositories: string): Promise<boolean> {
  const r = await tx.deleteFrom('registry_members').where('project', '=', project).where('user_name', '=', user).where('repositories', '=', repositories).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Deletes every grant `user` holds and returns them (with each project's tenant), in project and pattern order. */
export async function deleteMemberships(tx: Db, user: string): Promise<{ project: string; repositories: string; tenant: string }[]> {
  const grants = await tx.selectFrom('registry_members').innerJoin('registry_projects', 'registry_projects.name', 'registry_members.project')
    .select(['registry_members.project', 'registry_members.repositories', 'registry_projects.tenant'])
    .where('registry_members.user_name', '=', user).orderBy('registry_members.project').orderBy('registry_members.repositories').execute();
  if (grants.length > 0) await tx.deleteFrom('registry_members').where('user_name', '=', user).execute();
  return grants;
}

/** The robots of project `project`, in name order. */
export async function listRobots(db: Db, project: string): Promise<RobotsTable[]> {
  return db.selectFrom('registry_robots').selectAll().where('project', '=', project).orderBy('name').execute();
}

/** Inserts a robot row; a taken name fails with a unique violation. */
export async function insertRobot(tx: Db, row: RobotsTable): Promise<void> {
  await tx.insertInto('registry_robots').values(row).execute();
}

/** Deletes robot `name` of project `project`; false when there was none. */
export async function deleteRobot(tx: Db, project: string, name: string): Promise<boolean> {
  const r = await tx.deleteFrom('registry_robots').where('project', '=', project).where('name', '=', name).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Sets a tenant's registry quota. */
export async function upsertTenantQuota(tx: Db, row: TenantQuotasTable): Promise<void> {
  await tx.insertInto('registry_tenant_quotas').values(row)
    .onConflict((oc) => oc.column('tenant').doUpdateSet({ storage_limit: row.storage_limit, artifact_limit: row.artifact_limit, updated_at: row.updated_at })).execute();
}

/** The repositories of project `project`, in name order. */
export async function listRepositories(db: Db, project: string): Promise<RepositoriesTable[]> {
  return db.selectFrom('registry_repositories').selectAll().where('project', '=', project).orderBy('name').execute();
}

/** Manifests per repository, for the given repositories (those without any are absent). */
export async function artifactCounts(db: Db, repositories: readonly string[]): Promise<Map<string, number>> {
  if (repositories.length === 0) return new Map();
  const counts = await db.selectFrom('registry_manifests').select(['repository', (eb) => eb.fn.countAll<number>().as('n')])
    .where('repository', 'in', repositories).groupBy('repository').execute();
  return new Map(counts.map((c) => [c.repository, Number(c.n)]));
}

/** The manifests of `repository`, newest first, and its tags in tag order. */
export async function artifactsOf(db: Db, repository: string) {
  const manifests = await db.selectFrom('registry_manifests').select(['repository', 'digest', 'media_type', 'artifact_type', 'size', 'subject', 'created_at', 'pushed_by', 'pulled_at'])
    .where('repository', '=', repository).orderBy('created_at', 'desc').orderBy('digest').execute();
  const tags = await db.selectFrom('registry_tags').select(['tag', 'digest']).where('repository', '=', repository).orderBy('tag').execute();
  return { manifests, tags };
}

/** Deletes `repository` with its manifests, tags and blob links (garbage collection frees the bytes). */
export async function deleteRepository(tx: Db, repository: string): Promise<void> {
  await tx.deleteFrom('registry_repositories').where('name', '=', repository).execute();
  for (const table of ['registry_repository_blobs', 'registry_tags', 'registry_manifest_refs', 'registry_manifests'] as const) {
    await tx.deleteFrom(table).where('repository', '=', repository).execute();
  }
}
