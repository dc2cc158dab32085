// Migrations on both backends: a platform migration added after an area's migrations were
// applied (it sorts before them, in the platform's band) is applied on the next start.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/platform/db/database.ts';
import { appliedMigrations, migrate, platformMigrations } from '../../src/platform/db/migrations.ts';
import { imagesArea } from '../../src/images/index.ts';
import { backends, databaseFor } from '../support/pg.ts';

for (const backend of backends) {
  describe(`migrations (${backend})`, () => {
    it('applies a new migration of an earlier band after later bands were applied', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'berth-migrate-'));
      const target = await databaseFor(backend);
      const db = openDatabase({ url: target.url, dataDir });
      try {
        const all = [...platformMigrations, ...imagesArea.migrations];
        const older = all.filter((m) => m.name !== '0002-platform-leader');
        await migrate(db.kysely as never, db.dialect, older);
        await migrate(db.kysely as never, db.dialect, all);
        assert.deepEqual([...await appliedMigrations(db.kysely as never)].sort(), all.map((m) => m.name).sort());
        const row = await db.kysely.selectFrom('leader_epoch').selectAll().executeTakeFirstOrThrow();
        assert.deepEqual({ ...row, epoch: Number(row.epoch) }, { id: 1, epoch: 0, holder: '', elected_at: '' });
      } finally {
        await db.close();
        await target.drop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
