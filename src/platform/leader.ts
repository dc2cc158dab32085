// Leader election: one replica at a time runs the work that must happen once per installation
// (controllers, garbage collection, retention). On PostgreSQL the leader holds a session-level
// advisory lock on a connection of its own and, when it wins the lock, bumps a fencing epoch;
// guarded writes check the epoch inside their transaction, so a deposed leader that has not
// noticed yet cannot write after its successor started. With SQLite the one process leads.
// See docs/adr/0008-leader-election.md.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Transaction } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { Database } from './db/database.ts';
import type { PlatformTables } from './db/schema.ts';
import { BerthError } from './errors.ts';

/** The advisory-lock key of the leadership (the audit chain uses 4242001). */
const lockKey = 4242002;
/** Longest wait for one statement on the lock's connection before it counts as lost (ms). */
const queryTimeoutMs = 5000;
/** Largest pause between attempts while the database cannot be reached (ms). */
const maxBackoffMs = 10_000;

/** What /readyz and /metrics show about leadership, as this replica last saw it. */
export interface LeaderStatus {
  /** This replica's id. */
  readonly replica: string;
  /** Whether this replica leads now. */
  readonly leading: boolean;
  /** The current leader's epoch, as last seen; absent before the first look. */
  readonly epoch?: number;
  /** The current leader's replica id, as last seen; absent before the first election. */
  readonly leader?: string;
}

/** One period of leadership, as a guarded task sees it. */
export interface Term {
  /** The fencing token: the epoch this replica won. */
  readonly epoch: number;
  /** Aborts as soon as this replica stops leading, or the task is stopped. */
  readonly signal: AbortSignal;
  /**
   * Runs `fn` in one transaction that first checks, holding the epoch row shared, that `epoch`
   * is still current; a successor's election waits for the transaction. Throws
   * `BerthError('Conflict')` when this term is over (a successor was elected or the loss was seen).
   */
  fenced<R>(fn: (tx: Transaction<PlatformTables>) => Promise<R>): Promise<R>;
}

/** Work that runs only while this replica leads; it must return soon after `term.signal` aborts. */
export type LeaderTask = (term: Term) => Promise<void>;

export interface LeaderOptions {
  readonly db: Database;
  /** The PostgreSQL URL for the lock's own connection; absent with SQLite. */
  readonly databaseUrl?: string;
  readonly replica: string;
  readonly logger: Logger;
  /** Where the berth_leader gauges are registered. */
  readonly registry: Registry;
  /** How often a follower tries the lock and the leader checks its connection (ms; 1000). */
  readonly pollMs?: number;
  /** The clock an election is stamped with (`leader_epoch.elected_at`). */
  readonly now?: () => Date;
}

interface Entry {
  readonly name: string;
  readonly task: LeaderTask;
  readonly signal: AbortSignal;
  /** The task's current run (or the settled one before it); runs never overlap. */
  done: Promise<void>;
}

/**
 * The leader elector of one replica. `start()` once, `close()` once. On PostgreSQL one extra
 * connection stays open for the lock; losing it (or failing a check on it) ends the term at
 * once and the replica campaigns again, with backoff while the database is unreachable.
 */
export class Leader {
  readonly replica: string;
  readonly #db: Database;
  readonly #url?: string;
  readonly #logger: Logger;
  readonly #pollMs: number;
  readonly #now: () => Date;
  readonly #stop = new AbortController();
  readonly #entries = new Set<Entry>();
  #term?: { readonly epoch: number; readonly controller: AbortController };
  #seen: { epoch?: number; leader?: string } = {};
  #campaign?: Promise<void>;

  constructor(o: LeaderOptions) {
    this.replica = o.replica;
    this.#db = o.db;
    this.#url = o.databaseUrl;
    this.#logger = o.logger;
    this.#pollMs = o.pollMs ?? 1000;
    this.#now = o.now ?? (() => new Date());
    const replica = o.replica;
    const leading = (): number => (this.isLeader() ? 1 : 0);
    const epoch = (): number => this.#seen.epoch ?? 0;
    new Gauge({
      name: 'berth_leader', help: 'Whether this replica leads (1) or follows (0)', labelNames: ['replica'], registers: [o.registry],
      collect() { this.set({ replica }, leading()); },
    });
    new Gauge({
      name: 'berth_leader_epoch', help: 'The current leader\'s fencing epoch, as this replica last saw it', labelNames: ['replica'], registers: [o.registry],
      collect() { this.set({ replica }, epoch()); },
    });
  }

  /** Whether this replica leads now. */
  isLeader(): boolean {
    return this.#term !== undefined;
  }

  /** Leadership as this replica last saw it. */
  status(): LeaderStatus {
    return { replica: this.replica, leading: this.isLeader(), ...this.#seen };
  }

  /**
   * Starts campaigning. Resolves after the first attempt: with SQLite, or a free lock, this
   * replica leads when it resolves. Never rejects: failures are logged and retried.
   */
  async start(): Promise<void> {
    if (!this.#url) {
      try {
        this.#elected(await this.#bumpEpoch());
      } catch (err) {
        this.#logger.error({ err }, 'could not record the leader epoch; background work will not run');
      }
      return;
    }
    const first = Promise.withResolvers<void>();
    this.#campaign = this.#campaignPostgres(first.resolve);
    await first.promise;
  }

  /**
   * Runs `task` whenever this replica leads, until `signal` aborts; resolves once it has and the
   * task has returned. A term's end aborts `term.signal`; the next term starts the task again
   * (never two runs at once). A task that throws is logged and started again after a pause
   * (1 s, doubling up to a minute) while the term lasts.
   */
  runWhileLeader(name: string, task: LeaderTask, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    const entry: Entry = { name, task, signal, done: Promise.resolve() };
    this.#entries.add(entry);
    if (this.#term) this.#launch(entry, this.#term);
    return new Promise((resolve) => {
      signal.addEventListener('abort', () => {
        this.#entries.delete(entry);
        void entry.done.then(resolve);
      }, { once: true });
    });
  }

  /**
   * Throws `BerthError('Conflict')` unless `epoch` is the current leader epoch. Call it first in
   * a guarded write's transaction: on PostgreSQL it holds the epoch row shared until the
   * transaction ends, so no successor is elected between the check and the commit.
   */
  async assertLeader(tx: Transaction<PlatformTables>, epoch: number): Promise<void> {
    const row = await tx.selectFrom('leader_epoch').select(['epoch', 'holder']).where('id', '=', 1)
      .$if(this.#db.dialect === 'postgres', (q) => q.forShare()).executeTakeFirst();
    if (!row || Number(row.epoch) !== epoch) {
      throw new BerthError('Conflict', `replica "${this.replica}" no longer leads: its epoch ${epoch} was superseded by epoch ${row?.epoch} of replica "${row?.holder}"`);
    }
  }

  /** Ends the term (stopping every task and waiting for them), then gives the lock up. Idempotent. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#campaign;
    await this.#depose();
  }

  #elected(epoch: number): void {
    const controller = new AbortController();
    this.#term = { epoch, controller };
    this.#seen = { epoch, leader: this.replica };
    this.#logger.info({ replica: this.replica, epoch }, 'elected leader');
    for (const entry of this.#entries) this.#launch(entry, this.#term);
  }

  async #depose(): Promise<void> {
    const term = this.#term;
    if (!term) return;
    this.#term = undefined;
    this.#seen = { epoch: this.#seen.epoch };
    term.controller.abort();
    if (this.#stop.signal.aborted) this.#logger.info({ replica: this.replica, epoch: term.epoch }, 'leadership given up: stopping');
    else this.#logger.warn({ replica: this.replica, epoch: term.epoch }, 'no longer the leader');
    await Promise.all([...this.#entries].map((e) => e.done));
  }

  #launch(entry: Entry, term: { readonly epoch: number; readonly controller: AbortController }): void {
    const signal = AbortSignal.any([term.controller.signal, entry.signal]);
    const view: Term = {
      epoch: term.epoch,
      signal,
      fenced: (fn) => {
        if (signal.aborted) {
          return Promise.reject(new BerthError('Conflict', `replica "${this.replica}" no longer leads (epoch ${term.epoch} is over)`));
        }
        return this.#db.transaction(async (tx) => {
          await this.assertLeader(tx, term.epoch);
          return fn(tx);
        });
      },
    };
    entry.done = entry.done.then(() => this.#runTask(entry, view));
  }

  async #runTask(entry: Entry, term: Term): Promise<void> {
    let pause = 1000;
    while (!term.signal.aborted) {
      try {
        await entry.task(term);
        return;
      } catch (err) {
        if (term.signal.aborted) return;
        this.#logger.error({ err, task: entry.name, epoch: term.epoch }, 'leader task failed; starting it again');
        await sleep(pause, undefined, { signal: term.signal }).catch(() => {});
        pause = Math.min(pause * 2, 60_000);
      }
    }
  }

  async #bumpEpoch(): Promise<number> {
    const row = await this.#db.kysely.updateTable('leader_epoch')
      .set((eb) => ({ epoch: eb('epoch', '+', 1), holder: this.replica, elected_at: this.#now().toISOString() }))
      .where('id', '=', 1).returning('epoch').executeTakeFirstOrThrow();
    return Number(row.epoch);
  }

  async #campaignPostgres(attempted: () => void): Promise<void> {
    let backoff = 250;
    while (!this.#stop.signal.aborted) {
      const client = new pg.Client({
        connectionString: this.#url, keepAlive: true, connectionTimeoutMillis: queryTimeoutMs,
        query_timeout: queryTimeoutMs, application_name: `berth-leader ${this.replica}`.slice(0, 63),
      });
      // The loss is handled through 'end' and failed queries; without a listener it would crash.
      client.on('error', () => {});
      try {
        await client.connect();
        // A leader whose host vanishes without closing its socket would keep the lock until TCP
        // keepalive gives up (hours by default): the server ends a session silent for ten polls.
        await client.query(`SELECT set_config('idle_session_timeout', $1, false) WHERE current_setting('server_version_num')::int >= 140000`,
          [String(10 * this.#pollMs)]);
        for (;;) {
          const epoch = await this.#tryLock(client);
          attempted();
          backoff = 250;
          if (epoch !== undefined) {
            this.#elected(epoch);
            await this.#hold(client, epoch);
            await this.#depose();
            // A replica that just lost its term is likely the unhealthy one: a follower polling
            // meanwhile gets the first chance.
            await this.#pause(2 * this.#pollMs);
            break;
          }
          if (!(await this.#pause(this.#pollMs))) break;
        }
      } catch (err) {
        attempted();
        await this.#depose();
        if (this.#stop.signal.aborted) break;
        this.#logger.warn({ err: { message: (err as Error).message }, replica: this.replica }, 'leader election: the lock connection failed; trying again');
        await this.#pause(backoff / 2 + Math.random() * backoff / 2);
        backoff = Math.min(backoff * 2, maxBackoffMs);
      } finally {
        // Ending the session releases the lock, if held.
        await client.end().catch(() => {});
      }
    }
  }

  /** One attempt: the new epoch when this session won the lock, undefined when another holds it. */
  async #tryLock(client: pg.Client): Promise<number | undefined> {
    const { rows } = await client.query<{ won: boolean; epoch: string; holder: string }>(
      'SELECT pg_try_advisory_lock($1) AS won, epoch, holder FROM leader_epoch WHERE id = 1', [lockKey]);
    const row = rows[0];
    if (!row) throw new Error('leader_epoch has no row: migration 0002-platform-leader not applied');
    if (!row.won) {
      this.#seen = { epoch: Number(row.epoch), leader: row.holder || undefined };
      return undefined;
    }
    // Only the lock's holder bumps the epoch, so between winning and bumping no one else can.
    const bumped = await client.query<{ epoch: string }>(
      'UPDATE leader_epoch SET epoch = epoch + 1, holder = $1, elected_at = $2 WHERE id = 1 RETURNING epoch',
      [this.replica, this.#now().toISOString()]);
    return Number(bumped.rows[0].epoch);
  }

  /** Returns when the term must end: the connection is lost or fails a check, or the server stops. */
  async #hold(client: pg.Client, epoch: number): Promise<void> {
    const lost = new AbortController();
    client.once('end', () => lost.abort());
    client.once('error', () => lost.abort());
    const until = AbortSignal.any([lost.signal, this.#stop.signal]);
    while (!until.aborted) {
      const beat = await sleep(this.#pollMs, true, { signal: until }).catch(() => false);
      if (!beat) return;
      try {
        const { rows } = await client.query<{ epoch: string }>('SELECT epoch FROM leader_epoch WHERE id = 1');
        if (Number(rows[0]?.epoch) !== epoch) return;
      } catch {
        return;
      }
    }
  }

  /** Sleeps `ms` unless the server stops first; false when it stopped. */
  async #pause(ms: number): Promise<boolean> {
    return sleep(ms, true, { signal: this.#stop.signal }).catch(() => false);
  }
}
