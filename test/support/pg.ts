// Throwaway PostgreSQL databases for tests. The server is the one .ci/run starts (BERTH_TEST_PG_URL);
// a missing server fails the test: it never skips silently.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The maintenance-database URL of the test PostgreSQL server. */
export function pgAdminUrl(): string {
  return process.env.BERTH_TEST_PG_URL ?? 'postgres://postgres:berth@127.0.0.1:5432/postgres';
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: pgAdminUrl(), connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
  } catch (err) {
    throw new Error(`PostgreSQL for tests is not reachable at ${pgAdminUrl().replace(/:[^:@/]*@/, ':***@')} (run .ci/run's set-up, or set BERTH_TEST_PG_URL): ${(err as Error).message}`, { cause: err });
  }
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A fresh empty database; `drop()` removes it (terminating leftover connections). */
export async function createTestDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `berth_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const u = new URL(pgAdminUrl());
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    drop: () => admin(async (c) => {
      await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
    }),
  };
}

/** The two backends every store test runs on. */
export const backends = ['sqlite', 'postgres'] as const;
export type Backend = (typeof backends)[number];

/** A database URL for the backend (undefined = embedded SQLite) and its clean-up. */
export async function databaseFor(backend: Backend): Promise<{ url?: string; drop(): Promise<void> }> {
  if (backend === 'sqlite') return { url: undefined, drop: async () => {} };
  return createTestDatabase();
}
