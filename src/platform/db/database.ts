// The database handle every store uses: Kysely over node:sqlite (default) or pg (PostgreSQL),
// one transaction helper, and the mapping of "database unreachable" to 503.
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, sql, type PostgresPool, type PostgresPoolClient, type Transaction } from 'kysely';
import pg from 'pg';
import { openSqlite } from './sqlite-dialect.ts';
import { unavailable, BerthError } from '../errors.ts';
import type { PlatformTables } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

/** A Kysely handle, or a transaction on one; stores accept either. */
export type Queryable<T> = Kysely<T> | Transaction<T>;

/** Connection-pool figures for /metrics. */
export interface PoolStats {
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
}

/** An open database: the Kysely handle and the few operations around it. */
export interface Database {
  readonly kysely: Kysely<PlatformTables>;
  readonly dialect: Dialect;
  /**
   * Runs `fn` in one transaction, committed when it resolves and rolled back when it throws.
   * A lost connection surfaces as `BerthError('ServiceUnavailable')`.
   */
  transaction<R>(fn: (tx: Transaction<PlatformTables>) => Promise<R>): Promise<R>;
  /** Resolves when the database answers a trivial query; throws ServiceUnavailable otherwise. */
  ping(): Promise<void>;
  poolStats(): PoolStats;
  /** Closes every connection. Idempotent. */
  close(): Promise<void>;
}

const unavailableCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND',
  '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300',
]);

// Errors the PostgreSQL driver raised. Only these can mean that the database is unreachable: the
// same socket codes from a client's request stream (an aborted upload) or from a call to another
// service are not database outages.
const fromDriver = new WeakSet<object>();

function fromPostgres(err: unknown): unknown {
  if (typeof err === 'object' && err !== null) fromDriver.add(err);
  return err;
}

function looksUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && unavailableCodes.has(code)) return true;
  if (err instanceof AggregateError) return err.errors.some(looksUnreachable);
  return /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(err.message);
}

/** True when an error came from the database driver and means the database cannot be reached (rather than a bad query). */
export function isUnavailableError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && fromDriver.has(err) && looksUnreachable(err);
}

/** Rethrows database-unreachable errors as ServiceUnavailable, everything else unchanged. */
export function mapDatabaseError(err: unknown): never {
  if (err instanceof BerthError) throw err;
  if (isUnavailableError(err)) throw unavailable('the database is not reachable; try again shortly', err);
  throw err;
}

/** True when an error is a unique-constraint violation on either backend. */
export function isUniqueViolation(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return code === '23505' || /UNIQUE constraint failed/.test(err.message);
}

/**
 * Opens the database named by `url` (postgres://…) or, without one, the SQLite file
 * `<dataDir>/berth.db`. A missing data folder is created with mode 0700; the database file is
 * kept at 0600 (an older, wider file is narrowed), and SQLite gives its -wal and -shm files the
 * database file's mode. Does not migrate: see migrations.ts.
 */
export function openDatabase(opts: { url?: string; dataDir: string; poolSize?: number }): Database {
  if (opts.url) return openPostgres(opts.url, opts.poolSize ?? 10);
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const file = join(opts.dataDir, 'berth.db');
  // Created here, before SQLite opens it, so that it never exists with the umask's wider mode.
  closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      chmodSync(f, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  const kysely = new Kysely<PlatformTables>({ dialect: new SqliteDialect({ database: openSqlite(file) }) });
  return wrap(kysely, 'sqlite', () => ({ total: 1, idle: 1, waiting: 0 }));
}

function openPostgres(url: string, max: number): Database {
  // int8 (counts, sizes) as JS numbers: Berth's values stay far below 2^53.
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') =>
      oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format),
  };
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30000, types });
  // A client whose server went away emits 'error' (idle ones through the pool, checked-out ones
  // on themselves); without a listener the process dies. The query in flight rejects anyway.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const kysely = new Kysely<PlatformTables>({ dialect: new PostgresDialect({ pool: markingErrors(pool) }) });
  return wrap(kysely, 'postgres', () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }));
}

/** The pool as Kysely uses it, with every error of a connect or a query marked as the driver's. */
function markingErrors(pool: pg.Pool): PostgresPool {
  // One wrapper per pooled client: Kysely keeps its connection objects by client.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    async connect() {
      const client = await pool.connect().catch((err: unknown) => { throw fromPostgres(err); });
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        wrapper = {
          // Kysely's cursor form of query is not used: no cursor is configured.
          query: ((text: string, parameters: readonly unknown[]) =>
            client.query(text, [...parameters]).catch((err: unknown) => { throw fromPostgres(err); })) as unknown as PostgresPoolClient['query'],
          release: (destroy?: boolean) => client.release(destroy),
        };
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}

function wrap(kysely: Kysely<PlatformTables>, dialect: Dialect, poolStats: () => PoolStats): Database {
  let closed = false;
  return {
    kysely,
    dialect,
    poolStats,
    async transaction(fn) {
      try {
        return await kysely.transaction().execute(fn);
      } catch (err) {
        return mapDatabaseError(err);
      }
    },
    async ping() {
      try {
        await sql`select 1`.execute(kysely);
      } catch (err) {
        mapDatabaseError(err);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await kysely.destroy();
    },
  };
}
