import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseContentRange } from './registry-service.ts';
import { RegistryError } from './errors.ts';
import { ociErrorOf } from './v2/oci-errors.ts';

test('Content-Range of an upload chunk: <start>-<end> with start ≤ end, else 416 RANGE_INVALID', () => {
  assert.equal(parseContentRange(undefined), undefined);
  assert.deepEqual(parseContentRange('0-9'), { start: 0, end: 9 });
  assert.deepEqual(parseContentRange('bytes 10-10'), { start: 10, end: 10 });
  assert.deepEqual(parseContentRange('bytes=10-19'), { start: 10, end: 19 });
  for (const h of ['10-5', '1-0', 'bytes 9-8', '5', '-5', 'a-b', 'bytes 0-9/10']) {
    assert.throws(() => parseContentRange(h), (e: unknown) => e instanceof RegistryError && e.problem === 'range-invalid' && ociErrorOf(e).code === 'RANGE_INVALID' && ociErrorOf(e).status === 416, h);
  }
});
