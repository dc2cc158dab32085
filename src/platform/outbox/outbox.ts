// The transactional outbox: events are written in the same transaction as the change they
// describe; consumers claim them with a lease, acknowledge, or fail (retried with exponential
// backoff, dead-lettered after a number of tries). Everything is in the database, so events and
// progress survive a crash or a kill of the server; handlers must be idempotent.
import type { Transaction } from 'kysely';
import type { Database, Queryable } from '../db/database.ts';
import type { PlatformTables } from '../db/schema.ts';

/** An event as consumers see it. */
export interface OutboxEvent {
  readonly id: number;
  readonly topic: string;
  readonly key: string;
  readonly payload: unknown;
  readonly createdAt: string;
  /** How many times this consumer has already tried it. */
  readonly attempts: number;
}

/** Writes an event inside the caller's transaction. Returns its id. */
export async function publish(tx: Transaction<PlatformTables>, topic: string, key: string, payload: unknown, now = new Date()): Promise<number> {
  const row = await tx.insertInto('outbox_events')
    .values({ topic, key, payload: JSON.stringify(payload), created_at: now.toISOString() })
    .returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

/**
 * The id of the newest event of each of `topics` (0 for a topic without events): a cheap way for
 * a replica to tell whether anything it derives from those topics' changes may have changed.
 * One indexed lookup per topic.
 */
export async function latestEventIds(q: Queryable<PlatformTables>, topics: readonly string[]): Promise<number[]> {
  return Promise.all(topics.map(async (topic) => {
    const row = await q.selectFrom('outbox_events').select((eb) => eb.fn.max('id').as('id')).where('topic', '=', topic).executeTakeFirst();
    return Number(row?.id ?? 0);
  }));
}

export interface ConsumerOptions {
  /** Unique consumer name; progress is kept under it. */
  readonly name: string;
  readonly topics: readonly string[];
  /** Tries before an event is dead-lettered. */
  readonly maxAttempts?: number;
  /** First retry delay; doubles per attempt up to `maxBackoffMs`. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** How long a claim is held before another worker may take the event. */
  readonly leaseMs?: number;
}

/** One consumer's view of the outbox. Stateless apart from its options; safe across replicas. */
export class OutboxConsumer {
  readonly #db: Database;
  readonly #o: Required<ConsumerOptions>;

  constructor(db: Database, opts: ConsumerOptions) {
    this.#db = db;
    this.#o = { maxAttempts: 8, backoffMs: 1000, maxBackoffMs: 5 * 60_000, leaseMs: 60_000, ...opts };
  }

  /**
   * Claims up to `limit` events that are due: never tried by this consumer, or pending with their
   * retry time reached and no live lease. Claimed events are leased to the caller.
   */
  async claim(limit: number, now = new Date()): Promise<OutboxEvent[]> {
    const o = this.#o;
    const nowIso = now.toISOString();
    const leaseUntil = new Date(now.getTime() + o.leaseMs).toISOString();
    return this.#db.transaction(async (tx) => {
      const cursor = await tx.selectFrom('outbox_cursors').select('checkpoint').where('consumer', '=', o.name).executeTakeFirst();
      const from = cursor ? Number(cursor.checkpoint) : 0;
      const rows = await tx.selectFrom('outbox_events as e')
        .leftJoin('outbox_deliveries as d', (j) => j.onRef('d.event_id', '=', 'e.id').on('d.consumer', '=', o.name))
        .select(['e.id', 'e.topic', 'e.key', 'e.payload', 'e.created_at', 'd.state', 'd.attempts', 'd.next_attempt_at', 'd.lease_until'])
        .where('e.id', '>', from)
        .where('e.topic', 'in', [...o.topics])
        .where((eb) => eb.or([
          eb('d.state', 'is', null),
          eb.and([eb('d.state', '=', 'pending'), eb('d.next_attempt_at', '<=', nowIso),
            eb.or([eb('d.lease_until', 'is', null), eb('d.lease_until', '<=', nowIso)])]),
        ]))
        .orderBy('e.id').limit(limit).execute();
      const out: OutboxEvent[] = [];
      for (const r of rows) {
        const id = Number(r.id);
        if (r.state === null) {
          await tx.insertInto('outbox_deliveries').values({
            consumer: o.name, event_id: id, state: 'pending', attempts: 0, next_attempt_at: nowIso,
            lease_until: leaseUntil, last_error: null, updated_at: nowIso,
          }).onConflict((c) => c.columns(['consumer', 'event_id']).doNothing()).execute();
        } else {
          await tx.updateTable('outbox_deliveries').set({ lease_until: leaseUntil, updated_at: nowIso })
            .where('consumer', '=', o.name).where('event_id', '=', id).execute();
        }
        out.push({ id, topic: r.topic, key: r.key, payload: JSON.parse(r.payload), createdAt: r.created_at, attempts: Number(r.attempts ?? 0) });
      }
      return out;
    });
  }

  /** Marks an event done for this consumer and advances the checkpoint past finished events. */
  async ack(eventId: number, now = new Date()): Promise<void> {
    await this.#settle(eventId, 'done', null, now);
  }

  /** Records a failed try: retried after a backoff, or dead-lettered once tries run out. */
  async fail(eventId: number, error: string, now = new Date()): Promise<'retry' | 'dead'> {
    const row = await this.#db.kysely.selectFrom('outbox_deliveries').select('attempts')
      .where('consumer', '=', this.#o.name).where('event_id', '=', eventId).executeTakeFirst();
    const attempts = Number(row?.attempts ?? 0) + 1;
    const dead = attempts >= this.#o.maxAttempts;
    const delay = Math.min(this.#o.maxBackoffMs, this.#o.backoffMs * 2 ** (attempts - 1));
    await this.#settle(eventId, dead ? 'dead' : 'pending', error.slice(0, 2000), now, attempts, new Date(now.getTime() + delay));
    return dead ? 'dead' : 'retry';
  }

  /** Events this consumer gave up on. */
  async deadLetters(): Promise<{ eventId: number; attempts: number; lastError: string | null }[]> {
    const rows = await this.#db.kysely.selectFrom('outbox_deliveries').select(['event_id', 'attempts', 'last_error'])
      .where('consumer', '=', this.#o.name).where('state', '=', 'dead').orderBy('event_id').execute();
    return rows.map((r) => ({ eventId: Number(r.event_id), attempts: Number(r.attempts), lastError: r.last_error }));
  }

  async #settle(eventId: number, state: string, error: string | null, now: Date, attempts?: number, next?: Date): Promise<void> {
    const o = this.#o;
    const nowIso = now.toISOString();
    await this.#db.transaction(async (tx) => {
      const upd = tx.updateTable('outbox_deliveries')
        .set({ state, last_error: error, lease_until: null, updated_at: nowIso, ...(attempts === undefined ? {} : { attempts }), ...(next ? { next_attempt_at: next.toISOString() } : {}) })
        .where('consumer', '=', o.name).where('event_id', '=', eventId);
      await upd.execute();
      if (state === 'pending') return;
      // Advance the checkpoint over the prefix of events that are finished (done or dead).
      const cursor = await tx.selectFrom('outbox_cursors').select('checkpoint').where('consumer', '=', o.name).executeTakeFirst();
      const from = cursor ? Number(cursor.checkpoint) : 0;
      const firstOpen = await tx.selectFrom('outbox_events as e')
        .leftJoin('outbox_deliveries as d', (j) => j.onRef('d.event_id', '=', 'e.id').on('d.consumer', '=', o.name))
        .select('e.id').where('e.id', '>', from).where('e.topic', 'in', [...o.topics])
        .where((eb) => eb.or([eb('d.state', 'is', null), eb('d.state', '=', 'pending')]))
        .orderBy('e.id').limit(1).executeTakeFirst();
      const last = await tx.selectFrom('outbox_events').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
      const checkpoint = firstOpen ? Number(firstOpen.id) - 1 : Number(last?.id ?? from);
      if (checkpoint <= from) return;
      if (cursor) await tx.updateTable('outbox_cursors').set({ checkpoint }).where('consumer', '=', o.name).execute();
      else await tx.insertInto('outbox_cursors').values({ consumer: o.name, checkpoint }).execute();
    });
  }
}

/**
 * Runs a consumer until `signal` aborts: claims due events, calls `handle` for each, acks or
 * fails it. Polls every `pollMs` when idle. Resolves once stopped.
 */
export async function runConsumer(consumer: OutboxConsumer, handle: (e: OutboxEvent) => Promise<void>, opts: { signal: AbortSignal; pollMs?: number; batch?: number; onError?: (err: unknown) => void }): Promise<void> {
  const pollMs = opts.pollMs ?? 500;
  while (!opts.signal.aborted) {
    let events: OutboxEvent[] = [];
    try {
      events = await consumer.claim(opts.batch ?? 20);
      for (const e of events) {
        if (opts.signal.aborted) return;
        try {
          await handle(e);
          await consumer.ack(e.id);
        } catch (err) {
          await consumer.fail(e.id, err instanceof Error ? err.message : String(err));
        }
      }
    } catch (err) {
      opts.onError?.(err);
    }
    if (events.length === 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pollMs);
        opts.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
      });
    }
  }
}
