// Pull records: every manifest pull is audited and counted, in batches, so that a busy
// registry does not take the audit chain's lock once per GET. A batch is written within
// `flushMs`; close() writes what is pending.
import type { Logger } from 'pino';
import type { Database } from '../platform/db/database.ts';
import type { AuditLog } from '../platform/audit/service.ts';
import { recordChange } from '../platform/usecase.ts';
import { imagesDb } from './store.ts';
import * as registryStore from './registry-store.ts';

/** One pull to record. */
export interface PullEntry {
  readonly actor: string;
  readonly sourceIp: string;
  readonly requestId: string;
  readonly repository: string;
  readonly project: string;
  readonly tenant: string;
  readonly reference: string;
  readonly digest: string;
}

/** A pull as written: stamped with the time it was recorded. */
interface StampedPull extends PullEntry {
  readonly time: string;
}

/** Batches pull audit records and pull counters. One instance per server. */
export class PullLog {
  readonly #db: Database;
  readonly #audit: AuditLog;
  readonly #logger: Logger;
  readonly #flushMs: number;
  readonly #now: () => Date;
  #pending: StampedPull[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  /** `now` is the clock pulls are stamped with (default: the system's). */
  constructor(db: Database, audit: AuditLog, logger: Logger, flushMs = 500, now: () => Date = () => new Date()) {
    this.#db = db;
    this.#audit = audit;
    this.#logger = logger;
    this.#flushMs = flushMs;
    this.#now = now;
  }

  /** Queues a pull, stamped now; it is written within the flush interval. */
  record(e: PullEntry): void {
    this.#pending.push({ ...e, time: this.#now().toISOString() });
    if (this.#pending.length >= 500) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.#flushMs);
  }

  /** Writes every queued pull now. Resolves when written; failures are logged, not thrown. */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return this.#writing;
    this.#writing = this.#writing.then(() => this.#write(batch)).catch((err: unknown) => {
      this.#logger.error({ err, pulls: batch.length }, 'could not record registry pulls');
    });
    return this.#writing;
  }

  async #write(batch: readonly StampedPull[]): Promise<void> {
    const perRepo = new Map<string, number>();
    const lastPull = new Map<string, { repository: string; digest: string; time: string }>();
    for (const e of batch) {
      perRepo.set(e.repository, (perRepo.get(e.repository) ?? 0) + 1);
      lastPull.set(`${e.repository}@${e.digest}`, { repository: e.repository, digest: e.digest, time: e.time });
    }
    // Lock order matters on PostgreSQL: rows in name order, then the audit chain's lock last,
    // as every registry transaction does, so no two transactions wait on each other.
    await this.#db.transaction(async (raw) => {
      const tx = imagesDb(raw);
      for (const repository of [...perRepo.keys()].sort()) await registryStore.countPulls(tx, repository, perRepo.get(repository) ?? 0);
      for (const key of [...lastPull.keys()].sort()) {
        const p = lastPull.get(key);
        if (p) await registryStore.markPulled(tx, p.repository, p.digest, p.time);
      }
      for (const e of batch) {
        await recordChange(this.#audit, raw, { name: e.actor, sourceIp: e.sourceIp, requestId: e.requestId }, e.tenant, {
          action: 'pull', resource: 'artifacts', name: e.repository, detail: { project: e.project, repository: e.repository, reference: e.reference, digest: e.digest },
        });
      }
    });
  }

  /** Writes what is pending and stops the timer. */
  close(): Promise<void> {
    return this.flush();
  }
}
