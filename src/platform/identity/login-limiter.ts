// Login throttling that keeps password guessing slow without letting anyone lock a user out.
// A failure counts against three keys: the (address, user) pair, the address, and the user.
// A pair or an address with too many recent failures is refused for the rest of the window:
// that stops one source, and only that source. The user's failures from every address only
// slow its logins down (an exponential delay with a cap of a few seconds), so a right password
// from an address that is not refused always succeeds. State is in memory, per replica.
import { LRUCache } from 'lru-cache';

/** The limits of the policy. */
export interface LoginLimits {
  /** Failures of one user from one address within `windowMs` after which that pair is refused. */
  readonly maxPairFailures: number;
  /** Failures from one address (any users) within `windowMs` after which the address is refused. */
  readonly maxAddressFailures: number;
  /** The sliding window over which failures count, ms. */
  readonly windowMs: number;
  /** Failures of a user (any address) within the window that its logins take without delay. */
  readonly freeUserFailures: number;
  /** The first delay, ms; it doubles with each further failure of the user. */
  readonly baseDelayMs: number;
  /** The longest delay, ms. */
  readonly maxDelayMs: number;
}

/** The policy Berth runs with. */
export const defaultLoginLimits: LoginLimits = {
  maxPairFailures: 5,
  maxAddressFailures: 30,
  windowMs: 15 * 60_000,
  freeUserFailures: 3,
  baseDelayMs: 250,
  maxDelayMs: 4000,
};

/** The failure times (ms) within the window of the three keys of an attempt, oldest first. */
export interface FailureHistory {
  readonly pair: readonly number[];
  readonly address: readonly number[];
  readonly user: readonly number[];
}

/** What to do with an attempt: refuse it for `retryAfter` seconds, or let it proceed after `delayMs`. */
export interface LoginDecision {
  readonly retryAfter: number;
  readonly delayMs: number;
}

/**
 * Decides an attempt from the failures seen at `now`. Pure. A refusal lasts until the oldest
 * failure that makes the count leaves the window; the delay grows with the user's failures
 * beyond `freeUserFailures` and never exceeds `maxDelayMs`.
 */
export function decideLogin(h: FailureHistory, now: number, limits: LoginLimits = defaultLoginLimits): LoginDecision {
  const since = now - limits.windowMs;
  const recent = (times: readonly number[]) => times.filter((t) => t > since);
  let retryAfter = 0;
  for (const [times, max] of [[recent(h.pair), limits.maxPairFailures], [recent(h.address), limits.maxAddressFailures]] as const) {
    if (times.length < max) continue;
    const freesAt = times[times.length - max] + limits.windowMs;
    retryAfter = Math.max(retryAfter, Math.ceil((freesAt - now) / 1000));
  }
  const extra = recent(h.user).length - limits.freeUserFailures;
  const delayMs = extra < 0 ? 0 : Math.min(limits.maxDelayMs, limits.baseDelayMs * 2 ** extra);
  return { retryAfter, delayMs };
}

/**
 * The key an address counts under: IPv4 (also IPv4-mapped IPv6) as it is, IPv6 by its /64, the
 * block one subscriber usually holds, so that hopping inside it does not reset the count. Pure.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (!address.includes(':')) return address;
  const [head, tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** An attempt let through: report its success, or let it stand as the failure it was counted as. */
export interface LoginAttempt {
  readonly delayMs: number;
  /** Forgets this attempt's failure and the pair's earlier ones: the source knew the password. */
  succeed(): void;
}

/**
 * The counters behind `decideLogin`, bounded (least recently used keys go first) and expiring
 * with the window. An attempt is counted as a failure when it begins, so that a burst of
 * concurrent guesses is counted before any of them is answered; success takes it back.
 */
export class LoginLimiter {
  readonly #limits: LoginLimits;
  readonly #failures: LRUCache<string, number[]>;
  // Only the newest failures a rule can look at are kept, so that a flood costs little memory.
  readonly #keep: Readonly<Record<keyof FailureHistory, number>>;

  constructor(limits: LoginLimits = defaultLoginLimits) {
    this.#limits = limits;
    this.#failures = new LRUCache({ max: 100_000, ttl: limits.windowMs });
    const capped = limits.freeUserFailures + Math.ceil(Math.log2(limits.maxDelayMs / limits.baseDelayMs)) + 1;
    this.#keep = { pair: limits.maxPairFailures, address: limits.maxAddressFailures, user: capped };
  }

  /** Refuses the attempt (seconds to wait) or counts it and lets it through. */
  begin(user: string, address: string, now: number): { retryAfter: number } | LoginAttempt {
    const keys = { pair: `p\0${addressKey(address)}\0${user}`, address: `a\0${addressKey(address)}`, user: `u\0${user}` };
    const history = { pair: this.#times(keys.pair), address: this.#times(keys.address), user: this.#times(keys.user) };
    const d = decideLogin(history, now, this.#limits);
    if (d.retryAfter > 0) return { retryAfter: d.retryAfter };
    for (const kind of ['pair', 'address', 'user'] as const) this.#failures.set(keys[kind], [...history[kind], now].slice(-this.#keep[kind]));
    const takeBack = (key: string) => {
      const times = this.#times(key);
      const i = times.lastIndexOf(now);
      if (i >= 0) this.#failures.set(key, times.toSpliced(i, 1));
    };
    return {
      delayMs: d.delayMs,
      succeed: () => {
        this.#failures.delete(keys.pair);
        takeBack(keys.address);
        takeBack(keys.user);
      },
    };
  }

  #times(key: string): readonly number[] {
    return this.#failures.get(key) ?? [];
  }
}
