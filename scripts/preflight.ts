// Which of the real components the tests use are missing on this machine, and the command that
// provides each. `npm test` prints the answer in one line before it runs anything, so a newcomer
// who runs it without `.ci/run` learns at once why the tests that need them fail.
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { kubeBinDir } from '../test/clusters/cluster.ts';
import { kubeRouterBinary } from '../test/clusters/netpol-enforcer.ts';
import { pgAdminUrl } from '../test/support/pg.ts';
import { toolsBin } from '../test/registry/support.ts';

/** A component a test needs that is not there, and how to get it. */
export interface Missing {
  readonly component: string;
  readonly provide: string;
}

function reachable(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Every missing component (empty when all are there). Reads the same paths the tests read. */
export async function missingComponents(): Promise<Missing[]> {
  const out: Missing[] = [];
  const pg = new URL(pgAdminUrl());
  if (!(await reachable(pg.hostname, Number(pg.port || 5432), 1000))) {
    out.push({ component: `PostgreSQL at ${pg.hostname}:${pg.port || 5432}`, provide: 'bash .ci/setup/10-postgres.sh' });
  }
  try {
    kubeBinDir();
  } catch {
    out.push({ component: 'Kubernetes test binaries', provide: 'test/clusters/build.sh, once: about 7 min on 2 cores' });
  }
  try {
    kubeRouterBinary();
  } catch {
    out.push({ component: 'kube-router (NetworkPolicy enforcer)', provide: 'test/clusters/build-netpol.sh, once: about 2 min on 2 cores' });
  }
  const tools = ['crane', 'oras', 'conformance.test'].filter((t) => !existsSync(join(toolsBin(), t)));
  if (tools.length > 0) out.push({ component: tools.join(', '), provide: 'test/registry/build-tools.sh' });
  const chromium = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium';
  const debian = [['chromium', chromium], ['skopeo', '/usr/bin/skopeo'], ['docker-registry', '/usr/bin/docker-registry'], ['curl', '/usr/bin/curl']]
    .filter(([, path]) => !existsSync(path)).map(([name]) => name);
  if (debian.length > 0) out.push({ component: debian.join(', '), provide: `apt-get install ${debian.join(' ')}` });
  return out;
}

/** The one line `npm test` prints, or undefined when nothing is missing. */
export function missingLine(missing: readonly Missing[]): string | undefined {
  if (missing.length === 0) return undefined;
  const items = missing.map((m) => `${m.component} (${m.provide})`).join('; ');
  return `missing: ${items} — \`bash .ci/run\` installs and starts all of them, then runs the tests (cache under ${process.env.BERTH_CACHE_DIR ?? join(homedir(), '.cache', 'berth')})`;
}
