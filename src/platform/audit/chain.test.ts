import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chainHash, chainStart, genesisHash, verifyHead, verifyRecords, type AuditRecord } from './chain.ts';

const key = new Uint8Array(32).fill(7);

function chain(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prev = genesisHash;
  for (let seq = 1; seq <= n; seq++) {
    const base = { seq, time: `2030-01-01T00:00:0${seq}Z`, actor: 'a', sourceIp: '127.0.0.1', action: 'create', resource: 'users', name: `u${seq}`, tenant: '', outcome: 'success' as const, code: 201, requestId: `r${seq}`, detail: { n: seq }, prevHash: prev };
    const rec = { ...base, hash: chainHash(key, base) };
    out.push(rec);
    prev = rec.hash;
  }
  return out;
}

describe('audit hash chain', () => {
  const cases: { name: string; mutate: (c: AuditRecord[]) => AuditRecord[]; expect: { seq: number; problem: string } | 'ok'; head?: (c: AuditRecord[]) => { seq: number; hash: string } }[] = [
    { name: 'intact', mutate: (c) => c, expect: 'ok' },
    { name: 'a field altered', mutate: (c) => c.map((r) => (r.seq === 3 ? { ...r, actor: 'mallory' } : r)), expect: { seq: 3, problem: 'altered' } },
    { name: 'detail altered', mutate: (c) => c.map((r) => (r.seq === 2 ? { ...r, detail: { n: 99 } } : r)), expect: { seq: 2, problem: 'altered' } },
    { name: 'a middle record deleted', mutate: (c) => c.filter((r) => r.seq !== 3), expect: { seq: 3, problem: 'deleted' } },
    { name: 'two records deleted', mutate: (c) => c.filter((r) => r.seq !== 2 && r.seq !== 3), expect: { seq: 2, problem: 'deleted' } },
    { name: 'a forged record inserted at the end', mutate: (c) => [...c, { ...c[4], seq: 6, prevHash: 'f'.repeat(64), hash: 'e'.repeat(64) }], expect: { seq: 6, problem: 'inserted' } },
    { name: 'a copy replayed with a new seq', mutate: (c) => [...c, { ...c[2], seq: 6 }], expect: { seq: 6, problem: 'inserted' } },
    { name: 'the tail cut', mutate: (c) => c.slice(0, 4), expect: { seq: 5, problem: 'deleted' }, head: (c) => ({ seq: 5, hash: c[4].hash }) },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const original = chain(5);
      const records = c.mutate(original);
      const r = verifyRecords(key, records, chainStart);
      const head = c.head ? c.head(original) : { seq: records[records.length - 1].seq, hash: records[records.length - 1].hash };
      const result = 'problem' in r ? r : verifyHead(r, head) ?? 'ok';
      if (c.expect === 'ok') assert.equal(result, 'ok');
      else {
        assert.notEqual(result, 'ok');
        assert.deepEqual({ seq: (result as { seq: number }).seq, problem: (result as { problem: string }).problem }, c.expect);
      }
    });
  }

  it('depends on the key: another key does not verify', () => {
    const r = verifyRecords(new Uint8Array(32).fill(8), chain(2), chainStart);
    assert.ok('problem' in r);
  });
});
