import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from './rate-limit.ts';

/** A limiter on a clock the case moves by hand (milliseconds). */
function limiter(): { rl: RateLimiter; advance: (ms: number) => void } {
  let now = 1_000_000;
  return { rl: new RateLimiter(() => now), advance: (ms) => { now += ms; } };
}

/** How many of `n` requests at one instant are allowed. */
function burst(rl: RateLimiter, key: string, rate: number, n: number): number {
  let allowed = 0;
  for (let i = 0; i < n; i++) if (rl.take(key, rate) === 0) allowed++;
  return allowed;
}

describe('RateLimiter', () => {
  const bursts: readonly { name: string; rate: number; idleMs: number; allowed: number }[] = [
    { name: 'a fresh bucket holds one second of requests', rate: 5, idleMs: 0, allowed: 5 },
    { name: 'a long idle bucket is capped at one second of requests (the burst cap)', rate: 5, idleMs: 60_000, allowed: 5 },
    { name: 'a rate below one request a second allows none at once', rate: 0.5, idleMs: 0, allowed: 0 },
  ];
  for (const c of bursts) {
    it(c.name, () => {
      const { rl, advance } = limiter();
      if (c.idleMs) {
        rl.take('p', c.rate);
        advance(c.idleMs);
      }
      assert.equal(burst(rl, 'p', c.rate, 100), c.allowed);
    });
  }

  it('refills at the rate: an emptied bucket of 10/s allows one request per 100 ms', () => {
    const { rl, advance } = limiter();
    burst(rl, 'p', 10, 10);
    assert.ok(rl.take('p', 10) > 0);
    advance(100);
    assert.equal(rl.take('p', 10), 0);
    assert.ok(rl.take('p', 10) > 0);
  });

  it('answers the seconds until the next request would pass, and takes nothing when refused', () => {
    const { rl, advance } = limiter();
    burst(rl, 'p', 4, 4);
    const wait = rl.take('p', 4);
    assert.ok(Math.abs(wait - 0.25) < 1e-9, `wait ${wait}`);
    advance(wait * 1000);
    assert.equal(rl.take('p', 4), 0, 'the refused request took no token');
  });

  it('answers one second for a rate of zero', () => {
    const { rl } = limiter();
    assert.equal(rl.take('p', 0), 1);
  });

  it('keeps one bucket per key', () => {
    const { rl } = limiter();
    burst(rl, 'a', 2, 2);
    assert.ok(rl.take('a', 2) > 0);
    assert.equal(rl.take('b', 2), 0);
  });
});
