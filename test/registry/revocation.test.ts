// Revocation reaches the registry at once: a revoked API token, a disabled, deleted or re-created
// user, a deleted robot and a removed member lose /v2 basic auth, /auth/token and the registry
// tokens already issued to them on the very next request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256, startRegistryServer, type RegistryServer } from './support.ts';

const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

async function registryToken(s: RegistryServer, headers: Record<string, string>, scope = 'repository:team/app:pull,push'): Promise<{ status: number; token?: string }> {
  const r = await fetch(`${s.url}/auth/token?service=berth&scope=${scope}`, { headers });
  const body = (await r.json()) as { token?: string };
  return { status: r.status, token: body.token };
}

async function ping(s: RegistryServer, headers: Record<string, string>): Promise<number> {
  const r = await fetch(`${s.url}/v2/`, { headers });
  await r.arrayBuffer();
  return r.status;
}

async function pushBlob(s: RegistryServer, headers: Record<string, string>, content: string): Promise<number> {
  const body = Buffer.from(content);
  const r = await fetch(`${s.url}/v2/team/app/blobs/uploads/?digest=${sha256(body)}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/octet-stream' }, body });
  await r.arrayBuffer();
  return r.status;
}

async function pullBlob(s: RegistryServer, headers: Record<string, string>, content: string): Promise<number> {
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
