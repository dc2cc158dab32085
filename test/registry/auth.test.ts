// The token service: basic credentials for users, their API tokens and robots; the OAuth2
// password grant; the access claim as the intersection of the asked and the allowed; bad,
// tampered and expired credentials; failed logins audited; the realm a challenge names.
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startRegistryServer, type RegistryServer } from './support.ts';
import { adminPassword } from '../support/server.ts';

const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as { sub: string; exp: number; iat: number; access: { type: string; name: string; actions: string[] }[] };

describe('tokens grant what was asked and allowed, to users, API tokens and robots', () => {
  let s: RegistryServer;
  let url: string;
  let robot: { username: string; secret: string };
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  before(async () => {
    s = await startRegistryServer();
    await s.createProject('team');
    await s.createUser('guest1', 'password-123');
    await s.setMember('team', 'guest1', 'guest');
    url = `${s.url}/auth/token?service=berth&scope=repository:team/app:pull,push&scope=repository:other/x:pull`;
    robot = await s.createRobot('team', 'ci', [{ repositories: 'app', actions: ['pull'] }]);
  });
  after(() => s?.close());

  it('a guest gets pull on its project and nothing elsewhere, in a short-lived token', async () => {
    const g = await fetch(url, { headers: basic('guest1', 'password-123') });
    assert.equal(g.status, 200);
    const gc = claims(((await g.json()) as { token: string }).token);
    assert.equal(gc.sub, 'guest1');
    assert.deepEqual(gc.access, [{ type: 'repository', name: 'team/app', actions: ['pull'] }, { type: 'repository', name: 'other/x', actions: [] }]);
    assert.ok(gc.exp - gc.iat <= 300, 'short-lived');
  });

  it('an API token works as the password', async () => {
    const apiToken = await s.api('POST', '/api/v1/tokens', { token: s.adminToken, body: { name: 'ci' } });
    const t = await fetch(url, { headers: basic('admin', apiToken.body.token) });
    assert.equal(t.status, 200);
    assert.deepEqual(claims(((await t.json()) as { token: string }).token).access[0].actions, ['pull', 'push']);
  });

  it('a robot gets its own actions', async () => {
    const r = await fetch(url, { headers: basic(robot.username, robot.secret) });
    assert.deepEqual(claims(((await r.json()) as { token: string }).token).access[0].actions, ['pull']);
  });

  it('an expired robot is refused, saying it expired', async () => {
    const old = await s.createRobot('team', 'old', [{ repositories: 'app', actions: ['pull'] }]);
    await s.server.deps.db.kysely.withTables<{ registry_robots: { expires_at: string; project: string; name: string } }>()
      .updateTable('registry_robots').set({ expires_at: '2000-01-01T00:00:00.000Z' }).where('name', '=', 'old').execute();
    const expired = await fetch(url, { headers: basic(old.username, old.secret) });
    assert.equal(expired.status, 401);
    assert.match(((await expired.json()) as { errors: { message: string }[] }).errors[0].message, /expired/);
  });

  it('a robot with the wrong secret and a user with the wrong password are refused', async () => {
    assert.equal((await fetch(url, { headers: basic(robot.username, 'not-the-secret') })).status, 401);
    const bad = await fetch(url, { headers: basic('guest1', 'wrong-password') });
    assert.equal(bad.status, 401);
    assert.equal(((await bad.json()) as { errors: { code: string }[] }).errors[0].code, 'UNAUTHORIZED');
  });

  it('anonymous callers get a token too, granting nothing in private projects', async () => {
    const anon = await fetch(url);
    assert.equal(anon.status, 200);
    assert.deepEqual(claims(((await anon.json()) as { token: string }).token).access.map((a) => a.actions), [[], []]);
  });

  it('the OAuth2 password grant answers an access token /v2 takes, and a tampered one is refused with a challenge', async () => {
    const post = await fetch(`${s.url}/auth/token`, { method: 'POST', headers: form, body: new URLSearchParams({ grant_type: 'password', username: 'admin', password: adminPassword, service: 'berth', scope: 'repository:team/app:pull', client_id: 'docker' }) });
    assert.equal(post.status, 200);
    const body = (await post.json()) as { access_token: string; scope: string };
    assert.equal(body.scope, 'repository:team/app:pull');
    const ping = await fetch(`${s.url}/v2/`, { headers: { authorization: `Bearer ${body.access_token}` } });
    assert.equal(ping.status, 200);
    const tampered = body.access_token.slice(0, -2) + (body.access_token.endsWith('A') ? 'BB' : 'AA');
    const refused = await fetch(`${s.url}/v2/team/app/tags/list`, { headers: { authorization: `Bearer ${tampered}` } });
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/auth\/token",service="berth",scope="repository:team\/app:pull",error="invalid_token"$/);
  });

  it('the refresh grant is refused (400), a wrong password (401)', async () => {
    const refresh = await fetch(`${s.url}/auth/token`, { method: 'POST', headers: form, body: 'grant_type=refresh_token&refresh_token=x' });
    assert.equal(refresh.status, 400);
    const wrong = await fetch(`${s.url}/auth/token`, { method: 'POST', headers: form, body: 'grant_type=password&username=admin&password=nope' });
    assert.equal(wrong.status, 401);
  });

  it('basic credentials on /v2 itself are final: a guest\'s push is DENIED (403) and audited', async () => {
    const push = await fetch(`${s.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: basic('guest1', 'password-123') });
    assert.equal(push.status, 403);
    assert.equal(((await push.json()) as { errors: { code: string }[] }).errors[0].code, 'DENIED');
    const denied = await s.server.deps.db.kysely.selectFrom('audit_log').select(['actor', 'code']).where('resource', '=', 'registry').where('outcome', '=', 'failure').execute();
    assert.ok(denied.some((d) => d.actor === 'guest1' && d.code === 403), JSON.stringify(denied));
  });

  it('failed and successful registry logins are audited', async () => {
    await fetch(url, { headers: basic('guest1', 'wrong-password') });
    await fetch(url, { headers: basic(robot.username, robot.secret) });
    const logins = await s.server.deps.db.kysely.selectFrom('audit_log').select(['actor', 'outcome']).where('action', '=', 'login').where('resource', '=', 'registry').execute();
    assert.ok(logins.some((l) => l.actor === 'guest1' && l.outcome === 'failure'));
    assert.ok(logins.some((l) => l.actor === 'robot$team+ci' && l.outcome === 'success'));
  });
});

function challengeFor(url: string, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v2/`, { headers: { host } }, (res) => {
      res.resume();
      resolve(String(res.headers['www-authenticate'] ?? ''));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the token realm is the configured public URL, else the server\'s own address, never the Host header', async () => {
  const s = await startRegistryServer();
  try {
    const header = await challengeFor(s.url, 'attacker.example:443');
    assert.equal(header, `Bearer realm="${s.url}/auth/token",service="berth"`);
  } finally {
    await s.close();
  }
  const p = await startRegistryServer('sqlite', { BERTH_PUBLIC_URL: 'https://registry.example.com/' });
  try {
    const header = await challengeFor(p.url, 'attacker.example');
    assert.equal(header, 'Bearer realm="https://registry.example.com/auth/token",service="berth"');
  } finally {
    await p.close();
  }
});
