// The project list carries each project's usage (stored bytes with a blob counted once per
// project, artifacts, repositories), the same figures as the project's own answer, so the
// console lists projects with one request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sha256, startRegistryServer } from './support.ts';
import { adminPassword } from '../support/server.ts';

const auth = { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` };

async function pushBlob(base: string, repo: string, bytes: Buffer): Promise<void> {
  const r = await fetch(`${base}/v2/${repo}/blobs/uploads/?digest=${sha256(bytes)}`, { method: 'POST', headers: auth, body: new Uint8Array(bytes) });
  assert.equal(r.status, 201, `push a blob to ${repo}`);
}

async function pushImage(base: string, repo: string, tag: string, config: Buffer, layer: Buffer): Promise<void> {
  await pushBlob(base, repo, config);
  await pushBlob(base, repo, layer);
  const body = JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
  });
  const r = await fetch(`${base}/v2/${repo}/manifests/${tag}`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body });
  assert.equal(r.status, 201, `push ${repo}:${tag}`);
}

interface Usage { storageBytes: number; artifacts: number; repositories: number }
interface Listed { name: string; storageLimit: number; artifactLimit: number; usage: Usage }

for (const backend of ['sqlite', 'postgres'] as const) test(`the project list carries each project's usage, as the project's own answer does (${backend})`, async () => {
  const s = await startRegistryServer(backend);
  try {
    await s.createProject('alpha', { storageLimit: 10_000_000, artifactLimit: 5 });
    await s.createProject('beta', { public: true });
    await s.createProject('empty');
    const shared = randomBytes(30_000);
    const configA = randomBytes(500);
    const configB = randomBytes(700);
    await pushImage(s.url, 'alpha/web', 'v1', configA, shared);
    await pushImage(s.url, 'alpha/api', 'v1', configB, shared);
    await pushImage(s.url, 'alpha/api', 'v2', configA, shared);
    await pushImage(s.url, 'beta/tool', 'v1', configB, randomBytes(1000));

    const list = await s.api('GET', '/api/v1/registry/projects', { token: s.adminToken });
    assert.equal(list.status, 200);
    const items = list.body.items as Listed[];
    assert.deepEqual(items.map((p) => p.name), ['alpha', 'beta', 'empty']);
    const byName = new Map(items.map((p) => [p.name, p]));
    assert.deepEqual(byName.get('alpha')?.usage, { storageBytes: 30_000 + 500 + 700, artifacts: 3, repositories: 2 }, 'a blob in several repositories counts once');
    assert.equal(byName.get('alpha')?.storageLimit, 10_000_000);
    assert.equal(byName.get('alpha')?.artifactLimit, 5);
    assert.deepEqual(byName.get('beta')?.usage, { storageBytes: 700 + 1000, artifacts: 1, repositories: 1 });
    assert.deepEqual(byName.get('empty')?.usage, { storageBytes: 0, artifacts: 0, repositories: 0 });
    for (const p of items) {
      const one = await s.api('GET', `/api/v1/registry/projects/${p.name}`, { token: s.adminToken });
      assert.deepEqual(p.usage, one.body.usage, `the list and ${p.name}'s own answer agree`);
    }

    // A user with no role sees the public project only, with its usage.
    await s.createUser('outsider', 'password-123');
    const token = await s.login('outsider', 'password-123');
    const theirs = await s.api('GET', '/api/v1/registry/projects', { token });
    assert.deepEqual((theirs.body.items as Listed[]).map((p) => [p.name, p.usage.artifacts]), [['beta', 1]]);
  } finally {
    await s.close();
  }
});
