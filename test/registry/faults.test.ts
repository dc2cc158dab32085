// Bad input and faults: digest mismatch, manifests naming missing blobs, invalid names and
// path tricks, over-size manifests, clients that go away mid-upload, kill -9 during an upload
// and a restart, and two clients pushing the same blob at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256, startRegistryServer } from './support.ts';
import { adminPassword } from '../support/server.ts';
import { spawnServer } from '../support/spawn.ts';

const basic = `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`;
const auth = { authorization: basic };

/** A request sent with its path exactly as written (fetch would normalise `..`). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET', headers: auth }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function blobFiles(dataDir: string): string[] {
  const root = join(dataDir, 'registry', 'blobs');
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const alg of readdirSync(root)) for (const p of readdirSync(join(root, alg))) for (const f of readdirSync(join(root, alg, p))) out.push(`${alg}:${f}`);
  return out;
}

async function pushBlob(base: string, repo: string, bytes: Buffer): Promise<Response> {
  return fetch(`${base}/v2/${repo}/blobs/uploads/?digest=${sha256(bytes)}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: new Uint8Array(bytes) });
}

test('bad input is refused with the OCI codes and stores nothing', async () => {
  const s = await startRegistryServer();
  try {
    await s.createProject('team');
    const bytes = randomBytes(10_000);
    const wrong = sha256(randomBytes(10));
    const r = await fetch(`${s.url}/v2/team/app/blobs/uploads/?digest=${wrong}`, { method: 'POST', headers: auth, body: bytes });
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { errors: { code: string }[] }).errors[0].code, 'DIGEST_INVALID');
    assert.deepEqual(blobFiles(s.dataDir), []);
    assert.equal((await fetch(`${s.url}/v2/team/app/blobs/${sha256(bytes)}`, { method: 'HEAD', headers: auth })).status, 404);

    const config = Buffer.from('{}');
    assert.equal((await pushBlob(s.url, 'team/app', config)).status, 201);
    const manifest = JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(bytes), size: bytes.length }],
    });
    const m = await fetch(`${s.url}/v2/team/app/manifests/v1`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: manifest });
    assert.equal(m.status, 400);
    assert.equal(((await m.json()) as { errors: { code: string }[] }).errors[0].code, 'MANIFEST_BLOB_UNKNOWN');

    const schema1 = await fetch(`${s.url}/v2/team/app/manifests/old`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' }, body: JSON.stringify({ schemaVersion: 1, name: 'team/app', tag: 'old', fsLayers: [] }) });
    assert.equal(schema1.status, 400);
    assert.equal(((await schema1.json()) as { errors: { code: string }[] }).errors[0].code, 'MANIFEST_INVALID');

    const huge = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'x', digest: sha256(config), size: 2 }, layers: [], annotations: { pad: 'x'.repeat(4 * 1024 * 1024) } });
    const big = await fetch(`${s.url}/v2/team/app/manifests/big`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: huge });
    assert.equal(big.status, 413);

    for (const path of ['/v2/team/../etc/tags/list', '/v2/team/%2e%2e/etc/tags/list', '/v2/team%2Fapp/x/tags/list', '/v2/Team/App/tags/list', '/v2/team/app%2Fx/manifests/v1', '/v2/team//app/tags/list']) {
      const res = await rawGet(s.url, path);
      assert.equal(res.status, 400, `${path}: ${res.body}`);
      assert.equal((JSON.parse(res.body) as { errors: { code: string }[] }).errors[0].code, 'NAME_INVALID', path);
    }
    const unknown = await fetch(`${s.url}/v2/team/nothing/tags/list`, { headers: auth });
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { errors: { code: string }[] }).errors[0].code, 'NAME_UNKNOWN');
  } finally {
    await s.close();
  }
});

test('a client that disconnects mid-upload leaves no visible blob; two clients pushing one blob both succeed', async () => {
  const s = await startRegistryServer();
  try {
    await s.createProject('team');
    const bytes = randomBytes(2 * 1024 * 1024);
    const digest = sha256(bytes);
    const u = new URL(s.url);
    await new Promise<void>((resolve) => {
      const sock = connect(Number(u.port), u.hostname, () => {
        sock.write(`POST /v2/team/app/blobs/uploads/?digest=${digest} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: ${basic}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${bytes.length}\r\n\r\n`);
        sock.write(bytes.subarray(0, 500_000), () => setTimeout(() => { sock.destroy(); resolve(); }, 200));
      });
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await fetch(`${s.url}/v2/team/app/blobs/${digest}`, { method: 'HEAD', headers: auth })).status, 404);
    assert.deepEqual(blobFiles(s.dataDir), []);

    const results = await Promise.all([pushBlob(s.url, 'team/app', bytes), pushBlob(s.url, 'team/app', bytes), pushBlob(s.url, 'team/other', bytes)]);
    assert.deepEqual(results.map((r) => r.status), [201, 201, 201]);
    const got = await fetch(`${s.url}/v2/team/app/blobs/${digest}`, { headers: auth });
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), bytes);
    assert.deepEqual(blobFiles(s.dataDir), [digest]);
  } finally {
    await s.close();
  }
});

test('kill -9 during a chunked upload, restart: the upload resumes from its Range and the blob is whole', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-kill-'));
  const env = { BERTH_ADMIN_PASSWORD: adminPassword };
  let srv = await spawnServer({ dataDir, env });
  try {
    const token = await (await fetch(`${srv.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: adminPassword }) })).json() as { token: string };
    const created = await fetch(`${srv.url}/api/v1/registry/projects`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token.token}` }, body: JSON.stringify({ name: 'team' }) });
    assert.equal(created.status, 201);
    const bytes = randomBytes(8 * 1024 * 1024);
    const start = await fetch(`${srv.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: auth });
    assert.equal(start.status, 202);
    const location = start.headers.get('location') ?? '';
    const id = location.split('/').pop() ?? '';
    const first = 1024 * 1024;
    const p1 = await fetch(srv.url + location, { method: 'PATCH', headers: { ...auth, 'content-type': 'application/octet-stream', 'content-range': `0-${first - 1}`, 'content-length': String(first) }, body: bytes.subarray(0, first) });
    assert.equal(p1.status, 202);
    assert.equal(p1.headers.get('range'), `0-${first - 1}`);

    // The second chunk is cut by kill -9 once some of it is on disk.
    const uploadFile = join(dataDir, 'registry', 'uploads', id);
    const port = new URL(srv.url).port;
    const sock = connect(Number(port), '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(`PATCH ${location} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${basic}\r\nContent-Type: application/octet-stream\r\nContent-Range: ${first}-${bytes.length - 1}\r\nContent-Length: ${bytes.length - first}\r\n\r\n`);
    sock.write(bytes.subarray(first, first + 3 * 1024 * 1024));
    sock.on('error', () => {});
    const deadline = Date.now() + 10_000;
    while (statSync(uploadFile).size <= first && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    srv.child.kill('SIGKILL');
    await srv.exited;
    sock.destroy();

    srv = await spawnServer({ dataDir, env });
    const status = await fetch(srv.url + location, { headers: auth });
    assert.equal(status.status, 204);
    const range = /^0-(\d+)$/.exec(status.headers.get('range') ?? '');
    assert.ok(range, `a Range header: ${status.headers.get('range')}`);
    const have = Number(range[1]) + 1;
    assert.ok(have >= first && have < bytes.length, `resumes from ${have}`);
    const rest = bytes.subarray(have);
    const p2 = await fetch(srv.url + location, { method: 'PATCH', headers: { ...auth, 'content-type': 'application/octet-stream', 'content-range': `${have}-${bytes.length - 1}`, 'content-length': String(rest.length) }, body: rest });
    assert.equal(p2.status, 202);
    const done = await fetch(`${srv.url}${location}?digest=${sha256(bytes)}`, { method: 'PUT', headers: auth });
    assert.equal(done.status, 201, await done.text());
    const got = await fetch(`${srv.url}/v2/team/app/blobs/${sha256(bytes)}`, { headers: auth });
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), bytes);
  } finally {
    srv.child.kill('SIGKILL');
    await srv.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
});
