// What a service needs to know about the request it serves: who, from where, which request.
import type { Principal } from './identity/rbac.ts';

/** An authenticated caller: the RBAC principal plus how it authenticated. */
export interface AuthPrincipal extends Principal {
  /** 'user' for people and their tokens; later also 'robot'. */
  readonly type: 'user' | 'robot';
  /** The token row the caller used, when it used one. */
  readonly tokenId?: string;
}

/** Per-request context passed from routes to services. */
export interface RequestContext {
  readonly principal?: AuthPrincipal;
  readonly sourceIp: string;
  readonly requestId: string;
}

/** The actor name recorded in the audit log. */
export function actorOf(ctx: RequestContext): string {
  return ctx.principal?.name ?? 'anonymous';
}
