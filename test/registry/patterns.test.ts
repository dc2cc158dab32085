// User-written patterns through a real server: hostile immutability and robot patterns cost a
// push or a tags/list milliseconds (a glob compiled to a backtracking regular expression took
// seconds, with /healthz waiting behind it), over-long or over-wild patterns are refused with
// a 422 naming the field, rules per project and grants per member are bounded, and stored policies written when `*` crossed `/` still match what they
// matched after the upgrade.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/platform/config.ts';
import { openDatabase } from '../../src/platform/db/database.ts';
import { migrate, platformMigrations } from '../../src/platform/db/migrations.ts';
import { startServer } from '../../src/platform/server.ts';
import { imagesArea } from '../../src/images/index.ts';
import type { ImagesTables } from '../../src/images/store.ts';
import { sha256, startRegistryServer } from './support.ts';
import { adminPassword } from '../support/server.ts';
import { databaseFor } from '../support/pg.ts';

const manifestType = 'application/vnd.oci.image.manifest.v1+json';
const config = Buffer.from('{}');
const manifest = Buffer.from(JSON.stringify({
  schemaVersion: 2, mediaType: manifestType, layers: [],
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
}));
const otherManifest = Buffer.from(JSON.stringify({ ...JSON.parse(manifest.toString()), annotations: { other: 'yes' } }));

/** A bearer token for `scope` from the token service, with basic credentials. */
async function token(base: string, user: string, password: string, scope: string): Promise<string> {
  const r = await fetch(`${base}/auth/token?service=berth&scope=${encodeURIComponent(scope)}`, { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
  assert.equal(r.status, 200, await r.clone().text());
  return ((await r.json()) as { token: string }).token;
}

/** Uploads the config blob the manifests refer to into `repository`. */
async function pushConfig(base: string, bearer: string, repository: string): Promise<void> {
  const r = await fetch(`${base}/v2/${repository}/blobs/uploads/?digest=${sha256(config)}`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/octet-stream' }, body: config });
  assert.equal(r.status, 201);
}

/** Tags `body` as `tag` in `repository` (its config already pushed); returns the status. */
async function putManifest(base: string, bearer: string, repository: string, tag: string, body = manifest): Promise<number> {
  const put = await fetch(`${base}/v2/${repository}/manifests/${tag}`, { method: 'PUT', headers: { authorization: `Bearer ${bearer}`, 'content-type': manifestType }, body });
  await put.arrayBuffer();
  return put.status;
}

/** Pushes the config blob and tags `body` as `tag` in `repository`; returns the manifest PUT's status. */
async function push(base: string, bearer: string, repository: string, tag: string, body = manifest): Promise<number> {
  await pushConfig(base, bearer, repository);
  return putManifest(base, bearer, repository, tag, body);
}

/** Runs `fn` three times with a /healthz request sent while it runs; the fastest of each. */
async function fastest(base: string, fn: () => Promise<void>): Promise<{ ms: number; healthzMs: number }> {
  let ms = Infinity;
  let healthzMs = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const work = fn().then(() => { ms = Math.min(ms, performance.now() - t0); });
    await new Promise((r) => setTimeout(r, 5));
    const h0 = performance.now();
    const h = await fetch(`${base}/healthz`);
    await h.arrayBuffer();
    assert.equal(h.status, 200);
    healthzMs = Math.min(healthzMs, performance.now() - h0);
    await work;
  }
  return { ms, healthzMs };
}

const wildcards16 = `${'*a'.repeat(15)}*b`;
const wildcards17 = `${'*a'.repeat(16)}*b`;

for (const backend of ['sqlite', 'postgres'] as const) test(`hostile patterns match in milliseconds and over-wild ones are refused (${backend})`, { timeout: 120_000 }, async (t) => {
  const s = await startRegistryServer(backend);
  try {
    await s.createProject('team');
    const api = (method: string, path: string, body?: unknown) => s.api(method, `/api/v1/registry/projects/team${path}`, { token: s.adminToken, ...(body === undefined ? {} : { body }) });
    const longTag = 'a'.repeat(128);
    const admin = await token(s.url, 'admin', adminPassword, 'repository:team/app:pull,push');

    // Immutability: every push of a tag runs the project's rules against it.
    assert.equal((await api('POST', '/immutability', { tags: '*a*a*a*a*b' })).status, 201);
    await pushConfig(s.url, admin, 'team/app');
    const pushed = await fastest(s.url, async () => { assert.equal(await putManifest(s.url, admin, 'team/app', longTag), 201); });
    t.diagnostic(`manifest PUT against "*a*a*a*a*b": ${pushed.ms.toFixed(1)} ms, /healthz meanwhile ${pushed.healthzMs.toFixed(1)} ms`);
    assert.ok(pushed.ms < 200, `a manifest PUT against tags "*a*a*a*a*b" took ${pushed.ms.toFixed(0)} ms`);
    assert.ok(pushed.healthzMs < 200, `/healthz took ${pushed.healthzMs.toFixed(0)} ms during the push`);

    assert.equal((await api('POST', '/immutability', { repositories: `**${'/*a'.repeat(3)}`, tags: wildcards16 })).status, 201, 'the longest allowed hostile pattern is accepted');
    assert.equal((await api('POST', '/immutability', { tags: wildcards16 })).status, 201);
    const worst = await fastest(s.url, async () => { assert.equal(await putManifest(s.url, admin, 'team/app', longTag), 201); });
    t.diagnostic(`manifest PUT against 16-wildcard rules: ${worst.ms.toFixed(1)} ms`);
    assert.ok(worst.ms < 200, `a manifest PUT against ${wildcards16.length}-character, 16-wildcard tag rules took ${worst.ms.toFixed(0)} ms`);
    assert.equal(await push(s.url, admin, 'team/app', `${'a'.repeat(127)}b`), 201);
    assert.equal(await push(s.url, admin, 'team/app', `${'a'.repeat(127)}b`, otherManifest), 403, 'a matching tag is still protected');

    // Robots: a robot's token request runs its permission patterns against the repository path.
    const repo = `team/${'a'.repeat(128)}`;
    assert.equal(await push(s.url, await token(s.url, 'admin', adminPassword, `repository:${repo}:pull,push`), repo, 'v1'), 201);
    const robot = await s.createRobot('team', 'lister', [{ repositories: '*a*a*a*a*b', actions: ['push'] }, { repositories: '**', actions: ['pull'] }]);
    // The token request decides the robot's actions on the repository; tags/list checks the token.
    let robotToken = '';
    const issued = await fastest(s.url, async () => { robotToken = await token(s.url, robot.username, robot.secret, `repository:${repo}:pull`); });
    const listed = await fastest(s.url, async () => {
      const r = await fetch(`${s.url}/v2/${repo}/tags/list`, { headers: { authorization: `Bearer ${robotToken}` } });
      assert.equal(r.status, 200);
      assert.deepEqual(((await r.json()) as { tags: string[] }).tags, ['v1']);
    });
    t.diagnostic(`robot token: ${issued.ms.toFixed(1)} ms, then tags/list: ${listed.ms.toFixed(1)} ms; /healthz meanwhile ${issued.healthzMs.toFixed(1)} and ${listed.healthzMs.toFixed(1)} ms`);
    assert.ok(issued.ms < 200, `a robot's token for a repository against permission "*a*a*a*a*b" took ${issued.ms.toFixed(0)} ms`);
    assert.ok(issued.healthzMs < 200, `/healthz took ${issued.healthzMs.toFixed(0)} ms during the token request`);
    assert.ok(listed.ms < 200, `a robot's tags/list took ${listed.ms.toFixed(0)} ms`);
    const wild = await s.createRobot('team', 'wild', [{ repositories: wildcards16, actions: ['push', 'delete'] }, { repositories: '**', actions: ['pull'] }]);
    const worstToken = await fastest(s.url, async () => { await token(s.url, wild.username, wild.secret, `repository:${repo}:pull,push,delete`); });
    t.diagnostic(`robot token against a 16-wildcard permission: ${worstToken.ms.toFixed(1)} ms`);
    assert.ok(worstToken.ms < 200, `a robot's token against a 16-wildcard permission took ${worstToken.ms.toFixed(0)} ms`);
    assert.ok(listed.healthzMs < 200, `/healthz took ${listed.healthzMs.toFixed(0)} ms during tags/list`);

    // Bounds when written, with the field named.
    const refused = async (status: Promise<{ status: number; body: any }>, field: string) => {
      const r = await status;
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.equal(r.body.kind, 'Status');
      assert.deepEqual(r.body.details.causes.map((c: { field: string }) => c.field), [field], JSON.stringify(r.body));
    };
    await refused(api('POST', '/immutability', { tags: wildcards17 }), 'tags');
    await refused(api('POST', '/immutability', { repositories: 'prod//api' }), 'repositories');
    await refused(api('POST', '/immutability', { tags: '' }), 'tags');
    await refused(api('POST', '/retention', { keepTags: ['v*', wildcards17] }), 'keepTags[1]');
    await refused(api('POST', '/retention', { repositories: 'a***', keepLatest: 1 }), 'repositories');
    await refused(api('POST', '/robots', { name: 'wild', permissions: [{ repositories: wildcards17, actions: ['pull'] }] }), 'permissions[0].repositories');
    await refused(api('PUT', '/members/admin', { role: 'guest', repositories: `${'a'.repeat(200)}/${'*'.repeat(2)}/${'b'.repeat(60)}` }), 'repositories');
    await refused(api('PUT', '/members/admin', { role: 'guest', repositories: 'Frontend/*' }), 'repositories');

    // Counts: every push is matched against all of a project's rules, every request against all
    // of a member's grants; both are bounded.
    const rules = (await api('GET', '/policies')).body.items.filter((p: { kind: string }) => p.kind === 'immutability').length;
    for (let i = rules; i < 50; i++) assert.equal((await api('POST', '/immutability', { tags: `t${i}-*` })).status, 201);
    const tooManyRules = await api('POST', '/immutability', { tags: 'one-more-*' });
    assert.equal(tooManyRules.status, 403, JSON.stringify(tooManyRules.body));
    assert.match(tooManyRules.body.message, /50 immutability/);
    await s.createUser('granted', 'password-123');
    for (let i = 0; i < 50; i++) await s.setMember('team', 'granted', 'guest', `g${i}/*`);
    assert.equal((await api('PUT', '/members/granted', { role: 'developer', repositories: 'g0/*' })).status, 200, 'changing the role of a held grant is fine');
    const tooManyGrants = await api('PUT', '/members/granted', { role: 'guest', repositories: 'g50/*' });
    assert.equal(tooManyGrants.status, 403, JSON.stringify(tooManyGrants.body));
    assert.match(tooManyGrants.body.message, /50 grants/);
  } finally {
    await s.close();
  }
});

for (const backend of ['sqlite', 'postgres'] as const) test(`policies written when "*" crossed "/" match the same repositories after the upgrade (${backend})`, { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-patterns-'));
  const store = await databaseFor(backend);
  try {
    const db = openDatabase({ url: store.url, dataDir });
    const upgrade = '0106-images-policy-patterns';
    await migrate(db.kysely as never, db.dialect, [...platformMigrations, ...imagesArea.migrations].filter((m) => m.name !== upgrade));
    const k = db.kysely.withTables<ImagesTables>();
    const now = new Date().toISOString();
    await k.insertInto('registry_projects').values({ name: 'team', tenant: '', public: 0, storage_limit: -1, artifact_limit: -1, rate_limit: -1, created_at: now, created_by: 'admin' }).execute();
    const old = [
      { id: 'imm1', kind: 'immutability', spec: { repositories: 'prod/*', tags: '' } },
      { id: 'ret1', kind: 'retention', spec: { repositories: '', keepTags: ['v*'] } },
      { id: 'ret2', kind: 'retention', spec: { repositories: 'svc*/**', keepLatest: 1 } },
    ];
    for (const p of old) await k.insertInto('registry_policies').values({ id: p.id, project: 'team', kind: p.kind, spec: JSON.stringify(p.spec), created_at: now, created_by: 'admin' }).execute();
    await db.close();

    const server = await startServer(loadConfig(['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
      BERTH_ADMIN_PASSWORD: adminPassword, BERTH_WEBHOOK_PORT: '0', ...(store.url ? { BERTH_DATABASE_URL: store.url } : {}),
    }), { logger: pino({ level: 'silent' }) });
    try {
      const admin = await token(server.url, 'admin', adminPassword, 'repository:team/prod/eu/api:pull,push');
      assert.equal(await push(server.url, admin, 'team/prod/eu/api', 'latest'), 201);
      assert.equal(await push(server.url, admin, 'team/prod/eu/api', 'latest', otherManifest), 403, 'the old "prod/*" still protects a repository two segments below prod');
      const login = await fetch(`${server.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: adminPassword }) });
      const session = ((await login.json()) as { token: string }).token;
      const listed = await fetch(`${server.url}/api/v1/registry/projects/team/policies`, { headers: { authorization: `Bearer ${session}` } });
      const specs = ((await listed.json()) as { items: { id: string; repositories: string; tags?: string; keepTags?: string[] }[] }).items
        .map(({ id, repositories, tags, keepTags }) => ({ id, repositories, ...(tags !== undefined ? { tags } : {}), ...(keepTags ? { keepTags } : {}) }))
        .sort((a, b) => a.id.localeCompare(b.id));
      assert.deepEqual(specs, [
        { id: 'imm1', repositories: 'prod/**', tags: '*' },
        { id: 'ret1', repositories: '**', keepTags: ['v*'] },
        { id: 'ret2', repositories: 'svc**/**' },
      ]);
    } finally {
      await server.close();
    }
  } finally {
    await store.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
