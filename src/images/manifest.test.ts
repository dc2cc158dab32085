import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { accepts, isProblem, parseManifest, type ParsedManifest } from './manifest.ts';
import { isProjectName, isRepositoryName, isTag, projectOf } from './names.ts';
import { digestOf, newHasher, parseDigest } from './digest.ts';

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

describe('manifests that are refused, and why', () => {
  const cases: readonly [string, () => ReturnType<typeof parseManifest>, RegExp][] = [
    ['schema 1', () => parse({ schemaVersion: 1, name: 'a/b', fsLayers: [] }), /schema 1/],
    ['schema 1 by content type', () => parse(image, 'application/vnd.docker.distribution.manifest.v1+prettyjws'), /schema 1/],
    ['media type differs from Content-Type', () => parse(image, 'application/vnd.oci.image.index.v1+json'), /does not match the Content-Type/],
    ['bad digest', () => parse({ ...image, layers: [{ mediaType: 'x', digest: 'sha256:xyz!', size: 1 }] }), /layers\[0\]\.digest/],
    ['negative size', () => parse({ ...image, layers: [{ mediaType: 'x', digest: d('b'), size: -1 }] }), /layers\[0\]\.size/],
    ['empty descriptor media type', () => parse({ ...image, layers: [{ mediaType: '', digest: d('b'), size: 1 }] }), /layers\[0\]\.mediaType/],
    ['descriptor artifactType not a string', () => parse({ ...image, layers: [{ ...image.layers[0], artifactType: 5 }] }), /layers\[0\]\.artifactType/],
    ['descriptor annotations not strings', () => parse({ ...image, layers: [{ ...image.layers[0], annotations: { a: 1 } }] }), /layers\[0\]\.annotations/],
    ['no config', () => parse({ schemaVersion: 2, mediaType: image.mediaType, layers: [] }), /config must be a descriptor/],
    ['layers not an array', () => parse({ ...image, layers: {} }), /layers must be an array/],
    ['index manifests not an array', () => parse({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: {} }), /manifests must be an array/],
    ['a bad index entry', () => parse({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'x' }] }), /manifests\[0\]\.digest/],
    ['annotations not strings', () => parse({ ...image, annotations: { a: 1 } }), /manifest\.annotations/],
    ['a bad subject', () => parse({ ...image, subject: { mediaType: image.mediaType, digest: 'nope', size: 1 } }), /subject\.digest/],
    ['artifactType not a string', () => parse({ ...image, artifactType: 5 }), /^artifactType must be a string/],
    ['mediaType not a string', () => parse({ ...image, mediaType: 5 }), /^mediaType must be a string/],
    ['an unknown media type', () => parse({ ...image, mediaType: 'text/plain' }), /unsupported manifest media type "text\/plain"/],
    ['schema version 3', () => parse({ ...image, schemaVersion: 3 }), /schemaVersion must be 2/],
    ['a JSON array', () => parse([image]), /must be a JSON object/],
    ['not JSON', () => parseManifest(Buffer.from('{'), ''), /not valid JSON/],
    // JSON.parse would take the replacement character: only the round trip sees the change.
    ['invalid UTF-8 (refused rather than stored altered)', () => parseManifest(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), ''), /not valid UTF-8/],
  ];
  for (const [name, run, message] of cases) {
    it(name, () => {
      const r = run();
      assert.ok(isProblem(r), 'refused');
      assert.equal(r.code, 'MANIFEST_INVALID');
      assert.match(r.message, message);
    });
  }
});

describe('manifests that are taken', () => {
  it('annotations are kept', () => assert.deepEqual((parse({ ...image, annotations: { a: 'b' } }) as ParsedManifest).annotations, { a: 'b' }));
  it('a Docker manifest list is an index', () => {
    const list = parse({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json', manifests: [{ mediaType: image.mediaType, digest: d('e'), size: 1 }] }) as ParsedManifest;
    assert.equal(list.kind, 'index');
  });
  for (const mediaType of ['application/vnd.oci.image.layer.nondistributable.v1.tar', 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd', 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip']) {
    it(`a ${mediaType} layer need not be in the registry`, () => {
      const m = parse({ ...image, layers: [{ mediaType, digest: d('f'), size: 1 }] }) as ParsedManifest;
      assert.deepEqual(m.blobs.map((b) => b.digest), [d('a')]);
    });
  }
  it('a Docker schema 1 manifest named by its media type is refused', () => {
    const r = parse({ ...image, mediaType: 'application/vnd.docker.distribution.manifest.v1+json' });
    assert.ok(isProblem(r) && /schema 1/.test(r.message));
  });
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

describe('project names', () => {
  const cases: readonly [string, boolean][] = [
    ['team', true], ['a.b_c-d', true], ['x', false], ['a'.repeat(63), true], ['a'.repeat(64), false], ['Team', false], ['-team', false], ['team/app', false],
  ];
  for (const [name, want] of cases) it(`${name.slice(0, 20)}${name.length > 20 ? `… (${name.length})` : ''} ${want ? 'is' : 'is not'} a project name`, () => assert.equal(isProjectName(name), want));
  it('the project of a repository is its first segment', () => assert.equal(projectOf('team/frontend/web'), 'team'));
  it('a name without a segment is its own project', () => assert.equal(projectOf('team'), 'team'));
});

describe('computing digests', () => {
  const empty = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
  it('digestOf hashes with sha256 by default', () => assert.equal(digestOf(new Uint8Array()), empty));
  it('digestOf names the algorithm it used', () => assert.match(digestOf(new Uint8Array(), 'sha512'), /^sha512:[a-f0-9]{128}$/));
  it('a streaming hasher agrees with digestOf', () => {
    const h = newHasher('sha256');
    h.update(Buffer.from('ab'));
    h.update(Buffer.from('c'));
    assert.equal(`sha256:${h.digest('hex')}`, digestOf(Buffer.from('abc')));
  });
});
