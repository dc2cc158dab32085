// Persistence of the distribution use cases (registry-service.ts, pull-service.ts): upload
// sessions, blob links, manifests with their references and tags, pull counters. Reads shared
// with the rest of the registry (findManifest, findTag, quotas) stay in store.ts.
import { sql } from 'kysely';
import type { Db, ManifestsTable, UploadsTable } from './store.ts';

// ---- uploads ----

/** Records a new upload session. */
export async function insertUpload(db: Db, row: UploadsTable): Promise<void> {
  await db.insertInto('registry_uploads').values(row).execute();
}

/** Deletes upload session `id` (if any). Idempotent. */
export async function deleteUpload(db: Db, id: string): Promise<void> {
  await db.deleteFrom('registry_uploads').where('id', '=', id).execute();
}

/** Marks upload `id` as just written to (what garbage collection's idle bound reads). */
export async function touchUpload(db: Db, id: string, now: string): Promise<void> {
  await db.updateTable('registry_uploads').set({ updated_at: now }).where('id', '=', id).execute();
}

/** Upload sessions opened by `principal`. */
export async function uploadsBy(db: Db, principal: string): Promise<number> {
  const r = await db.selectFrom('registry_uploads').select((eb) => eb.fn.countAll<number>().as('n')).where('started_by', '=', principal).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Upload sessions in the repositories of project `project`. */
export async function uploadsIn(db: Db, project: string): Promise<number> {
  // A project is the repository name's first segment; LIKE would read "_" in its name as a wildcard.
  const prefix = `${project}/`;
  const r = await db.selectFrom('registry_uploads').select((eb) => eb.fn.countAll<number>().as('n'))
    .where(sql<string>`substr(repository, 1, ${prefix.length})`, '=', prefix).executeTakeFirst();
  return Number(r?.n ?? 0);
}

// ---- blob links ----

/** Unlinks blob `digest` from `repository`; false when it was not linked. */
export async function unlinkBlob(db: Db, repository: string, digest: string): Promise<boolean> {
  const r = await db.deleteFrom('registry_repository_blobs').where('repository', '=', repository).where('digest', '=', digest).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

// ---- manifests and tags ----

/**
 * Stores a manifest row and its references to blobs and child manifests, once each. Idempotent:
 * rows already there are kept as they are.
 */
export async function insertManifest(db: Db, row: ManifestsTable, refs: readonly { child: string; kind: 'blob' | 'manifest' }[]): Promise<void> {
  await db.insertInto('registry_manifests').values(row).onConflict((oc) => oc.columns(['repository', 'digest']).doNothing()).execute();
  const seen = new Set<string>();
  for (const r of refs) {
    if (seen.has(r.child)) continue;
    seen.add(r.child);
    await db.insertInto('registry_manifest_refs').values({ repository: row.repository, digest: row.digest, child: r.child, kind: r.kind })
      .onConflict((oc) => oc.columns(['repository', 'digest', 'child']).doNothing()).execute();
  }
}

/** Points `tag` of `repository` at `digest`, creating or moving it. */
export async function setTag(db: Db, repository: string, tag: string, digest: string, now: string): Promise<void> {
  await db.insertInto('registry_tags').values({ repository, tag, digest, updated_at: now })
    .onConflict((oc) => oc.columns(['repository', 'tag']).doUpdateSet({ digest, updated_at: now })).execute();
}

/** The tags of `repository` that point at `digest`. */
export async function tagsOf(db: Db, repository: string, digest: string): Promise<string[]> {
  return (await db.selectFrom('registry_tags').select('tag').where('repository', '=', repository).where('digest', '=', digest).execute()).map((t) => t.tag);
}

/** Deletes manifest `digest` of `repository` with its tags and references; false when it was not there. */
export async function deleteManifest(db: Db, repository: string, digest: string): Promise<boolean> {
  const r = await db.deleteFrom('registry_manifests').where('repository', '=', repository).where('digest', '=', digest).executeTakeFirst();
  if (Number(r.numDeletedRows) === 0) return false;
  await db.deleteFrom('registry_tags').where('repository', '=', repository).where('digest', '=', digest).execute();
  await db.deleteFrom('registry_manifest_refs').where('repository', '=', repository).where('digest', '=', digest).execute();
  return true;
}

/** Deletes `tag` of `repository`; false when it was not there. */
export async function deleteTag(db: Db, repository: string, tag: string): Promise<boolean> {
  const r = await db.deleteFrom('registry_tags').where('repository', '=', repository).where('tag', '=', tag).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

// ---- pulls ----

/** Adds `n` pulls to the counter of `repository`. */
export async function countPulls(db: Db, repository: string, n: number): Promise<void> {
  await db.updateTable('registry_repositories').set((eb) => ({ pull_count: eb('pull_count', '+', n) })).where('name', '=', repository).execute();
}

/** Records when manifest `digest` of `repository` was last pulled. */
export async function markPulled(db: Db, repository: string, digest: string, time: string): Promise<void> {
  await db.updateTable('registry_manifests').set({ pulled_at: time }).where('repository', '=', repository).where('digest', '=', digest).execute();
}
