import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dockerLoginCommand, formatBytes, imageReference, mediaTypeLabel, pullCommand, quotaPercent, referrersByDigest, repositoryPath,
  retentionKeeps, shellQuote, shortDigest,
} from './registry-format.ts';

test('formatBytes writes binary units with up to three significant digits', () => {
  const cases: readonly [number, string][] = [
    [0, '0 B'], [1, '1 B'], [1023, '1023 B'], [1024, '1 KiB'], [1536, '1.5 KiB'], [572 * 1024 + 300, '572 KiB'],
    [10 * 1024 * 1024, '10 MiB'], [15.25 * 1024 * 1024, '15.3 MiB'], [1024 ** 3 - 1, '1024 MiB'], [1024 ** 3, '1 GiB'],
    [1.234 * 1024 ** 4, '1.23 TiB'], [5 * 1024 ** 6, '5120 PiB'], [-1, '—'], [Number.NaN, '—'], [Infinity, '—'],
  ];
  for (const [bytes, want] of cases) assert.equal(formatBytes(bytes), want, String(bytes));
});

test('shortDigest keeps the algorithm and 12 hex digits', () => {
  const hex = '73f221dd7a34fa60f9db4190e35da0ecedf1ed7f82ce31edebeb167e534b1917';
  assert.equal(shortDigest(`sha256:${hex}`), 'sha256:73f221dd7a34');
  assert.equal(shortDigest(`sha512:${hex}${hex}`), 'sha512:73f221dd7a34');
  assert.equal(shortDigest(hex), '73f221dd7a34');
});

test('pull commands name the host, the full repository and the tag or the digest', () => {
  const digest = 'sha256:5e04227cd858948c1e3253fdabac63b40f60ff2b5cbecbfe6b2811a0acf75ce7';
  assert.equal(pullCommand('registry.example.com', 'apps/team/web', { tag: 'v1' }), 'docker pull registry.example.com/apps/team/web:v1');
  assert.equal(pullCommand('127.0.0.1:8080', 'apps/web', { digest }), `docker pull 127.0.0.1:8080/apps/web@${digest}`);
  assert.equal(imageReference('h:1', 'p/r', { tag: 'latest', digest }), 'h:1/p/r:latest', 'a tag wins over the digest');
  assert.equal(imageReference('h:1', 'p/r', { tag: '', digest }), `h:1/p/r@${digest}`, 'an empty tag falls back to the digest');
  assert.throws(() => pullCommand('h', 'p/r', {}), /tag or a digest/);
});

test('shellQuote leaves plain words and single-quotes the rest', () => {
  assert.equal(shellQuote('registry.example.com:5000'), 'registry.example.com:5000');
  assert.equal(shellQuote('robot$apps+ci'), `'robot$apps+ci'`);
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  assert.equal(shellQuote(''), "''");
  assert.equal(shellQuote('a b'), "'a b'");
});

test('dockerLoginCommand passes the secret on standard input and quotes the robot name', () => {
  assert.equal(
    dockerLoginCommand('127.0.0.1:8080', 'robot$apps+ci', '_l7MkU4r-x'),
    `echo _l7MkU4r-x | docker login 127.0.0.1:8080 --username 'robot$apps+ci' --password-stdin`,
  );
  assert.equal(dockerLoginCommand('h', 'u', "a'b"), `echo 'a'\\''b' | docker login h --username u --password-stdin`);
});

test('quotaPercent: none without a limit, capped at 100, full for a zero limit in use', () => {
  const cases: readonly [number, number, number | undefined][] = [
    [5, -1, undefined], [0, 100, 0], [50, 200, 25], [199, 200, 100], [300, 200, 100], [0, 0, 0], [1, 0, 100], [1, 3, 33],
  ];
  for (const [used, limit, want] of cases) assert.equal(quotaPercent(used, limit), want, `${used}/${limit}`);
});

test('repositoryPath drops the project segment', () => {
  assert.equal(repositoryPath('apps/team/web'), 'team/web');
  assert.equal(repositoryPath('apps/web'), 'web');
  assert.equal(repositoryPath('apps'), 'apps');
});

test('referrersByDigest groups artifacts under the subject they refer to', () => {
  const image = { digest: 'sha256:a', subject: '' };
  const sbom = { digest: 'sha256:b', subject: 'sha256:a' };
  const sig = { digest: 'sha256:c', subject: 'sha256:a' };
  const sigOfSbom = { digest: 'sha256:d', subject: 'sha256:b' };
  const got = referrersByDigest([image, sbom, sig, sigOfSbom]);
  assert.deepEqual(got.get('sha256:a'), [sbom, sig]);
  assert.deepEqual(got.get('sha256:b'), [sigOfSbom]);
  assert.equal(got.get('sha256:c'), undefined);
  assert.equal(got.size, 2);
});

test('retentionKeeps lists what a policy keeps in a fixed order', () => {
  assert.deepEqual(retentionKeeps({ keepPulledWithinDays: 7, keepTags: ['release-*'], keepLatest: 0 }), [
    { kind: 'latest', count: 0 }, { kind: 'tags', tags: ['release-*'] }, { kind: 'pulled', days: 7 },
  ]);
  assert.deepEqual(retentionKeeps({ keepTags: [] }), []);
  assert.deepEqual(retentionKeeps({}), []);
});

test('mediaTypeLabel names the four manifest types and passes others through', () => {
  assert.equal(mediaTypeLabel('application/vnd.oci.image.manifest.v1+json'), 'OCI image manifest');
  assert.equal(mediaTypeLabel('application/vnd.oci.image.index.v1+json'), 'OCI image index');
  assert.equal(mediaTypeLabel('application/vnd.docker.distribution.manifest.v2+json'), 'Docker manifest v2');
  assert.equal(mediaTypeLabel('application/vnd.docker.distribution.manifest.list.v2+json'), 'Docker manifest list');
  assert.equal(mediaTypeLabel('application/x-unknown'), 'application/x-unknown');
});
