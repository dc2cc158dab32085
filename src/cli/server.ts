// `berth server`: runs Berth until SIGTERM or SIGINT, then shuts down gracefully.
import { loadConfig } from '../platform/config.ts';
import { startServer } from '../platform/server.ts';
import { BerthError } from '../platform/errors.ts';

/** Starts the server; resolves with the exit status once it has stopped. */
export async function run(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`usage: berth server [--port N] [--host H] [--data-dir DIR] [--database-url URL] [--log-level L] [--replica-id ID]
environment: BERTH_PORT, BERTH_HOST, BERTH_DATA_DIR, BERTH_DATABASE_URL, BERTH_ADMIN_PASSWORD, BERTH_SECRET_KEY, BERTH_LOG_LEVEL, BERTH_REPLICA_ID
defaults: port 8080, data dir ./data, SQLite under the data dir
`);
    return 0;
  }
  let server;
  try {
    const config = loadConfig(args, process.env);
    server = await startServer(config);
  } catch (err) {
    process.stderr.write(`berth server: ${err instanceof BerthError ? err.message : (err as Error).stack ?? String(err)}\n`);
    return err instanceof BerthError ? 2 : 1;
  }
  if (server.generatedAdminPassword) {
    process.stderr.write(`\nBerth created the first user "admin" with the one-time password:\n\n    ${server.generatedAdminPassword}\n\nLog in at ${server.url}/ and change it (or set BERTH_ADMIN_PASSWORD before the first start).\n\n`);
  }
  process.stderr.write(`Berth is serving on ${server.url}\n`);
  const running = server;
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      running.deps.logger.info({ signal }, 'shutting down');
      running.close().then(resolve, (err) => { running.deps.logger.error({ err }, 'shutdown failed'); resolve(); });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
