// A token bucket, as client-go's flowcontrol limiter: `burst` requests at once, then `qps` a
// second. Waiting is a timer, so a cancelled caller stops waiting at once.
import { setTimeout as sleep } from 'node:timers/promises';

/** How fast one cluster may be asked: sustained `qps`, up to `burst` at once. */
export interface RateLimit {
  readonly qps: number;
  readonly burst: number;
}

/** Berth's default per cluster (client-go's default is 5/10; Berth reconciles many objects). */
export const defaultRateLimit: RateLimit = { qps: 50, burst: 100 };

/**
 * A token bucket. {@link TokenBucket.take} resolves when a token is available, in FIFO order
 * of reservation. Not shared between clusters: one bucket per {@link ClusterClient}.
 */
export class TokenBucket {
  readonly qps: number;
  readonly burst: number;
  #tokens: number;
  #last: number;
  readonly #now: () => number;

  /** Throws RangeError unless `qps` and `burst` are positive and finite (`burst` ≥ 1). */
  constructor(limit: RateLimit, now: () => number = () => performance.now()) {
    if (!(limit.qps > 0) || !Number.isFinite(limit.qps)) throw new RangeError(`qps must be a positive number, not ${limit.qps}`);
    if (!(limit.burst >= 1) || !Number.isFinite(limit.burst)) throw new RangeError(`burst must be at least 1, not ${limit.burst}`);
    this.qps = limit.qps;
    this.burst = Math.floor(limit.burst);
    this.#tokens = this.burst;
    this.#now = now;
    this.#last = now();
  }

  /**
   * Reserves one token and returns how many milliseconds to wait before using it (0 when one
   * is free now). Tokens may go negative: each later caller waits behind the earlier ones.
   */
  reserve(): number {
    const now = this.#now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.qps);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.qps) * 1000;
  }

  /** Gives back a reserved token whose request will not be sent (its caller gave up). */
  #refund(): void {
    this.#tokens = Math.min(this.burst, this.#tokens + 1);
  }

  /**
   * Waits for a token. Rejects with the signal's reason (an AbortError) if `signal` aborts
   * first, and then gives the token back so later callers do not wait for it.
   */
  async take(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const wait = this.reserve();
    if (wait === 0) return;
    try {
      await sleep(wait, undefined, { signal });
    } catch (err) {
      this.#refund();
      throw err;
    }
  }
}
