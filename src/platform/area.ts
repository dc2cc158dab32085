// The contract each area (images, tenancy, compute …) fulfils to join the server: its
// migrations, its Fastify plugin, and its background controllers.
import type { FastifyPluginAsync } from 'fastify';
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

/**
 * One server's instance of an area, made by {@link AreaModule.create}: its services and state,
 * shared by its plugin and its background work, and nothing shared with another server.
 */
export interface AreaInstance {
  /** The area's routes and hooks; the server registers it with `app.register` (encapsulated), after the platform's hooks. */
  readonly plugin: FastifyPluginAsync;
  /**
   * Starts background work on every replica; what must run once per installation (controllers,
   * GC, retention) it hands to `deps.leader.runWhileLeader`. Resolves when `signal` aborts and
   * the work has stopped.
   */
  run?(signal: AbortSignal): Promise<void>;
}

/** One area's entry into the server. */
export interface AreaModule {
  readonly name: string;
  readonly migrations: readonly Migration[];
  /** Builds this server's instance of the area. Called once per server, after migrations, before the application is built. */
  create(deps: PlatformDeps): AreaInstance;
}
