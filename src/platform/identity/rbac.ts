// RBAC is data: permissions are `<resource>:<verb>` literals, roles are lists built by extending
// smaller roles. Routes declare the permission they need; http/guard.ts enforces it.

export const verbs = ['list', 'get', 'create', 'update', 'delete', 'export', 'verify', 'pull', 'push'] as const;
export type Verb = (typeof verbs)[number];

export const resources = [
  'users', 'tokens', 'audit', 'rolebindings',
  'tenants', 'clusters', 'namespaces', 'quotas', 'nodeports',
  'projects', 'repositories', 'members', 'robots', 'registry-policies', 'gc',
] as const;
export type Resource = (typeof resources)[number];

export type Permission = `${Resource}:${Verb}`;

const all = (resource: Resource, ...vs: Verb[]): Permission[] => vs.map((v) => `${resource}:${v}` as Permission);
const crud = (resource: Resource): Permission[] => all(resource, 'list', 'get', 'create', 'update', 'delete');

export const platformRoleNames = ['user', 'auditor', 'platform-admin'] as const;
export type PlatformRole = (typeof platformRoleNames)[number];

export const tenantRoleNames = ['tenant-viewer', 'tenant-member', 'tenant-admin'] as const;
export type TenantRole = (typeof tenantRoleNames)[number];

const user: readonly Permission[] = [...all('tokens', 'list', 'create', 'delete'), ...all('projects', 'list')];
const auditor: readonly Permission[] = [...user, ...all('audit', 'list', 'export', 'verify')];
const platformAdmin: readonly Permission[] = [
  ...auditor,
  ...crud('users'), ...crud('rolebindings'), ...crud('tenants'), ...crud('clusters'), ...crud('namespaces'),
  ...crud('quotas'), ...crud('nodeports'), ...crud('projects'), ...crud('repositories'), ...crud('members'),
  ...crud('robots'), ...crud('registry-policies'), ...crud('gc'),
];

const tenantViewer: readonly Permission[] = [
  ...all('tenants', 'get'), ...all('namespaces', 'list', 'get'), ...all('quotas', 'list', 'get'),
  ...all('projects', 'list', 'get'), ...all('repositories', 'list', 'get'), ...all('nodeports', 'list', 'get'),
];
const tenantMember: readonly Permission[] = [...tenantViewer, ...all('nodeports', 'create')];
const tenantAdmin: readonly Permission[] = [
  ...tenantMember, ...crud('namespaces'), ...crud('rolebindings'), ...crud('projects'), ...crud('members'),
  ...crud('robots'), ...crud('registry-policies'), ...all('nodeports', 'delete'), ...all('audit', 'list'),
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
