// Request-rate quotas: a token bucket per key (a project), refilled at `rate` per second with
// a burst of one second's worth. Pure state with an explicit clock.

/** Token buckets keyed by name. One instance per server. */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /**
   * Takes one request from `key`'s bucket of `rate` per second. Returns 0 when allowed, else
   * the seconds until a request would be allowed (nothing taken).
   */
  take(key: string, rate: number): number {
    const now = this.#now();
    const b = this.#buckets.get(key) ?? { tokens: rate, at: now };
    const tokens = Math.min(rate, b.tokens + ((now - b.at) / 1000) * rate);
    if (tokens >= 1) {
      this.#buckets.set(key, { tokens: tokens - 1, at: now });
      return 0;
    }
    this.#buckets.set(key, { tokens, at: now });
    return rate > 0 ? (1 - tokens) / rate : 1;
  }
}
