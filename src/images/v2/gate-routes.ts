// Who calls the registry and what it may do: bearer tokens from /auth/token, Basic credentials,
// anonymous pulls of public projects; the 401 challenges that tell clients which token to ask
// for; per-project request rates. The /v2 plugin runs these as hooks before every handler.
import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../../platform/context.ts';
import { allows, callerName, type Access, type RegistryCaller } from '../access.ts';
import { BadCredentialsError, tokenService, type RegistryAuth } from '../auth-service.ts';
import { OciError } from './oci-errors.ts';
import type { Project, RepositoryAction } from '../model.ts';
import { projectOf } from '../names.ts';
import type { PullLog } from '../pull-service.ts';
import type { RateLimiter } from '../rate-limit.ts';
import type { Actor, Registry, RepoRef } from '../registry-service.ts';
import { ownBaseUrl, scopeOf } from './paths.ts';

/** What the /v2 plugin needs. */
export interface V2Deps {
  readonly registry: Registry;
  readonly auth: RegistryAuth;
  readonly pulls: PullLog;
  readonly limiter: RateLimiter;
  readonly publicUrl?: string;
}

/** An authenticated caller and, for a bearer token, the grants the token carries (the most it allows). */
export interface Authenticated {
  readonly caller: RegistryCaller;
  readonly access?: readonly Access[];
}

/** A caller allowed an action on a repository of an existing project. */
export interface Granted {
  readonly ref: RepoRef;
  readonly caller: RegistryCaller;
  /** Whether the caller may also do `action` on `other` (default: this repository). */
  readonly may: (action: RepositoryAction, other?: string) => Promise<boolean>;
  /** Whether the caller's token was issued for `other` (always true without a token). */
  readonly asked: (other: string) => boolean;
  /** The scope the request needed. */
  readonly scope: string;
}

/** The caller of a request as the audit log and the pull log name it. */
export function actorOf(ctx: RequestContext, caller: RegistryCaller): Actor {
  return { name: callerName(caller), sourceIp: ctx.sourceIp, requestId: ctx.requestId };
}

/** Authentication, authorization and rate limiting of /v2 requests. One per plugin. */
export class Gate {
  readonly #deps: V2Deps;

  constructor(deps: V2Deps) {
    this.#deps = deps;
  }

  /** The 401 that sends a client for a token of `scope` (with the token error, if any). */
  challenge(req: FastifyRequest, scope?: string, error?: string): OciError {
    const base = this.#deps.publicUrl ?? ownBaseUrl(req.socket);
    const header = `Bearer realm="${base.replace(/\/+$/, '')}/auth/token",service="${tokenService}"${scope ? `,scope="${scope}"` : ''}${error ? `,error="${error}"` : ''}`;
    return new OciError('UNAUTHORIZED', 'authentication required', { headers: { 'www-authenticate': header }, detail: scope ? [{ Type: 'repository', Action: scope }] : undefined });
  }

  /** The caller its Authorization header names; undefined without one. Bad credentials answer a challenge for `scope`. */
  async authenticate(req: FastifyRequest, scope?: string): Promise<Authenticated | undefined> {
    const h = req.headers.authorization;
    if (!h) return undefined;
    const bearer = /^Bearer\s+(\S+)$/i.exec(h);
    if (bearer) {
      const v = await this.#deps.auth.verifyToken(bearer[1]);
      if (!v) throw this.challenge(req, scope, 'invalid_token');
      return { caller: v.caller, access: v.access };
    }
    const basic = /^Basic\s+(\S+)$/i.exec(h);
    if (!basic) throw this.challenge(req, scope);
    const text = Buffer.from(basic[1], 'base64').toString('utf8');
    const i = text.indexOf(':');
    if (i < 0) throw this.challenge(req, scope);
    try {
      return { caller: (await this.#deps.auth.authenticateBasic(text.slice(0, i), text.slice(i + 1), req.ctx)).caller };
    } catch (err) {
      if (err instanceof BadCredentialsError) throw this.challenge(req, scope);
      throw err;
    }
  }

  /** The base endpoint's check: any authenticated caller, else a challenge. */
  async admitAny(req: FastifyRequest): Promise<Authenticated> {
    const who = await this.authenticate(req);
    if (!who) throw this.challenge(req);
    return who;
  }

  /** The catalog's check: an authenticated caller whose token (if any) grants the catalog. */
  async admitCatalog(req: FastifyRequest): Promise<Authenticated> {
    const scope = 'registry:catalog:*';
    const who = await this.authenticate(req, scope);
    if (!who || (who.access && !allows(who.access, 'registry', 'catalog', '*'))) throw this.challenge(req, scope);
    return who;
  }

  /** Checks `action` on `name`; answers 401 (with the scope to ask for) or 403 as Distribution does, 404 for an unknown project. */
  async authorize(req: FastifyRequest, name: string, action: RepositoryAction): Promise<Granted> {
    const scope = scopeOf(name, action);
    const who = (await this.authenticate(req, scope)) ?? { caller: { kind: 'anonymous' } as RegistryCaller };
    // Refusals are audited under the caller's name.
    if (who.caller.kind === 'user') req.ctx = { ...req.ctx, principal: { type: 'user', ...who.caller.principal } };
    if (who.caller.kind === 'robot') req.ctx = { ...req.ctx, principal: { type: 'robot', name: who.caller.name, platformRoles: [], tenantRoles: [] } };
    const may = await this.#mayFor(who, name);
    if (!(await may(action))) {
      // A bearer token may simply have been issued for another request's scope: ask for the
      // right one. Credentials checked here and now are final: refuse outright.
      if (!who.access && action !== 'pull' && (await may('pull'))) throw new OciError('DENIED', `${callerName(who.caller)} may not ${action} repository "${name}"`);
      throw this.challenge(req, scope, who.access ? 'insufficient_scope' : undefined);
    }
    const project = await this.#deps.auth.project(projectOf(name));
    if (!project) throw new OciError('NAME_UNKNOWN', `repository "${name}" not found`);
    const asked = (other: string): boolean => who.access === undefined || who.access.some((g) => g.type === 'repository' && g.name === other);
    return { ref: { repository: name, project }, caller: who.caller, may, asked, scope };
  }

  /**
   * What `who` may do on a repository. A token's grants are the most it allows: what the caller
   * may do now (its membership and roles as they stand, cached briefly) narrows them, so a
   * removed member loses them at once.
   */
  async #mayFor(who: Authenticated, name: string): Promise<Granted['may']> {
    const held = await this.#deps.auth.repositoryActions(who.caller, name);
    return async (a, other = name) => {
      if (who.access && !allows(who.access, 'repository', other, a)) return false;
      return (other === name ? held : await this.#deps.auth.repositoryActions(who.caller, other)).has(a);
    };
  }

  /** Takes one request from `project`'s rate quota; answers 429 with Retry-After when it is spent. */
  limit(project: Project): void {
    if (project.rateLimit < 0) return;
    const wait = this.#deps.limiter.take(project.name, project.rateLimit);
    if (wait > 0) throw new OciError('TOOMANYREQUESTS', `request rate quota of project "${project.name}" exceeded: ${project.rateLimit} requests per second`, { headers: { 'retry-after': String(Math.ceil(wait)) } });
  }
}
