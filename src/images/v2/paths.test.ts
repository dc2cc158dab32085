import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRange, routeOf } from './paths.ts';
import { OciError } from './oci-errors.ts';

test('Range headers as RFC 9110 reads them, against a 10,000-byte blob', () => {
  const cases: [string | undefined, ReturnType<typeof parseRange>][] = [
    [undefined, undefined],
    ['bytes=500-1499', { start: 500, end: 1499 }],
    ['bytes=500-', { start: 500, end: 9999 }],
    ['bytes=-500', { start: 9500, end: 9999 }],
    ['bytes=2000-50000', { start: 2000, end: 9999 }],
    ['bytes=500-0', null],
    ['bytes=10000-10001', null],
    ['bytes=-0', null],
    ['items=0-1', null],
  ];
  for (const [h, want] of cases) assert.deepEqual(parseRange(h, 10_000), want, String(h));
});

test('registry paths route to their operation; invalid names are NAME_INVALID', () => {
  assert.deepEqual(routeOf('/v2/'), { kind: 'base' });
  assert.deepEqual(routeOf('/v2/a/b/blobs/uploads/'), { kind: 'uploads', name: 'a/b', id: '' });
  assert.deepEqual(routeOf('/v2/a/b/c/manifests/v1'), { kind: 'manifest', name: 'a/b/c', reference: 'v1' });
  assert.deepEqual(routeOf('/v2/a/blobs/manifests/v1'), { kind: 'manifest', name: 'a/blobs', reference: 'v1' });
  assert.deepEqual(routeOf('/v2/a/b/tags/list'), { kind: 'tags', name: 'a/b' });
  for (const p of ['/v2/A/b/tags/list', '/v2/a/../b/tags/list', '/v2/a%2Fb/c/tags/list']) {
    assert.throws(() => routeOf(p), (e: unknown) => e instanceof OciError && e.code === 'NAME_INVALID', p);
  }
});
