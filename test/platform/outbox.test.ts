// The outbox on both backends: events only with their change, claim/ack, retry with backoff,
// dead letters, leases, and progress that survives reopening the database.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../src/platform/db/database.ts';
import { migrate, platformMigrations } from '../../src/platform/db/migrations.ts';
import { OutboxConsumer, publish, runConsumer } from '../../src/platform/outbox/outbox.ts';
import { backends, databaseFor } from '../support/pg.ts';

async function withDb(backend: (typeof backends)[number], fn: (open: () => Promise<Database>) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-outbox-'));
  const pg = await databaseFor(backend);
  const open = async () => {
    const db = openDatabase({ url: pg.url, dataDir: dir });
    await migrate(db.kysely as never, db.dialect, platformMigrations);
    return db;
  };
  try {
    await fn(open);
  } finally {
    await pg.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const backend of backends) {
  describe(`outbox (${backend})`, () => {
    it('writes an event only when its transaction commits', async () => {
      await withDb(backend, async (open) => {
        const db = await open();
        await db.transaction((tx) => publish(tx, 'user.created', 'a', { name: 'a' }));
        await assert.rejects(db.transaction(async (tx) => {
          await publish(tx, 'user.created', 'b', { name: 'b' });
          throw new Error('change failed');
        }));
        const c = new OutboxConsumer(db, { name: 'c1', topics: ['user.created'] });
        const got = await c.claim(10);
        assert.deepEqual(got.map((e) => e.payload), [{ name: 'a' }]);
        await db.close();
      });
    });

    it('delivers each event to each consumer once, in order, and only its topics', async () => {
      await withDb(backend, async (open) => {
        const db = await open();
        for (let i = 0; i < 5; i++) await db.transaction((tx) => publish(tx, i % 2 ? 'odd' : 'even', String(i), { i }));
        const even = new OutboxConsumer(db, { name: 'even', topics: ['even'] });
        const all = new OutboxConsumer(db, { name: 'all', topics: ['even', 'odd'] });
        const e1 = await even.claim(10);
        assert.deepEqual(e1.map((e) => e.key), ['0', '2', '4']);
        assert.deepEqual(await even.claim(10), [], 'leased events are not handed out twice');
        for (const e of e1) await even.ack(e.id);
        assert.deepEqual(await even.claim(10), []);
        assert.deepEqual((await all.claim(10)).map((e) => e.key), ['0', '1', '2', '3', '4']);
        await db.close();
      });
    });

    it('retries a failed event after a growing backoff, then dead-letters it', async () => {
      await withDb(backend, async (open) => {
        const db = await open();
        await db.transaction((tx) => publish(tx, 't', 'k', {}));
        const c = new OutboxConsumer(db, { name: 'flaky', topics: ['t'], maxAttempts: 3, backoffMs: 1000 });
        let now = new Date('2030-01-01T00:00:00Z');
        const [e] = await c.claim(1, now);
        assert.equal(await c.fail(e.id, 'boom 1', now), 'retry');
        assert.deepEqual(await c.claim(1, new Date(now.getTime() + 999)), [], 'not before the backoff');
        now = new Date(now.getTime() + 1000);
        const [again] = await c.claim(1, now);
        assert.equal(again.attempts, 1);
        assert.equal(await c.fail(e.id, 'boom 2', now), 'retry');
        assert.deepEqual(await c.claim(1, new Date(now.getTime() + 1999)), [], 'backoff doubled');
        now = new Date(now.getTime() + 2000);
        await c.claim(1, now);
        assert.equal(await c.fail(e.id, 'boom 3', now), 'dead');
        assert.deepEqual(await c.claim(1, new Date(now.getTime() + 10 * 86_400_000)), []);
        assert.deepEqual(await c.deadLetters(), [{ eventId: e.id, attempts: 3, lastError: 'boom 3' }]);
        await db.close();
      });
    });

    it('hands an event to another worker when a lease runs out (a worker died)', async () => {
      await withDb(backend, async (open) => {
        const db = await open();
        await db.transaction((tx) => publish(tx, 't', 'k', {}));
        const c = new OutboxConsumer(db, { name: 'leased', topics: ['t'], leaseMs: 1000 });
        const now = new Date('2030-01-01T00:00:00Z');
        assert.equal((await c.claim(1, now)).length, 1);
        assert.equal((await c.claim(1, new Date(now.getTime() + 500))).length, 0);
        assert.equal((await c.claim(1, new Date(now.getTime() + 1000))).length, 1);
        await db.close();
      });
    });

    it('keeps events and progress across a restart (database closed and reopened)', async () => {
      await withDb(backend, async (open) => {
        let db = await open();
        for (let i = 0; i < 4; i++) await db.transaction((tx) => publish(tx, 't', String(i), { i }));
        let c = new OutboxConsumer(db, { name: 'durable', topics: ['t'] });
        const first = await c.claim(2);
        for (const e of first) await c.ack(e.id);
        await db.close();
        db = await open();
        c = new OutboxConsumer(db, { name: 'durable', topics: ['t'] });
        const handled: string[] = [];
        const stop = new AbortController();
        const run = runConsumer(c, async (e) => {
          handled.push(e.key);
          if (handled.length === 2) stop.abort();
        }, { signal: stop.signal, pollMs: 20 });
        await run;
        assert.deepEqual(handled, ['2', '3']);
        await db.close();
      });
    });
  });
}
