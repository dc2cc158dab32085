// Login throttling: per source address (attempts per minute) and per user (a lockout window
// after repeated failures). State is in memory, per replica: a lockout is a brake on guessing,
// not a security boundary that must be exact across replicas.

export interface LoginLimiterOptions {
  /** Failures of one user within `failureWindowMs` that lock the user out. */
  readonly maxFailures: number;
  readonly failureWindowMs: number;
  /** How long a locked-out user stays locked. */
  readonly lockoutMs: number;
  /** Attempts from one address within one minute. */
  readonly maxPerAddressPerMinute: number;
}

export const defaultLoginLimits: LoginLimiterOptions = {
  maxFailures: 5,
  failureWindowMs: 15 * 60_000,
  lockoutMs: 15 * 60_000,
  maxPerAddressPerMinute: 30,
};

/** Decides whether a login attempt may proceed, and records outcomes. Explicitly stateful. */
export class LoginLimiter {
  readonly #opts: LoginLimiterOptions;
  readonly #failures = new Map<string, number[]>();
  readonly #lockedUntil = new Map<string, number>();
  readonly #addressHits = new Map<string, number[]>();

  constructor(opts: LoginLimiterOptions = defaultLoginLimits) {
    this.#opts = opts;
  }

  /**
   * Returns 0 when the attempt may proceed, or the seconds to wait. Counts the attempt against
   * the address either way.
   */
  check(user: string, address: string, now: number): number {
    const hits = (this.#addressHits.get(address) ?? []).filter((t) => t > now - 60_000);
    hits.push(now);
    this.#addressHits.set(address, hits);
    const locked = this.#lockedUntil.get(user) ?? 0;
    if (locked > now) return Math.ceil((locked - now) / 1000);
    if (hits.length > this.#opts.maxPerAddressPerMinute) return Math.ceil((hits[0] + 60_000 - now) / 1000);
    return 0;
  }

  /** Records a failed attempt; locks the user when failures reach the limit. */
  fail(user: string, now: number): void {
    const f = (this.#failures.get(user) ?? []).filter((t) => t > now - this.#opts.failureWindowMs);
    f.push(now);
    this.#failures.set(user, f);
    if (f.length >= this.#opts.maxFailures) {
      this.#lockedUntil.set(user, now + this.#opts.lockoutMs);
      this.#failures.delete(user);
    }
    if (this.#failures.size + this.#addressHits.size > 100_000) this.#sweep(now);
  }

  /** Clears the user's failures after a successful login. */
  succeed(user: string): void {
    this.#failures.delete(user);
  }

  #sweep(now: number): void {
    for (const [k, v] of this.#addressHits) if (v[v.length - 1] <= now - 60_000) this.#addressHits.delete(k);
    for (const [k, v] of this.#failures) if (v[v.length - 1] <= now - this.#opts.failureWindowMs) this.#failures.delete(k);
    for (const [k, v] of this.#lockedUntil) if (v <= now) this.#lockedUntil.delete(k);
  }
}
