import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { accepts, isProblem, parseManifest, type ParsedManifest } from './manifest.ts';
import { isRepositoryName, isTag } from './names.ts';
import { parseDigest } from './digest.ts';

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

describe('Accept negotiation', () => {
  const cases: readonly [string, string | undefined, boolean][] = [
    ['no Accept header takes anything', undefined, true],
    ['a list naming the type', 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json', true],
    ['a list without the type', 'application/vnd.docker.distribution.manifest.v2+json', false],
    ['*/*', '*/*', true],
  ];
  for (const [name, accept, want] of cases) it(name, () => assert.equal(accepts(accept, image.mediaType), want));
});

describe('repository names', () => {
  for (const ok of ['team/app', 'a/b/c', 'team/my-app_1.x', 'a/b__c']) it(`${ok} is a name`, () => assert.equal(isRepositoryName(ok), true));
  for (const bad of ['app', 'Team/app', 'team/../x', 'team//x', 'team/-x', 'team/x-', 'team/%2e%2e', `t/${'a'.repeat(260)}`]) {
    it(`${bad.slice(0, 40)} is not a name`, () => assert.equal(isRepositoryName(bad), false));
  }
});

describe('tags', () => {
  const cases: readonly [string, string, boolean][] = [['letters, digits, . _ -', 'v1.2.3_rc-1', true], ['a leading dot', '.hidden', false], ['129 characters', 'a'.repeat(129), false]];
  for (const [name, tag, want] of cases) it(name, () => assert.equal(isTag(tag), want));
});

describe('digests', () => {
  it('sha512 parses', () => assert.equal(parseDigest(`sha512:${'a'.repeat(128)}`)?.algorithm, 'sha512'));
  it('upper-case hex is refused', () => assert.equal(parseDigest(`sha256:${'A'.repeat(64)}`), undefined));
  it('an unknown algorithm is refused', () => assert.equal(parseDigest(`md5:${'a'.repeat(32)}`), undefined));
});
