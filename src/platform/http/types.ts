// Fastify augmentation: every route declares how it is authorized, and every request carries
// the context services need.
import type { Permission } from '../identity/rbac.ts';
import type { RequestContext } from '../context.ts';

/** How a route is authorized. Exactly one of `permission` or `auth` must be set. */
export interface RouteAccess {
  /** The permission the caller needs (platform-wide, or in the tenant named by `tenantParam`). */
  permission?: Permission;
  /** 'public': anyone; 'authenticated': any known caller; 'custom': the area authenticates itself (registry). */
  auth?: 'public' | 'authenticated' | 'custom';
  /** Route parameter holding the tenant for tenant-scoped permissions. */
  tenantParam?: string;
  /** Resource name recorded in the audit log for refusals (defaults to the path's last static segment). */
  auditResource?: string;
}

declare module 'fastify' {
  interface FastifyContextConfig extends RouteAccess {
    readonly _berthAccess?: never;
  }
  interface FastifyRequest {
    ctx: RequestContext;
  }
  interface FastifyInstance {
    /** Every route registered so far, one entry per method, with the access rule it declared. */
    routeAccess(): readonly { readonly method: string; readonly url: string; readonly access: RouteAccess }[];
  }
}
