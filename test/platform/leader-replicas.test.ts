// Replicas as processes: two `berth server`s on one PostgreSQL database elect one leader, which
// alone runs the registry's schedule; kill -9 of the leader hands leadership to the other within
// a few seconds. With SQLite the one server leads from its first answer.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase } from '../support/pg.ts';
import { spawnServer, type SpawnedServer } from '../support/spawn.ts';

const password = 'admin-password-1';

async function ready(url: string): Promise<{ status: string; leader: { replica: string; leading: boolean; epoch?: number; leader?: string } }> {
  const r = await fetch(`${url}/readyz`);
  assert.equal(r.status, 200);
  return (await r.json()) as any;
}

async function leaderGauge(url: string, replica: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^berth_leader\\{replica="${replica}"\\} (\\d+)$`, 'm').exec(text);
  assert.ok(m, `no berth_leader gauge for ${replica}`);
  return Number(m[1]);
}

/** Who triggered the registry's garbage collections started after `since`. */
async function gcRunners(url: string, token: string, since: number): Promise<string[]> {
  const r = await fetch(`${url}/api/v1/registry/gc`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200);
  const items = ((await r.json()) as { items: { triggeredBy: string; startedAt: string }[] }).items;
  return items.filter((i) => Date.parse(i.startedAt) >= since).map((i) => i.triggeredBy);
}

async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('leader election across replicas (postgres)', () => {
  it('exactly one leads and runs the schedule; after kill -9 the other takes over', async (t) => {
    const database = await createTestDatabase();
    const dirs = [mkdtempSync(join(tmpdir(), 'berth-r1-')), mkdtempSync(join(tmpdir(), 'berth-r2-'))];
    const env = {
      BERTH_ADMIN_PASSWORD: password, BERTH_DATABASE_URL: database.url, BERTH_SECRET_KEY: randomBytes(32).toString('hex'),
      BERTH_REGISTRY_GC_INTERVAL_HOURS: String(1.2 / 3600),
    };
    const servers: SpawnedServer[] = [];
    try {
      servers.push(await spawnServer({ dataDir: dirs[0], env: { ...env, BERTH_REPLICA_ID: 'r1' } }));
      servers.push(await spawnServer({ dataDir: dirs[1], env: { ...env, BERTH_REPLICA_ID: 'r2' } }));
      const bothUp = Date.now();
      const [r1, r2] = servers;
      const first = await ready(r1.url);
      assert.deepEqual(first.leader, { replica: 'r1', leading: true, epoch: 1, leader: 'r1' });
      assert.deepEqual((await ready(r2.url)).leader, { replica: 'r2', leading: false, epoch: 1, leader: 'r1' });
      assert.equal(await leaderGauge(r1.url, 'r1'), 1);
      assert.equal(await leaderGauge(r2.url, 'r2'), 0);

      const login = await fetch(`${r2.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
      const token = ((await login.json()) as { token: string }).token;
      // Three intervals with both replicas up: only the leader collected.
      await until('three scheduled collections', async () => ((await gcRunners(r2.url, token, bothUp)).length >= 3 ? true : undefined));
      assert.deepEqual([...new Set(await gcRunners(r2.url, token, bothUp))], ['schedule@r1']);

      r1.child.kill('SIGKILL');
      await r1.exited;
      const killed = Date.now();
      await until('r2 to lead', async () => ((await ready(r2.url)).leader.leading ? true : undefined));
      const takeover = Date.now() - killed;
      t.diagnostic(`takeover after kill -9: ${takeover} ms`);
      assert.ok(takeover < 5000, `took ${takeover} ms`);
      assert.deepEqual((await ready(r2.url)).leader, { replica: 'r2', leading: true, epoch: 2, leader: 'r2' });
      assert.equal(await leaderGauge(r2.url, 'r2'), 1);
      await until('a collection by r2', async () => ((await gcRunners(r2.url, token, killed)).includes('schedule@r2') ? true : undefined));
    } finally {
      for (const s of servers) {
        if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
        await s.exited;
      }
      await database.drop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('leader election (sqlite server)', () => {
  it('the one server leads from its first ready answer', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-solo-'));
    const s = await spawnServer({ dataDir, env: { BERTH_ADMIN_PASSWORD: password, BERTH_REPLICA_ID: 'solo' } });
    try {
      assert.deepEqual((await ready(s.url)).leader, { replica: 'solo', leading: true, epoch: 1, leader: 'solo' });
      assert.equal(await leaderGauge(s.url, 'solo'), 1);
    } finally {
      s.child.kill('SIGTERM');
      await s.exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
