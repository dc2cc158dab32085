// Tag immutability and retention through the API and real clients. The cases share one server
// and run in order: the retention and policy cases find the repositories the earlier ones pushed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Layout, run, startRegistryServer, tool, type RegistryServer, type Run } from './support.ts';
import { adminPassword } from '../support/server.ts';

type Answer = Awaited<ReturnType<RegistryServer['api']>>;

describe('tag immutability and retention', { timeout: 120_000 }, () => {
  let dir: string;
  let s: RegistryServer;
  let push: (tag: string, to: string) => Promise<Run>;
  let c: (...args: string[]) => Promise<Run>;
  let api: (method: string, path: string, body?: unknown) => Promise<Answer>;
  let rule: Answer;

  before(async () => {
    const skopeo = tool('skopeo');
    const crane = tool('crane');
    dir = mkdtempSync(join(tmpdir(), 'berth-policies-'));
    s = await startRegistryServer();
    await s.createProject('team');
    const layout = new Layout(join(dir, 'layout'));
    for (let i = 1; i <= 5; i++) layout.tag(layout.image([[{ path: 'n.txt', content: `image ${i}\n` }]]), `v${i}`);
    push = (tag, to) => run(skopeo, ['copy', '--dest-tls-verify=false', '--dest-creds', `admin:${adminPassword}`, `oci:${layout.dir}:${tag}`, `docker://${s.host}/team/${to}`]);
    const cfg = mkdtempSync(join(dir, 'cfg-'));
    writeFileSync(join(cfg, 'config.json'), JSON.stringify({ auths: { [s.host]: { auth: Buffer.from(`admin:${adminPassword}`).toString('base64') } } }));
    c = (...args) => run(crane, args, { env: { DOCKER_CONFIG: cfg } });
    api = (method, path, body) => s.api(method, `/api/v1/registry/projects/team${path}`, { token: s.adminToken, ...(body === undefined ? {} : { body }) });
  });

  after(async () => {
    await s?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  describe('an immutability rule on prod/* tags v*', () => {
    it('is created', async () => {
      rule = await api('POST', '/immutability', { repositories: 'prod/*', tags: 'v*' });
      assert.equal(rule.status, 201);
    });

    it('lets the same content be pushed to a protected tag again', async () => {
      assert.equal((await push('v1', 'prod/api:v1')).code, 0);
      assert.equal((await push('v1', 'prod/api:v1')).code, 0, 'pushing the same content again is fine');
    });

    it('refuses moving a protected tag to other content', async () => {
      const moved = await push('v2', 'prod/api:v1');
      assert.notEqual(moved.code, 0, 'moving an immutable tag is refused');
      assert.match(moved.stderr, /immutable|denied/i);
    });

    it('refuses deleting the manifest a protected tag names', async () => {
      const v1 = (await c('digest', `${s.host}/team/prod/api:v1`)).stdout.trim();
      assert.notEqual((await c('delete', `${s.host}/team/prod/api@${v1}`)).code, 0, 'deleting it is refused');
    });

    it('leaves tags that do not match unprotected', async () => {
      assert.equal((await push('v2', 'prod/api:latest')).code, 0, 'other tags are not protected');
      assert.equal((await push('v3', 'prod/api:latest')).code, 0);
    });

    it('leaves repositories that do not match unprotected', async () => {
      assert.equal((await push('v2', 'dev/api:v1')).code, 0);
      assert.equal((await push('v3', 'dev/api:v1')).code, 0, 'other repositories are not protected');
    });
  });

  describe('a retention policy on app keeping the latest 2 and release-*', () => {
    before(async () => {
      for (let i = 1; i <= 5; i++) assert.equal((await push(`v${i}`, `app:v${i}`)).code, 0);
      assert.equal((await push('v1', 'app:release-1')).code, 0);
    });

    it('is created', async () => {
      assert.equal((await api('POST', '/retention', { repositories: 'app', keepLatest: 2, keepTags: ['release-*'] })).status, 201);
    });

    it('in a dry run names what it would remove and removes nothing', async () => {
      const dry = await api('POST', '/retention/run', { dryRun: true });
      assert.equal(dry.status, 200);
      assert.deepEqual(dry.body.removed.map((r: { tags: string[] }) => r.tags.join(',')).sort(), ['v2', 'v3']);
      assert.deepEqual((await c('ls', `${s.host}/team/app`)).stdout.trim().split('\n').sort(), ['release-1', 'v1', 'v2', 'v3', 'v4', 'v5'], 'a dry run removes nothing');
    });

    it('in a real run removes what the dry run named', async () => {
      const real = await api('POST', '/retention/run', {});
      assert.equal(real.body.removed.length, 2);
      assert.deepEqual((await c('ls', `${s.host}/team/app`)).stdout.trim().split('\n').sort(), ['release-1', 'v1', 'v4', 'v5']);
    });

    it('leaves repositories it does not cover untouched', async () => {
      assert.deepEqual((await c('ls', `${s.host}/team/prod/api`)).stdout.trim().split('\n').sort(), ['latest', 'v1'], 'repositories no policy covers are untouched');
    });

    it('records each run, newest first', async () => {
      const runs = await api('GET', '/retention/runs');
      assert.deepEqual(runs.body.items.map((r: { result: { dryRun: boolean; removed: unknown[] } }) => [r.result.dryRun, r.result.removed.length]), [[false, 2], [true, 2]]);
    });
  });

  describe('the policy list', () => {
    it('lists both kinds', async () => {
      const listed = await api('GET', '/policies');
      assert.deepEqual(listed.body.items.map((p: { kind: string }) => p.kind).sort(), ['immutability', 'retention']);
    });

    it('deletes the immutability rule, after which the tag moves', async () => {
      assert.equal((await api('DELETE', `/policies/${rule.body.id}`)).status, 204);
      assert.equal((await push('v2', 'prod/api:v1')).code, 0, 'without the rule the tag moves');
    });
  });
});
