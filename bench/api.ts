// API throughput: an authenticated read (GET /api/v1/whoami with a bearer token) and an audited
// write (POST /api/v1/tokens: a row, a hash-chained audit record, one transaction) at
// concurrency 50, on SQLite and on PostgreSQL; the peer is a bare Fastify route in its own
// process, measured in the same run. Goal: the authenticated read reaches at least half the
// bare route's requests/s.
//
// Run: node bench/api.ts   (BENCH_SECONDS=10 by default; BERTH_TEST_PG_URL for PostgreSQL)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { spawnServer } from '../test/support/spawn.ts';
import { databaseFor, type Backend } from '../test/support/pg.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = 50;

interface Figure { readonly name: string; readonly rps: number; readonly p99: number; readonly errors: number }

async function load(name: string, url: string, opts: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {}): Promise<Figure> {
  const r = await autocannon({ url, connections, duration: seconds, method: opts.method ?? 'GET', headers: opts.headers, body: opts.body });
  const errors = r.errors + r.timeouts + r.non2xx;
  return { name, rps: r.requests.average, p99: r.latency.p99, errors };
}

async function bare(body: string): Promise<Figure> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'peers', 'bare-fastify.ts')], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_BODY: body } });
  const port = await new Promise<number>((resolve) => child.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
  try {
    return await load('bare Fastify route (peer)', `http://127.0.0.1:${port}/bare`);
  } finally {
    child.kill('SIGTERM');
  }
}

async function berth(backend: Backend, onBody: (body: string) => void = () => {}): Promise<Figure[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  const db = await databaseFor(backend);
  const server = await spawnServer({ dataDir, env: { BERTH_ADMIN_PASSWORD: 'bench-password', BERTH_LOG_LEVEL: 'warn', ...(db.url ? { BERTH_DATABASE_URL: db.url } : {}) } });
  try {
    const login = await fetch(`${server.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'bench-password' }) });
    const { token } = (await login.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}` };
    onBody(await (await fetch(`${server.url}/api/v1/whoami`, { headers: auth })).text());
    const read = await load(`authenticated read, ${backend}`, `${server.url}/api/v1/whoami`, { headers: auth });
    const write = await load(`audited write, ${backend}`, `${server.url}/api/v1/tokens`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench' }),
    });
    const verify = await (await fetch(`${server.url}/api/v1/audit/verify`, { headers: auth })).json() as { ok: boolean; checked: number };
    if (!verify.ok) throw new Error(`audit chain broken after the write load: ${JSON.stringify(verify)}`);
    return [read, write];
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// The peer answers exactly the body of Berth's authenticated read; it runs between the two
// backends so that drift in the machine's load falls on both.
let whoamiBody = '{}';
const figures: Figure[] = await berth('sqlite', (b) => { whoamiBody = b; });
const peer = await bare(whoamiBody);
figures.unshift(peer);
figures.push(...await berth('postgres'));

console.log(`\nAPI benchmark: concurrency ${connections}, ${seconds} s each\n`);
console.log(`${'case'.padEnd(34)} ${'req/s'.padStart(9)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)} ${'vs bare'.padStart(8)}`);
for (const f of figures) {
  console.log(`${f.name.padEnd(34)} ${f.rps.toFixed(0).padStart(9)} ${f.p99.toFixed(1).padStart(8)} ${String(f.errors).padStart(7)} ${(f.rps / peer.rps).toFixed(2).padStart(8)}`);
}
for (const f of figures.filter((x) => x.name.startsWith('authenticated read'))) {
  const ratio = f.rps / peer.rps;
  console.log(`goal (${f.name}): at least 0.50 of the bare route: ${ratio.toFixed(2)} ${ratio >= 0.5 ? 'MET' : 'NOT MET'}`);
}
