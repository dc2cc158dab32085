// When Berth's certificates are valid and when the serving one is re-issued. Pure: every
// function takes the time it reasons about.

/** The admission CA's lifetime: ten years, so that no member cluster's caBundle has to change in practice. */
export const CA_LIFETIME_MS = 10 * 365 * 24 * 3600 * 1000;

/**
 * How far back a certificate's notBefore is set from its issue: an API server whose clock runs a
 * little behind Berth's must not see a certificate from the future.
 */
export const BACKDATE_MS = 60 * 1000;

/** The longest delay a Node timer takes (about 24.8 days); a longer wait is cut into several. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A certificate's validity window and the moment it was issued (which lies after notBefore). */
export interface Validity {
  readonly issuedAt: Date;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** The CA's validity when issued at `now`. */
export function caValidity(now: Date): Validity {
  return { issuedAt: now, notBefore: new Date(now.getTime() - BACKDATE_MS), notAfter: new Date(now.getTime() + CA_LIFETIME_MS) };
}

/**
 * A serving certificate's validity when issued at `now` for `lifetimeMs`, never beyond the CA's
 * own notAfter (a chain is only as valid as its issuer).
 * @throws Error when the lifetime is not positive or the CA has already expired.
 */
export function servingValidity(now: Date, lifetimeMs: number, caNotAfter: Date): Validity {
  if (!(lifetimeMs > 0)) throw new Error(`a serving certificate's lifetime must be positive, got ${lifetimeMs} ms`);
  if (caNotAfter.getTime() <= now.getTime()) throw new Error(`the admission CA expired at ${caNotAfter.toISOString()}`);
  const notAfter = new Date(Math.min(now.getTime() + lifetimeMs, caNotAfter.getTime()));
  return { issuedAt: now, notBefore: new Date(now.getTime() - BACKDATE_MS), notAfter };
}

/**
 * When a certificate is re-issued: once less than a third of its lifetime (from issue, not from
 * the backdated notBefore) remains, so that a failed attempt leaves time for several retries.
 */
export function renewalTime(v: Pick<Validity, 'issuedAt' | 'notAfter'>): Date {
  const lifetime = v.notAfter.getTime() - v.issuedAt.getTime();
  return new Date(v.notAfter.getTime() - lifetime / 3);
}

/** Whether the certificate of `v` should be re-issued at `now`. */
export function needsRenewal(v: Pick<Validity, 'issuedAt' | 'notAfter'>, now: Date): boolean {
  return now.getTime() >= renewalTime(v).getTime();
}

/** The delay for a timer that should fire at `at`, seen at `now`: never negative, never above {@link MAX_TIMER_MS}. */
export function timerDelay(now: Date, at: Date): number {
  return Math.min(MAX_TIMER_MS, Math.max(0, at.getTime() - now.getTime()));
}
