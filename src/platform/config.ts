// Configuration: flags first, then BERTH_* environment variables, then defaults that work on a laptop.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { BerthError } from './errors.ts';
import { ipBytes, ipText, mergeSubjectAltNames, parseSubjectAltNames, type SubjectAltNames } from './tls/names.ts';

/** Everything `berth server` needs to start. Plain data, resolved once at start-up. */
export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** PostgreSQL URL; absent means the embedded SQLite file under dataDir. */
  readonly databaseUrl?: string;
  /** The first admin's password; absent means one is generated and printed once. */
  readonly adminPassword?: string;
  /** Hex or base64 key for audit chaining and credential encryption; absent means a key file under dataDir. */
  readonly secretKey?: string;
  readonly logLevel: string;
  /** Where the console's built files are; absent means console/dist beside the sources. */
  readonly consoleDir?: string;
  /** The externally visible base URL (registry token realm, links). */
  readonly publicUrl?: string;
  /** Largest accepted JSON request body, bytes. */
  readonly bodyLimit: number;
  /** How long clients may take to send requests; see `RequestTimeouts`. */
  readonly timeouts: RequestTimeouts;
  /** Session lifetime, seconds. */
  readonly sessionTtlSeconds: number;
  /** Whether X-Forwarded-* headers from the peer are believed (behind a reverse proxy). */
  readonly trustProxy: boolean;
  /** This replica's name in leader election, /readyz and /metrics; absent means `<hostname>-<pid>`. */
  readonly replicaId?: string;
  /** Hours between the registry's scheduled retention runs and garbage collections; 0 = never. */
  readonly registryGcIntervalHours: number;
  /** Bounds on registry blob uploads (what one principal or project may hold open, and for how long). */
  readonly uploads: UploadLimits;
  /** The HTTPS listener for the admission webhooks member clusters' API servers call. */
  readonly webhook: WebhookConfig;
}

/** Where the admission webhooks listen, how API servers reach them, and their certificate. */
export interface WebhookConfig {
  /** Port of the HTTPS listener, on `host` (BERTH_WEBHOOK_PORT, 9443; 0 picks a free one). */
  readonly port: number;
  /**
   * The host (and port, when not `port`: behind a load balancer or a port forward) that API
   * servers dial (BERTH_WEBHOOK_ADDRESS, `127.0.0.1`): the webhooks' URL is built from it and
   * its host is always in the serving certificate.
   */
  readonly address: { readonly host: string; readonly port?: number };
  /** Every name the serving certificate holds: the address's host and BERTH_WEBHOOK_HOSTS (comma-separated DNS names and IPs). */
  readonly names: SubjectAltNames;
  /** Lifetime of each serving certificate, seconds (BERTH_WEBHOOK_CERT_LIFETIME, 90 days); re-issued when a third remains. */
  readonly certLifetimeSeconds: number;
}

/**
 * Bounds on slow clients, in seconds (rate in bytes per second). A slow body is bounded by a rate
 * over windows rather than by a total time, so that a large registry push at a normal speed is
 * never cut off.
 */
export interface RequestTimeouts {
  /** Longest time a client may take to send a request's headers (BERTH_HEADERS_TIMEOUT). */
  readonly headers: number;
  /** Longest time a body of at most `bodyLimit` bytes may take to arrive, after the headers, while the server reads it (BERTH_REQUEST_TIMEOUT). */
  readonly request: number;
  /** The window over which a body's rate is measured: no byte in a window ends the request (BERTH_BODY_TIMEOUT). */
  readonly body: number;
  /** Bytes per second a body must average over each window while the server reads it (BERTH_BODY_MIN_RATE). */
  readonly bodyMinRate: number;
  /** How long an idle keep-alive connection stays open between requests (BERTH_KEEPALIVE_TIMEOUT). */
  readonly keepAlive: number;
  /** A connection with no traffic either way for this long is closed, answer or not (BERTH_IDLE_TIMEOUT). */
  readonly idle: number;
}

/** Bounds on registry blob uploads, enforced while bytes arrive. */
export interface UploadLimits {
  /** Largest blob one upload may grow to, bytes (BERTH_REGISTRY_MAX_UPLOAD_BYTES, 10 GiB). */
  readonly maxBytes: number;
  /** Uploads one principal may hold open at once (BERTH_REGISTRY_MAX_UPLOADS_PER_PRINCIPAL, 50). */
  readonly maxOpenPerPrincipal: number;
  /** Uploads one project may hold open at once (BERTH_REGISTRY_MAX_UPLOADS_PER_PROJECT, 200). */
  readonly maxOpenPerProject: number;
  /** An upload idle this long is abandoned and swept, ms (BERTH_REGISTRY_UPLOAD_IDLE_SECONDS, 900). */
  readonly idleMs: number;
  /** How often abandoned uploads are swept, ms (BERTH_REGISTRY_UPLOAD_SWEEP_SECONDS, 60). */
  readonly sweepEveryMs: number;
}

const options = {
  host: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  'database-url': { type: 'string' },
  'log-level': { type: 'string' },
  'console-dir': { type: 'string' },
  'public-url': { type: 'string' },
  'replica-id': { type: 'string' },
} as const;

/**
 * Resolves the configuration from argv flags and an environment. Pure apart from reading
 * its arguments; throws `BerthError('Invalid')` naming the flag or variable that is wrong.
 */
export function loadConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Config {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new BerthError('BadRequest', (err as Error).message);
  }
  const pick = (flag: keyof typeof options, envName: string): string | undefined => {
    const v = values[flag];
    if (typeof v === 'string' && v !== '') return v;
    const e = env[envName];
    return e === undefined || e === '' ? undefined : e;
  };
  const port = Number(pick('port', 'BERTH_PORT') ?? '8080');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new BerthError('Invalid', `port must be an integer from 0 to 65535, got "${pick('port', 'BERTH_PORT')}"`);
  }
  const num = (name: string, def: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return def;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new BerthError('Invalid', `${name} must be a positive number, got "${raw}"`);
    return n;
  };
  return {
    host: pick('host', 'BERTH_HOST') ?? '0.0.0.0',
    port,
    dataDir: resolve(pick('data-dir', 'BERTH_DATA_DIR') ?? './data'),
    databaseUrl: pick('database-url', 'BERTH_DATABASE_URL'),
    adminPassword: env.BERTH_ADMIN_PASSWORD || undefined,
    secretKey: env.BERTH_SECRET_KEY || undefined,
    logLevel: pick('log-level', 'BERTH_LOG_LEVEL') ?? 'info',
    consoleDir: pick('console-dir', 'BERTH_CONSOLE_DIR'),
    publicUrl: pick('public-url', 'BERTH_PUBLIC_URL'),
    bodyLimit: num('BERTH_BODY_LIMIT', 1024 * 1024),
    timeouts: {
      headers: num('BERTH_HEADERS_TIMEOUT', 30), request: num('BERTH_REQUEST_TIMEOUT', 60), body: num('BERTH_BODY_TIMEOUT', 30),
      bodyMinRate: num('BERTH_BODY_MIN_RATE', 1024), keepAlive: num('BERTH_KEEPALIVE_TIMEOUT', 72), idle: num('BERTH_IDLE_TIMEOUT', 300),
    },
    sessionTtlSeconds: num('BERTH_SESSION_TTL', 12 * 3600),
    trustProxy: env.BERTH_TRUST_PROXY === 'true',
    replicaId: pick('replica-id', 'BERTH_REPLICA_ID'),
    registryGcIntervalHours: gcHours(env.BERTH_REGISTRY_GC_INTERVAL_HOURS),
    uploads: {
      maxBytes: num('BERTH_REGISTRY_MAX_UPLOAD_BYTES', 10 * 1024 ** 3),
      maxOpenPerPrincipal: num('BERTH_REGISTRY_MAX_UPLOADS_PER_PRINCIPAL', 50),
      maxOpenPerProject: num('BERTH_REGISTRY_MAX_UPLOADS_PER_PROJECT', 200),
      idleMs: num('BERTH_REGISTRY_UPLOAD_IDLE_SECONDS', 15 * 60) * 1000,
      sweepEveryMs: num('BERTH_REGISTRY_UPLOAD_SWEEP_SECONDS', 60) * 1000,
    },
    webhook: webhookConfig(env, num('BERTH_WEBHOOK_CERT_LIFETIME', 90 * 24 * 3600)),
  };
}

function portNumber(raw: string, name: string): number {
  const port = Number(raw);
  if (!/^[0-9]+$/.test(raw) || port > 65535) throw new BerthError('Invalid', `${name} must hold a port from 0 to 65535, got "${raw}"`);
  return port;
}

// `host`, `host:port`, an IPv6 literal, or `[IPv6]:port`.
function hostAndPort(raw: string): { host: string; port?: number } {
  const bad = () => new BerthError('Invalid', `BERTH_WEBHOOK_ADDRESS must be a host name or IP address with an optional :port, got "${raw}"`);
  if (raw.includes('/')) throw bad();
  const bracketed = /^\[([^\]]+)\](?::([0-9]+))?$/.exec(raw);
  const [host, port] = bracketed ? [bracketed[1], bracketed[2]]
    : ipBytes(raw)?.length === 16 ? [raw, undefined] : raw.split(':').length <= 2 ? raw.split(':') : [];
  if (host === undefined || host === '') throw bad();
  const ip = ipBytes(host);
  let canonical: string;
  if (ip !== undefined) canonical = ipText(ip);
  else {
    try { canonical = parseSubjectAltNames(host).dns[0]; } catch { throw bad(); }
  }
  return port === undefined ? { host: canonical } : { host: canonical, port: portNumber(port, 'BERTH_WEBHOOK_ADDRESS') };
}

function webhookConfig(env: Readonly<Record<string, string | undefined>>, certLifetimeSeconds: number): WebhookConfig {
  const address = hostAndPort(env.BERTH_WEBHOOK_ADDRESS || '127.0.0.1');
  let extra: SubjectAltNames;
  try {
    extra = parseSubjectAltNames(env.BERTH_WEBHOOK_HOSTS ?? '');
  } catch (err) {
    throw new BerthError('Invalid', `BERTH_WEBHOOK_HOSTS: ${(err as Error).message}`);
  }
  const own = parseSubjectAltNames(address.host);
  return {
    port: portNumber(env.BERTH_WEBHOOK_PORT || '9443', 'BERTH_WEBHOOK_PORT'),
    address, names: mergeSubjectAltNames(own, extra), certLifetimeSeconds,
  };
}

function gcHours(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 24;
  const hours = Number(raw);
  if (!Number.isFinite(hours) || hours < 0) throw new BerthError('Invalid', `BERTH_REGISTRY_GC_INTERVAL_HOURS must be a number of hours (0 = never), got "${raw}"`);
  return hours;
}
