// Persistence of garbage collection: its run records, and the link, blob and upload rows a
// collection removes (an upload's row through registry-store.ts, as its owner removes it). The protocol that makes a sweep safe against pushes (docs/adr/0007) is in
// gc-service.ts; the statements here are its steps and keep their shape (each condition is
// checked in the statement that removes the row).
import { sql } from 'kysely';
import type { Db, GcRunsTable } from './store.ts';

/** Records a run that has started. */
export async function insertGcRun(db: Db, row: GcRunsTable): Promise<void> {
  await db.insertInto('registry_gc_runs').values(row).execute();
}

/** Records how run `id` ended. */
export async function finishGcRun(db: Db, id: string, set: Pick<GcRunsTable, 'finished_at' | 'status' | 'result'>): Promise<void> {
  await db.updateTable('registry_gc_runs').set(set).where('id', '=', id).execute();
}

/** The newest `limit` runs, newest first. */
export async function gcRuns(db: Db, limit: number): Promise<GcRunsTable[]> {
  return db.selectFrom('registry_gc_runs').selectAll().orderBy('started_at', 'desc').limit(limit).execute();
}

/** The links (repository → blob) created before `cutoff` that no manifest of their repository references. */
export async function unreferencedLinks(db: Db, cutoff: string): Promise<{ repository: string; digest: string; size: number }[]> {
  return db.selectFrom('registry_repository_blobs as rb').select(['rb.repository', 'rb.digest', 'rb.size'])
    .where('rb.created_at', '<', cutoff)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('registry_manifest_refs as r').select(sql`1`.as('one')).whereRef('r.repository', '=', 'rb.repository').whereRef('r.child', '=', 'rb.digest'))))
    .execute();
}

/**
 * Deletes, in one statement, the links {@link unreferencedLinks} lists, and returns how many: a
 * manifest push touches the links it relies on in its transaction, so none of those is old.
 */
export async function deleteUnreferencedLinks(db: Db, cutoff: string): Promise<number> {
  const r = await db.deleteFrom('registry_repository_blobs')
    .where('created_at', '<', cutoff)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('registry_manifest_refs as r').select(sql`1`.as('one'))
      .whereRef('r.repository', '=', 'registry_repository_blobs.repository').whereRef('r.child', '=', 'registry_repository_blobs.digest'))))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** The repositories that link blob `digest`. */
export async function linksOfBlob(db: Db, digest: string): Promise<string[]> {
  return (await db.selectFrom('registry_repository_blobs').select('repository').where('digest', '=', digest).execute()).map((l) => l.repository);
}

/** Every upload session, with when it last changed. */
export async function uploadSessions(db: Db): Promise<{ id: string; updated_at: string }[]> {
  return db.selectFrom('registry_uploads').select(['id', 'updated_at']).execute();
}

/**
 * Makes sure blob `digest` has a row, so that a sweep can hold it: a file without a row (a push
 * that died between file and row) gets an old placeholder, which the sweep then takes and deletes.
 */
export async function ensureBlobRow(tx: Db, digest: string): Promise<void> {
  await tx.insertInto('registry_blobs').values({ digest, size: 0, created_at: new Date(0).toISOString() })
    .onConflict((oc) => oc.column('digest').doNothing()).execute();
}

/**
 * Deletes the row of blob `digest` if it was created before `cutoff` and no repository links
 * the blob, in one statement (in a transaction, the row stays held until it ends); false when kept.
 */
export async function deleteUnlinkedBlob(tx: Db, digest: string, cutoff: string): Promise<boolean> {
  const r = await tx.deleteFrom('registry_blobs').where('digest', '=', digest).where('created_at', '<', cutoff)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('registry_repository_blobs as rb').select(sql`1`.as('one')).where('rb.digest', '=', digest))))
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
