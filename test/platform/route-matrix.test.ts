// The authorization matrix: every route the server registers, called through HTTP by each kind
// of caller, answers the status its row expects. A route without a row fails the first test by
// name, so a new route cannot ship without saying who may call it. HEAD follows its GET row.
//
// Adding a row is one line: `row('METHOD /url/:pattern', [anonymous, user, auditor, viewer-a,
// admin-b, admin-a, platform-admin], { path, body, prepare })`. The callers: nobody; a user with
// the platform role `user`; an auditor; a viewer of tenant mx-a; the tenant-admin of another
// tenant (mx-b); the tenant-admin of mx-a; the platform admin. Every object the rows name lives
// in tenant mx-a. 401 unauthenticated, 403 known but refused, 404 where the service hides what
// the caller may not see; a 404 or 422 for an allowed caller means the call got past
// authorization to an object that does not exist or a body the service refused.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { platformRoles, tenantRoles } from '../../src/platform/identity/rbac.ts';
import { startTestServer, adminPassword, type TestServer } from '../support/server.ts';

const callers = ['anonymous', 'user', 'auditor', 'viewer-a', 'admin-b', 'admin-a', 'platform-admin'] as const;
type Who = (typeof callers)[number];
type Expect = readonly [number, number, number, number, number, number, number];
const password = 'password-123';
const tenantA = 'mx-a';
const project = 'mx-proj';
// A user only the member rows grant to and take from, so the callers stay strangers to the project.
const member = 'mx-member';

/** What a row may use: the admin's token and each caller's token. */
interface Fixture {
  readonly s: TestServer;
  readonly tokens: Readonly<Record<Who, string | undefined>>;
  /** The manifest pushed as `${project}/app:v1`. */
  readonly manifest: string;
}

interface Call {
  /** The request path; a function for one that depends on the caller (or on what `prepare` made). */
  readonly path?: string | ((f: Fixture, who: Who) => Promise<string> | string);
  readonly body?: Readonly<Record<string, unknown>> | ((who: Who, f: Fixture) => unknown);
  /** Runs before each caller's request (as the admin), so a destructive call finds its object. */
  readonly prepare?: (f: Fixture) => Promise<void>;
  /** The registry's routes take basic credentials, not API tokens. */
  readonly basic?: boolean;
  /** Calls with a fresh session of the caller (a call that ends its own session). */
  readonly fresh?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
}

interface Row extends Call {
  readonly route: string;
  readonly expect: Expect;
}

const row = (route: string, expect: Expect, call: Call = {}): Row => ({ route, expect, ...call });
const deny = (admin: number): Expect => [401, 403, 403, 403, 403, 403, admin];
const anyUser = (ok: number): Expect => [401, ok, ok, ok, ok, ok, ok];
const everyone = (ok: number): Expect => [ok, ok, ok, ok, ok, ok, ok];
// Registry project routes: strangers to the project see NotFound; its tenant's viewer sees it.
const projectRead = (viewer: number, ok = 200): Expect => [401, 404, 404, viewer, 404, ok, ok];
const projectManage = (ok: number): Expect => [401, 404, 404, 403, 404, ok, ok];
// /v2 answers a caller without the asked access 401 with a token challenge, as Distribution
// does; a caller that may pull but not push 403.
const registryRead = (ok: number): Expect => [401, 401, 401, ok, 401, ok, ok];
const registryWrite = (ok: number): Expect => [401, 401, 401, 403, 401, ok, ok];

async function ensure(f: Fixture, method: string, path: string, body?: unknown): Promise<void> {
  const r = await f.s.api(method, path, { token: f.tokens['platform-admin'], body });
  if (r.status >= 300 && r.status !== 409) throw new Error(`prepare ${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
}

const p = `/api/v1/registry/projects/${project}`;
const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: '', size: 0 }, layers: [] });
const bogusDigest = `sha256:${'0'.repeat(64)}`;
const np = '/api/v1/clusters/nowhere/nodeports';

/** One row per registered route (HEAD routes follow their GET row unless they have their own). */
const matrix: readonly Row[] = [
  row('GET /healthz', everyone(200)),
  row('GET /readyz', everyone(200)),
  row('GET /metrics', everyone(200)),
  row('GET /api/openapi.json', everyone(200)),
  row('POST /api/v1/login', everyone(200), { body: { username: 'the-user', password } }),
  row('POST /api/v1/logout', anyUser(200), { fresh: true }),
  row('GET /api/v1/whoami', anyUser(200)),
  row('GET /api/v1/tokens', anyUser(200)),
  row('POST /api/v1/tokens', anyUser(201), { body: { name: 'matrix' } }),
  row('DELETE /api/v1/tokens/:id', anyUser(200), { path: ownToken }),
  row('GET /api/v1/users', deny(200)),
  row('GET /api/v1/users/:name', deny(200), { path: '/api/v1/users/the-user' }),
  row('POST /api/v1/users', deny(201), { body: (who) => ({ name: `made-by-${who}`, password }) }),
  row('PATCH /api/v1/users/:name', deny(200), { path: '/api/v1/users/the-user', body: { disabled: false } }),
  row('DELETE /api/v1/users/:name', deny(200), { path: '/api/v1/users/victim', prepare: (f) => ensure(f, 'POST', '/api/v1/users', { name: 'victim', password }) }),
  row('GET /api/v1/audit', [401, 403, 200, 403, 403, 403, 200]),
  row('GET /api/v1/audit/export', [401, 403, 200, 403, 403, 403, 200], { path: '/api/v1/audit/export?format=csv' }),
  row('GET /api/v1/audit/verify', [401, 403, 200, 403, 403, 403, 200]),

  row('GET /v2/', anyUser(200), { basic: true }),
  // The version check answers every method alike.
  row('POST /v2/', anyUser(200), { basic: true }),
  row('PUT /v2/', anyUser(200), { basic: true }),
  row('PATCH /v2/', anyUser(200), { basic: true }),
  row('DELETE /v2/', anyUser(200), { basic: true }),
  row('GET /v2/*', registryRead(200), { basic: true, path: `/v2/${project}/app/tags/list` }),
  row('HEAD /v2/*', registryRead(200), { basic: true, path: `/v2/${project}/app/manifests/v1` }),
  row('POST /v2/*', registryWrite(202), { basic: true, path: `/v2/${project}/app/blobs/uploads/` }),
  row('PUT /v2/*', registryWrite(201), {
    basic: true, path: `/v2/${project}/app/manifests/v2`, body: (_who: Who, f: Fixture) => f.manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
  }),
  row('PATCH /v2/*', registryWrite(404), { basic: true, path: `/v2/${project}/app/blobs/uploads/00000000-0000-0000-0000-000000000000` }),
  row('DELETE /v2/*', registryWrite(404), { basic: true, path: `/v2/${project}/app/blobs/${bogusDigest}` }),
  row('GET /auth/token', everyone(200), { basic: true, path: `/auth/token?service=berth&scope=repository:${project}/app:pull` }),
  row('POST /auth/token', [401, 200, 200, 200, 200, 200, 200], {
    body: (who: Who) => `grant_type=password&service=berth&client_id=matrix&scope=repository:${project}/app:pull${who === 'anonymous' ? '' : `&username=${userOf[who]}&password=${passwordOf(who)}`}`, headers: { 'content-type': 'application/x-www-form-urlencoded' },
  }),

  row('POST /api/v1/registry/projects', [401, 403, 403, 403, 403, 201, 201], { body: (who) => ({ name: `p-${who}`, tenant: tenantA }) }),
  row('GET /api/v1/registry/projects', anyUser(200)),
  row('GET /api/v1/registry/projects/:project', projectRead(200), { path: p }),
  row('PATCH /api/v1/registry/projects/:project', projectManage(200), { path: p, body: { public: false } }),
  row('DELETE /api/v1/registry/projects/:project', projectManage(200), {
    path: '/api/v1/registry/projects/mx-victim', prepare: (f) => ensure(f, 'POST', '/api/v1/registry/projects', { name: 'mx-victim', tenant: tenantA }),
  }),
  row('GET /api/v1/registry/projects/:project/members', projectRead(200), { path: `${p}/members` }),
  row('PUT /api/v1/registry/projects/:project/members/:user', projectManage(200), { path: `${p}/members/${member}`, body: { role: 'guest' } }),
  row('DELETE /api/v1/registry/projects/:project/members/:user', projectManage(204), {
    path: `${p}/members/${member}`, prepare: (f) => ensure(f, 'PUT', `${p}/members/${member}`, { role: 'guest' }),
  }),
  row('GET /api/v1/registry/projects/:project/robots', projectRead(403), { path: `${p}/robots` }),
  row('POST /api/v1/registry/projects/:project/robots', projectManage(201), { path: `${p}/robots`, body: (who) => ({ name: `r-${who}`, permissions: [{ repositories: '', actions: ['pull'] }] }) }),
  row('DELETE /api/v1/registry/projects/:project/robots/:name', projectManage(204), {
    path: `${p}/robots/victim`, prepare: (f) => ensure(f, 'POST', `${p}/robots`, { name: 'victim', permissions: [{ repositories: '', actions: ['pull'] }] }),
  }),
  row('GET /api/v1/registry/projects/:project/repositories', projectRead(200), { path: `${p}/repositories` }),
  row('DELETE /api/v1/registry/repositories', projectManage(204), { path: `/api/v1/registry/repositories?name=${project}/victim`, prepare: async (f) => { await pushImage(f, 'victim'); } }),
  row('GET /api/v1/registry/artifacts', projectRead(200), { path: `/api/v1/registry/artifacts?repository=${project}/app` }),
  row('POST /api/v1/registry/gc', deny(201), { body: { dryRun: true } }),
  row('GET /api/v1/registry/gc', deny(200)),
  row('GET /api/v1/registry/projects/:project/policies', projectRead(200), { path: `${p}/policies` }),
  row('POST /api/v1/registry/projects/:project/immutability', projectManage(201), { path: `${p}/immutability`, body: { tags: 'v*' } }),
  row('POST /api/v1/registry/projects/:project/retention', projectManage(201), { path: `${p}/retention`, body: { keepLatest: 5 } }),
  row('DELETE /api/v1/registry/projects/:project/policies/:id', projectManage(204), { path: policyToDelete }),
  row('POST /api/v1/registry/projects/:project/retention/run', projectManage(200), { path: `${p}/retention/run`, body: { dryRun: true } }),
  row('GET /api/v1/registry/projects/:project/retention/runs', projectRead(200), { path: `${p}/retention/runs` }),
  row('GET /api/v1/registry/tenants/:tenant/quota', [401, 403, 403, 200, 403, 200, 200], { path: `/api/v1/registry/tenants/${tenantA}/quota` }),
  row('PUT /api/v1/registry/tenants/:tenant/quota', deny(200), { path: `/api/v1/registry/tenants/${tenantA}/quota`, body: { storageLimit: -1, artifactLimit: -1 } }),

  row('GET /api/v1/clusters', deny(200)),
  row('POST /api/v1/clusters', deny(422), { body: { name: 'nowhere', kubeconfig: 'not a kubeconfig' } }),
  row('GET /api/v1/clusters/:name', deny(404), { path: '/api/v1/clusters/nowhere' }),
  row('PATCH /api/v1/clusters/:name', deny(404), { path: '/api/v1/clusters/nowhere', body: { labels: {} } }),
  row('DELETE /api/v1/clusters/:name', deny(404), { path: '/api/v1/clusters/nowhere' }),
  row('GET /api/v1/tenants', anyUser(200)),
  row('POST /api/v1/tenants', deny(201), { body: (who) => ({ name: `t-${who}`, clusters: [] }) }),
  row('GET /api/v1/tenants/:tenant', [401, 403, 403, 200, 403, 200, 200], { path: `/api/v1/tenants/${tenantA}` }),
  row('PATCH /api/v1/tenants/:tenant', deny(200), { path: `/api/v1/tenants/${tenantA}`, body: { displayName: 'Tenant A' } }),
  row('DELETE /api/v1/tenants/:tenant', deny(200), { path: '/api/v1/tenants/mx-victim', prepare: (f) => ensure(f, 'POST', '/api/v1/tenants', { name: 'mx-victim', clusters: [] }) }),
  row('GET /api/v1/tenants/:tenant/render', [401, 403, 403, 200, 403, 200, 200], { path: `/api/v1/tenants/${tenantA}/render` }),
  row('GET /api/v1/tenants/:tenant/usage', [401, 403, 403, 200, 403, 200, 200], { path: `/api/v1/tenants/${tenantA}/usage` }),
  row('GET /api/v1/tenants/:tenant/namespaces', [401, 403, 403, 200, 403, 200, 200], { path: `/api/v1/tenants/${tenantA}/namespaces` }),
  row('POST /api/v1/tenants/:tenant/namespaces', [401, 403, 403, 403, 403, 422, 422], { path: `/api/v1/tenants/${tenantA}/namespaces`, body: { name: 'team', cluster: 'nowhere' } }),
  row('GET /api/v1/tenants/:tenant/namespaces/:cluster/:name', [401, 403, 403, 404, 403, 404, 404], { path: `/api/v1/tenants/${tenantA}/namespaces/nowhere/team` }),
  row('PATCH /api/v1/tenants/:tenant/namespaces/:cluster/:name', [401, 403, 403, 403, 403, 404, 404], { path: `/api/v1/tenants/${tenantA}/namespaces/nowhere/team`, body: {} }),
  row('DELETE /api/v1/tenants/:tenant/namespaces/:cluster/:name', [401, 403, 403, 403, 403, 404, 404], { path: `/api/v1/tenants/${tenantA}/namespaces/nowhere/team` }),

  // NodePorts of a cluster that is not registered: past the guard, the service answers NotFound.
  row('GET /api/v1/clusters/:cluster/nodeports', deny(404), { path: np }),
  row('GET /api/v1/clusters/:cluster/nodeports/reservations', deny(404), { path: `${np}/reservations` }),
  row('POST /api/v1/clusters/:cluster/nodeports/reservations', deny(404), { path: `${np}/reservations`, body: { ports: '30080', owner: 'legacy' } }),
  row('POST /api/v1/clusters/:cluster/nodeports/reservations/import', deny(404), { path: `${np}/reservations/import`, body: { format: 'csv', data: '30081,legacy' } }),
  row('DELETE /api/v1/clusters/:cluster/nodeports/reservations/:ports', deny(404), { path: `${np}/reservations/30080` }),
  row('GET /api/v1/clusters/:cluster/nodeports/allocations', [401, 403, 403, 403, 403, 403, 404], { path: `${np}/allocations` }),
  row('POST /api/v1/clusters/:cluster/nodeports/allocations', [401, 403, 403, 403, 403, 404, 404], { path: `${np}/allocations`, body: { tenant: tenantA } }),
  row('DELETE /api/v1/clusters/:cluster/nodeports/allocations/:port', anyUser(404), { path: `${np}/allocations/30080` }),
];

// The console's page is served to anyone; it answers 503 where the console is not built.
const consoleRow = (built: boolean): Row => row('GET /', everyone(built ? 200 : 503));

/** A token of the caller's own, made for the caller to delete. */
async function ownToken(f: Fixture, who: Who): Promise<string> {
  const token = f.tokens[who];
  if (!token) return '/api/v1/tokens/unknown';
  const r = await f.s.api('POST', '/api/v1/tokens', { token, body: { name: 'to-delete' } });
  return `/api/v1/tokens/${r.body.id}`;
}

/** A fresh immutability rule of the project, to delete. */
async function policyToDelete(f: Fixture): Promise<string> {
  const r = await f.s.api('POST', `${p}/immutability`, { token: f.tokens['platform-admin'], body: { tags: `victim-${randomBytes(4).toString('hex')}` } });
  return `${p}/policies/${r.body.id}`;
}

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

/** Pushes a one-blob image to `repo` of the project, as the admin; returns its manifest. */
async function pushImage(f: Fixture, repo: string): Promise<string> {
  const config = randomBytes(64);
  const digest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
  const auth = { authorization: basic('admin', adminPassword) };
  const blob = await fetch(`${f.s.url}/v2/${project}/${repo}/blobs/uploads/?digest=${digest}`, { method: 'POST', headers: auth, body: new Uint8Array(config) });
  assert.equal(blob.status, 201, `blob of ${repo}`);
  const body = JSON.stringify({ ...JSON.parse(manifest), config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest, size: config.length } });
  const m = await fetch(`${f.s.url}/v2/${project}/${repo}/manifests/v1`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body });
  assert.equal(m.status, 201, `manifest of ${repo}`);
  return body;
}

const userOf: Readonly<Record<Exclude<Who, 'anonymous'>, string>> = {
  user: 'the-user', auditor: 'the-auditor', 'viewer-a': 'viewer-a', 'admin-b': 'admin-b', 'admin-a': 'admin-a', 'platform-admin': 'admin',
};

const passwordOf = (who: Exclude<Who, 'anonymous'>) => (who === 'platform-admin' ? adminPassword : password);

async function call(f: Fixture, r: Row, method: string, who: Who): Promise<{ status: number; body: string }> {
  await r.prepare?.(f);
  const path = typeof r.path === 'function' ? await r.path(f, who) : r.path ?? r.route.split(' ')[1];
  const headers: Record<string, string> = { ...r.headers };
  if (who !== 'anonymous') {
    if (r.basic) headers.authorization = basic(userOf[who], passwordOf(who));
    else headers.authorization = `Bearer ${r.fresh ? await f.s.login(userOf[who], passwordOf(who)) : f.tokens[who]}`;
  }
  const raw = typeof r.body === 'function' ? (r.body as (w: Who, f: Fixture) => unknown)(who, f) : r.body;
  const body = raw === undefined ? undefined : typeof raw === 'string' ? raw : JSON.stringify(raw);
  if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const res = await fetch(f.s.url + path, { method, headers, body });
  return { status: res.status, body: (await res.text()).slice(0, 200) };
}

/** The source of every non-test file under src/ but the RBAC data itself. */
function sources(dir = 'src'): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && path !== join('src', 'platform', 'identity', 'rbac.ts') ? [readFileSync(path, 'utf8')] : [];
  });
}

it('every permission a role holds is checked by a route or a service', () => {
  const code = sources().join('\n');
  const held = new Set([...Object.values(platformRoles), ...Object.values(tenantRoles)].flatMap((r) => [...r]));
  const unchecked = [...held].filter((perm) => !code.includes(`'${perm}'`)).sort();
  assert.deepEqual(unchecked, [], `permissions no route or service checks (enforce or remove them in rbac.ts): ${unchecked.join(', ')}`);
});

describe('authorization matrix: every route × every kind of caller', () => {
  let f: Fixture;
  let rows: readonly Row[] = matrix;
  before(async () => {
    const s = await startTestServer('sqlite');
    const admin = await s.login();
    const must = async (method: string, path: string, body: unknown) => {
      const r = await s.api(method, path, { token: admin, body });
      assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    };
    await must('POST', '/api/v1/users', { name: 'the-user', password });
    await must('POST', '/api/v1/users', { name: 'the-auditor', password, platformRoles: ['user', 'auditor'] });
    for (const name of ['viewer-a', 'admin-b', 'admin-a', member]) await must('POST', '/api/v1/users', { name, password });
    await must('POST', '/api/v1/tenants', { name: tenantA, clusters: [], members: [{ kind: 'User', name: 'viewer-a', role: 'viewer' }, { kind: 'User', name: 'admin-a', role: 'tenant-admin' }] });
    await must('POST', '/api/v1/tenants', { name: 'mx-b', clusters: [], members: [{ kind: 'User', name: 'admin-b', role: 'tenant-admin' }] });
    await must('POST', '/api/v1/registry/projects', { name: project, tenant: tenantA });
    const tokens: Record<Who, string | undefined> = { anonymous: undefined, 'platform-admin': admin } as Record<Who, string | undefined>;
    for (const who of callers) if (who !== 'anonymous' && who !== 'platform-admin') tokens[who] = await s.login(userOf[who], password);
    const base = { s, tokens, manifest: '' };
    f = { ...base, manifest: await pushImage(base, 'app') };
    rows = [...matrix, consoleRow((await s.api('GET', '/')).status === 200)];
  });
  after(() => f?.s.close());

  it('every registered route has a row, and every row a route', () => {
    const registered = f.s.server.app.routeAccess().map((r) => `${r.method} ${r.url}`);
    const have = new Set(rows.map((r) => r.route));
    const missing = registered.filter((k) => !have.has(k) && !(k.startsWith('HEAD ') && have.has(`GET ${k.slice(5)}`)));
    assert.deepEqual(missing, [], `routes without a row in test/platform/route-matrix.test.ts (say who may call them): ${missing.join(', ')}`);
    const stale = [...have].filter((k) => !registered.includes(k));
    assert.deepEqual(stale, [], `rows for routes the server does not register: ${stale.join(', ')}`);
  });

  for (const r of [...matrix, consoleRow(true)]) {
    const expected = r.route === 'GET /' ? 'anyone: 200, or 503 without a built console' : callers.map((w, i) => `${w}=${r.expect[i]}`).join(' ');
    it(`${r.route}: ${expected}`, async (t) => {
      const current = rows.find((x) => x.route === r.route) ?? r;
      const method = current.route.split(' ')[0];
      const got: string[] = [];
      for (const who of callers) {
        const res = await call(f, current, method, who);
        if (res.status !== current.expect[callers.indexOf(who)]) got.push(`${who}: ${res.status} ${res.body}`);
      }
      if (got.length) t.diagnostic(got.join('\n'));
      assert.deepEqual(got, [], `${current.route} answered otherwise than its row says`);
    });
  }
});
