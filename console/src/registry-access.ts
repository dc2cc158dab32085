// Which registry controls to show a user, from whoami and a project's members. Pure. The server
// decides for real; this only hides buttons that would be refused.
import type { WhoAmI } from './model.ts';

/** The project facts access depends on. */
export interface ProjectOwner {
  readonly tenant: string;
}

/** A grant as the members list shows it. */
export interface Grant {
  readonly user: string;
  readonly role: string;
  readonly repositories: string;
}

/**
 * True when `user` administers the project: `projects:update` from a platform role, or from a
 * tenant role in the project's own tenant. whoami merges the permissions of every binding, so
 * the tenant is read from `tenantRoles`, whose roles name what they allow.
 */
export function administersProject(user: WhoAmI, project: ProjectOwner): boolean {
  if (user.platformRoles.includes('platform-admin')) return true;
  return project.tenant !== '' && user.tenantRoles.some((b) => b.tenant === project.tenant && b.role === 'tenant-admin');
}

/**
 * True when `user` may manage the project's members, robots and policies: an administrator of
 * it, or a project-admin of the whole project (a grant narrowed to repositories is not enough).
 */
export function managesProject(user: WhoAmI, project: ProjectOwner, members: readonly Grant[]): boolean {
  return administersProject(user, project)
    || members.some((m) => m.user === user.name && m.role === 'project-admin' && m.repositories === '');
}

/** The tenants in which `user` may create projects ('' standing for a platform project). */
export function projectTenants(user: WhoAmI): readonly string[] {
  const tenants = user.tenantRoles.filter((b) => b.role === 'tenant-admin').map((b) => b.tenant);
  const unique = [...new Set(tenants)].sort();
  return user.platformRoles.includes('platform-admin') ? ['', ...unique] : unique;
}
