// Garbage collection: a dry run lists what would go and changes nothing; a run frees exactly
// the unreferenced blobs; and collections racing pushes lose nothing a push was told it stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { FilesystemBlobStore, GarbageCollector } from '../../src/images/index.ts';
import { UsageCache } from '../../src/images/usage-cache.ts';
import { sha256, startRegistryServer, type RegistryServer } from './support.ts';
import { adminPassword } from '../support/server.ts';

const auth = { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` };
const old = new Date(Date.now() - 48 * 3600 * 1000);

/** Makes every link, blob row and blob file look two days old. */
async function ageEverything(s: RegistryServer): Promise<void> {
  const k = s.server.deps.db.kysely as unknown as Kysely<Record<string, Record<string, unknown>>>;
  await k.updateTable('registry_repository_blobs').set({ created_at: old.toISOString() }).execute();
  await k.updateTable('registry_blobs').set({ created_at: old.toISOString() }).execute();
  const root = join(s.dataDir, 'registry', 'blobs');
  for (const alg of readdirSync(root)) for (const p of readdirSync(join(root, alg))) for (const f of readdirSync(join(root, alg, p))) {
    try { utimesSync(join(root, alg, p, f), old, old); } catch { /* swept meanwhile */ }
  }
}

interface Image { manifest: string; digest: string; blobs: Buffer[] }

function image(shared: Buffer, unique: Buffer): Image {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', id: sha256(unique) }));
  const layers = [shared, unique];
  const manifest = JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(l), size: l.length })),
  });
  return { manifest, digest: sha256(Buffer.from(manifest)), blobs: [config, ...layers] };
}

/** Pushes like a client: skip blobs the repository has, upload the rest, then the manifest. */
async function push(base: string, repo: string, tag: string, img: Image): Promise<number> {
  for (const b of img.blobs) {
    const head = await fetch(`${base}/v2/${repo}/blobs/${sha256(b)}`, { method: 'HEAD', headers: auth });
    if (head.status === 200) continue;
    const r = await fetch(`${base}/v2/${repo}/blobs/uploads/?digest=${sha256(b)}`, { method: 'POST', headers: auth, body: new Uint8Array(b) });
    if (r.status !== 201) return r.status;
  }
  const m = await fetch(`${base}/v2/${repo}/manifests/${tag}`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: img.manifest });
  return m.status;
}

async function pullable(base: string, repo: string, img: Image): Promise<boolean> {
  const m = await fetch(`${base}/v2/${repo}/manifests/${img.digest}`, { headers: { ...auth, accept: 'application/vnd.oci.image.manifest.v1+json' } });
  if (m.status !== 200) return false;
  for (const b of img.blobs) {
    const r = await fetch(`${base}/v2/${repo}/blobs/${sha256(b)}`, { headers: auth });
    if (r.status !== 200 || sha256(Buffer.from(await r.arrayBuffer())) !== sha256(b)) return false;
  }
  return true;
}

function collector(s: RegistryServer, graceMs: number): GarbageCollector {
  return new GarbageCollector({ db: s.server.deps.db, blobs: new FilesystemBlobStore(join(s.dataDir, 'registry')), audit: s.server.deps.audit, logger: pino({ level: 'silent' }), graceMs, usage: new UsageCache({ ttlMs: 1000 }) });
}

test('a dry run lists what would go; a run frees exactly the unreferenced blobs', async () => {
  const s = await startRegistryServer();
  try {
    await s.createProject('team');
    const shared = randomBytes(50_000);
    const a = image(shared, randomBytes(70_000));
    const b = image(shared, randomBytes(30_000));
    assert.equal(await push(s.url, 'team/app', 'a', a), 201);
    assert.equal(await push(s.url, 'team/app', 'b', b), 201);
    assert.equal((await fetch(`${s.url}/v2/team/app/manifests/${a.digest}`, { method: 'DELETE', headers: auth })).status, 202);
    await ageEverything(s);
    const gc = collector(s, 3600_000);
    const expected = [a.blobs[0], a.blobs[2]];
    const freed = expected.reduce((n, x) => n + x.length, 0);

    const dry = await gc.run({ dryRun: true, triggeredBy: 'test' });
    assert.equal(dry.status, 'succeeded');
    assert.deepEqual(dry.result && 'blobs' in dry.result ? [...dry.result.blobs].sort() : [], expected.map(sha256).sort());
    assert.equal(dry.result && 'bytesFreed' in dry.result ? dry.result.bytesFreed : -1, freed);
    assert.equal((await fetch(`${s.url}/v2/team/app/blobs/${sha256(a.blobs[2])}`, { method: 'HEAD', headers: auth })).status, 200, 'a dry run deletes nothing');

    const real = await gc.run({ dryRun: false, triggeredBy: 'test' });
    assert.ok(real.result && 'bytesFreed' in real.result);
    assert.equal(real.result.bytesFreed, freed);
    assert.equal(real.result.linksRemoved, 2);
    assert.equal(await new FilesystemBlobStore(join(s.dataDir, 'registry')).stat(sha256(a.blobs[2])), undefined);
    assert.ok(await pullable(s.url, 'team/app', b), 'the image that is still referenced is whole');
    const usage = (await s.api('GET', '/api/v1/registry/projects/team', { token: s.adminToken })).body.usage;
    assert.equal(usage.storageBytes, b.blobs.reduce((n, x) => n + x.length, 0));

    const runs = await s.api('GET', '/api/v1/registry/gc', { token: s.adminToken });
    assert.equal(runs.body.items.length, 2);
    const viaApi = await s.api('POST', '/api/v1/registry/gc', { token: s.adminToken, body: { dryRun: true } });
    assert.equal(viaApi.status, 201);
    assert.equal(viaApi.body.result.blobsDeleted, 0);
  } finally {
    await s.close();
  }
});

for (const backend of ['sqlite', 'postgres'] as const) {
  test(`garbage collection racing pushes loses nothing a push stored (${backend})`, { timeout: 180_000 }, async (t) => {
    const s = await startRegistryServer(backend);
    try {
      await s.createProject('team');
      const shared = randomBytes(20_000);
      const images = Array.from({ length: 12 }, () => image(shared, randomBytes(10_000)));
      for (const [i, img] of images.entries()) assert.equal(await push(s.url, 'team/app', `t${i}`, img), 201);
      // Blobs and links younger than the grace period are kept; what a push in the race writes
      // stays young, while the garbage it reuses was made old before the race began.
      const gc = collector(s, 5000);
      let runs = 0;
      let storedTotal = 0;
      for (let round = 0; round < 8; round++) {
        // Every image becomes old garbage: the pushes of this round reuse blobs the collector
        // wants to sweep (their links, the rows and the files), some skipping the upload.
        for (const img of images) {
          const r = await fetch(`${s.url}/v2/team/app/manifests/${img.digest}`, { method: 'DELETE', headers: auth });
          assert.ok(r.status === 202 || r.status === 404, `delete answered ${r.status}`);
        }
        await ageEverything(s);
        let stop = false;
        const collecting = (async () => {
          while (!stop) {
            const r = await gc.run({ dryRun: false, triggeredBy: 'race' });
            assert.equal(r.status, 'succeeded', JSON.stringify(r.result));
            runs++;
          }
        })();
        const stored: Image[] = [];
        await Promise.all(images.map(async (img, i) => {
          for (let attempt = 0; attempt < 3; attempt++) {
            if ((await push(s.url, 'team/app', `r${round}-${i}`, img)) === 201) {
              stored.push(img);
              return;
            }
          }
        }));
        stop = true;
        await collecting;
        // A last collection after the grace period, so that it would sweep anything left unlinked.
        await ageEverything(s);
        await gc.run({ dryRun: false, triggeredBy: 'final' });
        for (const img of stored) assert.ok(await pullable(s.url, 'team/app', img), `round ${round}: image ${img.digest} is whole after collection`);
        storedTotal += stored.length;
      }
      t.diagnostic(`${runs} collections raced the pushes; ${storedTotal} of ${8 * images.length} pushes were stored`);
      assert.ok(runs > 0, 'collections ran during the pushes');
      assert.ok(storedTotal > 0, 'some pushes were stored');
    } finally {
      await s.close();
    }
  });
}
