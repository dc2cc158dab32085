// Retention decides "pulled within N days" on the policy service's clock: with the clock a
// month and more ahead, an artifact pulled just now is no longer recent, and goes. The server
// and its database are real; a second PolicyService (and Registry) over them carries the clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FilesystemBlobStore } from '../../src/images/index.ts';
import { PolicyService } from '../../src/images/policy-service.ts';
import { Registry } from '../../src/images/registry-service.ts';
import { UsageCache } from '../../src/images/usage-cache.ts';
import { sha256, startRegistryServer } from './support.ts';
import { adminPassword } from '../support/server.ts';

const auth = { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` };
const actor = { name: 'admin', sourceIp: '127.0.0.1', requestId: 'retention-clock-test' };

test('retention reads "pulled within" against its injected clock', async () => {
  const s = await startRegistryServer();
  try {
    await s.createProject('team');
    const config = Buffer.from('{"clock":1}');
    assert.equal((await fetch(`${s.url}/v2/team/app/blobs/uploads/?digest=${sha256(config)}`, { method: 'POST', headers: auth, body: new Uint8Array(config) })).status, 201);
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length }, layers: [] });
    const type = 'application/vnd.oci.image.manifest.v1+json';
    assert.equal((await fetch(`${s.url}/v2/team/app/manifests/v1`, { method: 'PUT', headers: { ...auth, 'content-type': type }, body: manifest })).status, 201);
    assert.equal((await fetch(`${s.url}/v2/team/app/manifests/v1`, { headers: { ...auth, accept: type } })).status, 200);
    // Pulls are written in batches: wait until this one is.
    for (let i = 0; ; i++) {
      const artifacts = await s.api('GET', '/api/v1/registry/artifacts?repository=team/app', { token: s.adminToken });
      if (artifacts.body.items?.[0]?.pulledAt) break;
      assert.ok(i < 50, `the pull was not recorded: ${JSON.stringify(artifacts.body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await s.api('POST', '/api/v1/registry/projects/team/retention', { token: s.adminToken, body: { keepPulledWithinDays: 30 } })).status, 201);

    const { db, audit, config: { uploads } } = s.server.deps;
    const registry = new Registry({ db, blobs: new FilesystemBlobStore(join(s.dataDir, 'registry')), audit, limits: uploads, usage: new UsageCache({ ttlMs: 1000 }) });
    const at = (days: number) => new PolicyService({ db, audit, registry, now: () => new Date(Date.now() + days * 86_400_000) });
    assert.equal((await at(0).retain('team', false, actor)).removed.length, 0, 'pulled just now: kept');
    assert.equal((await fetch(`${s.url}/v2/team/app/manifests/v1`, { method: 'HEAD', headers: { ...auth, accept: type } })).status, 200);
    assert.deepEqual((await at(31).retain('team', false, actor)).removed.map((a) => a.tags), [['v1']], 'pulled 31 days before the clock: removed');
    assert.equal((await fetch(`${s.url}/v2/team/app/manifests/v1`, { method: 'HEAD', headers: { ...auth, accept: type } })).status, 404);
  } finally {
    await s.close();
  }
});
