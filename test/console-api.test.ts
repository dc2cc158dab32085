// The console's API client against a real `berth server`: bearer tokens, Status errors, the
// session ending on 401, optimistic concurrency, lockout, exports.
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient } from '../console/src/api-client.ts';
import { ApiError } from '../console/src/http.ts';
import { startBerth } from './console-server.ts';
import type { BerthUnderTest } from './console-server.ts';

let berth: BerthUnderTest;

before(async () => {
  berth = await startBerth();
});

after(async () => {
  await berth?.stop();
});

function client(token: string | null) {
  let unauthorized = 0;
  const api = new ApiClient({ baseUrl: berth.url, getToken: () => token, onUnauthorized: () => { unauthorized += 1; } });
  return { api, unauthorized: () => unauthorized };
}

const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;

test('login answers a token; a wrong password rejects with the Status message and ends no session', async () => {
  const c = client('left-over-token');
  const ok = await c.api.login('admin', berth.adminPassword);
  assert.ok(ok.token.length > 0);
  assert.equal(ok.user.name, 'admin');
  await assert.rejects(c.api.login('admin', 'wrong password'), (err: unknown) =>
    err instanceof ApiError && err.code === 401 && err.message.length > 0);
  assert.equal(c.unauthorized(), 0, 'a failed login is not an expired session');
});

test('whoami with the session token lists the admin permissions the console gates pages on', async () => {
  const me = await client(berth.adminToken).api.whoami();
  assert.equal(me.name, 'admin');
  for (const p of ['users:list', 'tokens:list', 'audit:list', 'audit:export', 'audit:verify'] as const) {
    assert.ok(me.permissions.includes(p), `admin has ${p}`);
  }
});

test('a token the server refuses rejects with 401 and ends the session', async () => {
  const c = client('not-a-token');
  await assert.rejects(c.api.whoami(), (err: unknown) => err instanceof ApiError && err.code === 401);
  assert.equal(c.unauthorized(), 1);
});

test('a stale resourceVersion is refused with 409 and the session stays', async () => {
  const c = client(berth.adminToken);
  const name = unique('rv');
  const user = await c.api.createUser({ name, password: `pw-${crypto.randomUUID()}`, platformRoles: ['user'] });
  const disabled = await c.api.patchUser(name, { disabled: true, resourceVersion: user.resourceVersion });
  assert.equal(disabled.disabled, true);
  assert.notEqual(disabled.resourceVersion, user.resourceVersion);
  await assert.rejects(c.api.patchUser(name, { disabled: false, resourceVersion: user.resourceVersion }), (err: unknown) =>
    err instanceof ApiError && err.code === 409 && err.message.includes(name));
  assert.equal(c.unauthorized(), 0);
  await c.api.deleteUser(name);
  const list = await c.api.listUsers(500);
  assert.ok(!list.items.some((u) => u.name === name));
});

test('repeated failures lock a user out with 429 and a Retry-After the client reads', async () => {
  const c = client(berth.adminToken);
  const name = unique('lock');
  await c.api.createUser({ name, password: `pw-${crypto.randomUUID()}`, platformRoles: ['user'] });
  let locked: ApiError | undefined;
  for (let i = 0; i < 10 && !locked; i++) {
    try {
      await c.api.login(name, 'wrong');
      assert.fail('a wrong password was accepted');
    } catch (err) {
      assert.ok(err instanceof ApiError);
      if (err.code === 429) locked = err;
      else assert.equal(err.code, 401);
    }
  }
  assert.ok(locked, 'the user was locked out within 10 failures');
  assert.ok(locked.retryAfter !== undefined && locked.retryAfter > 0, `Retry-After seconds: ${locked.retryAfter}`);
  assert.ok(locked.message.length > 0);
  await c.api.deleteUser(name);
});

test('tokens: create with and without expiry, use, revoke', async () => {
  const c = client(berth.adminToken);
  const name = unique('tok');
  const created = await c.api.createToken(name, 2);
  const days = (Date.parse(created.expiresAt) - Date.parse(created.createdAt)) / 86_400_000;
  assert.ok(Math.abs(days - 2) < 0.01, `expires in ${days} days`);
  assert.equal((await client(created.token).api.whoami()).name, 'admin');
  const listed = (await c.api.listTokens()).items.find((t) => t.id === created.id);
  assert.ok(listed && !listed.revoked && listed.name === name);
  assert.ok(!('token' in listed), 'the list never shows the secret');
  await c.api.revokeToken(created.id);
  await assert.rejects(client(created.token).api.whoami(), (err: unknown) => err instanceof ApiError && err.code === 401);
  const defaulted = await c.api.createToken(unique('tok'));
  assert.ok(Date.parse(defaulted.expiresAt) > Date.parse(defaulted.createdAt));
  await c.api.revokeToken(defaulted.id);
});

test('audit: filtered list, export with the server file name, verify', async () => {
  const c = client(berth.adminToken);
  const created = await c.api.createToken(unique('audited'));
  const page = await c.api.listAudit({ resource: 'tokens', action: 'create' }, 50);
  const record = page.items.find((r) => r.name === created.id);
  assert.ok(record, 'the token creation is in the audit log');
  assert.equal(record.actor, 'admin');
  assert.ok(page.items.every((r) => r.resource === 'tokens' && r.action === 'create'));

  const jsonl = await c.api.exportAudit({ resource: 'tokens' }, 'jsonl', 'fallback.jsonl');
  assert.match(jsonl.fileName, /\.jsonl$/);
  assert.notEqual(jsonl.fileName, 'fallback.jsonl', 'the name comes from Content-Disposition');
  const lines = (await jsonl.blob.text()).trim().split('\n').map((l) => JSON.parse(l) as { name: string; resource: string });
  assert.ok(lines.some((l) => l.name === created.id));
  assert.ok(lines.every((l) => l.resource === 'tokens'));

  const csv = await c.api.exportAudit({ resource: 'tokens' }, 'csv', 'fallback.csv');
  assert.match(csv.fileName, /\.csv$/);
  assert.ok((await csv.blob.text()).includes(created.id));

  const verified = await c.api.verifyAudit();
  assert.equal(verified.ok, true);
  assert.ok(verified.checked >= page.items.length);
  await c.api.revokeToken(created.id);
});

// These cases share one project, one member and the guest's session, and run in order.
describe('registry: projects with usage, members, robots, policies and retention through the console client', () => {
  let c: ReturnType<typeof client>;
  let project: string;
  let user: string;
  let password: string;
  let guest: ReturnType<typeof client>;
  let rule: Awaited<ReturnType<ApiClient['createImmutabilityRule']>>;
  let keep: Awaited<ReturnType<ApiClient['createRetentionPolicy']>>;

  before(() => {
    c = client(berth.adminToken);
    project = unique('reg');
    user = unique('member');
    password = `pw-${crypto.randomUUID()}`;
  });

  it('creates a project with its limits and zero usage, in no tenant', async () => {
    const created = await c.api.createProject({ name: project, storageLimit: 10 * 1024 * 1024, artifactLimit: 5 });
    assert.deepEqual(created.usage, { storageBytes: 0, artifacts: 0, repositories: 0 });
    assert.equal(created.tenant, '');
  });

  it('lists projects with their limits and usage', async () => {
    const listed = (await c.api.listProjects()).items.find((p) => p.name === project);
    assert.equal(listed?.storageLimit, 10 * 1024 * 1024);
    assert.deepEqual(listed?.usage, { storageBytes: 0, artifacts: 0, repositories: 0 }, 'the list carries each project\'s usage');
  });

  it('reads one project', async () => {
    assert.equal((await c.api.getProject(project)).artifactLimit, 5);
  });

  it('refuses a project name that is taken with 409', async () => {
    await assert.rejects(c.api.createProject({ name: project }), (err: unknown) => err instanceof ApiError && err.code === 409);
  });

  it('refuses an invalid project name with 422 naming the field', async () => {
    await assert.rejects(c.api.createProject({ name: 'Bad_Name!' }), (err: unknown) =>
      err instanceof ApiError && err.code === 422 && err.causes.some((x) => x.field === 'name'));
  });

  it('lists no repositories in a new project', async () => {
    assert.deepEqual((await c.api.listRepositories(project)).items, []);
  });

  it('keeps a whole-project grant and a repository grant of one user as two rows', async () => {
    await c.api.createUser({ name: user, password, platformRoles: ['user'] });
    await c.api.setMember(project, user, 'guest', '');
    await c.api.setMember(project, user, 'developer', 'team/*');
    const grants = (await c.api.listMembers(project)).items.filter((m) => m.user === user).map((m) => `${m.role}:${m.repositories}`).sort();
    assert.deepEqual(grants, ['developer:team/*', 'guest:']);
  });

  it('removes one grant by its repositories and keeps the other', async () => {
    await c.api.removeMember(project, user, 'team/*');
    assert.deepEqual((await c.api.listMembers(project)).items.filter((m) => m.user === user).map((m) => m.repositories), ['']);
  });

  it('lets a guest read the project', async () => {
    guest = client((await c.api.login(user, password)).token);
    assert.equal((await guest.api.getProject(project)).name, project);
  });

  it('refuses a guest the project\'s robots with 403 (shown as "not allowed")', async () => {
    await assert.rejects(guest.api.listRobots(project), (err: unknown) => err instanceof ApiError && err.code === 403);
  });

  it('answers a guest 404 for a project it cannot see', async () => {
    await assert.rejects(guest.api.getProject(unique('hidden')), (err: unknown) => err instanceof ApiError && err.code === 404);
  });

  it('does not end the guest\'s session on those refusals', () => {
    assert.equal(guest.unauthorized(), 0, 'a refusal is not the end of the session');
  });

  it('creates a robot: its name, its secret once, its expiry', async () => {
    const robot = await c.api.createRobot(project, { name: 'ci', expiresInDays: 3, permissions: [{ repositories: '**', actions: ['pull', 'push'] }] });
    assert.equal(robot.username, `robot$${project}+ci`);
    assert.ok(robot.secret.length >= 20);
    const days = (Date.parse(robot.expiresAt) - Date.parse(robot.createdAt)) / 86_400_000;
    assert.ok(Math.abs(days - 3) < 0.01, `expires in ${days} days`);
  });

  it('lists robots without their secret', async () => {
    const listedRobots = (await c.api.listRobots(project)).items;
    assert.deepEqual(listedRobots.map((r) => r.name), ['ci']);
    assert.ok(!('secret' in listedRobots[0]));
  });

  it('deletes a robot', async () => {
    await c.api.deleteRobot(project, 'ci');
    assert.deepEqual((await c.api.listRobots(project)).items, []);
  });

  it('creates an immutability rule that covers every repository, across segments, by default', async () => {
    rule = await c.api.createImmutabilityRule(project, { tags: 'v*' });
    assert.equal(rule.repositories, '**', 'every repository, across segments');
  });

  it('creates a retention policy, and refuses one with no rule with 422', async () => {
    keep = await c.api.createRetentionPolicy(project, { keepLatest: 2, keepTags: ['release-*'] });
    await assert.rejects(c.api.createRetentionPolicy(project, {}), (err: unknown) => err instanceof ApiError && err.code === 422);
  });

  it('lists both kinds of policy', async () => {
    const kinds = (await c.api.listPolicies(project)).items.map((p) => p.kind).sort();
    assert.deepEqual(kinds, ['immutability', 'retention']);
  });

  it('removes nothing in a dry-run retention of an empty project', async () => {
    assert.deepEqual(await c.api.runRetention(project, true), { project, dryRun: true, removed: [], kept: 0 });
  });

  it('deletes the policies', async () => {
    await c.api.deletePolicy(project, keep.id);
    await c.api.deletePolicy(project, rule.id);
    assert.deepEqual((await c.api.listPolicies(project)).items, []);
  });

  it('deletes the project, which is then 404', async () => {
    await c.api.deleteProject(project);
    await assert.rejects(c.api.getProject(project), (err: unknown) => err instanceof ApiError && err.code === 404);
    await c.api.deleteUser(user);
  });
});

test('registry: garbage collection runs for the platform admin only', async () => {
  const c = client(berth.adminToken);
  const run = await c.api.runGc(true);
  assert.equal(run.status, 'succeeded');
  assert.ok(run.result !== null && 'dryRun' in run.result && run.result.dryRun);
  assert.equal((await c.api.listGcRuns()).items[0]?.id, run.id, 'newest first');
  const user = unique('nogc');
  const password = `pw-${crypto.randomUUID()}`;
  await c.api.createUser({ name: user, password, platformRoles: ['user'] });
  const plain = client((await c.api.login(user, password)).token);
  await assert.rejects(plain.api.listGcRuns(), (err: unknown) => err instanceof ApiError && err.code === 403);
  await assert.rejects(plain.api.runGc(true), (err: unknown) => err instanceof ApiError && err.code === 403);
  await c.api.deleteUser(user);
});
