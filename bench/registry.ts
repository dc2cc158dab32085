// The registry against CNCF Distribution v3.1.2 (built from the Go module proxy by
// bench/build-peers.sh, the peer users pick today) and Distribution 2.8 (Debian
// `docker-registry`), both with filesystem storage on loopback, all three measured in this run
// with the same client:
//   - push and pull of a 1 GiB blob with curl (MB/s, by curl's own clock; dirty pages written back
//     before each pull), and sha256sum over the same file (the hashing limit);
//   - push and pull of 1,000 small images at concurrency 16 (images/s; a keep-alive Node client);
//   - manifest GET at concurrency 64 (requests/s and p99, autocannon).
// Berth runs as `berth server` with authentication on (a bearer token from /auth/token);
// Distribution runs without authentication, as it ships.
//
// Figures are taken in turn for every target, the order rotating from round to round and from
// figure to figure (the big blob three times, median kept), so that load from elsewhere on the
// machine falls on all alike.
//
// Run: node bench/registry.ts   (BENCH_BLOB_MIB=1024, BENCH_IMAGES=1000, BENCH_SECONDS=10, BENCH_ROUNDS=3;
// BENCH_ONLY=big measures the big blob alone, for iterating on it; BENCH_DISTRIBUTION_V3=<path>
// names a registry binary instead of the one bench/build-peers.sh builds)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync, closeSync, existsSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort, spawnServer } from '../test/support/spawn.ts';

const blobMiB = Number(process.env.BENCH_BLOB_MIB ?? 1024);
const imageCount = Number(process.env.BENCH_IMAGES ?? 1000);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const onlyBig = process.env.BENCH_ONLY === 'big';
const adminPassword = 'bench-admin-password';
const agent = new Agent({ keepAlive: true, maxSockets: 128 });

interface Target {
  readonly name: string;
  readonly base: string;
  readonly headers: Record<string, string>;
}

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** One HTTP exchange. */
function call(t: Target, method: string, url: string, opts: { body?: Buffer; headers?: Record<string, string>; discard?: boolean } = {}): Promise<Reply> {
  const u = new URL(url, t.base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...t.headers, ...opts.headers };
    if (opts.body !== undefined) headers['content-length'] = String(opts.body.length);
    const req = request({ agent, host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => { if (!opts.discard) chunks.push(c); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

function expect(r: Reply, status: number, what: string): Reply {
  if (r.status !== status) throw new Error(`${what}: HTTP ${r.status} ${r.body.toString().slice(0, 300)}`);
  return r;
}

function withQuery(location: string, key: string, value: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}${key}=${encodeURIComponent(value)}`;
}

async function pushBlob(t: Target, repo: string, digest: string, body: Buffer): Promise<void> {
  const start = expect(await call(t, 'POST', `/v2/${repo}/blobs/uploads/`), 202, 'start upload');
  const location = String(start.headers.location);
  expect(await call(t, 'PUT', withQuery(location, 'digest', digest), { body, headers: { 'content-type': 'application/octet-stream' } }), 201, 'finish upload');
}

/**
 * Runs curl; returns the HTTP status it saw and the seconds the exchange took by curl's own
 * clock (connection to last byte), so that starting the curl process is timed for neither peer.
 */
function curl(args: readonly string[]): { status: string; seconds: number } {
  const [status, seconds] = execFileSync('curl', ['-s', '-S', '-o', '/dev/null', '-w', '%{http_code} %{time_total}', ...args]).toString().trim().split(' ');
  return { status, seconds: Number(seconds) };
}

function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

interface SmallImage { readonly tag: string; readonly config: Buffer; readonly layer: Buffer; readonly manifest: Buffer }

function smallImages(n: number): SmallImage[] {
  return Array.from({ length: n }, (_, i) => {
    const layer = randomBytes(2048);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] }, config: { Env: [`N=${i}`] } }));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
    }));
    return { tag: `t${i}`, config, layer, manifest };
  });
}

interface Figures {
  push1g: number;
  pull1g: number;
  pushRounds: readonly number[];
  pullRounds: readonly number[];
  pushImages?: number;
  pullImages?: number;
  manifestRps?: number;
  manifestP99?: number;
}

/** Pushes then pulls the big blob with curl; MB/s of each. */
function bigBlob(t: Target, file: string, fileDigest: string, repo: string): { push: number; pull: number } {
  const bytes = blobMiB * 1024 * 1024;
  // The big blob moves with curl: a Node client would be the slower end of the pipe.
  const curlHeaders = Object.entries(t.headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  const started = execFileSync('curl', ['-s', '-S', '-D', '-', '-o', '/dev/null', '-X', 'POST', ...curlHeaders, `${t.base}/v2/${repo}/blobs/uploads/`]).toString();
  const location = /^location:\s*(\S+)/im.exec(started)?.[1];
  if (!location) throw new Error(`${t.name}: no upload location:\n${started}`);
  const target = new URL(withQuery(location, 'digest', fileDigest), t.base).toString();
  const pushed = curl([...curlHeaders, '-H', 'content-type: application/octet-stream', '-T', file, target]);
  if (pushed.status !== '201') throw new Error(`${t.name}: big blob push answered ${pushed.status}`);
  // Berth flushes a blob to disk before it answers the push, Distribution does not: write back
  // what is dirty before timing the pull, so neither pull shares the disk with the kernel's writeback.
  execFileSync('sync');
  const pulled = curl([...curlHeaders, '-o', '/dev/null', `${t.base}/v2/${repo}/blobs/${fileDigest}`]);
  if (pulled.status !== '200') throw new Error(`${t.name}: big blob pull answered ${pulled.status}`);
  const push = bytes / 1e6 / pushed.seconds;
  const pull = bytes / 1e6 / pulled.seconds;
  return { push, pull };
}

async function pushSmall(t: Target, images: readonly SmallImage[]): Promise<number> {
  const t0 = performance.now();
  await pool(images, 16, async (img) => {
    await pushBlob(t, 'bench/small', sha256(img.layer), img.layer);
    await pushBlob(t, 'bench/small', sha256(img.config), img.config);
    expect(await call(t, 'PUT', `/v2/bench/small/manifests/${img.tag}`, { body: img.manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } }), 201, 'push manifest');
  });
  return images.length / ((performance.now() - t0) / 1000);
}

const accept = { accept: 'application/vnd.oci.image.manifest.v1+json' };

async function pullSmall(t: Target, images: readonly SmallImage[]): Promise<number> {
  const t0 = performance.now();
  await pool(images, 16, async (img) => {
    const m = expect(await call(t, 'GET', `/v2/bench/small/manifests/${img.tag}`, { headers: accept }), 200, 'pull manifest');
    if (!m.body.equals(img.manifest)) throw new Error(`manifest ${img.tag} came back different`);
    expect(await call(t, 'GET', `/v2/bench/small/blobs/${sha256(img.config)}`, { discard: true }), 200, 'pull config');
    expect(await call(t, 'GET', `/v2/bench/small/blobs/${sha256(img.layer)}`, { discard: true }), 200, 'pull layer');
  });
  return images.length / ((performance.now() - t0) / 1000);
}

async function manifestLoad(t: Target): Promise<{ rps: number; p99: number }> {
  const r = await autocannon({ url: `${t.base}/v2/bench/small/manifests/t0`, connections: 64, duration: seconds, headers: { ...t.headers, ...accept } });
  const errors = r.errors + r.timeouts + r.non2xx;
  if (errors) throw new Error(`${t.name}: ${errors} failed manifest GETs`);
  return { rps: r.requests.average, p99: r.latency.p99 };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The order in which `targets` take their turn at figure `turn`: rotated, so none is always first. */
function rotated<T>(targets: readonly T[], turn: number): T[] {
  const k = turn % targets.length;
  return [...targets.slice(k), ...targets.slice(0, k)];
}

/**
 * Runs every figure for every target, rotating which goes first, so that load from elsewhere on
 * the machine falls on all alike; the big blob is moved `rounds` times and the median kept.
 * Returns the figures in the order of `targets`.
 */
async function measureAll(targets: readonly Target[], file: string, fileDigest: string, images: readonly SmallImage[]): Promise<Figures[]> {
  const big = new Map(targets.map((t) => [t.name, { push: [] as number[], pull: [] as number[] }]));
  for (let round = 0; round < rounds; round++) {
    for (const t of rotated(targets, round)) {
      const r = bigBlob(t, file, fileDigest, `bench/big${round}`);
      big.get(t.name)!.push.push(r.push);
      big.get(t.name)!.pull.push(r.pull);
    }
  }
  const figures = new Map<string, Figures>(targets.map((t) => {
    const { push, pull } = big.get(t.name)!;
    return [t.name, { push1g: median(push), pull1g: median(pull), pushRounds: push, pullRounds: pull }];
  }));
  if (!onlyBig) {
    for (const t of rotated(targets, 0)) figures.get(t.name)!.pushImages = await pushSmall(t, images);
    for (const t of rotated(targets, 1)) figures.get(t.name)!.pullImages = await pullSmall(t, images);
    for (const t of rotated(targets, 2)) {
      const load = await manifestLoad(t);
      figures.get(t.name)!.manifestRps = load.rps;
      figures.get(t.name)!.manifestP99 = load.p99;
    }
  }
  return targets.map((t) => figures.get(t.name)!);
}

/** The path of Distribution v3's registry binary: BENCH_DISTRIBUTION_V3, or what bench/build-peers.sh builds (once). */
function distributionV3(): string {
  const named = process.env.BENCH_DISTRIBUTION_V3;
  if (named) return named;
  return execFileSync('sh', [join(import.meta.dirname, 'build-peers.sh')], { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim();
}

/**
 * Starts a Distribution registry binary on loopback with filesystem storage under `dir` and no
 * authentication. 2.8 and v3 read the same configuration. v3 exports OpenTelemetry traces unless
 * told not to: with no collector to take them that is work (and retries) no user would leave on,
 * so it is turned off.
 */
async function startDistribution(bin: string, dir: string): Promise<{ base: string; child: ChildProcess }> {
  const port = await freePort();
  const config = join(dir, 'config.yml');
  mkdirSync(dir, { recursive: true });
  writeFileSync(config, [
    'version: 0.1', 'log:', '  level: error', '  accesslog:', '    disabled: true',
    'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`, '  delete:', '    enabled: true',
    'http:', `  addr: 127.0.0.1:${port}`, '',
  ].join('\n'));
  const child = spawn(bin, ['serve', config], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, OTEL_TRACES_EXPORTER: 'none' } });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/v2/`)).status === 200) return { base, child };
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${bin} did not start`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-registry-'));
  const children: ChildProcess[] = [];
  try {
    const file = join(dir, 'blob.bin');
    const fd = openSync(file, 'w');
    const chunk = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < blobMiB / 8; i++) writeSync(fd, randomFillSync(chunk));
    closeSync(fd);
    const t0 = performance.now();
    const fileDigest = `sha256:${execFileSync('sha256sum', [file]).toString().split(' ')[0]}`;
    const sha256sumMBs = (blobMiB * 1024 * 1024) / 1e6 / ((performance.now() - t0) / 1000);
    const images = smallImages(imageCount);

    const debianBin = '/usr/bin/docker-registry';
    if (!existsSync(debianBin)) throw new Error('docker-registry (CNCF Distribution 2.8) is missing: apt-get install docker-registry');
    const v2 = await startDistribution(debianBin, join(dir, 'distribution-2.8'));
    children.push(v2.child);
    const v3 = await startDistribution(distributionV3(), join(dir, 'distribution-3'));
    children.push(v3.child);
    const berth = await spawnServer({ dataDir: join(dir, 'berth-data'), env: { BERTH_ADMIN_PASSWORD: adminPassword, BERTH_LOG_LEVEL: 'error', BERTH_REGISTRY_GC_INTERVAL_HOURS: '0' } });
    children.push(berth.child);
    const login = await (await fetch(`${berth.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: adminPassword }) })).json() as { token: string };
    const created = await fetch(`${berth.url}/api/v1/registry/projects`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${login.token}` }, body: JSON.stringify({ name: 'bench' }) });
    if (created.status !== 201) throw new Error(`create project: ${created.status}`);
    const scopes = ['bench/small', ...Array.from({ length: rounds }, (_, i) => `bench/big${i}`)].map((r) => `scope=${encodeURIComponent(`repository:${r}:pull,push`)}`);
    const tokenUrl = `${berth.url}/auth/token?service=berth&${scopes.join('&')}`;
    const token = await (await fetch(tokenUrl, { headers: { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` } })).json() as { token: string };

    const [ours, d2, d3] = await measureAll([
      { name: 'Berth', base: berth.url, headers: { authorization: `Bearer ${token.token}` } },
      { name: 'Distribution 2.8', base: v2.base, headers: {} },
      { name: 'Distribution v3.1.2', base: v3.base, headers: {} },
    ], file, fileDigest, images);

    const rows: [string, keyof Figures, boolean][] = [
      [`push ${blobMiB} MiB blob, median of ${rounds} (MB/s)`, 'push1g', true],
      [`pull ${blobMiB} MiB blob, median of ${rounds} (MB/s)`, 'pull1g', true],
      [`push ${imageCount} small images, c=16 (images/s)`, 'pushImages', true],
      [`pull ${imageCount} small images, c=16 (images/s)`, 'pullImages', true],
      ['manifest GET, c=64 (requests/s)', 'manifestRps', true],
      ['manifest GET, c=64 (p99 ms)', 'manifestP99', false],
    ];
    const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
    // Higher is better for every figure but p99: the ratio is then taken the other way round.
    const ratio = (b: number, d: number, higherIsBetter: boolean) => (higherIsBetter ? b / d : d / b);
    console.log(`${'figure'.padEnd(44)} ${'Berth'.padStart(9)} ${'Dist 2.8'.padStart(9)} ${'Dist v3'.padStart(9)} ${'/2.8'.padStart(6)} ${'/v3'.padStart(6)}`);
    for (const [name, key, higherIsBetter] of rows) {
      const [b, x, y] = [ours[key], d2[key], d3[key]];
      if (typeof b !== 'number' || typeof x !== 'number' || typeof y !== 'number') continue;
      const r2 = ratio(b, x, higherIsBetter);
      const r3 = ratio(b, y, higherIsBetter);
      console.log(`${name.padEnd(44)} ${fmt(b).padStart(9)} ${fmt(x).padStart(9)} ${fmt(y).padStart(9)} ${r2.toFixed(2).padStart(6)} ${r3.toFixed(2).padStart(6)}${r3 >= 1 ? '' : '  (below v3)'}`);
    }
    for (const [what, key] of [['pushes', 'pushRounds'], ['pulls', 'pullRounds']] as const) {
      console.log(`big blob ${what}, round by round (MB/s): Berth ${ours[key].map(fmt).join(' ')}; 2.8 ${d2[key].map(fmt).join(' ')}; v3 ${d3[key].map(fmt).join(' ')}`);
    }
    console.log(`sha256sum over the same file: ${fmt(sha256sumMBs)} MB/s; Berth's push is ${((ours.push1g / sha256sumMBs) * 100).toFixed(0)}% of it (goal: at least 70%)`);
    console.log('ratio: Berth over Distribution (for p99, Distribution over Berth); above 1 means Berth is better');
  } finally {
    for (const c of children) c.kill('SIGKILL');
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
