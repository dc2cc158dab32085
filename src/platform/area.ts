// The contract each area (images, tenancy, compute …) fulfils to join the server: its
// migrations, its Fastify plugin, and its background controllers.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import type { Migration } from './db/migrations.ts';
import type { AuditLog } from './audit/service.ts';
import type { Identity } from './identity/service.ts';
import type { Metrics } from './http/metrics.ts';
import type { Leader } from './leader.ts';
import type { AdmissionServer } from '../kube/index.ts';

/** What the platform hands every area. Nothing else is shared: no module-level singletons. */
export interface PlatformDeps {
  readonly config: Config;
  readonly db: Database;
  readonly audit: AuditLog;
  readonly identity: Identity;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** The server's secret key (audit chain, encryption at rest, registry token signing). */
  readonly secretKey: Uint8Array;
  /** Leader election: work that must run once per installation goes through `leader.runWhileLeader`. */
  readonly leader: Leader;
  /** The admission webhook listener: areas register their policies on `admission.policies`; its `url` and `caPem` go into the webhook configurations. */
  readonly admission: AdmissionServer;
}

/** One area's entry into the server. */
export interface AreaModule {
  readonly name: string;
  readonly migrations: readonly Migration[];
  /** Registers the area's routes. Called once, after the platform's hooks are in place. */
  register(app: FastifyInstance, deps: PlatformDeps): Promise<void>;
  /**
   * Starts background work on every replica; what must run once per installation (controllers,
   * GC, retention) it hands to `deps.leader.runWhileLeader`. Resolves when `signal` aborts and
   * the work has stopped.
   */
  run?(deps: PlatformDeps, signal: AbortSignal): Promise<void>;
}
