// The audit log's hash chain, pure: each record's hash is an HMAC (keyed with the server's secret)
// over the previous record's hash and the record's own fields, in a fixed order. Altering,
// inserting or deleting a row breaks the chain at that row; the head row catches a cut tail.
import { createHmac } from 'node:crypto';

/** One audit record as stored. */
export interface AuditRecord {
  readonly seq: number;
  readonly time: string;
  readonly actor: string;
  readonly sourceIp: string;
  readonly action: string;
  readonly resource: string;
  readonly name: string;
  readonly tenant: string;
  readonly outcome: 'success' | 'failure';
  readonly code: number;
  readonly requestId: string;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly prevHash: string;
  readonly hash: string;
}

/** The hash that precedes the first record. */
export const genesisHash = '0'.repeat(64);

/** Computes a record's hash from its fields and the previous hash. Deterministic. */
export function chainHash(key: Uint8Array, r: Omit<AuditRecord, 'hash'>): string {
  const fields = [r.seq, r.time, r.actor, r.sourceIp, r.action, r.resource, r.name, r.tenant, r.outcome, r.code, r.requestId, r.detail];
  return createHmac('sha256', key).update(r.prevHash).update('\n').update(JSON.stringify(fields)).digest('hex');
}

/** Where verification found the chain broken. */
export interface ChainBreak {
  readonly seq: number;
  readonly problem: 'altered' | 'inserted' | 'deleted';
  readonly message: string;
}

/** State carried from one verified page of records to the next. */
export interface ChainCursor {
  readonly seq: number;
  readonly hash: string;
  readonly checked: number;
}

export const chainStart: ChainCursor = { seq: 0, hash: genesisHash, checked: 0 };

/**
 * Verifies records (in ascending seq order, continuing from `cursor`). Returns the first break,
 * or the cursor to continue from. A row that links to its predecessor but whose hash does not match
 * its fields was altered; a valid row after a gap in seq that does not link was preceded by
 * deleted rows; any other row that does not fit (it neither verifies nor links) was inserted.
 */
export function verifyRecords(key: Uint8Array, records: readonly AuditRecord[], cursor: ChainCursor): ChainBreak | ChainCursor {
  let { seq, hash, checked } = cursor;
  for (const r of records) {
    const valid = chainHash(key, r) === r.hash;
    const links = r.prevHash === hash;
    if (!valid || !links || r.seq !== seq + 1) {
      if (valid && !links && r.seq > seq + 1) {
        return { seq: seq + 1, problem: 'deleted', message: `audit records ${seq + 1}..${r.seq - 1} were deleted: record ${r.seq} does not follow record ${seq}` };
      }
      if (!valid && links) {
        return { seq: r.seq, problem: 'altered', message: `audit record ${r.seq} was altered: its hash does not match its contents` };
      }
      return { seq: r.seq, problem: 'inserted', message: `audit record ${r.seq} was inserted: it does not link to record ${seq}` };
    }
    seq = r.seq;
    hash = r.hash;
    checked++;
  }
  return { seq, hash, checked };
}

/** Compares the verified end of the chain with the recorded head. */
export function verifyHead(end: ChainCursor, head: { seq: number; hash: string } | undefined): ChainBreak | undefined {
  const headSeq = head?.seq ?? 0;
  const headHash = head?.hash ?? genesisHash;
  if (headSeq > end.seq) {
    return { seq: end.seq + 1, problem: 'deleted', message: `audit records ${end.seq + 1}..${headSeq} were deleted from the end of the log` };
  }
  if (headSeq < end.seq) {
    return { seq: headSeq + 1, problem: 'inserted', message: `audit record ${headSeq + 1} was inserted after the recorded end of the log` };
  }
  if (headHash !== end.hash) {
    return { seq: end.seq, problem: 'altered', message: `audit record ${end.seq} does not match the recorded end of the log` };
  }
  return undefined;
}
