// Real clients against Berth: skopeo (Debian), crane and oras (built from the Go module proxy)
// push and pull image layouts the test makes (tar layers with files, configs, manifests, an
// index, and an artifact with a subject), through the token flow with authentication on. The
// cases share one server and run in order: each client reads what the ones before it wrote.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { Layout, registryFetch, run, sha256, startRegistryServer, tool, type Desc, type RegistryServer } from './support.ts';
import { adminPassword } from '../support/server.ts';

/** A docker config folder holding credentials for `host` (crane and oras read it). */
function dockerConfig(dir: string, host: string, user: string, password: string): string {
  const path = mkdtempSync(join(dir, 'docker-'));
  writeFileSync(join(path, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }));
  return path;
}

function makeLayout(dir: string): { layout: Layout; amd: Desc; arm: Desc; index: Desc } {
  const layout = new Layout(join(dir, 'layout'));
  const amd = layout.image([
    [{ path: 'etc/app.conf', content: 'listen = 8080\n' }, { path: 'bin/app', content: '#!/bin/sh\necho amd64\n' }],
    [{ path: 'srv/data.bin', content: randomBytes(300_000) }],
  ], { arch: 'amd64' });
  const arm = layout.image([[{ path: 'bin/app', content: '#!/bin/sh\necho arm64\n' }]], { arch: 'arm64' });
  const index = layout.index([amd, arm]);
  layout.tag(index, 'v1');
  layout.tag(amd, 'single');
  return { layout, amd, arm, index };
}

describe('skopeo, crane and oras push and pull images, an index and a referrer through Berth', { timeout: 300_000 }, () => {
  const skopeo = tool('skopeo');
  const crane = tool('crane');
  const oras = tool('oras');
  const creds = `admin:${adminPassword}`;
  let dir: string;
  let s: RegistryServer;
  let layout: Layout;
  let amd: Desc;
  let index: Desc;
  let env: { DOCKER_CONFIG: string };
  let orasAuth: string[];
  let sbomDigest: string;
  const ref = (r: string) => `docker://${s.host}/apps/${r}`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-clients-'));
    s = await startRegistryServer();
    await s.createProject('apps');
    ({ layout, amd, index } = makeLayout(dir));
    env = { DOCKER_CONFIG: dockerConfig(dir, s.host, 'admin', adminPassword) };
    orasAuth = ['--plain-http', '-u', 'admin', '-p', adminPassword];
  });

  after(async () => {
    await s?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('skopeo pushes the whole index (both platforms) and a single image; the index comes back byte for byte', async () => {
    let r = await run(skopeo, ['copy', '--all', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout.dir}:v1`, ref('web:v1')]);
    assert.equal(r.code, 0, r.stderr);
    r = await run(skopeo, ['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout.dir}:single`, ref('web:single')]);
    assert.equal(r.code, 0, r.stderr);
    r = await run(skopeo, ['inspect', '--raw', '--tls-verify=false', '--creds', creds, ref('web:v1')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha256(Buffer.from(r.stdout)), index.digest, 'the index comes back byte for byte');
  });

  it('skopeo pushes Docker schema 2 (converted on the way in) and it comes back as pushed', async () => {
    let r = await run(skopeo, ['copy', '--format', 'v2s2', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout.dir}:single`, ref('docker:v1')]);
    assert.equal(r.code, 0, r.stderr);
    r = await run(skopeo, ['inspect', '--raw', '--tls-verify=false', '--creds', creds, ref('docker:v1')]);
    assert.equal((JSON.parse(r.stdout) as { mediaType: string }).mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  });

  it('crane reads the digest of what skopeo wrote', async () => {
    const r = await run(crane, ['digest', `${s.host}/apps/web:v1`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), index.digest);
  });

  it('crane copies the index across repositories and lists the copy\'s tags', async () => {
    let r = await run(crane, ['copy', `${s.host}/apps/web:v1`, `${s.host}/apps/mirror:v1`], { env });
    assert.equal(r.code, 0, r.stderr);
    r = await run(crane, ['ls', `${s.host}/apps/mirror`], { env });
    assert.deepEqual(r.stdout.trim().split('\n'), ['v1']);
  });

  it('crane reads a platform manifest of the copy by digest', async () => {
    const r = await run(crane, ['manifest', `${s.host}/apps/mirror@${amd.digest}`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha256(Buffer.from(r.stdout)), amd.digest);
  });

  it('crane lists the catalog', async () => {
    const r = await run(crane, ['catalog', s.host], { env });
    assert.deepEqual(r.stdout.trim().split('\n').sort(), ['apps/docker', 'apps/mirror', 'apps/web']);
  });

  it('skopeo pulls the image back from the copy with every layer\'s files intact', async () => {
    const back = join(dir, 'back');
    const r = await run(skopeo, ['copy', '--src-tls-verify=false', '--src-creds', creds, `docker://${s.host}/apps/mirror@${amd.digest}`, `oci:${back}:pulled`]);
    assert.equal(r.code, 0, r.stderr);
    const manifest = JSON.parse(readFileSync(join(back, 'blobs', 'sha256', amd.digest.slice(7)), 'utf8')) as { layers: Desc[] };
    const firstLayer = gunzipSync(readFileSync(join(back, 'blobs', 'sha256', manifest.layers[0].digest.slice(7)))).toString('latin1');
    assert.match(firstLayer, /listen = 8080/);
    assert.equal(readdirSync(join(back, 'blobs', 'sha256')).length, 4, 'manifest, config and 2 layers');
  });

  it('oras attaches an SBOM whose subject is the index and discovers it', async () => {
    const sbom = join(dir, 'sbom.json');
    writeFileSync(sbom, JSON.stringify({ spdxVersion: 'SPDX-2.3', name: 'web' }));
    let r = await run(oras, ['attach', ...orasAuth, '--artifact-type', 'application/spdx+json', `${s.host}/apps/web:v1`, 'sbom.json:application/spdx+json'], { env: { ...env, HOME: dir }, cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    r = await run(oras, ['discover', ...orasAuth, '--format', 'json', `${s.host}/apps/web:v1`], { env: { ...env, HOME: dir } });
    assert.equal(r.code, 0, r.stderr);
    const discovered = JSON.parse(r.stdout) as { referrers?: { digest: string; artifactType: string }[]; manifests?: { digest: string; artifactType: string }[] };
    const referrers = discovered.referrers ?? discovered.manifests ?? [];
    assert.equal(referrers.length, 1);
    assert.equal(referrers[0].artifactType, 'application/spdx+json');
    sbomDigest = referrers[0].digest;
  });

  it('the referrers API filters by artifactType and says so in OCI-Filters-Applied', async () => {
    const filtered = await registryFetch(s.url, `/v2/apps/web/referrers/${index.digest}?artifactType=application%2Fspdx%2Bjson`, { user: 'admin', password: adminPassword });
    assert.equal(filtered.headers.get('oci-filters-applied'), 'artifactType');
    assert.equal(((await filtered.json()) as { manifests: unknown[] }).manifests.length, 1);
    const none = await registryFetch(s.url, `/v2/apps/web/referrers/${index.digest}?artifactType=application%2Fother`, { user: 'admin', password: adminPassword });
    assert.equal(((await none.json()) as { manifests: unknown[] }).manifests.length, 0);
  });

  it('oras pulls the SBOM back by digest', async () => {
    const pulled = join(dir, 'pulled');
    const r = await run(oras, ['pull', ...orasAuth, '-o', pulled, `${s.host}/apps/web@${sbomDigest}`], { env: { ...env, HOME: dir } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(readFileSync(join(pulled, 'sbom.json'), 'utf8')), { spdxVersion: 'SPDX-2.3', name: 'web' });
  });

  it('counts each blob once in the project although two repositories link it', async () => {
    const project = await s.api('GET', '/api/v1/registry/projects/apps', { token: s.adminToken });
    assert.ok(project.body.usage.storageBytes > 300_000 && project.body.usage.storageBytes < 2 * 300_000, `counted once: ${project.body.usage.storageBytes}`);
  });

  it('audits the pushes, pulls and logins', async () => {
    // Closing the server writes pending pulls; this case therefore comes last.
    await s.server.app.close();
    const actions = new Set((await s.server.deps.db.kysely.selectFrom('audit_log').select('action').where('resource', 'in', ['artifacts', 'registry']).execute()).map((x) => x.action));
    for (const a of ['push', 'pull', 'login']) assert.ok(actions.has(a), `audit has ${a}: ${[...actions].join(',')}`);
  });
});
