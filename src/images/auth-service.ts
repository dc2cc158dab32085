// Registry authentication: credentials (users, their API tokens, robots) to a RegistryCaller,
// the Docker token service (short-lived HS256 JWTs whose `access` claim is the intersection of
// the asked scopes and what the caller may do), and the access a caller holds on a repository.
// A token also names the credential it was issued for; every use re-checks that credential and
// what its holder may do now, so revocations and removed memberships stop tokens already issued.
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Database } from '../platform/db/database.ts';
import type { AuditLog } from '../platform/audit/service.ts';
import type { Identity } from '../platform/identity/service.ts';
import type { RequestContext } from '../platform/context.ts';
import { BerthError } from '../platform/errors.ts';
import { auditEntry, changeActor } from '../platform/usecase.ts';
import { actionsOn, callerName, grant, mergeAccess, parseScopes, type Access, type RegistryCaller } from './access.ts';
import { isRepositoryName, projectOf } from './names.ts';
import { parseRobotUsername, robotUsername, type Member, type Project, type RepositoryAction } from './model.ts';
import type { Principal } from '../platform/identity/rbac.ts';
import * as store from './store.ts';
import { imagesDb, type Db } from './store.ts';

/** The `service` the token server names and checks. */
export const tokenService = 'berth';
/** Lifetime of an issued token, seconds. */
export const tokenTtlSeconds = 300;

/** A token issued by `/auth/token`. */
export interface IssuedToken {
  readonly token: string;
  readonly expiresIn: number;
  readonly issuedAt: string;
  readonly access: readonly Access[];
}

/** A verified bearer token: who holds it (as of now) and the most it grants. */
export interface VerifiedToken {
  readonly caller: RegistryCaller;
  readonly access: readonly Access[];
}

/**
 * The credential a caller presented, as a token's `cred` claim remembers it: a user with the API
 * token or session it used (or, for a password, the password's generation: see CredentialRef),
 * or a robot with its creation time (a robot deleted and created again is another robot).
 */
export type CallerCredential =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'user'; readonly user: string; readonly tokenId?: string; readonly generation?: string }
  | { readonly kind: 'robot'; readonly project: string; readonly name: string; readonly since: string };

/** An authenticated caller and the credential it presented. */
export interface Authenticated {
  readonly caller: RegistryCaller;
  readonly credential: CallerCredential;
}

/** The caller who presented no credentials. */
export const anonymous: Authenticated = { caller: { kind: 'anonymous' }, credential: { kind: 'anonymous' } };

/** The credentials were refused. */
export class BadCredentialsError extends Error {
  readonly retryAfter?: number;
  constructor(message: string, retryAfter?: number) {
    super(message);
    this.name = 'BadCredentialsError';
    this.retryAfter = retryAfter;
  }
}

/** Digest under which robot secrets are stored (they are long random strings, so one SHA-256 suffices). */
export function robotSecretDigest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export interface RegistryAuthOptions {
  readonly db: Database;
  readonly identity: Identity;
  readonly audit: AuditLog;
  readonly secretKey: Uint8Array;
  readonly now?: () => Date;
  /**
   * How long robots, projects and their members stay cached (ms): the bound within which a
   * change made on another replica reaches this one. Changes made here apply at once.
   */
  readonly cacheMs?: number;
}

interface TokenClaims {
  readonly access: readonly Access[];
  readonly credential: CallerCredential;
}

interface ProjectFacts {
  readonly project: Project | undefined;
  readonly members: readonly Member[];
}

const cacheEntries = 10_000;

/** Authentication and authorization for /v2 and /auth/token. One instance per server. */
export class RegistryAuth {
  readonly #db: Database;
  readonly #identity: Identity;
  readonly #audit: AuditLog;
  readonly #key: Uint8Array;
  readonly #now: () => Date;
  // A client sends the same token with every request until it expires: check its signature once.
  readonly #verified: LRUCache<string, TokenClaims>;
  readonly #robots: LRUCache<string, store.RobotsTable>;
  // Every registry request reads its project and members.
  readonly #facts: LRUCache<string, ProjectFacts>;
  // One caller per cached principal, not one per request.
  readonly #callers = new WeakMap<Principal, RegistryCaller>();

  constructor(o: RegistryAuthOptions) {
    this.#db = o.db;
    this.#identity = o.identity;
    this.#audit = o.audit;
    // A key of its own, derived from the server secret, so a leaked token key reveals nothing else.
    this.#key = createHmac('sha256', Buffer.from(o.secretKey)).update('berth registry token signing v1').digest();
    this.#now = o.now ?? (() => new Date());
    const ttl = o.cacheMs ?? 1000;
    // An injected clock drives expiry too; without one, lru-cache's own monotonic clock is cheaper.
    const perf = o.now ? { now: () => this.#now().getTime() } : undefined;
    this.#verified = new LRUCache({ max: cacheEntries, ttl: tokenTtlSeconds * 1000, perf });
    this.#robots = new LRUCache({ max: cacheEntries, ttl, perf });
    this.#facts = new LRUCache({ max: cacheEntries, ttl, perf });
  }

  get #k(): Db {
    return imagesDb(this.#db.kysely);
  }

  /**
   * Resolves basic credentials: a robot (`robot$project+name` and its secret) or a user (password
   * or API token). Throws BadCredentialsError with the same message for every refusal but a
   * throttled login, which carries the seconds to wait.
   */
  async authenticateBasic(username: string, password: string, ctx: RequestContext): Promise<Authenticated> {
    const robot = parseRobotUsername(username);
    if (robot) {
      const row = await this.#robot(robot.project, robot.name);
      const digest = Buffer.from(robotSecretDigest(password), 'hex');
      const ok = row !== undefined && timingSafeEqual(Buffer.from(row.secret_hash, 'hex'), digest);
      if (!row || !ok) throw new BadCredentialsError('invalid username or password');
      const unusable = this.#robotUnusable(row);
      if (unusable) throw new BadCredentialsError(unusable);
      return { caller: robotCaller(row), credential: { kind: 'robot', project: row.project, name: row.name, since: row.created_at } };
    }
    try {
      const { principal, credential } = await this.#identity.authenticatePassword(username, password, ctx);
      return { caller: userCaller(principal), credential: { kind: 'user', ...credential } };
    } catch (err) {
      if (err instanceof BerthError) throw new BadCredentialsError(err.reason === 'TooManyRequests' ? err.message : 'invalid username or password', err.retryAfter);
      throw err;
    }
  }

  // Why a robot's credentials no longer work, or undefined when they do.
  #robotUnusable(row: store.RobotsTable): string | undefined {
    const username = robotUsername(row.project, row.name);
    if (row.revoked_at !== null) return `robot account "${username}" has been revoked`;
    if (Date.parse(row.expires_at) <= this.#now().getTime()) return `robot account "${username}" expired at ${row.expires_at}`;
    return undefined;
  }

  async #robot(project: string, name: string): Promise<store.RobotsTable | undefined> {
    const key = `${project}\0${name}`;
    const hit = this.#robots.get(key);
    if (hit) return hit;
    const row = await store.findRobotRow(this.#k, project, name);
    if (row) this.#robots.set(key, row);
    return row;
  }

  /** Forgets a robot after it was deleted or changed: its credentials and tokens stop at once here. */
  forgetRobot(project: string, name: string): void {
    this.#robots.delete(`${project}\0${name}`);
  }

  /**
   * The caller a credential stands for now, or undefined when it no longer works (token revoked,
   * user disabled or deleted, robot deleted, revoked or expired).
   */
  async #current(credential: CallerCredential): Promise<RegistryCaller | undefined> {
    switch (credential.kind) {
      case 'anonymous':
        return { kind: 'anonymous' };
      case 'robot': {
        const row = await this.#robot(credential.project, credential.name);
        return row && row.created_at === credential.since && !this.#robotUnusable(row) ? robotCaller(row) : undefined;
      }
      case 'user':
        try {
          const principal = await this.#identity.resolve(credential);
          let caller = this.#callers.get(principal);
          if (!caller) this.#callers.set(principal, (caller = userCaller(principal)));
          return caller;
        } catch (err) {
          if (err instanceof BerthError) return undefined;
          throw err;
        }
    }
  }

  async #projectFacts(name: string): Promise<ProjectFacts> {
    const hit = this.#facts.get(name);
    if (hit) return hit;
    const project = await store.findProject(this.#k, name);
    const facts = { project, members: project ? await store.projectMembers(this.#k, name) : [] };
    this.#facts.set(name, facts);
    return facts;
  }

  /** The project named `name` (cached briefly), or undefined. */
  async project(name: string): Promise<Project | undefined> {
    return (await this.#projectFacts(name)).project;
  }

  /** The project and its members (cached briefly), or undefined when the project does not exist. */
  async projectFacts(name: string): Promise<{ project: Project; members: readonly Member[] } | undefined> {
    const { project, members } = await this.#projectFacts(name);
    return project && { project, members };
  }

  /** Forgets a cached project after it, its members or its visibility changed. */
  forgetProject(name: string): void {
    this.#facts.delete(name);
  }

  /** Records a registry request refused with DENIED. */
  async auditDenied(ctx: RequestContext, message: string, method: string, url: string): Promise<void> {
    await this.#audit.recordAlone(auditEntry(changeActor(ctx), '', {
      action: `${method} ${url.split('?')[0]}`, resource: 'registry', name: '', outcome: 'failure', code: 403, detail: { message },
    }));
  }

  /** The actions `caller` holds on `repository` now (none when its project does not exist). */
  async repositoryActions(caller: RegistryCaller, repository: string): Promise<ReadonlySet<RepositoryAction>> {
    if (!isRepositoryName(repository)) return new Set();
    const { project, members } = await this.#projectFacts(projectOf(repository));
    if (!project) return new Set();
    return actionsOn(caller, project, members, repository.slice(project.name.length + 1));
  }

  /**
   * Issues a token for `scopes` (Docker `scope` values). Each repository access is narrowed to
   * what the caller may do; `registry:catalog:*` is granted to every authenticated caller (the
   * catalog lists only what the caller may pull). Unknown resource types get nothing. Logins are audited.
   */
  async issueToken(who: Authenticated, scopes: readonly string[], ctx: RequestContext, withCredentials: boolean): Promise<IssuedToken> {
    const { caller } = who;
    const granted: Access[] = [];
    const asked = mergeAccess(parseScopes(scopes));
    for (const a of asked) {
      if (a.type === 'repository') {
        granted.push(grant(a, await this.repositoryActions(caller, a.name)));
      } else if (a.type === 'registry' && a.name === 'catalog') {
        granted.push(grant(a, new Set(caller.kind === 'anonymous' ? [] : ['*', 'pull', 'push', 'delete'])));
      }
    }
    // What was asked and not granted: with a token, the refusal is the token's, so it is audited here.
    const denied = asked.map((a) => {
      const g = granted.find((x) => x.type === a.type && x.name === a.name);
      return { ...a, actions: a.actions.filter((act) => !g?.actions.includes(act)) };
    }).filter((a) => a.actions.length > 0);
    const now = this.#now();
    const iat = Math.floor(now.getTime() / 1000);
    const token = await new SignJWT({ access: granted, cred: who.credential })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('berth').setAudience(tokenService).setSubject(callerName(caller))
      .setIssuedAt(iat).setNotBefore(iat - 1).setExpirationTime(iat + tokenTtlSeconds).setJti(randomUUID())
      .sign(this.#key);
    if (withCredentials) {
      await this.#audit.recordAlone(auditEntry({ name: callerName(caller), sourceIp: ctx.sourceIp, requestId: ctx.requestId }, '', {
        action: 'login', resource: 'registry', name: callerName(caller), detail: { access: granted, ...(denied.length ? { denied } : {}) },
      }));
    }
    return { token, expiresIn: tokenTtlSeconds, issuedAt: now.toISOString(), access: granted };
  }

  /** Records a refused registry login. */
  async auditFailedLogin(username: string, reason: string, ctx: RequestContext): Promise<void> {
    await this.#audit.recordAlone(auditEntry({ name: username, sourceIp: ctx.sourceIp, requestId: ctx.requestId }, '', {
      action: 'login', resource: 'registry', name: username, outcome: 'failure', code: 401, detail: { reason },
    }));
  }

  /**
   * Verifies a bearer token this server issued and resolves its credential as it stands now;
   * undefined when the token is invalid or expired, or its credential no longer works. The
   * `access` is the most the token grants: the caller's current actions may be fewer.
   */
  async verifyToken(token: string): Promise<VerifiedToken | undefined> {
    const claims = this.#verified.get(token) ?? (await this.#verifySignature(token));
    if (!claims) return undefined;
    const caller = await this.#current(claims.credential);
    return caller && { caller, access: claims.access };
  }

  async #verifySignature(token: string): Promise<TokenClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.#key, { issuer: 'berth', audience: tokenService, algorithms: ['HS256'], currentDate: this.#now() });
      const access = payload.access as Access[] | undefined;
      const credential = payload.cred as CallerCredential | undefined;
      if (!Array.isArray(access) || typeof credential?.kind !== 'string' || typeof payload.exp !== 'number') return undefined;
      const claims = { access, credential };
      this.#verified.set(token, claims, { ttl: Math.max(1, payload.exp * 1000 - this.#now().getTime()) });
      return claims;
    } catch {
      return undefined;
    }
  }
}

function userCaller(p: Principal): RegistryCaller {
  return { kind: 'user', principal: { name: p.name, platformRoles: p.platformRoles, tenantRoles: p.tenantRoles } };
}

function robotCaller(row: store.RobotsTable): RegistryCaller {
  return { kind: 'robot', name: robotUsername(row.project, row.name), project: row.project, permissions: store.toRobot(row).permissions };
}
