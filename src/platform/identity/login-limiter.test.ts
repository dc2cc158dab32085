// The login throttling policy, decision by decision: who is refused, for how long, and how long
// a user's logins are slowed down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressKey, decideLogin, defaultLoginLimits, LoginLimiter, type FailureHistory } from './login-limiter.ts';

const now = 10_000_000;
const minute = 60_000;
const window = defaultLoginLimits.windowMs;
const times = (n: number, at = now - minute) => Array.from({ length: n }, (_, i) => at + i);
const none: FailureHistory = { pair: [], address: [], user: [] };

test('decideLogin refuses a source, never a user, and slows a user down within a cap', () => {
  const cases: { name: string; h: FailureHistory; retryAfter: number; delayMs: number }[] = [
    { name: 'no failures', h: none, retryAfter: 0, delayMs: 0 },
    { name: 'four failures of the pair: still allowed', h: { pair: times(4), address: times(4), user: times(4) }, retryAfter: 0, delayMs: 500 },
    { name: 'five failures of the pair: refused until the oldest leaves the window', h: { pair: times(5), address: times(5), user: times(5) }, retryAfter: (window - minute) / 1000, delayMs: 1000 },
    { name: 'five old failures of the pair have left the window', h: { pair: times(5, now - window - 10), address: [], user: [] }, retryAfter: 0, delayMs: 0 },
    { name: 'the user failed 40 times from elsewhere: delayed, capped, not refused', h: { pair: [], address: [], user: times(40) }, retryAfter: 0, delayMs: defaultLoginLimits.maxDelayMs },
    { name: 'three failures of the user are free', h: { pair: [], address: [], user: times(3) }, retryAfter: 0, delayMs: 250 },
    { name: 'two failures of the user: no delay', h: { pair: [], address: [], user: times(2) }, retryAfter: 0, delayMs: 0 },
    { name: 'an address that failed 30 times for many users is refused', h: { pair: [], address: times(30), user: [] }, retryAfter: (window - minute) / 1000, delayMs: 0 },
    { name: '29 failures of an address: allowed', h: { pair: [], address: times(29), user: [] }, retryAfter: 0, delayMs: 0 },
    {
      name: 'the refusal lasts until enough failures leave the window, not the oldest',
      h: { pair: [now - window + 1000, ...times(5, now - 2 * minute)], address: [], user: [] }, retryAfter: (window - 2 * minute) / 1000, delayMs: 0,
    },
  ];
  for (const c of cases) {
    assert.deepEqual(decideLogin(c.h, now), { retryAfter: c.retryAfter, delayMs: c.delayMs }, c.name);
  }
});

test('addressKey counts an IPv6 address by its /64 and an IPv4-mapped one as IPv4', () => {
  const cases: [string, string][] = [
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:aaaa::1', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff:eeee:dddd:cccc', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
  ];
  for (const [address, key] of cases) assert.equal(addressKey(address), key, address);
});

test('LoginLimiter counts an attempt when it begins, and a success takes it back', () => {
  const l = new LoginLimiter();
  // Five guesses in flight at once are counted before any is answered: the sixth is refused.
  const inFlight = Array.from({ length: 5 }, () => l.begin('admin', '203.0.113.7', now));
  assert.ok(inFlight.every((a) => !('retryAfter' in a)));
  const sixth = l.begin('admin', '203.0.113.7', now);
  assert.ok('retryAfter' in sixth && sixth.retryAfter > 0, 'the attacking address is refused');
  const owner = l.begin('admin', '198.51.100.9', now);
  assert.ok(!('retryAfter' in owner), 'another address is not');
  assert.equal(owner.delayMs, defaultLoginLimits.baseDelayMs * 2 ** 2, 'but it waits a little');
  owner.succeed();
  const again = l.begin('admin', '198.51.100.9', now);
  assert.ok(!('retryAfter' in again));
  assert.equal(again.delayMs, owner.delayMs, 'the success took its own attempt back');
  // Hopping within one IPv6 /64 does not start a fresh count.
  for (let i = 0; i < 5; i++) l.begin('root', `2001:db8:1:2::${i + 1}`, now);
  assert.ok('retryAfter' in l.begin('root', '2001:db8:1:2::99', now));
});
