import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accepts, isProblem, parseManifest, type ParsedManifest } from './manifest.ts';
import { isRepositoryName, isTag } from './names.ts';
import { parseDigest } from './digest.ts';
import { RateLimiter } from './rate-limit.ts';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const image = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('a'), size: 2 }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d('b'), size: 10 }] };

function parse(doc: unknown, contentType = ''): ReturnType<typeof parseManifest> {
  return parseManifest(Buffer.from(JSON.stringify(doc)), contentType);
}

test('manifests: what they reference, their artifact type and subject', () => {
  const m = parse({ ...image, subject: { mediaType: image.mediaType, digest: d('c'), size: 5 } }) as ParsedManifest;
  assert.equal(isProblem(m), false);
  assert.deepEqual(m.blobs.map((b) => b.digest), [d('a'), d('b')]);
  assert.equal(m.subject?.digest, d('c'));
  assert.equal(m.artifactType, 'application/vnd.oci.image.config.v1+json', 'the config media type stands in for artifactType');
  const idx = parse({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', artifactType: 'x/y', manifests: [{ mediaType: image.mediaType, digest: d('e'), size: 1 }] }) as ParsedManifest;
  assert.equal(idx.kind, 'index');
  assert.deepEqual(idx.manifests.map((x) => x.digest), [d('e')]);
  assert.equal(idx.artifactType, 'x/y');
  const foreign = parse({ ...image, layers: [{ mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', digest: d('f'), size: 1, urls: ['https://x'] }] }) as ParsedManifest;
  assert.deepEqual(foreign.blobs.map((b) => b.digest), [d('a')], 'non-distributable layers need not be in the registry');
  const docker = parse({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: image.config, layers: image.layers }) as ParsedManifest;
  assert.equal(docker.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
});

test('manifests that are refused, and why', () => {
  const cases: [string, ReturnType<typeof parseManifest>][] = [
    ['schema 1', parse({ schemaVersion: 1, name: 'a/b', fsLayers: [] })],
    ['schema 1 by content type', parse(image, 'application/vnd.docker.distribution.manifest.v1+prettyjws')],
    ['media type differs from Content-Type', parse(image, 'application/vnd.oci.image.index.v1+json')],
    ['bad digest', parse({ ...image, layers: [{ mediaType: 'x', digest: 'sha256:xyz!', size: 1 }] })],
    ['negative size', parse({ ...image, layers: [{ mediaType: 'x', digest: d('b'), size: -1 }] })],
    ['no config', parse({ schemaVersion: 2, mediaType: image.mediaType, layers: [] })],
    ['annotations not strings', parse({ ...image, annotations: { a: 1 } })],
    ['not JSON', parseManifest(Buffer.from('{'), '')],
  ];
  for (const [name, r] of cases) assert.ok(isProblem(r) && r.code === 'MANIFEST_INVALID', name);
  assert.ok(isProblem(parseManifest(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), '')), 'invalid UTF-8 is refused rather than stored altered');
});

test('Accept negotiation, names, tags, patterns, digests', () => {
  assert.equal(accepts(undefined, image.mediaType), true);
  assert.equal(accepts('application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json', image.mediaType), true);
  assert.equal(accepts('application/vnd.docker.distribution.manifest.v2+json', image.mediaType), false);
  assert.equal(accepts('*/*', image.mediaType), true);
  for (const ok of ['team/app', 'a/b/c', 'team/my-app_1.x', 'a/b__c']) assert.equal(isRepositoryName(ok), true, ok);
  for (const bad of ['app', 'Team/app', 'team/../x', 'team//x', 'team/-x', 'team/x-', 'team/%2e%2e', `t/${'a'.repeat(260)}`]) assert.equal(isRepositoryName(bad), false, bad);
  assert.equal(isTag('v1.2.3_rc-1'), true);
  assert.equal(isTag('.hidden'), false);
  assert.equal(isTag('a'.repeat(129)), false);
  assert.equal(parseDigest(`sha512:${'a'.repeat(128)}`)?.algorithm, 'sha512');
  assert.equal(parseDigest(`sha256:${'A'.repeat(64)}`), undefined);
  assert.equal(parseDigest(`md5:${'a'.repeat(32)}`), undefined);
});

test('the rate limiter allows a burst of one second, then refills at the rate', () => {
  let now = 0;
  const rl = new RateLimiter(() => now);
  for (let i = 0; i < 5; i++) assert.equal(rl.take('p', 5), 0);
  const wait = rl.take('p', 5);
  assert.ok(wait > 0 && wait <= 0.2, `wait ${wait}`);
  now += 200;
  assert.equal(rl.take('p', 5), 0);
  assert.equal(rl.take('q', 5), 0, 'keys are independent');
});
