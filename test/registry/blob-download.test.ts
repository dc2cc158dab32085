// Blob downloads over HTTP, which bypass Fastify's stream plumbing for speed: whole blobs and
// ranges arrive intact with the registry's headers, HEAD sends none of the bytes, a slow
// reader gets every byte, a reader that goes away mid-download leaves no open file behind,
// keep-alive connections carry on, and the request is still measured (onResponse hooks run).
// The cases share one server and one blob and run in order: the keep-alive case follows the
// whole download on its connection, and the metrics case counts the ranges asked before it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { Agent, request, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { sha256, startRegistryServer, type RegistryServer } from './support.ts';
import { adminPassword } from '../support/server.ts';

const auth = { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` };

function get(url: string, headers: Record<string, string>, agent?: Agent): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent }, resolve);
    req.on('error', reject);
    req.end();
  });
}

async function bodyOf(res: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of res) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** How many descriptors of this process (the server runs in it) name a file under `dir`. */
function openFilesUnder(dir: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir)) n++;
    } catch {
      // closed since the listing
    }
  }
  return n;
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('blob downloads', { timeout: 60_000 }, () => {
  let s: RegistryServer;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  // Several MiB and an odd size: the store's send buffers are reused and the last read is short.
  const bytes = randomBytes(7 * 1024 * 1024 + 4321);
  const digest = sha256(bytes);
  let url: string;

  before(async () => {
    s = await startRegistryServer();
    await s.createProject('team');
    const pushed = await fetch(`${s.url}/v2/team/app/blobs/uploads/?digest=${digest}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: new Uint8Array(bytes) });
    assert.equal(pushed.status, 201);
    url = `${s.url}/v2/team/app/blobs/${digest}`;
  });

  after(async () => {
    agent.destroy();
    await s?.close();
  });

  it('sends the whole blob unchanged with the registry\'s headers', async () => {
    const whole = await get(url, { ...auth, 'x-request-id': 'blob-download-1' }, agent);
    assert.equal(whole.statusCode, 200);
    assert.equal(whole.headers['content-length'], String(bytes.length));
    assert.equal(whole.headers['content-type'], 'application/octet-stream');
    assert.equal(whole.headers['docker-content-digest'], digest);
    assert.equal(whole.headers['docker-distribution-api-version'], 'registry/2.0');
    assert.equal(whole.headers.etag, `"${digest}"`);
    assert.equal(whole.headers['accept-ranges'], 'bytes');
    assert.equal(whole.headers['x-request-id'], 'blob-download-1');
    assert.ok((await bodyOf(whole)).equals(bytes), 'the whole blob arrives unchanged');
  });

  it('serves a range on the same keep-alive connection and releases it', async () => {
    const part = await get(url, { ...auth, range: 'bytes=1048577-5000000' }, agent);
    assert.equal(part.statusCode, 206);
    assert.equal(part.headers['content-range'], `bytes 1048577-5000000/${bytes.length}`);
    assert.equal(part.headers['content-length'], String(5000000 - 1048577 + 1));
    assert.ok((await bodyOf(part)).equals(bytes.subarray(1048577, 5000001)), 'the range arrives unchanged');
    assert.equal(part.socket, null, 'the response released its socket to the agent');
  });

  it('serves a suffix range as the last bytes', async () => {
    const suffix = await get(url, { ...auth, range: 'bytes=-10' }, agent);
    assert.equal(suffix.statusCode, 206);
    assert.ok((await bodyOf(suffix)).equals(bytes.subarray(bytes.length - 10)));
  });

  it('refuses a range past the end with 416 and the size', async () => {
    const beyond = await get(url, { ...auth, range: `bytes=${bytes.length}-` }, agent);
    assert.equal(beyond.statusCode, 416);
    assert.equal(beyond.headers['content-range'], `bytes */${bytes.length}`);
    await bodyOf(beyond);
  });

  it('answers HEAD with the headers and none of the bytes', async () => {
    const head = await fetch(url, { method: 'HEAD', headers: auth });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(bytes.length));
    assert.equal(head.headers.get('docker-content-digest'), digest);
    assert.equal((await head.arrayBuffer()).byteLength, 0);
  });

  it('gives a reader that stops for a while every byte (backpressure holds the server)', async () => {
    const slow = await get(url, auth);
    slow.pause();
    await new Promise((r) => setTimeout(r, 300));
    slow.resume();
    assert.ok((await bodyOf(slow)).equals(bytes), 'a slow reader gets the blob unchanged');
  });

  it('closes the blob\'s file when a reader goes away mid-download, and serves the next one', async () => {
    const blobs = join(s.dataDir, 'registry', 'blobs');
    const gone = await get(url, auth);
    await new Promise<void>((resolve) => gone.once('data', () => resolve()));
    assert.equal(openFilesUnder(blobs), 1, 'the download holds the blob file open');
    gone.destroy();
    await until('the blob file of the abandoned download is closed', () => openFilesUnder(blobs) === 0);
    const again = await get(url, auth);
    assert.equal(again.statusCode, 200);
    assert.ok((await bodyOf(again)).equals(bytes));
  });

  it('measures range downloads like any request', async () => {
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    const counted = /berth_http_request_duration_seconds_count\{method="GET",route="\/v2\/\*",status_code="206"\} (\d+)/.exec(metrics);
    assert.ok(counted && Number(counted[1]) >= 2, 'range downloads are measured like any request');
  });
});
