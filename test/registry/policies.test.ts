// Tag immutability and retention through the API and real clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Layout, run, startRegistryServer, tool } from './support.ts';
import { adminPassword } from '../support/server.ts';

test('immutable tags cannot be moved or deleted; retention keeps what its rules say, dry run first', { timeout: 120_000 }, async () => {
  const skopeo = tool('skopeo');
  const crane = tool('crane');
  const dir = mkdtempSync(join(tmpdir(), 'berth-policies-'));
  const s = await startRegistryServer();
  try {
    await s.createProject('team');
    const layout = new Layout(join(dir, 'layout'));
    for (let i = 1; i <= 5; i++) layout.tag(layout.image([[{ path: 'n.txt', content: `image ${i}\n` }]]), `v${i}`);
    const push = (tag: string, to: string) => run(skopeo, ['copy', '--dest-tls-verify=false', '--dest-creds', `admin:${adminPassword}`, `oci:${layout.dir}:${tag}`, `docker://${s.host}/team/${to}`]);
    const cfg = mkdtempSync(join(dir, 'cfg-'));
    writeFileSync(join(cfg, 'config.json'), JSON.stringify({ auths: { [s.host]: { auth: Buffer.from(`admin:${adminPassword}`).toString('base64') } } }));
    const c = (...args: string[]) => run(crane, args, { env: { DOCKER_CONFIG: cfg } });
    const api = (method: string, path: string, body?: unknown) => s.api(method, `/api/v1/registry/projects/team${path}`, { token: s.adminToken, ...(body === undefined ? {} : { body }) });

    const rule = await api('POST', '/immutability', { repositories: 'prod/*', tags: 'v*' });
    assert.equal(rule.status, 201);
    assert.equal((await push('v1', 'prod/api:v1')).code, 0);
    assert.equal((await push('v1', 'prod/api:v1')).code, 0, 'pushing the same content again is fine');
    const moved = await push('v2', 'prod/api:v1');
    assert.notEqual(moved.code, 0, 'moving an immutable tag is refused');
    assert.match(moved.stderr, /immutable|denied/i);
    const v1 = (await c('digest', `${s.host}/team/prod/api:v1`)).stdout.trim();
    assert.notEqual((await c('delete', `${s.host}/team/prod/api@${v1}`)).code, 0, 'deleting it is refused');
    assert.equal((await push('v2', 'prod/api:latest')).code, 0, 'other tags are not protected');
    assert.equal((await push('v3', 'prod/api:latest')).code, 0);
    assert.equal((await push('v2', 'dev/api:v1')).code, 0);
    assert.equal((await push('v3', 'dev/api:v1')).code, 0, 'other repositories are not protected');

    for (let i = 1; i <= 5; i++) assert.equal((await push(`v${i}`, `app:v${i}`)).code, 0);
    assert.equal((await push('v1', 'app:release-1')).code, 0);
    assert.equal((await api('POST', '/retention', { repositories: 'app', keepLatest: 2, keepTags: ['release-*'] })).status, 201);
    const dry = await api('POST', '/retention/run', { dryRun: true });
    assert.equal(dry.status, 200);
    assert.deepEqual(dry.body.removed.map((r: { tags: string[] }) => r.tags.join(',')).sort(), ['v2', 'v3']);
    assert.deepEqual((await c('ls', `${s.host}/team/app`)).stdout.trim().split('\n').sort(), ['release-1', 'v1', 'v2', 'v3', 'v4', 'v5'], 'a dry run removes nothing');
    const real = await api('POST', '/retention/run', {});
    assert.equal(real.body.removed.length, 2);
    assert.deepEqual((await c('ls', `${s.host}/team/app`)).stdout.trim().split('\n').sort(), ['release-1', 'v1', 'v4', 'v5']);
    assert.deepEqual((await c('ls', `${s.host}/team/prod/api`)).stdout.trim().split('\n').sort(), ['latest', 'v1'], 'repositories no policy covers are untouched');

    const runs = await api('GET', '/retention/runs');
    assert.deepEqual(runs.body.items.map((r: { result: { dryRun: boolean; removed: unknown[] } }) => [r.result.dryRun, r.result.removed.length]), [[false, 2], [true, 2]]);

    const listed = await api('GET', '/policies');
    assert.deepEqual(listed.body.items.map((p: { kind: string }) => p.kind).sort(), ['immutability', 'retention']);
    assert.equal((await api('DELETE', `/policies/${rule.body.id}`)).status, 204);
    assert.equal((await push('v2', 'prod/api:v1')).code, 0, 'without the rule the tag moves');
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
