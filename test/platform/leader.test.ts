// Leader election against the real backends: on PostgreSQL two electors on one database (one
// leads; a deposed leader's fenced write fails; a successor's election waits for a guarded
// transaction in flight), on SQLite the process leads at once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { openDatabase, type Database } from '../../src/platform/db/database.ts';
import { migrate, platformMigrations } from '../../src/platform/db/migrations.ts';
import { Leader, type Term } from '../../src/platform/leader.ts';
import { createTestDatabase } from '../support/pg.ts';

const logger = pino({ level: process.env.BERTH_TEST_LOG ?? 'silent' });

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Starts `leader` with a task that publishes each term it is given. */
function track(leader: Leader, stop: AbortSignal): { terms: Term[]; done: Promise<void> } {
  const terms: Term[] = [];
  const done = leader.runWhileLeader('probe', async (term) => {
    terms.push(term);
    await new Promise((resolve) => term.signal.addEventListener('abort', resolve, { once: true }));
  }, stop);
  return { terms, done };
}

describe('leader election (postgres)', () => {
  it('one elector leads; the other takes over when its connection dies, and the old epoch is fenced out', async () => {
    const database = await createTestDatabase();
    const dbs: Database[] = [openDatabase({ url: database.url, dataDir: '' }), openDatabase({ url: database.url, dataDir: '' })];
    const admin = new pg.Client({ connectionString: database.url });
    const stop = new AbortController();
    const release = Promise.withResolvers<void>();
    let inFlight: Promise<void> | undefined;
    // a, once deposed, waits two of its polls before campaigning again: b gets the lock first.
    const a = new Leader({ db: dbs[0], databaseUrl: database.url, replica: 'replica-a', logger, registry: new Registry(), pollMs: 1000 });
    const b = new Leader({ db: dbs[1], databaseUrl: database.url, replica: 'replica-b', logger, registry: new Registry(), pollMs: 100 });
    try {
      await migrate(dbs[0].kysely as never, 'postgres', platformMigrations);
      await sql`CREATE TABLE guarded (note text NOT NULL)`.execute(dbs[0].kysely);
      await admin.connect();
      const ta = track(a, stop.signal);
      const tb = track(b, stop.signal);
      await a.start();
      await b.start();
      assert.equal(a.isLeader(), true);
      assert.equal(b.isLeader(), false);
      assert.deepEqual(b.status(), { replica: 'replica-b', leading: false, epoch: 1, leader: 'replica-a' });
      assert.equal(ta.terms.length, 1);
      assert.equal(tb.terms.length, 0);
      const old = ta.terms[0];
      assert.equal(old.epoch, 1);
      await old.fenced((tx) => sql`INSERT INTO guarded VALUES ('a while leading')`.execute(tx));

      // A guarded transaction of the leader is in flight when the leader's lock connection dies.
      const checked = Promise.withResolvers<void>();
      inFlight = dbs[0].transaction(async (tx) => {
        await a.assertLeader(tx, old.epoch);
        checked.resolve();
        await release.promise;
        await sql`INSERT INTO guarded VALUES ('a in flight')`.execute(tx);
      });
      await checked.promise;
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'berth-leader replica-a'`);
      await until('the old term to end', () => old.signal.aborted);
      // The successor won the lock but its epoch bump waits for the check's shared row lock.
      await until('b to wait for the epoch row', async () => (await admin.query(
        `SELECT 1 FROM pg_stat_activity WHERE application_name = 'berth-leader replica-b' AND wait_event_type = 'Lock'`)).rowCount === 1);
      assert.equal(b.isLeader(), false);
      release.resolve();
      await inFlight;
      await until('b to lead', () => b.isLeader());
      assert.equal(tb.terms[0].epoch, 2);

      // The deposed leader's late writes fail on the epoch, whatever it believes.
      await assert.rejects(dbs[0].transaction(async (tx) => {
        await a.assertLeader(tx, old.epoch);
        await sql`INSERT INTO guarded VALUES ('a late')`.execute(tx);
      }), (err: Error & { reason?: string }) => err.reason === 'Conflict' && /epoch 1 was superseded by epoch 2 of replica "replica-b"/.test(err.message));
      await assert.rejects(old.fenced((tx) => sql`INSERT INTO guarded VALUES ('a late')`.execute(tx)), /no longer leads/);
      await tb.terms[0].fenced((tx) => sql`INSERT INTO guarded VALUES ('b while leading')`.execute(tx));
      const notes = await sql<{ note: string }>`SELECT note FROM guarded`.execute(dbs[0].kysely);
      assert.deepEqual(notes.rows.map((r) => r.note).sort(), ['a in flight', 'a while leading', 'b while leading']);

      // a campaigns again and follows.
      await until('a to see b lead', () => a.status().leader === 'replica-b');
      assert.equal(a.isLeader(), false);
      stop.abort();
      await Promise.all([ta.done, tb.done]);
    } finally {
      release.resolve();
      await inFlight?.catch(() => {});
      stop.abort();
      await a.close();
      await b.close();
      await admin.end().catch(() => {});
      for (const db of dbs) await db.close();
      await database.drop();
    }
  });
});

/**
 * A fault no real component shows on demand: a host that vanishes without closing its sockets.
 * A loopback relay to PostgreSQL whose `freeze()` stops relaying and keeps both sockets open.
 */
async function freezableRelay(target: URL): Promise<{ url: string; freeze(): void; close(): void }> {
  const sockets = new Set<Socket>();
  let frozen = false;
  const server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port || 5432) });
    sockets.add(client).add(upstream);
    client.on('data', (d) => { if (!frozen) upstream.write(d); }).on('error', () => {});
    upstream.on('data', (d) => { if (!frozen) client.write(d); }).on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const relayed = new URL(target);
  relayed.hostname = '127.0.0.1';
  relayed.port = String((server.address() as { port: number }).port);
  return {
    url: relayed.toString(),
    freeze() { frozen = true; },
    close() { for (const s of sockets) s.destroy(); server.close(); },
  };
}

describe('leader election (postgres, a vanished leader)', () => {
  it('a leader whose connection goes silent loses the lock to the follower within seconds', async (t) => {
    const database = await createTestDatabase();
    const relay = await freezableRelay(new URL(database.url));
    const dbs: Database[] = [openDatabase({ url: database.url, dataDir: '' }), openDatabase({ url: database.url, dataDir: '' })];
    const stop = new AbortController();
    const a = new Leader({ db: dbs[0], databaseUrl: relay.url, replica: 'vanishing', logger, registry: new Registry(), pollMs: 200 });
    const b = new Leader({ db: dbs[1], databaseUrl: database.url, replica: 'survivor', logger, registry: new Registry(), pollMs: 100 });
    try {
      await migrate(dbs[0].kysely as never, 'postgres', platformMigrations);
      const ta = track(a, stop.signal);
      await a.start();
      await b.start();
      assert.equal(a.isLeader(), true);
      relay.freeze();
      const frozen = Date.now();
      // The server ends the silent session after ten of a's polls (2 s) and frees the lock.
      await until('the survivor to lead', () => b.isLeader(), 10_000);
      const takeover = Date.now() - frozen;
      t.diagnostic(`takeover after the leader went silent: ${takeover} ms`);
      assert.equal(b.status().epoch, 2);
      // a's own heartbeat times out (5 s) and ends its term.
      await until('the vanished leader to stop', () => ta.terms[0].signal.aborted, 10_000);
      assert.ok(takeover < 5000, `took ${takeover} ms`);
    } finally {
      stop.abort();
      relay.close();
      await a.close();
      await b.close();
      for (const db of dbs) await db.close();
      await database.drop();
    }
  });
});

describe('leader election (sqlite)', () => {
  it('the single process leads at once, stamped by its clock; its fenced writes pass', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-leader-'));
    const db = openDatabase({ dataDir });
    const stop = new AbortController();
    const electedAt = new Date('2031-05-06T07:08:09.000Z');
    const leader = new Leader({ db, replica: 'only', logger, registry: new Registry(), now: () => electedAt });
    try {
      await migrate(db.kysely as never, 'sqlite', platformMigrations);
      const t = track(leader, stop.signal);
      await leader.start();
      assert.deepEqual(leader.status(), { replica: 'only', leading: true, epoch: 1, leader: 'only' });
      assert.equal(t.terms.length, 1);
      assert.equal(await t.terms[0].fenced(async (tx) => (await tx.selectFrom('leader_epoch').select('holder').executeTakeFirstOrThrow()).holder), 'only');
      const row = await db.kysely.selectFrom('leader_epoch').select('elected_at').executeTakeFirstOrThrow();
      assert.equal(row.elected_at, electedAt.toISOString(), 'the election is stamped by the injected clock');
      stop.abort();
      await t.done;
      assert.equal(t.terms[0].signal.aborted, true);
    } finally {
      await leader.close();
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
