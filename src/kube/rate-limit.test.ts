import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBucket } from './rate-limit.ts';

test('a token bucket lets the burst through, then one request per 1/qps seconds, refilling with time', () => {
  let now = 0;
  const bucket = new TokenBucket({ qps: 10, burst: 3 }, () => now);
  assert.deepEqual([bucket.reserve(), bucket.reserve(), bucket.reserve()], [0, 0, 0]);
  assert.deepEqual([bucket.reserve(), bucket.reserve()].map(Math.round), [100, 200]);
  now = 1000; // 10 tokens' worth of time: the two borrowed, then a full bucket (never more than the burst).
  assert.deepEqual([bucket.reserve(), bucket.reserve(), bucket.reserve(), Math.round(bucket.reserve())], [0, 0, 0, 100]);
});

test('an aborted wait rejects at once and gives its token back', async () => {
  const bucket = new TokenBucket({ qps: 1, burst: 1 });
  await bucket.take();
  const ac = new AbortController();
  const waiting = bucket.take(ac.signal);
  ac.abort();
  await assert.rejects(waiting, { name: 'AbortError' });
  // The refund means the next caller waits for one token, not two.
  assert.ok(bucket.reserve() <= 1000);
  assert.throws(() => new TokenBucket({ qps: 0, burst: 1 }), RangeError);
  assert.throws(() => new TokenBucket({ qps: 1, burst: 0 }), RangeError);
});
