// Revocation reaches the registry at once: a revoked API token, a changed password, a disabled,
// deleted or re-created user, a deleted robot and a removed member lose /v2 basic auth,
// /auth/token and the registry tokens already issued to them on the very next request on the
// replica that made the change, and within the documented bound (2 s) on another replica
// sharing the database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/platform/config.ts';
import { startServer } from '../../src/platform/server.ts';
import { sha256, startRegistryServer } from './support.ts';

const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

async function registryToken(s: { url: string }, headers: Record<string, string>, scope = 'repository:team/app:pull,push'): Promise<{ status: number; token?: string }> {
  const r = await fetch(`${s.url}/auth/token?service=berth&scope=${scope}`, { headers });
  const body = (await r.json()) as { token?: string };
  return { status: r.status, token: body.token };
}

async function ping(s: { url: string }, headers: Record<string, string>): Promise<number> {
  const r = await fetch(`${s.url}/v2/`, { headers });
  await r.arrayBuffer();
  return r.status;
}

async function pushBlob(s: { url: string }, headers: Record<string, string>, content: string): Promise<number> {
  const body = Buffer.from(content);
  const r = await fetch(`${s.url}/v2/team/app/blobs/uploads/?digest=${sha256(body)}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/octet-stream' }, body });
  await r.arrayBuffer();
  return r.status;
}

async function pullBlob(s: { url: string }, headers: Record<string, string>, content: string): Promise<number> {
  const r = await fetch(`${s.url}/v2/team/app/blobs/${sha256(Buffer.from(content))}`, { headers });
  await r.arrayBuffer();
  return r.status;
}

test('a revoked API token stops at once on /v2 basic auth, /auth/token and the registry tokens it got', async () => {
  const s = await startRegistryServer();
  try {
    await s.createProject('team');
    await s.createUser('dev1', 'dev1-password');
    await s.setMember('team', 'dev1', 'developer');
    const session = await s.login('dev1', 'dev1-password');
    const created = await s.api('POST', '/api/v1/tokens', { token: session, body: { name: 'ci' } });
    const apiToken = created.body.token as string;
    assert.equal(await ping(s, basic('dev1', apiToken)), 200);
    const issued = await registryToken(s, basic('dev1', apiToken));
    assert.equal(issued.status, 200);
    assert.equal(await pushBlob(s, bearer(issued.token!), 'before revocation'), 201);

    assert.equal((await s.api('DELETE', `/api/v1/tokens/${created.body.id}`, { token: session })).status, 200);
    assert.equal(await ping(s, basic('dev1', apiToken)), 401, '/v2 basic auth with the revoked token');
    assert.equal((await registryToken(s, basic('dev1', apiToken))).status, 401, '/auth/token with the revoked token');
    assert.equal(await ping(s, bearer(issued.token!)), 401, 'a registry token issued before the revocation');
    assert.equal(await pushBlob(s, bearer(issued.token!), 'after revocation'), 401);
    assert.equal((await s.api('GET', '/api/v1/whoami', { token: apiToken })).status, 401, 'the API');
    assert.equal(await ping(s, basic('dev1', 'dev1-password')), 200, 'the user\'s password still works');
  } finally {
    await s.close();
  }
});

test('a disabled, a deleted and a re-created user lose /v2, /auth/token and their registry tokens at once', async () => {
  const s = await startRegistryServer();
  try {
    await s.createProject('team');
    for (const u of ['dev2', 'dev3', 'dev4']) {
      await s.createUser(u, `${u}-password`);
      await s.setMember('team', u, 'developer');
    }
    const tokens: Record<string, string> = {};
    for (const u of ['dev2', 'dev3', 'dev4']) {
      assert.equal(await ping(s, basic(u, `${u}-password`)), 200);
      const issued = await registryToken(s, basic(u, `${u}-password`));
      assert.equal(await pullBlob(s, bearer(issued.token!), 'none'), 404, `${u} may pull`);
      tokens[u] = issued.token!;
    }

    const u = await s.api('GET', '/api/v1/users/dev2', { token: s.adminToken });
    assert.equal((await s.api('PATCH', '/api/v1/users/dev2', { token: s.adminToken, body: { disabled: true, resourceVersion: u.body.resourceVersion } })).status, 200);
    assert.equal(await ping(s, basic('dev2', 'dev2-password')), 401, 'a disabled user on /v2');
    assert.equal((await registryToken(s, basic('dev2', 'dev2-password'))).status, 401, 'a disabled user on /auth/token');
    assert.equal(await ping(s, bearer(tokens.dev2)), 401, 'a disabled user\'s registry token');
    assert.equal(await pullBlob(s, bearer(tokens.dev2), 'none'), 401);

    assert.equal((await s.api('DELETE', '/api/v1/users/dev3', { token: s.adminToken })).status, 200);
    assert.equal(await ping(s, basic('dev3', 'dev3-password')), 401, 'a deleted user on /v2');
    assert.equal((await registryToken(s, basic('dev3', 'dev3-password'))).status, 401, 'a deleted user on /auth/token');
    assert.equal(await ping(s, bearer(tokens.dev3)), 401, 'a deleted user\'s registry token');

    // Another person given the name of a deleted user does not inherit its tokens.
    assert.equal((await s.api('DELETE', '/api/v1/users/dev4', { token: s.adminToken })).status, 200);
    await s.createUser('dev4', 'dev4-password');
    assert.equal(await ping(s, bearer(tokens.dev4)), 401, 'a token of the user deleted before');
    assert.equal(await ping(s, basic('dev4', 'dev4-password')), 200, 'the new user logs in');
  } finally {
    await s.close();
  }
});

test('a changed password stops the registry tokens issued for the old one, and the old password', async () => {
  const s = await startRegistryServer();
  try {
    await s.createProject('team');
    await s.createUser('dev8', 'dev8-password');
    await s.setMember('team', 'dev8', 'developer');
    assert.equal(await ping(s, basic('dev8', 'dev8-password')), 200);
    const issued = await registryToken(s, basic('dev8', 'dev8-password'));
    assert.equal(await ping(s, bearer(issued.token!)), 200);
    const u = await s.api('GET', '/api/v1/users/dev8', { token: s.adminToken });
    assert.equal((await s.api('PATCH', '/api/v1/users/dev8', { token: s.adminToken, body: { password: 'dev8-new-password', resourceVersion: u.body.resourceVersion } })).status, 200);
    assert.equal(await ping(s, bearer(issued.token!)), 401, 'a token issued for the old password');
    assert.equal(await ping(s, basic('dev8', 'dev8-password')), 401, 'the old password');
    assert.equal(await ping(s, basic('dev8', 'dev8-new-password')), 200, 'the new password');
  } finally {
    await s.close();
  }
});

test('a deleted robot\'s registry token is refused at once', async () => {
  const s = await startRegistryServer();
  try {
    await s.createProject('team');
    const robot = await s.createRobot('team', 'ci', [{ repositories: '**', actions: ['pull', 'push'] }]);
    const issued = await registryToken(s, basic(robot.username, robot.secret));
    assert.equal(issued.status, 200);
    assert.equal(await pushBlob(s, bearer(issued.token!), 'robot layer'), 201);
    assert.equal((await s.api('DELETE', '/api/v1/registry/projects/team/robots/ci', { token: s.adminToken })).status, 204);
    assert.equal(await pullBlob(s, bearer(issued.token!), 'robot layer'), 401, 'pull with the token of a deleted robot');
    assert.equal(await pushBlob(s, bearer(issued.token!), 'robot layer 2'), 401, 'push with the token of a deleted robot');
    assert.equal(await ping(s, basic(robot.username, robot.secret)), 401, 'basic auth of a deleted robot');
    // A robot created again under the same name is another robot: the old token stays refused.
    await s.createRobot('team', 'ci', [{ repositories: '**', actions: ['pull', 'push'] }]);
    assert.equal(await pullBlob(s, bearer(issued.token!), 'robot layer'), 401, 'the old token against the new robot');
  } finally {
    await s.close();
  }
});

test('a removed member loses push and pull on the next request, with a token issued before', async () => {
  const s = await startRegistryServer();
  try {
    await s.createProject('team');
    await s.createUser('dev5', 'dev5-password');
    await s.setMember('team', 'dev5', 'developer');
    const issued = await registryToken(s, basic('dev5', 'dev5-password'));
    assert.equal(await pushBlob(s, bearer(issued.token!), 'member layer'), 201);
    assert.equal(await pullBlob(s, bearer(issued.token!), 'member layer'), 200);
    assert.equal((await s.api('DELETE', '/api/v1/registry/projects/team/members/dev5', { token: s.adminToken })).status, 204);
    assert.equal(await pushBlob(s, bearer(issued.token!), 'member layer 2'), 401, 'push after removal');
    assert.equal(await pullBlob(s, bearer(issued.token!), 'member layer'), 401, 'pull after removal');
    // Demoted rather than removed: the token's push grant no longer holds, its pull does.
    await s.setMember('team', 'dev5', 'guest');
    assert.equal(await pullBlob(s, bearer(issued.token!), 'member layer'), 200, 'pull as a guest');
    assert.equal(await pushBlob(s, bearer(issued.token!), 'member layer 3'), 401, 'push as a guest');
  } finally {
    await s.close();
  }
});

// Polls `check` until it holds; returns the milliseconds it took, or fails after `limitMs`.
async function within(limitMs: number, check: () => Promise<boolean>): Promise<number> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > limitMs) assert.fail(`still not refused after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return performance.now() - start;
}

test('on another replica sharing the database, revocations and removed members take effect within 2 s', async () => {
  const a = await startRegistryServer('postgres', { BERTH_SECRET_KEY: randomBytes(32).toString('hex') });
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-replica-'));
  const b = await startServer(loadConfig(['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
    BERTH_DATABASE_URL: a.databaseUrl, BERTH_SECRET_KEY: a.server.deps.config.secretKey, BERTH_WEBHOOK_PORT: '0',
  }), { logger: pino({ level: 'silent' }) });
  try {
    await a.createProject('team');
    await a.createUser('dev6', 'dev6-password');
    await a.createUser('dev7', 'dev7-password');
    await a.setMember('team', 'dev6', 'developer');
    await a.setMember('team', 'dev7', 'developer');
    const session = await a.login('dev6', 'dev6-password');
    const created = await a.api('POST', '/api/v1/tokens', { token: session, body: { name: 'ci' } });
    const viaToken = await registryToken(b, basic('dev6', created.body.token));
    const viaPassword = await registryToken(b, basic('dev7', 'dev7-password'));
    assert.equal(await pushBlob(b, bearer(viaToken.token!), 'replica layer'), 201, 'replica B serves the token');
    assert.equal(await pullBlob(b, bearer(viaPassword.token!), 'replica layer'), 200);

    assert.equal((await a.api('DELETE', `/api/v1/tokens/${created.body.id}`, { token: session })).status, 200);
    await within(2500, async () => (await ping(b, bearer(viaToken.token!))) === 401);
    await within(2500, async () => (await ping(b, basic('dev6', created.body.token))) === 401);

    assert.equal((await a.api('DELETE', '/api/v1/registry/projects/team/members/dev7', { token: a.adminToken })).status, 204);
    await within(2500, async () => (await pullBlob(b, bearer(viaPassword.token!), 'replica layer')) === 401);
  } finally {
    await b.close();
    rmSync(dataDir, { recursive: true, force: true });
    await a.close();
  }
});
