// RBAC is data: permissions are `<resource>:<verb>` literals, roles are lists built by extending
// smaller roles. Routes declare the permission they need; the guard in http/app.ts enforces it.

export const verbs = ['list', 'get', 'create', 'update', 'delete', 'export', 'verify'] as const;
export type Verb = (typeof verbs)[number];

// Every permission a role holds is checked by a route (`config.permission`) or a service;
// test/platform/route-matrix.test.ts calls every route as each kind of caller. A project's
// members, robots and policies are managed by whoever administers the project
// (images/access.ts `managesProject`), not through permissions of their own.
export const resources = [
  'users', 'tokens', 'audit',
  'tenants', 'clusters', 'namespaces', 'quotas', 'nodeports',
  'projects', 'repositories', 'gc',
] as const;
export type Resource = (typeof resources)[number];

export type Permission = `${Resource}:${Verb}`;

const all = (resource: Resource, ...vs: Verb[]): Permission[] => vs.map((v) => `${resource}:${v}` as Permission);
const crud = (resource: Resource): Permission[] => all(resource, 'list', 'get', 'create', 'update', 'delete');

export const platformRoleNames = ['user', 'auditor', 'platform-admin'] as const;
export type PlatformRole = (typeof platformRoleNames)[number];

export const tenantRoleNames = ['tenant-viewer', 'tenant-member', 'tenant-admin'] as const;
export type TenantRole = (typeof tenantRoleNames)[number];

// `projects:list` opens the registry's project list (and the console's projects page); the list
// holds only what the caller may see (images/access.ts).
const user: readonly Permission[] = [...all('tokens', 'list', 'create', 'delete'), ...all('projects', 'list')];
const auditor: readonly Permission[] = [...user, ...all('audit', 'list', 'export', 'verify')];
const platformAdmin: readonly Permission[] = [
  ...auditor,
  ...crud('users'), ...crud('tenants'), ...crud('clusters'), ...crud('namespaces'),
  ...all('quotas', 'get', 'update'), ...all('nodeports', 'list', 'get', 'create', 'delete'),
  ...all('projects', 'create', 'update', 'delete'), ...all('repositories', 'get'), ...all('gc', 'list', 'create'),
];

const tenantViewer: readonly Permission[] = [
  ...all('tenants', 'get'), ...all('namespaces', 'list', 'get'), ...all('quotas', 'get'),
  ...all('repositories', 'get'), ...all('nodeports', 'list', 'get'),
];
const tenantMember: readonly Permission[] = [...tenantViewer, ...all('nodeports', 'create')];
const tenantAdmin: readonly Permission[] = [
  ...tenantMember, ...crud('namespaces'), ...all('projects', 'create', 'update', 'delete'), ...all('nodeports', 'delete'),
];

/** Permissions of each platform role (applies everywhere). */
export const platformRoles: Readonly<Record<PlatformRole, ReadonlySet<Permission>>> = {
  user: new Set(user),
  auditor: new Set(auditor),
  'platform-admin': new Set(platformAdmin),
};

/** Permissions of each tenant role (applies inside its tenant only). */
export const tenantRoles: Readonly<Record<TenantRole, ReadonlySet<Permission>>> = {
  'tenant-viewer': new Set(tenantViewer),
  'tenant-member': new Set(tenantMember),
  'tenant-admin': new Set(tenantAdmin),
};

/** Who is calling, as far as authorization cares. */
export interface Principal {
  readonly name: string;
  readonly platformRoles: readonly PlatformRole[];
  readonly tenantRoles: readonly { readonly tenant: string; readonly role: TenantRole }[];
}

/** The union of the permissions of the principal's platform roles. */
export function platformPermissions(p: Principal): ReadonlySet<Permission> {
  const out = new Set<Permission>();
  for (const r of p.platformRoles) for (const perm of platformRoles[r]) out.add(perm);
  return out;
}

/** True when `p` holds `perm` platform-wide, or inside `tenant` through a tenant role. Pure. */
export function can(p: Principal, perm: Permission, tenant?: string): boolean {
  for (const r of p.platformRoles) if (platformRoles[r].has(perm)) return true;
  if (tenant === undefined) return false;
  return p.tenantRoles.some((b) => b.tenant === tenant && tenantRoles[b.role].has(perm));
}

export function isPlatformRole(s: string): s is PlatformRole {
  return (platformRoleNames as readonly string[]).includes(s);
}

export function isTenantRole(s: string): s is TenantRole {
  return (tenantRoleNames as readonly string[]).includes(s);
}
