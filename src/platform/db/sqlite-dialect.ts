// Kysely's SqliteDialect speaks to a better-sqlite3-shaped database; this adapts Node's built-in
// `node:sqlite` (no native addon to build) to that shape.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

type Param = null | number | bigint | string | Uint8Array;

function toParam(v: unknown): Param {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string' || v instanceof Uint8Array) return v;
  return JSON.stringify(v);
}

class NodeSqliteStatement implements SqliteStatement {
  readonly reader: boolean;
  readonly #stmt: StatementSync;

  constructor(stmt: StatementSync) {
    this.#stmt = stmt;
    this.reader = stmt.columns().length > 0;
  }

  all(parameters: ReadonlyArray<unknown>): unknown[] {
    return this.#stmt.all(...parameters.map(toParam));
  }

  run(parameters: ReadonlyArray<unknown>): { changes: number | bigint; lastInsertRowid: number | bigint } {
    return this.#stmt.run(...parameters.map(toParam));
  }

  iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    return this.#stmt.iterate(...parameters.map(toParam)) as IterableIterator<unknown>;
  }
}

/**
 * Opens a SQLite file for Kysely. WAL journal so that a reader never waits for a writer and a
 * killed process loses no committed transaction; foreign keys on.
 */
export function openSqlite(path: string): SqliteDatabase {
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('PRAGMA busy_timeout = 5000');
  const cache = new Map<string, NodeSqliteStatement>();
  return {
    close: () => db.close(),
    prepare(sql: string): SqliteStatement {
      // Kysely prepares every query anew; SQLite's own statement cache is per statement object,
      // so keep prepared statements by text.
      let s = cache.get(sql);
      if (!s) {
        s = new NodeSqliteStatement(db.prepare(sql));
        if (cache.size > 500) cache.clear();
        cache.set(sql, s);
      }
      return s;
    },
  };
}
