// Who may do what to a repository: project roles, repository-level grants, robots, tenant and
// platform administration, public projects; and the Docker token scopes that ask for it. Pure.
import type { Principal } from '../platform/identity/rbac.ts';
import { can } from '../platform/identity/rbac.ts';
import { matchPattern } from './pattern.ts';
import type { Member, Project, ProjectRole, RepositoryAction, RobotPermission } from './model.ts';

/** True when a grant's repository pattern covers `path`; an empty pattern grants the whole project. */
function covers(pattern: string, path: string): boolean {
  return pattern === '' || matchPattern(pattern, path);
}

/** The repository actions each project role grants. */
export const roleActions: Readonly<Record<ProjectRole, readonly RepositoryAction[]>> = {
  'limited-guest': ['pull'],
  guest: ['pull'],
  developer: ['pull', 'push'],
  maintainer: ['pull', 'push', 'delete'],
  'project-admin': ['pull', 'push', 'delete'],
};

/** The caller as the registry sees it. Anonymous callers have no principal. */
export type RegistryCaller =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'user'; readonly principal: Principal }
  | { readonly kind: 'robot'; readonly name: string; readonly project: string; readonly permissions: readonly RobotPermission[] };

/** The caller's name for audit records and token subjects. */
export function callerName(c: RegistryCaller): string {
  return c.kind === 'anonymous' ? 'anonymous' : c.kind === 'user' ? c.principal.name : c.name;
}

/** True when the user administers the project (platform admin, or admin of its tenant). */
export function administers(principal: Principal, project: Pick<Project, 'tenant'>): boolean {
  return can(principal, 'projects:update', project.tenant || undefined);
}

/** True when the user may manage the project's members, robots and policies. */
export function managesProject(principal: Principal, project: Pick<Project, 'tenant'>, members: readonly Member[]): boolean {
  return administers(principal, project) || members.some((m) => m.user === principal.name && m.role === 'project-admin' && m.repositories === '');
}

/** True when the caller may see the project at all (list it, its repositories, its artifacts). */
export function seesProject(caller: RegistryCaller, project: Project, members: readonly Member[]): boolean {
  return project.public || actionsOn(caller, project, members, undefined).size > 0 || (caller.kind === 'user' && administers(caller.principal, project));
}

/**
 * The actions `caller` may take on repository `path` (the part after the project) of `project`;
 * `members` are the project's members (any user's; filtered here). With `path` undefined, the
 * actions the caller holds somewhere in the project.
 */
export function actionsOn(caller: RegistryCaller, project: Project, members: readonly Member[], path: string | undefined): ReadonlySet<RepositoryAction> {
  const out = new Set<RepositoryAction>();
  if (project.public) out.add('pull');
  if (caller.kind === 'robot') {
    if (caller.project !== project.name) return out;
    for (const p of caller.permissions) {
      if (path === undefined || covers(p.repositories, path)) for (const a of p.actions) out.add(a);
    }
    return out;
  }
  if (caller.kind === 'anonymous') return out;
  const principal = caller.principal;
  if (administers(principal, project)) {
    for (const a of ['pull', 'push', 'delete'] as const) out.add(a);
    return out;
  }
  if (project.tenant && can(principal, 'repositories:get', project.tenant)) out.add('pull');
  for (const m of members) {
    if (m.user !== principal.name) continue;
    if (path === undefined || covers(m.repositories, path)) for (const a of roleActions[m.role]) out.add(a);
  }
  return out;
}

/** One requested or granted access, as in the Docker token `access` claim. */
export interface Access {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

/**
 * Parses Docker token `scope` values (each may hold several space-separated scopes) into
 * accesses; `repository(plugin):name:pull` keeps its type without the class. Malformed scopes
 * are dropped, as Distribution's token servers do; actions are de-duplicated and sorted.
 */
export function parseScopes(scopes: readonly string[]): Access[] {
  const out: Access[] = [];
  for (const s of scopes.flatMap((v) => v.split(' ')).filter(Boolean)) {
    const first = s.indexOf(':');
    const last = s.lastIndexOf(':');
    if (first < 0 || last === first) continue;
    const type = s.slice(0, first).replace(/\(.*\)$/, '');
    const name = s.slice(first + 1, last);
    const actions = [...new Set(s.slice(last + 1).split(',').filter(Boolean))].sort();
    if (!type || !name || actions.length === 0) continue;
    out.push({ type, name, actions });
  }
  return out;
}

/** Grants of one access: the asked actions the caller holds (`*` when it holds every action). */
export function grant(asked: Access, held: ReadonlySet<string>): Access {
  const actions = asked.actions.filter((a) => (a === '*' ? ['pull', 'push', 'delete'].every((x) => held.has(x)) : held.has(a)));
  return { ...asked, actions };
}

/** Merges accesses to the same resource (a client may ask for one repository twice). */
export function mergeAccess(list: readonly Access[]): Access[] {
  const byKey = new Map<string, Access>();
  for (const a of list) {
    const key = `${a.type}:${a.name}`;
    const prev = byKey.get(key);
    byKey.set(key, prev ? { ...a, actions: [...new Set([...prev.actions, ...a.actions])].sort() } : a);
  }
  return [...byKey.values()];
}

/** True when `granted` lets its bearer take `action` on `type`/`name`. */
export function allows(granted: readonly Access[], type: string, name: string, action: string): boolean {
  return granted.some((g) => g.type === type && g.name === name && (g.actions.includes(action) || g.actions.includes('*')));
}
