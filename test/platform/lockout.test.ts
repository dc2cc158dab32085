// Login throttling through HTTP: an address that keeps failing is refused, the account it
// attacks is not, on the API login, the registry's /v2 basic auth and both forms of /auth/token.
// Addresses come from X-Forwarded-For, which Berth reads when BERTH_TRUST_PROXY is true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminPassword, startTestServer } from '../support/server.ts';

// The flag is read when the application is built; this file runs in its own process.
process.env.BERTH_TRUST_PROXY = 'true';

const from = (address: string) => ({ 'x-forwarded-for': address });
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

test('an attacking address cannot lock the admin out: it is refused, the admin elsewhere logs in', async () => {
  const s = await startTestServer('sqlite', { BERTH_TRUST_PROXY: 'true' });
  try {
    const attacker = from('203.0.113.7');
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) {
      codes.push((await s.api('POST', '/api/v1/login', { headers: attacker, body: { username: 'admin', password: `guess-${i}-password` } })).status);
    }
    assert.deepEqual(codes, [401, 401, 401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
    const stillAttacker = await s.api('POST', '/api/v1/login', { headers: attacker, body: { username: 'admin', password: adminPassword } });
    assert.equal(stillAttacker.status, 429, 'the refused address is refused even with the right password');
    assert.ok(Number(stillAttacker.headers.get('retry-after')) > 0);

    const admin = await s.api('POST', '/api/v1/login', { headers: from('198.51.100.9'), body: { username: 'admin', password: adminPassword } });
    assert.equal(admin.status, 200, 'the admin logs in from its own address');
    const v2 = await fetch(`${s.url}/v2/`, { headers: { ...from('198.51.100.10'), authorization: basic('admin', adminPassword) } });
    assert.equal(v2.status, 200, 'and uses the registry');
    const token = await fetch(`${s.url}/auth/token?service=berth`, { headers: { ...from('198.51.100.11'), authorization: basic('admin', adminPassword) } });
    assert.equal(token.status, 200);
  } finally {
    await s.close();
  }
});

test('the POST form of /auth/token answers a refused address with 429 and Retry-After, as the GET form does', async () => {
  const s = await startTestServer('sqlite', { BERTH_TRUST_PROXY: 'true' });
  try {
    const post = (password: string) => fetch(`${s.url}/auth/token`, {
      method: 'POST', headers: { ...from('203.0.113.8'), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: 'admin', password, service: 'berth' }),
    });
    for (let i = 0; i < 5; i++) assert.equal((await post(`guess-${i}-password`)).status, 401);
    const refused = await post('guess-5-password');
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    const get = await fetch(`${s.url}/auth/token?service=berth`, { headers: { ...from('203.0.113.8'), authorization: basic('admin', 'guess-6-password') } });
    assert.equal(get.status, 429);
    assert.ok(Number(get.headers.get('retry-after')) > 0);
  } finally {
    await s.close();
  }
});
