// Quotas (project and tenant stored bytes with each blob counted once, artifact counts, request
// rate), anonymous pulls of public projects with a real client, and catalog paging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Layout, run, sha256, startRegistryServer, tool } from './support.ts';
import { adminPassword } from '../support/server.ts';

const auth = { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` };

async function pushBlob(base: string, repo: string, bytes: Buffer): Promise<{ status: number; code?: string; message?: string }> {
  const r = await fetch(`${base}/v2/${repo}/blobs/uploads/?digest=${sha256(bytes)}`, { method: 'POST', headers: auth, body: new Uint8Array(bytes) });
  if (r.status === 201) return { status: 201 };
  const e = ((await r.json()) as { errors: { code: string; message: string }[] }).errors[0];
  return { status: r.status, code: e.code, message: e.message };
}

async function pushManifest(base: string, repo: string, tag: string, config: Buffer): Promise<{ status: number; code?: string; message?: string }> {
  const body = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length }, layers: [] });
  const r = await fetch(`${base}/v2/${repo}/manifests/${tag}`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body });
  if (r.status === 201) return { status: 201 };
  const e = ((await r.json()) as { errors: { code: string; message: string }[] }).errors[0];
  return { status: r.status, code: e.code, message: e.message };
}

for (const backend of ['sqlite', 'postgres'] as const) test(`project and tenant quotas refuse with DENIED naming the quota; a blob counts once (${backend})`, async () => {
  const s = await startRegistryServer(backend);
  try {
    await s.createProject('small', { tenant: 'acme', storageLimit: 100_000, artifactLimit: 2 });
    const a = randomBytes(60_000);
    assert.equal((await pushBlob(s.url, 'small/one', a)).status, 201);
    assert.equal((await pushBlob(s.url, 'small/two', a)).status, 201, 'the same blob in another repository costs nothing more');
    const over = await pushBlob(s.url, 'small/one', randomBytes(60_000));
    assert.equal(over.status, 403);
    assert.equal(over.code, 'DENIED');
    assert.match(over.message ?? '', /storage quota of project "small" exceeded: 60000 bytes used \+ 60000 bytes requested > 100000 bytes allowed/);

    const c1 = Buffer.from('{"n":1}');
    const c2 = Buffer.from('{"n":2}');
    const c3 = Buffer.from('{"n":3}');
    for (const c of [c1, c2, c3]) assert.equal((await pushBlob(s.url, 'small/one', c)).status, 201);
    assert.equal((await pushManifest(s.url, 'small/one', 'a', c1)).status, 201);
    assert.equal((await pushManifest(s.url, 'small/one', 'b', c2)).status, 201);
    assert.equal((await pushManifest(s.url, 'small/one', 'a2', c1)).status, 201, 'a new tag on a stored artifact is no new artifact');
    const third = await pushManifest(s.url, 'small/one', 'c', c3);
    assert.equal(third.status, 403);
    assert.match(third.message ?? '', /artifact quota of project "small" exceeded: 2 artifacts stored, 2 allowed/);

    // The tenant's quota spans its projects.
    await s.createProject('other', { tenant: 'acme' });
    const q = await s.api('PUT', '/api/v1/registry/tenants/acme/quota', { token: s.adminToken, body: { storageLimit: 150_000, artifactLimit: -1 } });
    assert.equal(q.status, 200);
    assert.equal(q.body.usage.storageBytes, 60_000 + c1.length + c2.length + c3.length);
    assert.equal((await pushBlob(s.url, 'other/x', a)).status, 201, 'a blob the tenant already stores counts once');
    const tenantOver = await pushBlob(s.url, 'other/x', randomBytes(100_000));
    assert.equal(tenantOver.status, 403);
    assert.match(tenantOver.message ?? '', /registry storage quota of tenant "acme" exceeded/);
    await s.createUser('ta', 'password-123');
    await s.bindTenantRole('ta', 'acme', 'tenant-admin');
    const taToken = await s.login('ta', 'password-123');
    assert.equal((await s.api('GET', '/api/v1/registry/tenants/acme/quota', { token: taToken })).status, 200);
    assert.equal((await s.api('PUT', '/api/v1/registry/tenants/acme/quota', { token: taToken, body: { storageLimit: -1, artifactLimit: -1 } })).status, 403, 'a tenant admin cannot raise its own quota');
  } finally {
    await s.close();
  }
});

// The quota bound caches usage briefly: what this server frees must be free at once all the same.
test('storage freed by deleting a blob or a repository is free at once for the next push', async () => {
  const s = await startRegistryServer();
  try {
    await s.createProject('freed', { storageLimit: 100_000 });
    const a = randomBytes(60_000);
    const b = randomBytes(60_000);
    assert.equal((await pushBlob(s.url, 'freed/one', a)).status, 201);
    assert.equal((await pushBlob(s.url, 'freed/one', b)).status, 403, 'over the project quota');
    assert.equal((await fetch(`${s.url}/v2/freed/one/blobs/${sha256(a)}`, { method: 'DELETE', headers: auth })).status, 202);
    assert.equal((await pushBlob(s.url, 'freed/one', b)).status, 201, 'the deleted blob no longer counts');

    await s.createProject('emptied', { tenant: 'spare' });
    assert.equal((await s.api('PUT', '/api/v1/registry/tenants/spare/quota', { token: s.adminToken, body: { storageLimit: 100_000, artifactLimit: -1 } })).status, 200);
    assert.equal((await pushBlob(s.url, 'emptied/one', a)).status, 201);
    assert.equal((await pushBlob(s.url, 'emptied/two', b)).status, 403, 'over the tenant quota');
    assert.equal((await s.api('DELETE', '/api/v1/registry/repositories?name=emptied/one', { token: s.adminToken })).status, 204);
    assert.equal((await pushBlob(s.url, 'emptied/two', b)).status, 201, 'the deleted repository no longer counts');
  } finally {
    await s.close();
  }
});

test('a project request rate quota answers 429 with Retry-After', async () => {
  const s = await startRegistryServer();
  try {
    await s.createProject('busy', { rateLimit: 5 });
    assert.equal((await pushBlob(s.url, 'busy/app', Buffer.from('x'))).status, 201);
    const replies = await Promise.all(Array.from({ length: 20 }, () => fetch(`${s.url}/v2/busy/app/blobs/${sha256(Buffer.from('x'))}`, { method: 'GET', headers: auth })));
    const limited = replies.filter((r) => r.status === 429);
    assert.ok(limited.length >= 10, `${limited.length} of 20 were limited`);
    assert.ok(replies.filter((r) => r.status === 200).length >= 1);
    assert.ok(Number(limited[0].headers.get('retry-after')) >= 1);
    assert.equal(((await limited[0].json()) as { errors: { code: string }[] }).errors[0].code, 'TOOMANYREQUESTS');
  } finally {
    await s.close();
  }
});

test('anonymous clients pull public projects only, push nowhere; the catalog pages with Link', { timeout: 60_000 }, async () => {
  const skopeo = tool('skopeo');
  const dir = mkdtempSync(join(tmpdir(), 'berth-anon-'));
  const s = await startRegistryServer();
  try {
    await s.createProject('pub', { public: true });
    await s.createProject('priv');
    const layout = new Layout(join(dir, 'layout'));
    layout.tag(layout.image([[{ path: 'a', content: 'a' }]]), 'v1');
    for (const repo of ['pub/app', 'priv/app']) {
      const r = await run(skopeo, ['copy', '--dest-tls-verify=false', '--dest-creds', `admin:${adminPassword}`, `oci:${layout.dir}:v1`, `docker://${s.host}/${repo}:v1`]);
      assert.equal(r.code, 0, r.stderr);
    }
    const pub = await run(skopeo, ['inspect', '--raw', '--tls-verify=false', '--no-creds', `docker://${s.host}/pub/app:v1`]);
    assert.equal(pub.code, 0, pub.stderr);
    const priv = await run(skopeo, ['inspect', '--raw', '--tls-verify=false', '--no-creds', `docker://${s.host}/priv/app:v1`]);
    assert.notEqual(priv.code, 0);
    const push = await run(skopeo, ['copy', '--dest-tls-verify=false', '--dest-no-creds', `oci:${layout.dir}:v1`, `docker://${s.host}/pub/app:anon`]);
    assert.notEqual(push.code, 0);

    const page1 = await fetch(`${s.url}/v2/_catalog?n=1`, { headers: auth });
    assert.deepEqual(((await page1.json()) as { repositories: string[] }).repositories, ['priv/app']);
    const link = page1.headers.get('link') ?? '';
    assert.match(link, /rel="next"/);
    const next = /<([^>]+)>/.exec(link)?.[1] ?? '';
    const page2 = await fetch(`${s.url}${next}`, { headers: auth });
    assert.deepEqual(((await page2.json()) as { repositories: string[] }).repositories, ['pub/app']);
    assert.equal(page2.headers.get('link'), null);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
