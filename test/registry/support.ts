// Shared pieces of the registry tests: the real client binaries, a server with registry
// helpers, OCI image layouts built from real tar layers, and a small Docker-token HTTP client.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startTestServer, type TestServer, type TestServerOptions } from '../support/server.ts';
import type { Backend } from '../support/pg.ts';

/** Folder of crane, oras and conformance.test (built by test/registry/build-tools.sh). */
export function toolsBin(): string {
  return process.env.BERTH_REGISTRY_TOOLS_BIN ?? join(process.env.BERTH_CACHE_DIR ?? join(homedir(), '.cache', 'berth'), 'registry-tools', 'bin');
}

/** Path of a real client; throws (the test fails, never skips) when it is missing. */
export function tool(name: 'crane' | 'oras' | 'conformance.test' | 'skopeo' | 'docker-registry'): string {
  const path = name === 'skopeo' || name === 'docker-registry' ? `/usr/bin/${name}` : join(toolsBin(), name);
  if (!existsSync(path)) {
    throw new Error(`${name} is missing at ${path}: run test/registry/build-tools.sh (crane, oras, conformance) or apt-get install skopeo docker-registry`);
  }
  return path;
}

/** Result of running a client. */
export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to completion (never throws for a non-zero exit). */
export function run(file: string, args: readonly string[], opts: { env?: Record<string, string>; input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(file, [...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** A Berth server with the admin's token and registry helpers. */
export interface RegistryServer extends TestServer {
  readonly host: string;
  readonly adminToken: string;
  createProject(name: string, opts?: { public?: boolean; tenant?: string; storageLimit?: number; artifactLimit?: number; rateLimit?: number }): Promise<void>;
  createUser(name: string, password: string): Promise<void>;
  setMember(project: string, user: string, role: string, repositories?: string): Promise<void>;
  createRobot(project: string, name: string, permissions: { repositories: string; actions: string[] }[]): Promise<{ username: string; secret: string }>;
  /** Binds a tenant role directly (the tenancy API is another area's). */
  bindTenantRole(user: string, tenant: string, role: string): Promise<void>;
}

async function must(p: Promise<{ status: number; body: unknown }>, what: string, ok = [200, 201]): Promise<unknown> {
  const r = await p;
  if (!ok.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Starts a server for registry tests. */
export async function startRegistryServer(backend: Backend = 'sqlite', env: Record<string, string> = {}, opts: TestServerOptions = {}): Promise<RegistryServer> {
  const s = await startTestServer(backend, env, opts);
  const adminToken = await s.login();
  const api = (method: string, path: string, body?: unknown) => s.api(method, path, { token: adminToken, ...(body === undefined ? {} : { body }) });
  return {
    ...s,
    host: new URL(s.url).host,
    adminToken,
    async createProject(name, opts = {}) {
      await must(api('POST', '/api/v1/registry/projects', { name, ...opts }), `create project ${name}`);
    },
    async createUser(name, password) {
      await must(api('POST', '/api/v1/users', { name, password }), `create user ${name}`);
    },
    async setMember(project, user, role, repositories) {
      await must(api('PUT', `/api/v1/registry/projects/${project}/members/${user}`, { role, ...(repositories ? { repositories } : {}) }), `member ${user}`);
    },
    async createRobot(project, name, permissions) {
      const body = await must(api('POST', `/api/v1/registry/projects/${project}/robots`, { name, permissions }), `robot ${name}`) as { username: string; secret: string };
      return { username: body.username, secret: body.secret };
    },
    async bindTenantRole(user, tenant, role) {
      await s.server.deps.db.kysely.insertInto('role_bindings').values({ user_name: user, tenant, role, created_at: new Date().toISOString() }).execute();
    },
  };
}

// ---- image layouts ----

/** A file inside a layer. */
export interface LayerFile {
  readonly path: string;
  readonly content: string | Uint8Array;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/** A POSIX ustar archive of `files` (regular files, mode 0644, fixed times: reproducible). */
export function tarOf(files: readonly LayerFile[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const data = typeof f.content === 'string' ? Buffer.from(f.content) : Buffer.from(f.content);
    const h = Buffer.alloc(512);
    h.write(f.path, 0, 100, 'utf8');
    h.write(octal(0o644, 8), 100);
    h.write(octal(0, 8), 108);
    h.write(octal(0, 8), 116);
    h.write(octal(data.length, 12), 124);
    h.write(octal(1_700_000_000, 12), 136);
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(octal(sum, 7) + ' ', 148);
    parts.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** sha256 digest of bytes. */
export function sha256(b: Uint8Array): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** A descriptor of stored content. */
export interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  platform?: { architecture: string; os: string };
  annotations?: Record<string, string>;
}

/** Builds an OCI image layout folder; `add` writes blobs, `tag` names roots in index.json. */
export class Layout {
  readonly dir: string;
  readonly #roots: Desc[] = [];

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    this.#write();
  }

  /** Stores bytes as a blob and returns its descriptor. */
  add(mediaType: string, bytes: Uint8Array | string): Desc {
    const b = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes);
    const digest = sha256(b);
    writeFileSync(join(this.dir, 'blobs', 'sha256', digest.slice(7)), b);
    return { mediaType, digest, size: b.length };
  }

  /** An image: gzip layers of `layers`, a config, a manifest. Returns the manifest's descriptor. */
  image(layers: readonly (readonly LayerFile[])[], opts: { arch?: string; subject?: Desc; artifactType?: string } = {}): Desc {
    const tars = layers.map((files) => tarOf(files));
    const layerDescs = tars.map((t) => this.add('application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(t)));
    const config = this.add('application/vnd.oci.image.config.v1+json', JSON.stringify({
      architecture: opts.arch ?? 'amd64', os: 'linux', config: { Cmd: ['/bin/app'] },
      rootfs: { type: 'layers', diff_ids: tars.map(sha256) },
    }));
    const manifest = {
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...(opts.artifactType ? { artifactType: opts.artifactType } : {}),
      config, layers: layerDescs, ...(opts.subject ? { subject: opts.subject } : {}),
    };
    return { ...this.add(manifest.mediaType, JSON.stringify(manifest)), platform: { architecture: opts.arch ?? 'amd64', os: 'linux' } };
  }

  /** An image index over `manifests`. */
  index(manifests: readonly Desc[]): Desc {
    const idx = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests };
    return this.add(idx.mediaType, JSON.stringify(idx));
  }

  /** Names `desc` as `tag` in index.json. */
  tag(desc: Desc, tag: string): void {
    const { platform: _platform, ...plain } = desc;
    this.#roots.push({ ...plain, annotations: { 'org.opencontainers.image.ref.name': tag } });
    this.#write();
  }

  #write(): void {
    writeFileSync(join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: this.#roots }));
  }
}

// ---- a minimal Docker-token client (for checks no real client exposes) ----

/** Fetches from the registry with the token flow: challenge, token with basic credentials, retry. */
export async function registryFetch(base: string, path: string, init: RequestInit & { user?: string; password?: string } = {}): Promise<Response> {
  const { user, password, ...rest } = init;
  const first = await fetch(base + path, rest);
  if (first.status !== 401) return first;
  const challenge = first.headers.get('www-authenticate') ?? '';
  const realm = /realm="([^"]+)"/.exec(challenge)?.[1];
  const scope = /scope="([^"]+)"/.exec(challenge)?.[1];
  if (!realm) return first;
  const url = new URL(realm);
  url.searchParams.set('service', 'berth');
  if (scope) url.searchParams.set('scope', scope);
  const tokenRes = await fetch(url, { headers: user ? { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } : {} });
  if (tokenRes.status !== 200) return tokenRes;
  const { token } = await tokenRes.json() as { token: string };
  return fetch(base + path, { ...rest, headers: { ...(rest.headers as Record<string, string> ?? {}), authorization: `Bearer ${token}` } });
}
