// Which pages a user may open, decided from the permission strings of /api/v1/whoami. Pure.
import type { MessageKey } from './i18n/messages.ts';

/** A page of the console that sits behind a permission. */
export interface PageDef {
  readonly id: 'overview' | 'clusters' | 'tenants' | 'tokens' | 'projects' | 'gc' | 'users' | 'audit';
  readonly path: string;
  /** True when the page also answers the paths below its own (`/projects/apps/members`). */
  readonly nested?: boolean;
  /** The `<resource>:<verb>` permission that shows the page, or several of which any one does. */
  readonly permission: string | readonly string[];
  readonly label: MessageKey;
}

/**
 * Every page in navigation order; the first a user may open is where the console lands. The
 * overview shows to whoever may read any of its parts: clusters, a tenant, or the audit log.
 */
export const pages: readonly PageDef[] = [
  { id: 'overview', path: '/overview', permission: ['clusters:list', 'tenants:get', 'audit:list'], label: 'nav.overview' },
  { id: 'clusters', path: '/clusters', permission: 'clusters:list', label: 'nav.clusters', nested: true },
  // Every tenant role holds tenants:get; the list answers only the tenants the caller belongs to.
  { id: 'tenants', path: '/tenants', permission: 'tenants:get', label: 'nav.tenants', nested: true },
  { id: 'tokens', path: '/tokens', permission: 'tokens:list', label: 'nav.tokens' },
  { id: 'projects', path: '/projects', permission: 'projects:list', label: 'nav.projects', nested: true },
  { id: 'gc', path: '/gc', permission: 'gc:list', label: 'nav.gc' },
  { id: 'users', path: '/users', permission: 'users:list', label: 'nav.users' },
  { id: 'audit', path: '/audit', permission: 'audit:list', label: 'nav.audit' },
];

/** The path of the login page. */
export const loginPath = '/login';

/** The pages whose permission is among `permissions`, in navigation order. */
export function allowedPages(permissions: readonly string[]): readonly PageDef[] {
  const granted = new Set(permissions);
  return pages.filter((p) => (typeof p.permission === 'string' ? [p.permission] : p.permission).some((x) => granted.has(x)));
}

/** True when `permissions` grants `permission` (exact `<resource>:<verb>` match). */
export function can(permissions: readonly string[], permission: string): boolean {
  return permissions.includes(permission);
}

/** Where a logged-in user's request for `pathname` ends up. */
export type Route =
  | { readonly kind: 'page'; readonly page: PageDef }
  | { readonly kind: 'redirect'; readonly to: string }
  | { readonly kind: 'none' }
  | { readonly kind: 'notFound' };

function pageOf(path: string, candidates: readonly PageDef[]): PageDef | undefined {
  return candidates.find((p) => p.path === path || (p.nested === true && path.startsWith(`${p.path}/`)));
}

/**
 * Resolves the path a logged-in user asked for: an allowed page (or a path below a nested one)
 * opens; '/', '/login' and pages the user may not open redirect to the first allowed page, or give 'none' when the user may
 * open no page at all; any other path is 'notFound'.
 */
export function resolveRoute(pathname: string, permissions: readonly string[]): Route {
  const allowed = allowedPages(permissions);
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  const page = pageOf(path, allowed);
  if (page) return { kind: 'page', page };
  const known = path === '/' || path === loginPath || pageOf(path, pages) !== undefined;
  if (!known) return { kind: 'notFound' };
  if (allowed.length === 0) return { kind: 'none' };
  return { kind: 'redirect', to: allowed[0].path };
}
