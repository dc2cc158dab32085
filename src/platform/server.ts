// Starts and stops a whole Berth server: database and migrations, services, the first admin,
// the HTTP application, and the areas' background work; graceful shutdown.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';
import type { AreaInstance, AreaModule, PlatformDeps } from './area.ts';
import { openDatabase } from './db/database.ts';
import { migrate, platformMigrations } from './db/migrations.ts';
import { AuditLog } from './audit/service.ts';
import { Identity } from './identity/service.ts';
import { Metrics } from './http/metrics.ts';
import { buildApp } from './http/app.ts';
import { Leader } from './leader.ts';
import { loadSecretKey } from './secret-key.ts';
import { areas as defaultAreas } from './areas.ts';
import { AdmissionPolicies, startAdmissionServer, type AdmissionServer } from '../kube/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A running server. */
export interface RunningServer {
  readonly app: FastifyInstance;
  readonly deps: PlatformDeps;
  /** Each area's instance in this server, by area name (tests reach an area's services through it). */
  readonly instances: ReadonlyMap<string, AreaInstance>;
  /** Base URL it listens on, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  /** The admin password when one was generated at this start (print it once). */
  readonly generatedAdminPassword?: string;
  /** Stops accepting, lets in-flight requests finish, stops background work, gives up leadership, closes the database. */
  close(): Promise<void>;
}

export interface StartOptions {
  readonly logger?: Logger;
  readonly areas?: readonly AreaModule[];
}

/** Starts Berth with `config`. Throws (after cleaning up) when it cannot start. */
export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? pino({ level: config.logLevel, redact: ['req.headers.authorization', 'password', '*.password', 'token', '*.token'] });
  const areas = opts.areas ?? defaultAreas;
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const db = openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  const stop = new AbortController();
  const background: Promise<void>[] = [];
  let leader: Leader | undefined;
  let admission: AdmissionServer | undefined;
  try {
    const migrations = [...platformMigrations, ...areas.flatMap((a) => a.migrations)];
    await migrate(db.kysely as never, db.dialect, migrations);
    const secretKey = loadSecretKey(config.secretKey, config.dataDir);
    const audit = new AuditLog(db, secretKey);
    const identity = new Identity(db, audit, { sessionTtlSeconds: config.sessionTtlSeconds });
    const metrics = new Metrics(() => db.poolStats());
    leader = new Leader({ db, databaseUrl: config.databaseUrl, replica: config.replicaId ?? `${hostname()}-${process.pid}`, logger, registry: metrics.registry });
    // Listening before the areas register their policies is harmless: an unknown policy is a 404,
    // which the cluster's failurePolicy handles like Berth being down.
    admission = await startAdmissionServer({
      host: config.host, webhook: config.webhook, timeouts: config.timeouts, db: db.kysely as never, secretKey, logger, policies: new AdmissionPolicies(),
    });
    const deps: PlatformDeps = { config, db, audit, identity, metrics, logger, secretKey, leader, admission };
    const boot = await identity.bootstrapAdmin(config.adminPassword);
    const instances = new Map(areas.map((a) => [a.name, a.create(deps)]));
    const app = await buildApp({
      deps, areas: [...instances.values()], version, expectedMigrations: migrations.map((m) => m.name),
      consoleDir: config.consoleDir ?? join(root, 'console', 'dist'),
    });
    await leader.start();
    await app.listen({ host: config.host, port: config.port });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    for (const [name, area] of instances) {
      if (area.run) background.push(area.run(stop.signal).catch((err) => logger.error({ err, area: name }, 'background work failed')));
    }
    let closing: Promise<void> | undefined;
    return {
      app, deps, instances, url: `http://${host}:${port}`, generatedAdminPassword: boot.generatedPassword,
      close() {
        closing ??= (async () => {
          stop.abort();
          await Promise.all([app.close(), deps.admission.close()]);
          await Promise.all(background);
          await deps.leader.close();
          await db.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    stop.abort();
    await admission?.close();
    await leader?.close();
    await db.close();
    throw err;
  }
}
