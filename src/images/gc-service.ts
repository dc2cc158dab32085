// Online garbage collection, mark and sweep, safe against concurrent pushes:
// 1. links (repository → blob) that no manifest of the repository references and that are older
//    than the grace period are removed in one statement (a manifest push touches the links it
//    uses, in its transaction, so a link it relies on is never old);
// 2. blobs no repository links any more, older than the grace period, are deleted one by one,
//    each in a transaction that holds the blob's row and checks again (no link, the file not
//    rewritten meanwhile); a push that links the blob takes the same row and checks the file;
// 3. uploads idle for longer than the upload lifetime are cancelled (also on their own, more
//    often: sweepUploads).
// A dry run reports what would go and changes nothing. Runs are recorded.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../platform/db/database.ts';
import type { AuditLog } from '../platform/audit/service.ts';
import { recordChange } from '../platform/usecase.ts';
import type { BlobStore } from './blobstore/types.ts';
import { imagesDb, type Db } from './store.ts';
import * as gcStore from './gc-store.ts';
import * as registryStore from './registry-store.ts';
import type { UsageCache } from './usage-cache.ts';

/** Rolls a sweep back: the blob stays. */
class KeepBlob extends Error {}

/** What a run did (or, dry, would do). */
export interface GcResult {
  readonly dryRun: boolean;
  readonly linksRemoved: number;
  readonly blobsDeleted: number;
  readonly bytesFreed: number;
  readonly uploadsRemoved: number;
  /** Digests of the blobs deleted (or that would be), at most 1000. */
  readonly blobs: readonly string[];
}

/** A recorded run. */
export interface GcRun {
  readonly id: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly triggeredBy: string;
  readonly status: 'running' | 'succeeded' | 'failed';
  readonly result: GcResult | { readonly error: string } | null;
}

export interface GcOptions {
  readonly db: Database;
  readonly blobs: BlobStore;
  readonly audit: AuditLog;
  readonly logger: Logger;
  /** Links and blobs younger than this are kept (ms): they may belong to a push in progress. */
  readonly graceMs?: number;
  /** Uploads idle this long are abandoned (ms). */
  readonly uploadTtlMs?: number;
  /** Storage usage as the quota bound reads it: forgotten when a run removes links. */
  readonly usage: UsageCache;
  readonly now?: () => Date;
}

/** The registry's garbage collector. One instance per server; runs do not overlap. */
export class GarbageCollector {
  readonly #db: Database;
  readonly #blobs: BlobStore;
  readonly #audit: AuditLog;
  readonly #logger: Logger;
  readonly #graceMs: number;
  readonly #uploadTtlMs: number;
  readonly #usage: UsageCache;
  readonly #now: () => Date;
  #running: Promise<unknown> = Promise.resolve();

  constructor(o: GcOptions) {
    this.#db = o.db;
    this.#blobs = o.blobs;
    this.#audit = o.audit;
    this.#logger = o.logger;
    this.#graceMs = o.graceMs ?? 60 * 60 * 1000;
    this.#uploadTtlMs = o.uploadTtlMs ?? 24 * 60 * 60 * 1000;
    this.#usage = o.usage;
    this.#now = o.now ?? (() => new Date());
  }

  get #k(): Db {
    return imagesDb(this.#db.kysely);
  }

  /** Runs a collection (after any run in progress) and records it. Audited unless dry. */
  run(opts: { dryRun: boolean; triggeredBy: string; requestId?: string; sourceIp?: string }): Promise<GcRun> {
    const next = this.#running.then(() => this.#record(opts));
    this.#running = next.catch(() => undefined);
    return next;
  }

  async #record(opts: { dryRun: boolean; triggeredBy: string; requestId?: string; sourceIp?: string }): Promise<GcRun> {
    const id = randomUUID();
    const startedAt = this.#now().toISOString();
    await gcStore.insertGcRun(this.#k, { id, started_at: startedAt, finished_at: null, dry_run: opts.dryRun ? 1 : 0, triggered_by: opts.triggeredBy, status: 'running', result: 'null' });
    try {
      const result = await this.#collect(opts.dryRun);
      const finishedAt = this.#now().toISOString();
      await this.#db.transaction(async (raw) => {
        await gcStore.finishGcRun(imagesDb(raw), id, { finished_at: finishedAt, status: 'succeeded', result: JSON.stringify(result) });
        if (!opts.dryRun) {
          await recordChange(this.#audit, raw, { name: opts.triggeredBy, sourceIp: opts.sourceIp ?? '', requestId: opts.requestId ?? id }, '', {
            action: 'gc', resource: 'gc', name: id, detail: { linksRemoved: result.linksRemoved, blobsDeleted: result.blobsDeleted, bytesFreed: result.bytesFreed, uploadsRemoved: result.uploadsRemoved },
          });
        }
      });
      return { id, startedAt, finishedAt, triggeredBy: opts.triggeredBy, status: 'succeeded', result };
    } catch (err) {
      this.#logger.error({ err }, 'registry garbage collection failed');
      const finishedAt = this.#now().toISOString();
      const result = { error: (err as Error).message };
      await gcStore.finishGcRun(this.#k, id, { finished_at: finishedAt, status: 'failed', result: JSON.stringify(result) });
      return { id, startedAt, finishedAt, triggeredBy: opts.triggeredBy, status: 'failed', result };
    }
  }

  /** The newest runs first. */
  async list(limit = 50): Promise<GcRun[]> {
    const rows = await gcStore.gcRuns(this.#k, limit);
    return rows.map((r) => ({ id: r.id, startedAt: r.started_at, finishedAt: r.finished_at, triggeredBy: r.triggered_by, status: r.status as GcRun['status'], result: JSON.parse(r.result) as GcRun['result'] }));
  }

  async #collect(dryRun: boolean): Promise<GcResult> {
    const now = this.#now().getTime();
    const cutoff = new Date(now - this.#graceMs).toISOString();
    const linksRemoved = dryRun ? (await gcStore.unreferencedLinks(this.#k, cutoff)).length : await gcStore.deleteUnreferencedLinks(this.#k, cutoff);
    if (!dryRun && linksRemoved > 0) this.#usage.clear();
    // In a dry run the links above still exist: count them as gone when deciding on blobs.
    const goingLinks = dryRun ? new Set((await gcStore.unreferencedLinks(this.#k, cutoff)).map((l) => `${l.repository}@${l.digest}`)) : new Set<string>();

    let blobsDeleted = 0;
    let bytesFreed = 0;
    const deleted: string[] = [];
    for await (const blob of this.#blobs.list()) {
      if (blob.modifiedAt.getTime() > now - this.#graceMs) continue;
      const links = await gcStore.linksOfBlob(this.#k, blob.digest);
      if (links.some((repository) => !goingLinks.has(`${repository}@${blob.digest}`))) continue;
      if (!dryRun && !(await this.#sweep(blob.digest, cutoff))) continue;
      blobsDeleted++;
      bytesFreed += blob.size;
      if (deleted.length < 1000) deleted.push(blob.digest);
    }

    const uploadsRemoved = await this.sweepUploads(dryRun);
    return { dryRun, linksRemoved, blobsDeleted, bytesFreed, uploadsRemoved, blobs: deleted };
  }

  /**
   * Cancels the uploads idle for longer than the upload lifetime, and upload files that have no
   * session; returns how many (that would go, when dry). An upload is idle when neither its
   * session nor its file changed for that long: a single request that is still streaming bytes
   * into the file is not idle. Idempotent; safe beside a collection run and on several replicas.
   */
  async sweepUploads(dryRun = false): Promise<number> {
    const cutoff = this.#now().getTime() - this.#uploadTtlMs;
    const files = new Map<string, number>();
    for await (const u of this.#blobs.listUploads()) files.set(u.id, u.modifiedAt.getTime());
    const rows = await gcStore.uploadSessions(this.#k);
    const idle = rows.filter((r) => Date.parse(r.updated_at) < cutoff && (files.get(r.id) ?? 0) < cutoff).map((r) => r.id);
    const known = new Set(rows.map((r) => r.id));
    const orphans = [...files].filter(([id, modified]) => !known.has(id) && modified < cutoff).map(([id]) => id);
    if (dryRun) return idle.length + orphans.length;
    for (const id of [...idle, ...orphans]) {
      await this.#blobs.cancel(id);
      await registryStore.deleteUpload(this.#k, id);
    }
    return idle.length + orphans.length;
  }

  /**
   * Deletes one blob if it is still unlinked and old; false when it was kept. One transaction
   * holds the blob's row while the file goes: a push links a blob by upserting that row in its
   * own transaction and checks the file there, so it either waits and finds the file gone (and
   * fails cleanly: the client uploads again) or links first, and then the blob is not swept.
   */
  async #sweep(digest: string, cutoff: string): Promise<boolean> {
    return this.#db.transaction(async (raw) => {
      const tx = imagesDb(raw);
      // A file without a row (a push that died between file and row) is locked the same way:
      // an old placeholder row, taken and deleted in this transaction.
      await gcStore.ensureBlobRow(tx, digest);
      if (!(await gcStore.deleteUnlinkedBlob(tx, digest, cutoff))) throw new KeepBlob();
      // A file written since the listing belongs to a push about to link it: keep it.
      const again = await this.#blobs.stat(digest);
      if (!again || again.modifiedAt.getTime() >= Date.parse(cutoff)) throw new KeepBlob();
      return this.#blobs.delete(digest);
    }).catch((err: unknown) => {
      if (err instanceof KeepBlob) return false;
      throw err;
    });
  }
}
