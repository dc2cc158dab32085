// A serving certificate that stays valid on its own: issued from the shared CA at start, kept in
// memory only, re-issued when a third of its lifetime remains, and handed to whoever serves it
// (a TLS server's setSecureContext) without a restart.
import { X509Certificate } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { issueCa, issueServing, type IssuedCertificate } from './certificates.ts';
import type { SubjectAltNames } from './names.ts';
import { loadOrCreateAuthority } from './store.ts';
import { caValidity, renewalTime, servingValidity, timerDelay } from './validity.ts';

/** The longest a failed re-issue waits before trying again, ms. */
const MAX_RETRY_MS = 60_000;

/** What {@link ServingCertificates.start} needs. */
export interface ServingCertificatesOptions {
  readonly db: Kysely<unknown>;
  readonly secretKey: Uint8Array;
  /** The stored CA's name in `tls_authorities` (one CA per purpose, e.g. `admission`). */
  readonly authority: string;
  readonly names: SubjectAltNames;
  /** How long each serving certificate is valid, ms. */
  readonly lifetimeMs: number;
  readonly logger: Logger;
  /** Called with each re-issued certificate (not with the first), before the old one is dropped. */
  readonly onRenew: (cert: IssuedCertificate) => void;
  readonly now?: () => Date;
}

interface Authority { readonly certPem: string; readonly keyPem: string; readonly notAfter: Date }

/** A serving certificate rotated on a timer. Stateful; `close()` stops the timer. */
export class ServingCertificates {
  readonly #opts: ServingCertificatesOptions;
  readonly #ca: Authority;
  readonly #now: () => Date;
  #current: IssuedCertificate;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(opts: ServingCertificatesOptions, ca: Authority, first: IssuedCertificate) {
    this.#opts = opts;
    this.#ca = ca;
    this.#now = opts.now ?? (() => new Date());
    this.#current = first;
  }

  /**
   * Loads the CA `opts.authority` from the database (creating it, ten years, on first start),
   * issues the first serving certificate and schedules its renewal.
   * @throws Error when the CA cannot be read (wrong secret key) or has expired.
   */
  static async start(opts: ServingCertificatesOptions): Promise<ServingCertificates> {
    const now = (opts.now ?? (() => new Date()))();
    const stored = await loadOrCreateAuthority(opts.db, opts.secretKey, opts.authority, now, async () => issueCa(`Berth ${opts.authority} CA`, caValidity(now)));
    const ca = { ...stored, notAfter: new Date(new X509Certificate(stored.certPem).validTo) };
    const first = await issueServing(ca, opts.names, servingValidity(now, opts.lifetimeMs, ca.notAfter));
    const certs = new ServingCertificates(opts, ca, first);
    certs.#schedule(renewalTime(first.validity));
    return certs;
  }

  /** The CA certificate, PEM: the caBundle member clusters trust. */
  get caPem(): string {
    return this.#ca.certPem;
  }

  /** The certificate being served now. */
  get current(): IssuedCertificate {
    return this.#current;
  }

  /** Stops renewing. Idempotent. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #schedule(at: Date): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => void this.#renew(at), timerDelay(this.#now(), at));
    this.#timer.unref();
  }

  async #renew(due: Date): Promise<void> {
    const now = this.#now();
    // A long wait is cut into timer-sized steps: not due yet means just wait again.
    if (now.getTime() < due.getTime()) return this.#schedule(due);
    try {
      const next = await issueServing(this.#ca, this.#opts.names, servingValidity(now, this.#opts.lifetimeMs, this.#ca.notAfter));
      if (this.#closed) return;
      this.#opts.onRenew(next);
      this.#current = next;
      this.#opts.logger.info({ serial: next.serial, notAfter: next.validity.notAfter.toISOString() }, 'serving certificate renewed');
      this.#schedule(renewalTime(next.validity));
    } catch (err) {
      const left = this.#current.validity.notAfter.getTime() - now.getTime();
      const retry = Math.min(MAX_RETRY_MS, Math.max(1000, left / 4));
      this.#opts.logger.error({ err, retryInMs: retry }, 'serving certificate renewal failed');
      this.#schedule(new Date(now.getTime() + retry));
    }
  }
}
