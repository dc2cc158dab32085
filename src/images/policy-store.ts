// Persistence of a project's policies (tag immutability rules, retention policies) and of its
// retention runs, and the reads a retention run decides on. The immutability rules as a push
// checks them stay in store.ts, beside the other reads the whole registry shares.
import type { Db, ManifestsTable, PoliciesTable, RetentionRunsTable } from './store.ts';

/** The policies of project `project`, oldest first (ties by id). */
export async function listPolicies(db: Db, project: string): Promise<PoliciesTable[]> {
  return db.selectFrom('registry_policies').selectAll().where('project', '=', project).orderBy('created_at').orderBy('id').execute();
}

/** How many policies of `kind` project `project` holds. */
export async function countPolicies(db: Db, project: string, kind: string): Promise<number> {
  const r = await db.selectFrom('registry_policies').select((eb) => eb.fn.countAll<number>().as('n')).where('project', '=', project).where('kind', '=', kind).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** The id and JSON spec of each retention policy of project `project`. */
export async function retentionSpecs(db: Db, project: string): Promise<Pick<PoliciesTable, 'id' | 'spec'>[]> {
  return db.selectFrom('registry_policies').select(['id', 'spec']).where('project', '=', project).where('kind', '=', 'retention').execute();
}

/** Inserts a policy row. */
export async function insertPolicy(tx: Db, row: PoliciesTable): Promise<void> {
  await tx.insertInto('registry_policies').values(row).execute();
}

/** Deletes policy `id` of project `project`; false when there was none. */
export async function deletePolicy(tx: Db, project: string, id: string): Promise<boolean> {
  const r = await tx.deleteFrom('registry_policies').where('project', '=', project).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Every project that holds a retention policy. */
export async function projectsWithRetention(db: Db): Promise<string[]> {
  return (await db.selectFrom('registry_policies').select('project').where('kind', '=', 'retention').groupBy('project').execute()).map((r) => r.project);
}

/** A manifest of a project as retention weighs it. */
export type ProjectManifest = Pick<ManifestsTable, 'repository' | 'digest' | 'created_at' | 'pulled_at' | 'subject'>;

/** Every manifest in the repositories of project `project`. */
export async function projectManifests(db: Db, project: string): Promise<ProjectManifest[]> {
  return db.selectFrom('registry_manifests').innerJoin('registry_repositories', 'registry_repositories.name', 'registry_manifests.repository')
    .select(['registry_manifests.repository', 'registry_manifests.digest', 'registry_manifests.created_at', 'registry_manifests.pulled_at', 'registry_manifests.subject'])
    .where('registry_repositories.project', '=', project).execute();
}

/** Every tag in the repositories of project `project`, with the digest it points at. */
export async function projectTags(db: Db, project: string): Promise<{ repository: string; tag: string; digest: string }[]> {
  return db.selectFrom('registry_tags').innerJoin('registry_repositories', 'registry_repositories.name', 'registry_tags.repository')
    .select(['registry_tags.repository', 'registry_tags.tag', 'registry_tags.digest']).where('registry_repositories.project', '=', project).execute();
}

/** Every manifest-to-child-manifest reference (an index's entries) in the repositories of project `project`. */
export async function projectManifestChildren(db: Db, project: string): Promise<{ repository: string; digest: string; child: string }[]> {
  return db.selectFrom('registry_manifest_refs').innerJoin('registry_repositories', 'registry_repositories.name', 'registry_manifest_refs.repository')
    .select(['registry_manifest_refs.repository', 'registry_manifest_refs.digest', 'registry_manifest_refs.child']).where('registry_repositories.project', '=', project).where('kind', '=', 'manifest').execute();
}

/** Records a finished retention run. */
export async function insertRetentionRun(db: Db, row: RetentionRunsTable): Promise<void> {
  await db.insertInto('registry_retention_runs').values(row).execute();
}

/** The newest `limit` retention runs of project `project`, newest first. */
export async function retentionRuns(db: Db, project: string, limit: number): Promise<RetentionRunsTable[]> {
  return db.selectFrom('registry_retention_runs').selectAll().where('project', '=', project).orderBy('time', 'desc').limit(limit).execute();
}
