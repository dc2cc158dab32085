// The data folder holds the SQLite database and the secret key: only the server's user may read it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/platform/config.ts';
import { startServer } from '../../src/platform/server.ts';

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

async function withServer(dataDir: string, fn: () => Promise<void>): Promise<void> {
  const config = loadConfig(['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], { BERTH_ADMIN_PASSWORD: 'admin-password-1', BERTH_WEBHOOK_PORT: '0' });
  const server = await startServer(config, { logger: pino({ level: 'silent' }) });
  try {
    // A write, so that SQLite has its -wal and -shm files.
    const r = await fetch(`${server.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'admin-password-1' }) });
    assert.equal(r.status, 200);
    await fn();
  } finally {
    await server.close();
  }
}

describe('data folder permissions (sqlite)', () => {
  it('creates the data folder 0700 and the database, its -wal and -shm files and the key 0600, even under umask 000', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'berth-perm-'));
    const dataDir = join(parent, 'data');
    const umask = process.umask(0);
    try {
      await withServer(dataDir, async () => {
        assert.equal(modeOf(dataDir), '700');
        for (const f of ['berth.db', 'berth.db-wal', 'berth.db-shm', 'secret.key']) assert.equal(modeOf(join(dataDir, f)), '600', f);
      });
    } finally {
      process.umask(umask);
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('narrows a database file that an older version left readable by others', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-perm-'));
    writeFileSync(join(dataDir, 'berth.db'), '');
    chmodSync(join(dataDir, 'berth.db'), 0o644);
    try {
      await withServer(dataDir, async () => {
        for (const f of ['berth.db', 'berth.db-wal', 'berth.db-shm']) assert.equal(modeOf(join(dataDir, f)), '600', f);
      });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
