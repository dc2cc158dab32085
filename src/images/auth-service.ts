// Registry authentication: credentials (users, their API tokens, robots) to a RegistryCaller,
// the Docker token service (short-lived HS256 JWTs whose `access` claim is the intersection of
// the asked scopes and what the caller may do), and the access a caller holds on a repository.
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Database } from '../platform/db/database.ts';
import type { AuditLog } from '../platform/audit/service.ts';
import type { Identity } from '../platform/identity/service.ts';
import type { RequestContext } from '../platform/context.ts';
import { BerthError } from '../platform/errors.ts';
import { actionsOn, callerName, grant, mergeAccess, parseScopes, type Access, type RegistryCaller } from './access.ts';
import { isRepositoryName, projectOf } from './names.ts';
import { parseRobotUsername, type Member, type Project, type RepositoryAction } from './model.ts';
import * as store from './store.ts';
import type { Db, ImagesTables } from './store.ts';

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

/** A verified bearer token: who holds it and what it grants. */
export interface VerifiedToken {
  readonly caller: RegistryCaller;
  readonly access: readonly Access[];
}

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
  /** How long verified basic credentials stay cached (ms): password hashing is slow on purpose. */
  readonly credentialCacheMs?: number;
}

/** Authentication and authorization for /v2 and /auth/token. One instance per server. */
export class RegistryAuth {
  readonly #db: Database;
  readonly #identity: Identity;
  readonly #audit: AuditLog;
  readonly #key: Uint8Array;
  readonly #now: () => Date;
  readonly #cacheMs: number;
  readonly #credentials = new Map<string, { caller: RegistryCaller; until: number }>();
  // A client sends the same token with every request until it expires: verify it once.
  readonly #verified = new Map<string, { token: VerifiedToken; expiresAt: number }>();
  // Projects change rarely and every registry request reads one: a second of staleness is fine.
  readonly #projects = new Map<string, { project: Project | undefined; until: number }>();

  constructor(o: RegistryAuthOptions) {
    this.#db = o.db;
    this.#identity = o.identity;
    this.#audit = o.audit;
    // A key of its own, derived from the server secret, so a leaked token key reveals nothing else.
    this.#key = createHmac('sha256', Buffer.from(o.secretKey)).update('berth registry token signing v1').digest();
    this.#now = o.now ?? (() => new Date());
    this.#cacheMs = o.credentialCacheMs ?? 10_000;
  }

  get #k(): Db {
    return this.#db.kysely.withTables<ImagesTables>() as unknown as Db;
  }

  /** Forgets cached credentials (after a robot is revoked or a password changes). */
  forgetCredentials(): void {
    this.#credentials.clear();
  }

  /**
   * Resolves basic credentials: a robot (`robot$project+name` and its secret) or a user (password
   * or API token). Throws BadCredentialsError with the same message for every refusal.
   */
  async authenticateBasic(username: string, password: string, ctx: RequestContext): Promise<RegistryCaller> {
    const cacheKey = createHash('sha256').update(`${username}\0${password}`).digest('hex');
    const nowMs = this.#now().getTime();
    const hit = this.#credentials.get(cacheKey);
    if (hit && hit.until > nowMs) return hit.caller;
    const caller = await this.#verifyBasic(username, password, ctx);
    if (this.#credentials.size > 10_000) this.#credentials.clear();
    this.#credentials.set(cacheKey, { caller, until: nowMs + this.#cacheMs });
    return caller;
  }

  async #verifyBasic(username: string, password: string, ctx: RequestContext): Promise<RegistryCaller> {
    const robot = parseRobotUsername(username);
    if (robot) {
      const row = await store.findRobotRow(this.#k, robot.project, robot.name);
      const digest = Buffer.from(robotSecretDigest(password), 'hex');
      const ok = row !== undefined && timingSafeEqual(Buffer.from(row.secret_hash, 'hex'), digest);
      if (!row || !ok) throw new BadCredentialsError('invalid username or password');
      if (row.revoked_at !== null) throw new BadCredentialsError(`robot account "${username}" has been revoked`);
      if (Date.parse(row.expires_at) <= this.#now().getTime()) throw new BadCredentialsError(`robot account "${username}" expired at ${row.expires_at}`);
      return { kind: 'robot', name: username, project: row.project, permissions: store.toRobot(row).permissions };
    }
    try {
      const principal = await this.#identity.authenticatePassword(username, password, ctx);
      return { kind: 'user', principal: { name: principal.name, platformRoles: principal.platformRoles, tenantRoles: principal.tenantRoles } };
    } catch (err) {
      if (err instanceof BerthError) throw new BadCredentialsError(err.reason === 'TooManyRequests' ? err.message : 'invalid username or password', err.retryAfter);
      throw err;
    }
  }

  /** The project named `name` (cached for a second), or undefined. */
  async project(name: string): Promise<Project | undefined> {
    const nowMs = this.#now().getTime();
    const hit = this.#projects.get(name);
    if (hit && hit.until > nowMs) return hit.project;
    const project = await store.findProject(this.#k, name);
    if (this.#projects.size > 10_000) this.#projects.clear();
    this.#projects.set(name, { project, until: nowMs + 1000 });
    return project;
  }

  /** Forgets a cached project after it changed. */
  forgetProject(name: string): void {
    this.#projects.delete(name);
  }

  /** Records a registry request refused with DENIED. */
  async auditDenied(ctx: RequestContext, message: string, method: string, url: string): Promise<void> {
    await this.#audit.recordAlone({
      actor: ctx.principal?.name ?? 'anonymous', sourceIp: ctx.sourceIp, action: `${method} ${url.split('?')[0]}`, resource: 'registry', name: '',
      outcome: 'failure', code: 403, requestId: ctx.requestId, detail: { message },
    });
  }

  /** The project and its members, or undefined when the project does not exist. */
  async projectFacts(name: string): Promise<{ project: Project; members: readonly Member[] } | undefined> {
    const project = await store.findProject(this.#k, name);
    if (!project) return undefined;
    return { project, members: await store.projectMembers(this.#k, name) };
  }

  /** The actions `caller` holds on `repository` (none when its project does not exist). */
  async repositoryActions(caller: RegistryCaller, repository: string): Promise<ReadonlySet<RepositoryAction>> {
    if (!isRepositoryName(repository)) return new Set();
    const facts = await this.projectFacts(projectOf(repository));
    if (!facts) return new Set();
    return actionsOn(caller, facts.project, facts.members, repository.slice(facts.project.name.length + 1));
  }

  /**
   * Issues a token for `scopes` (Docker `scope` values). Each repository access is narrowed to
   * what the caller may do; `registry:catalog:*` is granted to every authenticated caller (the
   * catalog lists only what the caller may pull). Unknown resource types get nothing. Logins are audited.
   */
  async issueToken(caller: RegistryCaller, scopes: readonly string[], ctx: RequestContext, withCredentials: boolean): Promise<IssuedToken> {
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
    const token = await new SignJWT({ access: granted, caller })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('berth').setAudience(tokenService).setSubject(callerName(caller))
      .setIssuedAt(iat).setNotBefore(iat - 1).setExpirationTime(iat + tokenTtlSeconds).setJti(randomUUID())
      .sign(this.#key);
    if (withCredentials) {
      await this.#audit.recordAlone({
        actor: callerName(caller), sourceIp: ctx.sourceIp, action: 'login', resource: 'registry', name: callerName(caller),
        outcome: 'success', code: 200, requestId: ctx.requestId, detail: { access: granted, ...(denied.length ? { denied } : {}) },
      });
    }
    return { token, expiresIn: tokenTtlSeconds, issuedAt: now.toISOString(), access: granted };
  }

  /** Records a refused registry login. */
  async auditFailedLogin(username: string, reason: string, ctx: RequestContext): Promise<void> {
    await this.#audit.recordAlone({
      actor: username, sourceIp: ctx.sourceIp, action: 'login', resource: 'registry', name: username,
      outcome: 'failure', code: 401, requestId: ctx.requestId, detail: { reason },
    });
  }

  /** Verifies a bearer token this server issued; undefined when it is invalid or expired. */
  async verifyToken(token: string): Promise<VerifiedToken | undefined> {
    const nowMs = this.#now().getTime();
    const hit = this.#verified.get(token);
    if (hit) {
      if (hit.expiresAt > nowMs) return hit.token;
      this.#verified.delete(token);
    }
    try {
      const { payload } = await jwtVerify(token, this.#key, { issuer: 'berth', audience: tokenService, algorithms: ['HS256'], currentDate: this.#now() });
      const access = payload.access as Access[] | undefined;
      const caller = payload.caller as RegistryCaller | undefined;
      if (!Array.isArray(access) || !caller || typeof payload.exp !== 'number') return undefined;
      if (this.#verified.size > 10_000) this.#verified.clear();
      this.#verified.set(token, { token: { caller, access }, expiresAt: payload.exp * 1000 });
      return { caller, access };
    } catch {
      return undefined;
    }
  }
}
