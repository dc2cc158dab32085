// Persistence of projects as an aggregate: the project row and what is deleted with it. Reads
// shared with the rest of the registry (findProject, usage) stay in store.ts.
import type { Queryable } from '../platform/db/database.ts';
import type { PlatformTables } from '../platform/db/schema.ts';
import type { Db, ImagesTables, ProjectsTable } from './store.ts';

/**
 * The registry's view of a platform handle or transaction (one from usecase.ts `change`): the
 * same connection, typed with the registry's tables. Its tables live in the same database, so
 * the cast only widens what the type knows.
 */
export function imagesDb(q: Queryable<PlatformTables>): Db {
  return q.withTables<ImagesTables>() as unknown as Db;
}

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
