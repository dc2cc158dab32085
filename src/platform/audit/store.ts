// Persistence of the audit log: append under a lock (the chain must be linear), filtered pages,
// and ascending scans for verification and export.
import { sql, type Kysely } from 'kysely';
import type { Dialect, Queryable } from '../db/database.ts';
import type { AuditLogTable, PlatformTables } from '../db/schema.ts';
import { chainHash, genesisHash, type AuditRecord } from './chain.ts';

/** What a caller states about an event; the store adds seq, time and the chain. */
export interface AuditEntry {
  readonly actor: string;
  readonly sourceIp: string;
  readonly action: string;
  readonly resource: string;
  readonly name?: string;
  readonly tenant?: string;
  readonly outcome: 'success' | 'failure';
  readonly code: number;
  readonly requestId: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** Filters of the audit list and export. Times are ISO 8601. */
export interface AuditFilter {
  readonly actor?: string;
  readonly tenant?: string;
  readonly resource?: string;
  readonly action?: string;
  readonly outcome?: string;
  readonly since?: string;
  readonly until?: string;
}

function toRecord(r: AuditLogTable): AuditRecord {
  return {
    seq: Number(r.seq), time: r.time, actor: r.actor, sourceIp: r.source_ip, action: r.action, resource: r.resource,
    name: r.name, tenant: r.tenant, outcome: r.outcome as AuditRecord['outcome'], code: Number(r.code),
    requestId: r.request_id, detail: JSON.parse(r.detail) as Record<string, unknown>, prevHash: r.prev_hash, hash: r.hash,
  };
}

/**
 * Appends one record inside the caller's transaction. On PostgreSQL an advisory transaction lock
 * serializes appenders; SQLite has one writer already. Returns the stored record.
 */
export async function appendAudit(tx: Queryable<PlatformTables>, dialect: Dialect, key: Uint8Array, entry: AuditEntry, now: Date): Promise<AuditRecord> {
  if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(4242001)`.execute(tx);
  const head = await tx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
  const prevSeq = head ? Number(head.seq) : 0;
  const base = {
    seq: prevSeq + 1, time: now.toISOString(), actor: entry.actor, sourceIp: entry.sourceIp, action: entry.action,
    resource: entry.resource, name: entry.name ?? '', tenant: entry.tenant ?? '', outcome: entry.outcome, code: entry.code,
    requestId: entry.requestId, detail: entry.detail ?? {}, prevHash: head?.hash ?? genesisHash,
  };
  const rec: AuditRecord = { ...base, hash: chainHash(key, base) };
  await tx.insertInto('audit_log').values({
    seq: rec.seq, time: rec.time, actor: rec.actor, source_ip: rec.sourceIp, action: rec.action, resource: rec.resource,
    name: rec.name, tenant: rec.tenant, outcome: rec.outcome, code: rec.code, request_id: rec.requestId,
    detail: JSON.stringify(rec.detail), prev_hash: rec.prevHash, hash: rec.hash,
  }).execute();
  if (head) await tx.updateTable('audit_head').set({ seq: rec.seq, hash: rec.hash }).where('id', '=', 1).execute();
  else await tx.insertInto('audit_head').values({ id: 1, seq: rec.seq, hash: rec.hash }).execute();
  return rec;
}

function filtered(db: Kysely<PlatformTables>, f: AuditFilter) {
  let q = db.selectFrom('audit_log').selectAll();
  if (f.actor) q = q.where('actor', '=', f.actor);
  if (f.tenant) q = q.where('tenant', '=', f.tenant);
  if (f.resource) q = q.where('resource', '=', f.resource);
  if (f.action) q = q.where('action', '=', f.action);
  if (f.outcome) q = q.where('outcome', '=', f.outcome);
  if (f.since) q = q.where('time', '>=', f.since);
  if (f.until) q = q.where('time', '<', f.until);
  return q;
}

/** One page, newest first, records with seq below `beforeSeq` when given. */
export async function listAudit(db: Kysely<PlatformTables>, f: AuditFilter, limit: number, beforeSeq?: number): Promise<AuditRecord[]> {
  let q = filtered(db, f);
  if (beforeSeq !== undefined) q = q.where('seq', '<', beforeSeq);
  const rows = await q.orderBy('seq', 'desc').limit(limit).execute();
  return rows.map(toRecord);
}

/** Ascending pages of matching records after `afterSeq`, for export and verification. */
export async function scanAudit(db: Kysely<PlatformTables>, f: AuditFilter, afterSeq: number, limit: number): Promise<AuditRecord[]> {
  const rows = await filtered(db, f).where('seq', '>', afterSeq).orderBy('seq', 'asc').limit(limit).execute();
  return rows.map(toRecord);
}

/** The recorded end of the chain. */
export async function auditHead(db: Kysely<PlatformTables>): Promise<{ seq: number; hash: string } | undefined> {
  const h = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
  return h ? { seq: Number(h.seq), hash: h.hash } : undefined;
}
