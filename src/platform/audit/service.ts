// The audit log's use cases: record (inside the caller's transaction, or alone for refusals),
// list with filters and pages, export as JSON Lines or CSV, and verify the chain.
import type { Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import type { PlatformTables } from '../db/schema.ts';
import { appendAudit, auditHead, listAudit, scanAudit, type AuditEntry, type AuditFilter } from './store.ts';
import { chainStart, verifyHead, verifyRecords, type AuditRecord, type ChainBreak } from './chain.ts';

/** Result of `verify()`. */
export interface VerifyResult {
  readonly ok: boolean;
  readonly checked: number;
  readonly firstBad?: ChainBreak;
}

const csvColumns = ['seq', 'time', 'actor', 'sourceIp', 'action', 'resource', 'name', 'tenant', 'outcome', 'code', 'requestId', 'detail', 'hash'] as const;

// A cell a spreadsheet would read as a formula (OWASP CSV injection) is opened with a quote so
// that it stays text; the characters are those Excel, LibreOffice and Google Sheets act on.
const formulaStart = /^[=+\-@\t\r]/;

function csvCell(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  if (typeof v === 'string' && formulaStart.test(s)) return `"'${s.replace(/"/g, '""')}"`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The hash-chained audit log. One instance per server; holds no state but its dependencies. */
export class AuditLog {
  readonly #db: Database;
  readonly #key: Uint8Array;
  readonly #now: () => Date;

  constructor(db: Database, key: Uint8Array, now: () => Date = () => new Date()) {
    this.#db = db;
    this.#key = key;
    this.#now = now;
  }

  /** Appends a record in the caller's transaction, so that it commits or rolls back with the change. */
  record(tx: Transaction<PlatformTables>, entry: AuditEntry): Promise<AuditRecord> {
    return appendAudit(tx, this.#db.dialect, this.#key, entry, this.#now());
  }

  /** Appends a record in a transaction of its own (refused requests, reads). */
  recordAlone(entry: AuditEntry): Promise<AuditRecord> {
    return this.#db.transaction((tx) => this.record(tx, entry));
  }

  /** A page of records, newest first; `before` continues from a previous page's last seq. */
  async list(filter: AuditFilter, limit: number, before?: number): Promise<{ items: AuditRecord[]; next?: number }> {
    const items = await listAudit(this.#db.kysely, filter, limit + 1, before);
    const more = items.length > limit;
    const page = more ? items.slice(0, limit) : items;
    return { items: page, next: more ? page[page.length - 1].seq : undefined };
  }

  /** Streams every matching record, oldest first, as JSON Lines or CSV text chunks. */
  async *export(filter: AuditFilter, format: 'jsonl' | 'csv'): AsyncGenerator<string> {
    if (format === 'csv') yield `${csvColumns.join(',')}\n`;
    let after = 0;
    for (;;) {
      const page = await scanAudit(this.#db.kysely, filter, after, 1000);
      if (page.length === 0) return;
      let chunk = '';
      for (const r of page) {
        chunk += format === 'jsonl' ? `${JSON.stringify(r)}\n` : `${csvColumns.map((c) => csvCell(r[c])).join(',')}\n`;
      }
      yield chunk;
      after = page[page.length - 1].seq;
    }
  }

  /**
   * Walks the whole chain and reports the first altered, inserted or deleted record. Read-only,
   * and safe while others append: it verifies up to the head it read, then follows the head
   * while it moves; a row past a head that no longer moves was inserted.
   */
  async verify(): Promise<VerifyResult> {
    let cursor = chainStart;
    for (;;) {
      const head = await auditHead(this.#db.kysely);
      const headSeq = head?.seq ?? 0;
      while (cursor.seq < headSeq) {
        const page = (await scanAudit(this.#db.kysely, {}, cursor.seq, 2000)).filter((r) => r.seq <= headSeq);
        if (page.length === 0) break;
        const r = verifyRecords(this.#key, page, cursor);
        if ('problem' in r) return { ok: false, checked: cursor.checked, firstBad: r };
        cursor = r;
      }
      const bad = verifyHead(cursor, head);
      if (bad) return { ok: false, checked: cursor.checked, firstBad: bad };
      const beyond = await scanAudit(this.#db.kysely, {}, headSeq, 1);
      if (beyond.length === 0) return { ok: true, checked: cursor.checked };
      const again = await auditHead(this.#db.kysely);
      if ((again?.seq ?? 0) === headSeq) {
        return { ok: false, checked: cursor.checked, firstBad: { seq: beyond[0].seq, problem: 'inserted', message: `audit record ${beyond[0].seq} was inserted after the recorded end of the log` } };
      }
    }
  }
}

export type { AuditEntry, AuditFilter } from './store.ts';
export type { AuditRecord } from './chain.ts';
