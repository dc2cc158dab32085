// The use-case path on both backends: a change's rows, audit record and outbox event commit
// together or not at all, and a caller without the permission changes nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../src/platform/db/database.ts';
import { migrate, platformMigrations } from '../../src/platform/db/migrations.ts';
import { AuditLog } from '../../src/platform/audit/service.ts';
import { OutboxConsumer } from '../../src/platform/outbox/outbox.ts';
import { BerthError } from '../../src/platform/errors.ts';
import type { RequestContext } from '../../src/platform/context.ts';
import { change, type ChangeDeps } from '../../src/platform/usecase.ts';
import { backends, databaseFor } from '../support/pg.ts';

const key = new Uint8Array(32).fill(7);
const tenantAdmin: RequestContext = {
  principal: { type: 'user', name: 'alice', platformRoles: ['user'], tenantRoles: [{ tenant: 'acme', role: 'tenant-admin' }] },
  sourceIp: '10.0.0.9', requestId: 'req-1',
};

async function withDeps(backend: (typeof backends)[number], fn: (deps: ChangeDeps, db: Database) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-usecase-'));
  const pg = await databaseFor(backend);
  const db = openDatabase({ url: pg.url, dataDir: dir });
  try {
    await migrate(db.kysely as never, db.dialect, platformMigrations);
    await fn({ db, audit: new AuditLog(db, key) }, db);
  } finally {
    await db.close();
    await pg.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// role_bindings stands in for an area's table: every backend has it, with a foreign key to users.
const rowsOf = async (db: Database) => (await db.kysely.selectFrom('role_bindings').selectAll().execute()).length;
const events = (db: Database) => new OutboxConsumer(db, { name: 't', topics: ['project.created'] }).claim(10);

for (const backend of backends) {
  describe(`use-case path (${backend})`, () => {
    it('commits the rows, one audit record filled from the context, and the event together', async () => {
      await withDeps(backend, async (deps, db) => {
        await db.kysely.insertInto('users').values({ name: 'bob', email: null, password_hash: 'x', platform_roles: '[]', disabled: 0, created_at: '', updated_at: '', resource_version: 1 }).execute();
        const got = await change(deps, tenantAdmin, {
          permission: 'namespaces:create', tenant: 'acme',
          audit: (r: string) => ({ action: 'create', resource: 'rolebindings', name: r, detail: { role: 'tenant-viewer' } }),
          event: { topic: 'project.created', key: 'bob', payload: { user: 'bob' } },
        }, async (tx) => {
          await tx.insertInto('role_bindings').values({ user_name: 'bob', tenant: 'acme', role: 'tenant-viewer', created_at: '' }).execute();
          return 'bob@acme';
        });
        assert.equal(got, 'bob@acme');
        assert.equal(await rowsOf(db), 1);
        const recs = (await deps.audit.list({ resource: 'rolebindings' }, 10)).items;
        assert.equal(recs.length, 1);
        const { actor, sourceIp, requestId, tenant, action, name, outcome, code, detail } = recs[0];
        assert.deepEqual({ actor, sourceIp, requestId, tenant, action, name, outcome, code, detail },
          { actor: 'alice', sourceIp: '10.0.0.9', requestId: 'req-1', tenant: 'acme', action: 'create', name: 'bob@acme', outcome: 'success', code: 201, detail: { role: 'tenant-viewer' } });
        assert.deepEqual((await events(db)).map((e) => e.payload), [{ user: 'bob' }]);
        assert.equal((await deps.audit.verify()).ok, true);
      });
    });

    it('rolls the rows, the audit record and the event back when the body throws a domain error', async () => {
      await withDeps(backend, async (deps, db) => {
        await db.kysely.insertInto('users').values({ name: 'bob', email: null, password_hash: 'x', platform_roles: '[]', disabled: 0, created_at: '', updated_at: '', resource_version: 1 }).execute();
        const refused = new BerthError('Conflict', 'taken');
        await assert.rejects(change(deps, tenantAdmin, {
          permission: 'namespaces:create', tenant: 'acme', audit: { action: 'create', resource: 'rolebindings', name: 'bob' },
          event: { topic: 'project.created', key: 'bob', payload: {} },
        }, async (tx) => {
          await tx.insertInto('role_bindings').values({ user_name: 'bob', tenant: 'acme', role: 'tenant-viewer', created_at: '' }).execute();
          throw refused;
        }), (err) => err === refused);
        assert.equal(await rowsOf(db), 0);
        assert.equal((await deps.audit.list({}, 10)).items.length, 0);
        assert.deepEqual(await events(db), []);
      });
    });

    it('refuses a caller without the permission in that tenant before running the body', async () => {
      await withDeps(backend, async (deps) => {
        let ran = false;
        const spec = { permission: 'namespaces:create' as const, tenant: 'other', audit: { action: 'create', resource: 'rolebindings', name: 'x' } };
        await assert.rejects(change(deps, tenantAdmin, spec, async () => { ran = true; }), (err: BerthError) => err.reason === 'Forbidden' && /in tenant "other"/.test(err.message));
        await assert.rejects(change(deps, { sourceIp: '', requestId: 'r' }, spec, async () => { ran = true; }), (err: BerthError) => err.reason === 'Unauthorized');
        await assert.rejects(change(deps, tenantAdmin, { ...spec, tenant: undefined }, async () => { ran = true; }), (err: BerthError) => err.reason === 'Forbidden');
        assert.equal(ran, false);
        assert.equal((await deps.audit.list({}, 10)).items.length, 0);
      });
    });
  });
}
