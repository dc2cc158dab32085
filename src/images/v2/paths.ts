// Pure pieces of the /v2 plugin: which operation a raw path names, the scopes clients ask
// tokens for, Range headers and page sizes.
import { OciError } from './oci-errors.ts';
import { isRepositoryName } from '../names.ts';
import type { RepositoryAction } from '../model.ts';

/** The operation a /v2 path names: an endpoint family with its path parts. */
export type Op =
  | { readonly kind: 'base' }
  | { readonly kind: 'catalog' }
  | { readonly kind: 'uploads'; readonly name: string; readonly id: string }
  | { readonly kind: 'blob'; readonly name: string; readonly digest: string }
  | { readonly kind: 'manifest'; readonly name: string; readonly reference: string }
  | { readonly kind: 'tags'; readonly name: string }
  | { readonly kind: 'referrers'; readonly name: string; readonly digest: string };

/** The operations on one repository (every kind but the base and the catalog). */
export type RepoOp = Extract<Op, { readonly name: string }>;

const patterns: readonly [RegExp, (m: RegExpExecArray) => Op][] = [
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/, (m) => ({ kind: 'uploads', name: m[1], id: m[2] })],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1], digest: m[2] })],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1], reference: m[2] })],
  [/^\/v2\/(.+)\/tags\/list$/, (m) => ({ kind: 'tags', name: m[1] })],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1], digest: m[2] })],
];

/** Splits a raw request path into the operation it names. Throws NAME_INVALID or 404. */
export function routeOf(rawPath: string): Op {
  if (rawPath === '/v2/' || rawPath === '/v2') return { kind: 'base' };
  if (rawPath === '/v2/_catalog') return { kind: 'catalog' };
  for (const [re, make] of patterns) {
    const m = re.exec(rawPath);
    if (!m) continue;
    const op = make(m);
    if ('name' in op && !isRepositoryName(op.name)) {
      throw new OciError('NAME_INVALID', `invalid repository name "${decodeSafe(op.name)}": names are lower-case path components separated by "/", with a project first`, { detail: { name: decodeSafe(op.name) } });
    }
    return op;
  }
  if (/%2f|%2e|\/\.\.?\//i.test(rawPath)) throw new OciError('NAME_INVALID', 'the repository name must not contain encoded characters or dot segments');
  throw new OciError('NAME_UNKNOWN', `no registry endpoint at ${rawPath}`, { status: 404 });
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The token scope that allows `action` on repository `name` (a push needs pull too). */
export function scopeOf(name: string, action: RepositoryAction): string {
  return `repository:${name}:${action === 'push' ? 'pull,push' : action}`;
}

/**
 * The base URL of the address a connection reached (IPv4-mapped addresses as IPv4): where
 * clients are sent for tokens when no public URL is configured. Never the Host header, which
 * the client writes, so that nobody can point clients at another host for their credentials.
 */
export function ownBaseUrl(socket: { readonly localAddress?: string; readonly localPort?: number; readonly encrypted?: boolean }): string {
  const address = (socket.localAddress ?? '127.0.0.1').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  const host = address.includes(':') ? `[${address}]` : address;
  return `${socket.encrypted ? 'https' : 'http'}://${host}:${socket.localPort ?? 80}`;
}

/** Parses a `Range: bytes=…` header against a blob of `size`; undefined = whole, null = unsatisfiable. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined | null {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return null;
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || start > end) return null;
  return { start, end };
}

/** The `n` query parameter of a paged list: undefined when absent, at most 10,000. Throws 400 when not a count. */
export function pageSize(raw: string | null): number | undefined {
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new OciError('UNSUPPORTED', `n must be a non-negative integer, got "${raw}"`, { status: 400 });
  return Math.min(n, 10_000);
}
