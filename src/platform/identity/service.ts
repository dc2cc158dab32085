// Identity use cases: the first admin, login and sessions, personal API tokens, users, and the
// authentication of bearer secrets. Every change goes through usecase.ts `change` (authorized,
// audited in its transaction); the SQL is in store.ts.
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Transaction } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Database } from '../db/database.ts';
import type { PlatformTables } from '../db/schema.ts';
import { isUniqueViolation } from '../db/database.ts';
import type { AuditLog } from '../audit/service.ts';
import { BerthError, alreadyExists, conflict, invalid, notFound, tooManyRequests, unauthorized, type Cause } from '../errors.ts';
import type { AuthPrincipal, RequestContext } from '../context.ts';
import { auditEntry, change, recordChange, type ChangeDeps } from '../usecase.ts';
import { dns1123SubdomainErrors } from '../../objects/index.ts';
import { hashPassword, newId, newSecret, secretDigest, verifyPassword } from './secrets.ts';
import { isPlatformRole, platformPermissions, tenantRoles, type PlatformRole, type Permission } from './rbac.ts';
import { LoginLimiter } from './login-limiter.ts';
import * as store from './store.ts';
import { countUsers, findTokenByIdWithUser, findTokenWithUser, findUser, listUsers, tenantBindings, toToken, toUser, type Token, type User } from './store.ts';

export type { User, Token } from './store.ts';

/** What `whoami` answers. */
export interface WhoAmI {
  readonly name: string;
  readonly platformRoles: readonly PlatformRole[];
  readonly tenantRoles: readonly { tenant: string; role: string }[];
  readonly permissions: readonly Permission[];
}

/**
 * What a credential minted from another (a registry token) remembers of it, so that each use
 * can check that it still holds: the user, and the API token or session it presented, or, for
 * a password, the password's generation (it changes with the password, and when the user is
 * deleted and created again under the same name).
 */
export interface CredentialRef {
  readonly user: string;
  readonly tokenId?: string;
  readonly generation?: string;
}

export interface IdentityOptions {
  readonly sessionTtlSeconds: number;
  readonly limiter?: LoginLimiter;
  readonly now?: () => Date;
  /**
   * How long a checked credential or user stays cached in memory (ms): the bound within which a
   * revocation, a disabled or deleted user, made on another replica, takes effect here.
   */
  readonly cacheMs?: number;
}

// An enabled user as password checks and credential re-checks need it.
interface LiveUser {
  readonly user: User;
  readonly principal: AuthPrincipal;
  readonly passwordHash: string;
  readonly generation: string;
}

// Users and tokens that caches may hold at once, each.
const cacheEntries = 10_000;
// A password once verified is remembered for a minute (by a digest of user and password, with
// the stored hash it matched) so that registry clients sending it with every request cost one
// scrypt a minute, not one a request; a changed password no longer matches the stored hash.
const verifiedPasswordMs = 60_000;

// Names one password of one user without revealing anything of it (the hash is salted).
function passwordGeneration(createdAt: string, passwordHash: string): string {
  return createHash('sha256').update(`${createdAt}\0${passwordHash}`).digest('base64url').slice(0, 22);
}

function passwordKey(username: string, password: string): string {
  return createHash('sha256').update(`${username}\0${password}`).digest('hex');
}

// Who the first admin is recorded as having been created by.
const bootstrapContext: RequestContext = { principal: { type: 'user', name: 'system', platformRoles: [], tenantRoles: [] }, sourceIp: '', requestId: 'bootstrap' };

const minPasswordLength = 8;
const maxTokenDays = 366;

function passwordCauses(password: string, field = 'password'): Cause[] {
  if (password.length < minPasswordLength) return [{ field, message: `must be at least ${minPasswordLength} characters`, reason: 'FieldValueInvalid' }];
  if (password.length > 1024) return [{ field, message: 'must be no more than 1024 characters', reason: 'FieldValueTooLong' }];
  return [];
}

function roleCauses(roles: readonly string[]): Cause[] {
  return roles.filter((r) => !isPlatformRole(r)).map((r) => ({
    field: 'platformRoles', reason: 'FieldValueNotSupported', message: `Unsupported value: "${r}": supported values: "user", "auditor", "platform-admin"`,
  }));
}

/**
 * Work an area does when a user is deleted, inside the deleting transaction: it drops what the
 * area keeps under the user's name. Throwing aborts the deletion.
 */
export type UserDeletedHook = (tx: Transaction<PlatformTables>, user: string, ctx: RequestContext) => Promise<void>;

/**
 * Work an area does when a user is created, inside the creating transaction: it grants what the
 * area already holds for that name (tenant roles of a tenant that lists the user). Throwing
 * aborts the creation.
 */
export type UserCreatedHook = (tx: Transaction<PlatformTables>, user: string, ctx: RequestContext) => Promise<void>;

/** Users, sessions and tokens. One instance per server. */
export class Identity {
  readonly #db: Database;
  readonly #audit: AuditLog;
  readonly #change: ChangeDeps;
  readonly #o: Required<Omit<IdentityOptions, 'limiter'>>;
  readonly #limiter: LoginLimiter;
  // Short-lived copies, so that most requests cost no query; what changes through this instance
  // is dropped from them at once, what changes elsewhere ages out within cacheMs.
  readonly #bySecret: LRUCache<string, AuthPrincipal>;
  readonly #byToken: LRUCache<string, AuthPrincipal>;
  readonly #users: LRUCache<string, LiveUser>;
  readonly #verified: LRUCache<string, string>;
  readonly #touched: LRUCache<string, true>;
  readonly #whoami = new WeakMap<AuthPrincipal, WhoAmI>();
  readonly #userDeleted: UserDeletedHook[] = [];
  readonly #userCreated: UserCreatedHook[] = [];

  constructor(db: Database, audit: AuditLog, opts: IdentityOptions) {
    this.#db = db;
    this.#audit = audit;
    this.#limiter = opts.limiter ?? new LoginLimiter();
    this.#o = { sessionTtlSeconds: opts.sessionTtlSeconds, now: opts.now ?? (() => new Date()), cacheMs: opts.cacheMs ?? 2000 };
    this.#change = { db, audit, now: this.#o.now };
    // An injected clock drives expiry too; without one, lru-cache's own monotonic clock is cheaper.
    const perf = opts.now ? { now: () => this.#o.now().getTime() } : undefined;
    this.#bySecret = new LRUCache({ max: cacheEntries, ttl: this.#o.cacheMs, perf });
    this.#byToken = new LRUCache({ max: cacheEntries, ttl: this.#o.cacheMs, perf });
    this.#users = new LRUCache({ max: cacheEntries, ttl: this.#o.cacheMs, perf });
    this.#verified = new LRUCache({ max: cacheEntries, ttl: verifiedPasswordMs, perf });
    // last_used_at is written at most once a minute per token: a read must not become a write.
    this.#touched = new LRUCache({ max: cacheEntries, ttl: 60_000, perf });
  }

  /**
   * Creates the `admin` user (platform-admin) when there is no user at all. Returns the password
   * when it generated one (to print once), `undefined` when it used `password` or did nothing.
   */
  async bootstrapAdmin(password: string | undefined): Promise<{ created: boolean; generatedPassword?: string }> {
    if ((await countUsers(this.#db.kysely)) > 0) return { created: false };
    const pw = password ?? randomBytes(12).toString('base64url');
    const causes = passwordCauses(pw, 'BERTH_ADMIN_PASSWORD');
    if (causes.length) throw invalid('User', 'admin', causes);
    const hash = await hashPassword(pw);
    const now = this.#o.now().toISOString();
    try {
      await change(this.#change, bootstrapContext, { audit: { action: 'create', resource: 'users', name: 'admin', detail: { platformRoles: ['platform-admin'] } } }, (tx) =>
        store.insertUser(tx, {
          name: 'admin', email: null, password_hash: hash, platform_roles: JSON.stringify(['platform-admin']), disabled: 0,
          created_at: now, updated_at: now, resource_version: 1,
        }));
    } catch (err) {
      if (isUniqueViolation(err)) return { created: false };
      throw err;
    }
    return { created: true, generatedPassword: password ? undefined : pw };
  }

  /**
   * Checks a username and password and opens a session. Throws Unauthorized for bad credentials
   * (the same answer for an unknown user) and TooManyRequests while the login limiter refuses
   * this address for this user (see login-limiter.ts). Audited.
   */
  async login(username: string, password: string, ctx: RequestContext): Promise<{ token: string; expiresAt: string; user: User }> {
    // Authentication, not a change by a principal: the actor is the name that logged in.
    const actor = { name: username, sourceIp: ctx.sourceIp, requestId: ctx.requestId };
    const login = { action: 'login', resource: 'sessions', name: username } as const;
    const { user } = await this.#checkPassword(username, password, ctx.sourceIp, (code, reason) =>
      this.#audit.recordAlone(auditEntry(actor, '', { ...login, outcome: 'failure', code, detail: { reason } })));
    const now = this.#o.now();
    const secret = newSecret('bs');
    const expiresAt = new Date(now.getTime() + this.#o.sessionTtlSeconds * 1000).toISOString();
    await this.#db.transaction(async (tx) => {
      await store.insertToken(tx, {
        id: newId(), user_name: username, kind: 'session', name: 'login', token_hash: secretDigest(secret),
        created_at: now.toISOString(), expires_at: expiresAt, last_used_at: null, revoked_at: null,
      });
      await recordChange(this.#audit, tx, actor, '', { ...login, code: 200 });
    });
    return { token: secret, expiresAt, user };
  }

  /**
   * Resolves a bearer secret to its principal, or throws Unauthorized (unknown, expired, revoked,
   * or its user disabled). Cached for a couple of seconds; revocations in this process are immediate.
   */
  async authenticate(secret: string): Promise<AuthPrincipal> {
    const digest = secretDigest(secret);
    const hit = this.#bySecret.get(digest);
    if (hit) return hit;
    const { principal, ttl } = await this.#tokenPrincipal(await findTokenWithUser(this.#db.kysely, digest));
    this.#bySecret.set(digest, principal, { ttl });
    if (principal.tokenId) await this.#touch(principal.tokenId);
    return principal;
  }

  /**
   * The current principal of the credential `ref` remembers: its user exists and is enabled, its
   * token (if any) is neither revoked nor expired, and a password is the user's password still.
   * Throws Unauthorized otherwise. Cached for `cacheMs`; changes through this instance apply at once.
   */
  async resolve(ref: CredentialRef): Promise<AuthPrincipal> {
    if (ref.tokenId === undefined) {
      const live = await this.#liveUser(ref.user);
      if (!live || live.generation !== ref.generation) throw unauthorized(`user "${ref.user}" is disabled, gone, or has changed its password`);
      return live.principal;
    }
    let principal = this.#byToken.get(ref.tokenId);
    if (!principal) {
      const found = await this.#tokenPrincipal(await findTokenByIdWithUser(this.#db.kysely, ref.tokenId));
      principal = found.principal;
      this.#byToken.set(ref.tokenId, principal, { ttl: found.ttl });
    }
    if (principal.name !== ref.user) throw unauthorized('the token is not valid; log in again');
    return principal;
  }

  /**
   * Authenticates a username with a password or with one of the user's API tokens as the
   * password (registry clients and scripts), and says how (to re-check it later). Throws
   * Unauthorized, or TooManyRequests from the login limiter.
   */
  async authenticatePassword(username: string, password: string, ctx: RequestContext): Promise<{ principal: AuthPrincipal; credential: CredentialRef }> {
    if (password.startsWith('bt_') || password.startsWith('bs_')) {
      const principal = await this.authenticate(password);
      if (principal.name !== username) throw unauthorized('invalid username or password');
      return { principal, credential: { user: principal.name, tokenId: principal.tokenId } };
    }
    const live = await this.#checkPassword(username, password, ctx.sourceIp, async () => undefined);
    return { principal: live.principal, credential: { user: username, generation: live.generation } };
  }

  /**
   * Checks a password under the login limiter and returns the enabled user. Throws
   * TooManyRequests for a refused source, Unauthorized for a wrong password, an unknown or a
   * disabled user; `refused` is told first (to audit it).
   */
  async #checkPassword(username: string, password: string, sourceIp: string, refused: (code: 401 | 429, reason: string) => Promise<unknown>): Promise<LiveUser> {
    const attempt = this.#limiter.begin(username, sourceIp, this.#o.now().getTime());
    if ('retryAfter' in attempt) {
      await refused(429, 'locked out');
      throw tooManyRequests(`too many login attempts for "${username}" from this address; try again in ${attempt.retryAfter} seconds`, attempt.retryAfter);
    }
    const key = passwordKey(username, password);
    const known = this.#verified.get(key);
    let live = known === undefined ? undefined : await this.#liveUser(username);
    if (!live || live.passwordHash !== known) {
      if (attempt.delayMs > 0) await sleep(attempt.delayMs);
      const row = await findUser(this.#db.kysely, username);
      if (!row || row.disabled || !(await verifyPassword(password, row.password_hash))) {
        await refused(401, row?.disabled ? 'user disabled' : 'bad credentials');
        throw unauthorized('invalid username or password');
      }
      this.#verified.set(key, row.password_hash);
      // The row just read is the truth: a cached copy may predate a change made on another replica.
      this.#users.delete(username);
      live = await this.#liveUser(username);
      if (!live) throw unauthorized('invalid username or password');
    }
    attempt.succeed();
    return live;
  }

  // The enabled user `name`, from the cache or the database; undefined when absent or disabled.
  async #liveUser(name: string): Promise<LiveUser | undefined> {
    const hit = this.#users.get(name);
    if (hit) return hit;
    const row = await findUser(this.#db.kysely, name);
    if (!row || row.disabled) return undefined;
    const live: LiveUser = { user: toUser(row), principal: await this.#principal(row.name, row.platform_roles), passwordHash: row.password_hash, generation: passwordGeneration(row.created_at, row.password_hash) };
    this.#users.set(name, live);
    return live;
  }

  // The principal of a token row joined with its user, and how long it may be cached (never
  // past the token's expiry); Unauthorized when the token may not be used.
  async #tokenPrincipal(row: { id: string; expires_at: string; revoked_at: string | null; name: string; platform_roles: string; disabled: number } | undefined): Promise<{ principal: AuthPrincipal; ttl: number }> {
    if (!row || row.revoked_at !== null) throw unauthorized('the token is not valid; log in again');
    const left = Date.parse(row.expires_at) - this.#o.now().getTime();
    if (left <= 0) throw unauthorized('the token has expired; log in again');
    if (row.disabled) throw unauthorized(`user "${row.name}" is disabled`);
    const principal = { ...(await this.#principal(row.name, row.platform_roles)), tokenId: row.id };
    return { principal, ttl: Math.max(1, Math.min(this.#o.cacheMs, left)) };
  }

  async #principal(name: string, platformRoles: string): Promise<AuthPrincipal> {
    return {
      type: 'user', name,
      platformRoles: (JSON.parse(platformRoles) as string[]).filter(isPlatformRole),
      tenantRoles: await tenantBindings(this.#db.kysely, name),
    };
  }

  // Drops every cached trace of a user whose state changed.
  #forgetUser(name: string): void {
    this.#users.delete(name);
    for (const cache of [this.#bySecret, this.#byToken]) {
      const keys = [...cache.entries()].filter(([, p]) => p.name === name).map(([k]) => k);
      for (const k of keys) cache.delete(k);
    }
  }

  /** Ends the caller's session (revokes the token it used). Idempotent. */
  async logout(ctx: RequestContext): Promise<void> {
    const p = ctx.principal;
    if (!p?.tokenId) return;
    await this.#revoke(p.tokenId, p.name, ctx, 'sessions');
  }

  /** The caller with its effective permissions; computed once per cached principal. */
  whoami(p: AuthPrincipal): WhoAmI {
    let me = this.#whoami.get(p);
    if (!me) {
      const perms = new Set<Permission>(platformPermissions(p));
      for (const b of p.tenantRoles) for (const perm of tenantRoles[b.role]) perms.add(perm);
      me = { name: p.name, platformRoles: p.platformRoles, tenantRoles: p.tenantRoles, permissions: [...perms].sort() };
      this.#whoami.set(p, me);
    }
    return me;
  }

  /** Creates a personal API token for the caller; the secret is returned once and stored hashed. */
  async createToken(ctx: RequestContext, name: string, expiresInDays = 90): Promise<Token & { token: string }> {
    const p = ctx.principal;
    if (!p) throw unauthorized();
    const causes: Cause[] = [];
    if (name.length < 1 || name.length > 100) causes.push({ field: 'name', message: 'must be 1 to 100 characters', reason: 'FieldValueInvalid' });
    if (!Number.isInteger(expiresInDays) || expiresInDays < 1 || expiresInDays > maxTokenDays) {
      causes.push({ field: 'expiresInDays', message: `must be a whole number of days from 1 to ${maxTokenDays}`, reason: 'FieldValueInvalid' });
    }
    if (causes.length) throw invalid('Token', name, causes);
    const now = this.#o.now();
    const secret = newSecret('bt');
    const row = {
      id: newId(), user_name: p.name, kind: 'api', name, token_hash: secretDigest(secret), created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + expiresInDays * 86_400_000).toISOString(), last_used_at: null, revoked_at: null,
    };
    await change(this.#change, ctx, { permission: 'tokens:create', audit: { action: 'create', resource: 'tokens', name: row.id, detail: { tokenName: name, expiresAt: row.expires_at } } }, (tx) =>
      store.insertToken(tx, row));
    return { ...toToken(row), token: secret };
  }

  /** The caller's API tokens, newest first. */
  async listTokens(ctx: RequestContext): Promise<Token[]> {
    const p = ctx.principal;
    if (!p) throw unauthorized();
    return (await store.listApiTokens(this.#db.kysely, p.name)).map(toToken);
  }

  /** Revokes one of the caller's tokens. NotFound for another user's token. */
  async revokeToken(ctx: RequestContext, id: string): Promise<void> {
    const p = ctx.principal;
    if (!p) throw unauthorized();
    await this.#revoke(id, p.name, ctx, 'tokens');
  }

  // Ending one's own session takes no permission; revoking an API token takes tokens:delete.
  async #revoke(id: string, owner: string, ctx: RequestContext, resource: 'tokens' | 'sessions'): Promise<void> {
    const now = this.#o.now().toISOString();
    const permission = resource === 'tokens' ? 'tokens:delete' as const : undefined;
    const hash = await change(this.#change, ctx, { permission, audit: { action: 'delete', resource, name: id } }, async (tx) => {
      const row = await store.findOwnedToken(tx, id, owner);
      if (!row) throw notFound('tokens', id);
      if (row.revoked_at === null) await store.revokeToken(tx, id, now);
      return row.token_hash;
    });
    // After the commit: a request between the two could otherwise cache the token as still live.
    this.#bySecret.delete(hash);
    this.#byToken.delete(id);
  }

  async listUsers(limit: number, after?: string): Promise<{ items: User[]; next?: string }> {
    const rows = await listUsers(this.#db.kysely, limit + 1, after);
    const more = rows.length > limit;
    const items = (more ? rows.slice(0, limit) : rows).map(toUser);
    return { items, next: more ? items[items.length - 1].name : undefined };
  }

  async getUser(name: string): Promise<User> {
    const row = await findUser(this.#db.kysely, name);
    if (!row) throw notFound('users', name);
    return toUser(row);
  }

  /** Creates a user. Invalid for a bad name, password or role; AlreadyExists for a taken name. */
  async createUser(ctx: RequestContext, input: { name: string; password: string; email?: string; platformRoles?: readonly string[] }): Promise<User> {
    const roles = input.platformRoles ?? ['user'];
    const causes: Cause[] = [
      ...dns1123SubdomainErrors(input.name).map((m) => ({ field: 'name', message: m, reason: 'FieldValueInvalid' })),
      ...passwordCauses(input.password),
      ...roleCauses(roles),
    ];
    if (causes.length) throw invalid('User', input.name, causes);
    const hash = await hashPassword(input.password);
    const now = this.#o.now().toISOString();
    const row = {
      name: input.name, email: input.email ?? null, password_hash: hash, platform_roles: JSON.stringify(roles), disabled: 0,
      created_at: now, updated_at: now, resource_version: 1,
    };
    try {
      await change(this.#change, ctx, { permission: 'users:create', audit: { action: 'create', resource: 'users', name: input.name, detail: { platformRoles: roles } } }, async (tx) => {
        await store.insertUser(tx, row);
        for (const hook of this.#userCreated) await hook(tx, input.name, ctx);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists('users', input.name);
      throw err;
    }
    return toUser(row);
  }

  /** Updates a user with optimistic concurrency: a stale `resourceVersion` is a Conflict. */
  async updateUser(ctx: RequestContext, name: string, patch: { resourceVersion?: string; disabled?: boolean; platformRoles?: readonly string[]; password?: string; email?: string }): Promise<User> {
    const causes: Cause[] = [
      ...(patch.platformRoles ? roleCauses(patch.platformRoles) : []),
      ...(patch.password !== undefined ? passwordCauses(patch.password) : []),
    ];
    if (causes.length) throw invalid('User', name, causes);
    const hash = patch.password !== undefined ? await hashPassword(patch.password) : undefined;
    const changed = Object.keys(patch).filter((k) => k !== 'resourceVersion' && k !== 'password');
    const audit = { action: 'update', resource: 'users', name, detail: { changed: hash ? [...changed, 'password'] : changed } };
    const user = await change(this.#change, ctx, { permission: 'users:update', audit }, async (tx) => {
      const row = await findUser(tx, name);
      if (!row) throw notFound('users', name);
      if (patch.resourceVersion !== undefined && patch.resourceVersion !== String(row.resource_version)) {
        throw conflict('users', name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      const next = {
        ...row,
        ...(patch.email !== undefined ? { email: patch.email } : {}),
        ...(patch.disabled !== undefined ? { disabled: patch.disabled ? 1 : 0 } : {}),
        ...(patch.platformRoles ? { platform_roles: JSON.stringify(patch.platformRoles) } : {}),
        ...(hash ? { password_hash: hash } : {}),
        updated_at: this.#o.now().toISOString(),
        resource_version: row.resource_version + 1,
      };
      if (!(await store.updateUser(tx, name, row.resource_version, next))) throw conflict('users', name, 'the object has been modified; please apply your changes to the latest version and try again');
      if (patch.disabled || hash) await store.revokeSessions(tx, name, next.updated_at);
      return toUser(next);
    });
    this.#forgetUser(name);
    return user;
  }

  /**
   * Registers `hook` to run in every user deletion's transaction, so that grants kept by name
   * in other areas (registry memberships …) go with the user and a new user of the same name
   * inherits none. Areas register at start-up, from their index.ts.
   */
  onUserDeleted(hook: UserDeletedHook): void {
    this.#userDeleted.push(hook);
  }

  /** Registers `hook` to run in every user creation's transaction (see {@link UserCreatedHook}). Areas register at start-up. */
  onUserCreated(hook: UserCreatedHook): void {
    this.#userCreated.push(hook);
  }

  /** Deletes a user with its tokens, role bindings and whatever the onUserDeleted hooks drop, in one transaction. Throws NotFound, Forbidden (oneself). */
  async deleteUser(ctx: RequestContext, name: string): Promise<void> {
    if (ctx.principal?.name === name) throw new BerthError('Forbidden', `user "${name}" cannot delete itself`);
    await change(this.#change, ctx, { permission: 'users:delete', audit: { action: 'delete', resource: 'users', name } }, async (tx) => {
      if (!(await store.deleteUser(tx, name))) throw notFound('users', name);
      for (const hook of this.#userDeleted) await hook(tx, name, ctx);
    });
    this.#forgetUser(name);
  }

  async #touch(id: string): Promise<void> {
    if (this.#touched.has(id)) return;
    this.#touched.set(id, true);
    await store.touchToken(this.#db.kysely, id, this.#o.now().toISOString());
  }
}
