// Uploads held to their bounds while bytes arrive: storage quotas and the per-upload cap cut a
// body off mid-stream, refused uploads leave nothing on disk, open uploads are bounded per
// principal and per project, idle ones are swept on a short schedule, a Content-Range that ends
// before it starts is refused, and a long upload adds no listener per write it waits for.
// Within a describe, the cases share one server and run in order.
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Layout, run, sha256, startRegistryServer, tool, type RegistryServer } from './support.ts';
import { adminPassword } from '../support/server.ts';

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const admin = basic('admin', adminPassword);
const MiB = 1024 * 1024;

/** Files in the blob store's upload folder (absent folder: none). */
function uploadFiles(s: RegistryServer): string[] {
  try {
    return readdirSync(join(s.dataDir, 'registry', 'uploads'));
  } catch {
    return [];
  }
}

/** A body of `chunks` MiB produced on demand; `pulled()` says how many the client has taken. */
function streamedBody(chunks: number): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  let n = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (n === chunks) return c.close();
      n++;
      c.enqueue(new Uint8Array(MiB));
    },
  });
  return { body, pulled: () => n };
}

async function startUpload(s: RegistryServer, repo: string, headers = admin): Promise<Response> {
  return fetch(`${s.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers });
}

async function location(s: RegistryServer, repo: string, headers = admin): Promise<string> {
  const r = await startUpload(s, repo, headers);
  assert.equal(r.status, 202, await r.text());
  return s.url + (r.headers.get('location') ?? '');
}

async function ociError(r: Response): Promise<{ code: string; message: string }> {
  return ((await r.json()) as { errors: { code: string; message: string }[] }).errors[0];
}

/**
 * Starts a server before the cases of the enclosing describe and closes it after them; the
 * returned function gives the running server.
 */
function sharedServer(...args: Parameters<typeof startRegistryServer>): () => RegistryServer {
  let server: RegistryServer | undefined;
  before(async () => {
    server = await startRegistryServer(...args);
  });
  after(async () => {
    await server?.close();
  });
  return () => {
    if (server === undefined) throw new Error('the shared server has not started');
    return server;
  };
}

for (const backend of ['sqlite', 'postgres'] as const) describe(`a chunked push over the storage quota is cut off mid-stream and leaves nothing on disk (${backend})`, { timeout: 120_000 }, () => {
  const server = sharedServer(backend);
  let url: string;

  before(async () => {
    await server().createProject('small', { storageLimit: 1000 });
  });

  it('takes bytes within the quota', async () => {
    url = await location(server(), 'small/app');
    const first = await fetch(url, { method: 'PATCH', headers: { ...admin, 'content-range': '0-599' }, body: new Uint8Array(randomBytes(600)) });
    assert.equal(first.status, 202, 'bytes within the quota are taken');
  });

  it('refuses a chunk whose declared length passes the quota before reading it, and drops the upload', async () => {
    const s = server();
    const declared = await fetch(url, { method: 'PATCH', headers: admin, body: new Uint8Array(20 * MiB) });
    assert.equal(declared.status, 403);
    const e1 = await ociError(declared);
    assert.equal(e1.code, 'DENIED');
    assert.match(e1.message, /storage quota of project "small" exceeded: 0 bytes used \+ 20972120 bytes requested > 1000 bytes allowed/);
    assert.equal((await fetch(url, { headers: admin })).status, 404, 'the refused upload is gone');
    assert.deepEqual(uploadFiles(s), []);
  });

  it('answers a streamed chunk once it passes the quota, long before its end, and drops the upload', async () => {
    const s = server();
    // A streamed body of up to 1 GiB.
    const again = await location(s, 'small/app');
    const { body, pulled } = streamedBody(1024);
    const streamed = await fetch(again, { method: 'PATCH', headers: admin, body, duplex: 'half' } as RequestInit);
    assert.equal(streamed.status, 403);
    const e2 = await ociError(streamed);
    assert.equal(e2.code, 'DENIED');
    assert.match(e2.message, /storage quota of project "small" exceeded: 0 bytes used \+ more than 1000 bytes requested > 1000 bytes allowed/);
    assert.ok(pulled() < 64, `the client had produced ${pulled()} MiB when the refusal came`);
    assert.equal((await fetch(again, { headers: admin })).status, 404);
    assert.deepEqual(uploadFiles(s), []);
  });

  it('bounds an upload by the tenant\'s quota the same way', async () => {
    const s = server();
    await s.createProject('shared', { tenant: 'acme' });
    const q = await s.api('PUT', '/api/v1/registry/tenants/acme/quota', { token: s.adminToken, body: { storageLimit: 2000, artifactLimit: -1 } });
    assert.equal(q.status, 200);
    const tenantUrl = await location(s, 'shared/app');
    const overTenant = await fetch(tenantUrl, { method: 'PATCH', headers: admin, body: streamedBody(16).body, duplex: 'half' } as RequestInit);
    assert.equal(overTenant.status, 403);
    assert.match((await ociError(overTenant)).message, /registry storage quota of tenant "acme" exceeded/);
    assert.deepEqual(uploadFiles(s), []);
  });

  it('still completes a chunked push within the quota', async () => {
    const s = server();
    const ok = await location(s, 'small/app');
    const blob = randomBytes(900);
    assert.equal((await fetch(ok, { method: 'PATCH', headers: { ...admin, 'content-range': '0-449' }, body: new Uint8Array(blob.subarray(0, 450)) })).status, 202);
    const put = await fetch(`${ok}?digest=${sha256(blob)}`, { method: 'PUT', headers: { ...admin, 'content-range': '450-899' }, body: new Uint8Array(blob.subarray(450)) });
    assert.equal(put.status, 201, await put.text());
    assert.deepEqual(uploadFiles(s), []);
  });
});

test('a refused body that keeps coming is drained for a moment, then its connection is cut', { timeout: 60_000 }, async () => {
  const s = await startRegistryServer();
  try {
    await s.createProject('small', { storageLimit: 1000 });
    const url = await location(s, 'small/app');
    const started = Date.now();
    const { status, closedAfter } = await new Promise<{ status: number; closedAfter: number }>((resolve) => {
      let status = 0;
      const giveUp = setTimeout(() => resolve({ status, closedAfter: Infinity }), 15_000);
      const req = request(url, { method: 'PATCH', headers: { ...admin, 'transfer-encoding': 'chunked' } }, (res) => {
        status = res.statusCode ?? 0;
        res.resume();
      });
      const chunk = Buffer.alloc(MiB);
      // A client that sends for as long as it is let: 20 s at most.
      const pump = (): void => {
        while (Date.now() - started < 20_000) if (!req.write(chunk)) return void req.once('drain', pump);
        req.end();
      };
      req.on('error', () => undefined);
      req.on('close', () => {
        clearTimeout(giveUp);
        resolve({ status, closedAfter: Date.now() - started });
      });
      pump();
    });
    assert.equal(status, 403);
    assert.ok(closedAfter < 10_000, `the connection was still open after ${closedAfter} ms`);
    assert.deepEqual(uploadFiles(s), []);
  } finally {
    await s.close();
  }
});

test('a real client pushing over the quota is told so (not a broken pipe) and leaves nothing behind', { timeout: 60_000 }, async () => {
  const skopeo = tool('skopeo');
  const dir = mkdtempSync(join(tmpdir(), 'berth-upload-limits-'));
  const s = await startRegistryServer();
  try {
    await s.createProject('small', { storageLimit: 100_000 });
    const layout = new Layout(join(dir, 'layout'));
    layout.tag(layout.image([[{ path: 'big', content: randomBytes(8 * MiB) }]]), 'v1');
    const r = await run(skopeo, ['copy', '--dest-tls-verify=false', '--dest-creds', `admin:${adminPassword}`, `oci:${layout.dir}:v1`, `docker://${s.host}/small/app:v1`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /storage quota of project \\?"small\\?" exceeded/);
    assert.deepEqual(uploadFiles(s), []);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const backend of ['sqlite', 'postgres'] as const) describe(`a monolithic push over the quota or the per-upload cap is refused and leaves nothing on disk (${backend})`, { timeout: 120_000 }, () => {
  const server = sharedServer(backend, { BERTH_REGISTRY_MAX_UPLOAD_BYTES: String(4 * MiB) });
  const big = randomBytes(20 * MiB);

  before(async () => {
    await server().createProject('small', { storageLimit: 1000 });
    await server().createProject('roomy');
  });

  it('refuses a body over the storage quota with 403 and the numbers', async () => {
    const s = server();
    const post = await fetch(`${s.url}/v2/small/app/blobs/uploads/?digest=${sha256(big)}`, { method: 'POST', headers: admin, body: new Uint8Array(big) });
    assert.equal(post.status, 403);
    assert.match((await ociError(post)).message, /storage quota of project "small" exceeded: 0 bytes used \+ 20971520 bytes requested > 1000 bytes allowed/);
    assert.deepEqual(uploadFiles(s), []);
  });

  it('refuses a streamed body over the storage quota while it arrives', async () => {
    const s = server();
    const { body, pulled } = streamedBody(1024);
    const streamed = await fetch(`${s.url}/v2/small/app/blobs/uploads/?digest=${sha256(big)}`, { method: 'POST', headers: admin, body, duplex: 'half' } as RequestInit);
    assert.equal(streamed.status, 403);
    assert.equal((await ociError(streamed)).code, 'DENIED');
    assert.ok(pulled() < 64, `the client had produced ${pulled()} MiB when the refusal came`);
    assert.deepEqual(uploadFiles(s), []);
  });

  it('refuses a body over the per-upload cap, where no quota applies, with 413 SIZE_INVALID', async () => {
    const s = server();
    // No quota on "roomy": the per-upload cap (4 MiB here) is what refuses.
    const capped = await fetch(`${s.url}/v2/roomy/app/blobs/uploads/?digest=${sha256(big)}`, { method: 'POST', headers: admin, body: streamedBody(1024).body, duplex: 'half' } as RequestInit);
    assert.equal(capped.status, 413);
    const e = await ociError(capped);
    assert.equal(e.code, 'SIZE_INVALID');
    assert.match(e.message, /the limit per blob is 4194304 bytes/);
    assert.deepEqual(uploadFiles(s), []);
  });

  it('refuses a body whose digest does not match with 400 DIGEST_INVALID', async () => {
    const s = server();
    const wrong = await fetch(`${s.url}/v2/roomy/app/blobs/uploads/?digest=${sha256(Buffer.from('other'))}`, { method: 'POST', headers: admin, body: new Uint8Array(randomBytes(MiB)) });
    assert.equal(wrong.status, 400);
    assert.equal((await ociError(wrong)).code, 'DIGEST_INVALID');
    assert.deepEqual(uploadFiles(s), []);
  });

  it('takes a body within the bounds', async () => {
    const s = server();
    const small = randomBytes(MiB);
    assert.equal((await fetch(`${s.url}/v2/roomy/app/blobs/uploads/?digest=${sha256(small)}`, { method: 'POST', headers: admin, body: new Uint8Array(small) })).status, 201);
  });
});

for (const backend of ['sqlite', 'postgres'] as const) describe(`open uploads are bounded per principal and per project: 429 TOOMANYREQUESTS past the bound (${backend})`, { timeout: 120_000 }, () => {
  const server = sharedServer(backend, { BERTH_REGISTRY_MAX_UPLOADS_PER_PRINCIPAL: '5', BERTH_REGISTRY_MAX_UPLOADS_PER_PROJECT: '8' });
  const bob = basic('bob', 'password-123');
  let opened: string[];

  before(async () => {
    const s = server();
    await s.createProject('team');
    await s.createProject('other');
    await s.createUser('bob', 'password-123');
    await s.setMember('team', 'bob', 'developer');
  });

  it('bounds a principal across projects', async () => {
    const s = server();
    opened = await Promise.all(Array.from({ length: 5 }, () => location(s, 'team/app')));
    const sixth = await startUpload(s, 'other/app');
    assert.equal(sixth.status, 429, 'the principal bound spans projects');
    const e = await ociError(sixth);
    assert.equal(e.code, 'TOOMANYREQUESTS');
    assert.match(e.message, /admin has 5 uploads open, the limit per principal/);
  });

  it('frees the place of a cancelled upload', async () => {
    const s = server();
    assert.equal((await fetch(opened[0], { method: 'DELETE', headers: admin })).status, 204);
    assert.equal((await startUpload(s, 'team/app')).status, 202, 'a cancelled upload frees its place');
  });

  it('bounds a project across principals', async () => {
    const s = server();
    for (let i = 0; i < 3; i++) assert.equal((await startUpload(s, 'team/app', bob)).status, 202);
    const ninth = await startUpload(s, 'team/app', bob);
    assert.equal(ninth.status, 429);
    assert.match((await ociError(ninth)).message, /project "team" has 8 uploads open, the limit per project/);
  });

  it('lets no upload of a burst far past the bound through', async () => {
    const s = server();
    const burst = await Promise.all(Array.from({ length: 40 }, () => startUpload(s, 'other/app')));
    assert.ok(burst.every((r) => r.status === 202 || r.status === 429));
    assert.equal(burst.filter((r) => r.status === 202).length, 0, 'admin already holds 5 uploads');
    assert.equal(uploadFiles(s).length, 8);
  });
});

for (const backend of ['sqlite', 'postgres'] as const) test(`an idle upload is swept after the configured idle time; one in use stays (${backend})`, { timeout: 60_000 }, async () => {
  const s = await startRegistryServer(backend, { BERTH_REGISTRY_UPLOAD_IDLE_SECONDS: '2', BERTH_REGISTRY_UPLOAD_SWEEP_SECONDS: '0.25' });
  try {
    await s.createProject('team');
    const idle = await location(s, 'team/app');
    assert.equal((await fetch(idle, { method: 'PATCH', headers: admin, body: new Uint8Array(randomBytes(1000)) })).status, 202);
    const busy = await location(s, 'team/app');
    const deadline = Date.now() + 20_000;
    let status = 204;
    while (status === 204 && Date.now() < deadline) {
      // The busy upload gets a byte every half second: it is never idle.
      assert.equal((await fetch(busy, { method: 'PATCH', headers: admin, body: new Uint8Array(1) })).status, 202);
      await new Promise((r) => setTimeout(r, 500));
      status = (await fetch(idle, { headers: admin })).status;
    }
    assert.equal(status, 404, 'the idle upload was swept');
    const id = /[^/]+$/.exec(new URL(busy).pathname)?.[0];
    assert.deepEqual(uploadFiles(s), [id]);
    assert.equal((await fetch(busy, { headers: admin })).status, 204);
  } finally {
    await s.close();
  }
});

describe('a Content-Range that ends before it starts is refused with 416 RANGE_INVALID, and the upload with it', () => {
  const server = sharedServer();

  before(async () => {
    await server().createProject('team');
  });

  it('refuses the chunk with 416 RANGE_INVALID and drops the upload', async () => {
    const s = server();
    const url = await location(s, 'team/app');
    assert.equal((await fetch(url, { method: 'PATCH', headers: { ...admin, 'content-range': '0-9' }, body: new Uint8Array(10) })).status, 202);
    const r = await fetch(url, { method: 'PATCH', headers: { ...admin, 'content-range': '10-5' }, body: new Uint8Array(3) });
    assert.equal(r.status, 416);
    const e = await ociError(r);
    assert.equal(e.code, 'RANGE_INVALID');
    assert.match(e.message, /Content-Range "10-5" ends before it starts/);
    assert.equal((await fetch(url, { headers: admin })).status, 404);
    assert.deepEqual(uploadFiles(s), []);
  });

  it('keeps the upload of a chunk that merely starts at the wrong offset, so the client resumes', async () => {
    const s = server();
    const resumable = await location(s, 'team/app');
    const wrongStart = await fetch(resumable, { method: 'PATCH', headers: { ...admin, 'content-range': '5-9' }, body: new Uint8Array(5) });
    assert.equal(wrongStart.status, 416);
    assert.equal(wrongStart.headers.get('range'), '0-0');
    assert.equal((await fetch(resumable, { headers: admin })).status, 204);
  });
});

test('a long streamed upload adds no listener per write it waits for (no MaxListenersExceededWarning)', { timeout: 120_000 }, async () => {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  const s = await startRegistryServer();
  try {
    await s.createProject('team');
    // Many 1 MiB pieces in one request: the disk falls behind the loopback network again and
    // again, and each time the write waits for the file to drain.
    for (let round = 0; round < 2; round++) {
      const url = await location(s, 'team/app');
      const r = await fetch(url, { method: 'PATCH', headers: admin, body: streamedBody(256).body, duplex: 'half' } as RequestInit);
      assert.equal(r.status, 202, await r.text());
      assert.equal(r.headers.get('range'), `0-${256 * MiB - 1}`);
      assert.equal((await fetch(url, { method: 'DELETE', headers: admin })).status, 204);
    }
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message), []);
  } finally {
    process.off('warning', onWarning);
    await s.close();
  }
});
