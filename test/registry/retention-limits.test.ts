// Retention against hostile policies through a real server: a project admin's policies at the
// allowed limits (the most keepTags patterns, each of the longest and wildest kind, against a
// thousand 128-character tags) must not stall the server while retention runs (it decided on
// the event loop in one go and /healthz waited for it), and the total of keepTags patterns a
// project's policies hold is bounded when they are written, and one run at a time goes on per project.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { sha256, startRegistryServer, type RegistryServer } from './support.ts';
import { adminPassword } from '../support/server.ts';

const manifestType = 'application/vnd.oci.image.manifest.v1+json';
const config = Buffer.from('{}');
const manifest = Buffer.from(JSON.stringify({
  schemaVersion: 2, mediaType: manifestType, layers: [],
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
}));

/** The most keepTags patterns one project's retention policies may hold together. */
const maxKeepTags = 100;

/** A bearer token with push on `repository`. */
async function pushToken(s: RegistryServer, repository: string): Promise<string> {
  const r = await fetch(`${s.url}/auth/token?service=berth&scope=${encodeURIComponent(`repository:${repository}:pull,push`)}`, { headers: { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` } });
  assert.equal(r.status, 200);
  return ((await r.json()) as { token: string }).token;
}

/** Pushes the config blob, then tags the one manifest with every tag of `tags`, a few at a time. */
async function tagMany(s: RegistryServer, repository: string, tags: readonly string[]): Promise<void> {
  const bearer = await pushToken(s, repository);
  const blob = await fetch(`${s.url}/v2/${repository}/blobs/uploads/?digest=${sha256(config)}`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/octet-stream' }, body: config });
  assert.equal(blob.status, 201);
  const queue = [...tags];
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let tag = queue.shift(); tag !== undefined; tag = queue.shift()) {
      const put = await fetch(`${s.url}/v2/${repository}/manifests/${tag}`, { method: 'PUT', headers: { authorization: `Bearer ${bearer}`, 'content-type': manifestType }, body: manifest });
      await put.arrayBuffer();
      assert.equal(put.status, 201);
    }
  }));
}

// The prober runs in a process of its own: the test server shares this process's event loop,
// so a stall of the server would stall a prober here too and hide itself. It asks /healthz
// every 20 ms on a fresh connection until its stdin says stop, then prints each probe's start
// (epoch ms) and latency.
const prober = `
import { get } from 'node:http';
const url = process.argv[1];
const probes = [];
let stop = false;
process.stdin.on('data', () => { stop = true; });
const once = () => new Promise((resolve, reject) => {
  const start = Date.now();
  const t0 = performance.now();
  get(url + '/healthz', { agent: false }, (res) => {
    res.resume();
    res.on('end', () => res.statusCode === 200 ? resolve({ start, ms: performance.now() - t0 }) : reject(new Error('/healthz ' + res.statusCode)));
  }).on('error', reject);
});
while (!stop) {
  probes.push(await once());
  if (probes.length === 1) process.stdout.write('ready\\n');
  await new Promise((r) => setTimeout(r, 20));
}
process.stdout.write(JSON.stringify(probes) + '\\n');
process.stdin.destroy();
`;

/** Starts the prober against `url`; `stop()` resolves with the probes it made. */
async function probeHealthz(url: string): Promise<{ stop(): Promise<{ start: number; ms: number }[]> }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', prober, url], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`the /healthz prober exited with ${code}`)));
    child.stdout.on('data', (d: string) => { out += d; if (out.startsWith('ready\n')) resolve(); });
  });
  return {
    async stop() {
      const exited = new Promise((r) => child.once('close', r));
      child.stdin.end('stop');
      await exited;
      return JSON.parse(out.slice('ready\n'.length)) as { start: number; ms: number }[];
    },
  };
}

test('retention with the wildest policies a project may hold keeps /healthz answering while it runs', { timeout: 300_000 }, async (t) => {
  const s = await startRegistryServer();
  try {
    await s.createProject('team');
    const api = (method: string, path: string, body?: unknown) => s.api(method, `/api/v1/registry/projects/team${path}`, { token: s.adminToken, ...(body === undefined ? {} : { body }) });
    // A thousand distinct 128-character tags on one artifact: nothing to split between repositories or artifacts.
    const tags = Array.from({ length: 1000 }, (_, i) => `${'a'.repeat(124)}${String(i).padStart(4, '0')}`);
    const t0 = performance.now();
    await tagMany(s, 'team/app', tags);
    t.diagnostic(`1000 tags pushed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // Patterns of the longest allowed length with the most wildcards, each distinct, none of
    // which matches (so every one is tried against every tag, its automaton kept alive by the stars).
    const hostile = (i: number) => `${'*a'.repeat(15)}*${'a'.repeat(200)}z${i}`.padEnd(255, '9').slice(0, 255);
    assert.equal(hostile(99).length, 255);
    const perPolicy = 50;
    for (let p = 0; p < maxKeepTags / perPolicy; p++) {
      const r = await api('POST', '/retention', { keepTags: Array.from({ length: perPolicy }, (_, i) => hostile(p * perPolicy + i)) });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }

    const probes = await probeHealthz(s.url);
    const started = Date.now();
    const result = await api('POST', '/retention/run', { dryRun: true });
    const ended = Date.now();
    const during = (await probes.stop()).filter((p) => p.start + p.ms >= started && p.start <= ended);
    assert.equal(result.status, 200, JSON.stringify(result.body));
    assert.deepEqual(result.body.removed.map((a: { tags: string[] }) => a.tags.length), [1000], 'no pattern matches: the artifact would go');
    const worst = Math.max(...during.map((p) => p.ms));
    t.diagnostic(`dry run: ${ended - started} ms; /healthz ${during.length} times meanwhile, slowest ${worst.toFixed(1)} ms; slowest five (ms into the run: ms) ${[...during].sort((a, b) => b.ms - a.ms).slice(0, 5).map((p) => `${p.start - started}: ${p.ms.toFixed(0)}`).join(", ")}`);
    // Before retention ran in steps, /healthz waited the whole run (seconds); 300 ms leaves room
    // for a shared, loaded machine's scheduling.
    assert.ok(worst < 300, `/healthz took ${worst.toFixed(0)} ms while retention ran (${ended - started} ms)`);
    assert.ok(during.length >= 3, `/healthz was asked only ${during.length} times during the run`);

    // Repeating the request while a run is under way does not multiply its work.
    const twice = await Promise.all([api('POST', '/retention/run', { dryRun: true }), new Promise((r) => setTimeout(r, 200)).then(() => api('POST', '/retention/run', { dryRun: true }))]);
    assert.deepEqual(twice.map((r) => r.status), [200, 409], 'a second run while one is under way is refused');
    assert.equal(twice[1].body.kind, 'Status');
    assert.match(twice[1].body.message, /already running/);
  } finally {
    await s.close();
  }
});

for (const backend of ['sqlite', 'postgres'] as const) test(`a project's retention policies hold at most ${maxKeepTags} keepTags patterns together (${backend})`, { timeout: 120_000 }, async () => {
  const s = await startRegistryServer(backend);
  try {
    await s.createProject('team');
    await s.createProject('other');
    const api = (method: string, path: string, body?: unknown) => s.api(method, `/api/v1/registry/projects/${path}`, { token: s.adminToken, ...(body === undefined ? {} : { body }) });
    const keepTags = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}-*`);
    const ids: string[] = [];
    const cases: { what: string; project?: string; body: Record<string, unknown>; status: number }[] = [
      { what: 'a first policy of 50', body: { keepTags: keepTags(50, 'a') }, status: 201 },
      { what: 'a second of 40 (90 held)', body: { keepTags: keepTags(40, 'b') }, status: 201 },
      { what: 'one of 11 would make 101', body: { keepTags: keepTags(11, 'c') }, status: 403 },
      { what: 'one of 10 makes exactly 100', body: { keepTags: keepTags(10, 'c'), keepLatest: 3 }, status: 201 },
      { what: 'one more pattern is refused', body: { keepTags: ['d-*'] }, status: 403 },
      { what: 'a policy without keepTags still fits', body: { keepLatest: 5 }, status: 201 },
      { what: 'another project holds its own', project: 'other', body: { keepTags: keepTags(50, 'e') }, status: 201 },
    ];
    for (const c of cases) {
      const r = await api('POST', `${c.project ?? 'team'}/retention`, c.body);
      assert.equal(r.status, c.status, `${c.what}: ${JSON.stringify(r.body)}`);
      if (r.status === 201) ids.push(r.body.id);
      else {
        assert.equal(r.body.kind, 'Status');
        assert.equal(r.body.reason, 'Forbidden');
        assert.match(r.body.message, new RegExp(`at most ${maxKeepTags} keepTags patterns`), c.what);
      }
    }
    assert.equal((await api('DELETE', `team/policies/${ids[1]}`)).status, 204);
    assert.equal((await api('POST', 'team/retention', { keepTags: keepTags(40, 'f') })).status, 201, 'deleting a policy makes room again');
    assert.equal((await api('POST', 'team/retention', { keepTags: ['g-*'] })).status, 403);
  } finally {
    await s.close();
  }
});
