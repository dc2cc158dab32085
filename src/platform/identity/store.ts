// Persistence of users, tokens and tenant role bindings.
import type { Kysely } from 'kysely';
import type { Queryable } from '../db/database.ts';
import type { PlatformTables, TokensTable, UsersTable } from '../db/schema.ts';
import type { PlatformRole, TenantRole } from './rbac.ts';

/** A user as the API shows it (never the password hash). */
export interface User {
  readonly name: string;
  readonly email?: string;
  readonly platformRoles: readonly PlatformRole[];
  readonly disabled: boolean;
  readonly createdAt: string;
  readonly resourceVersion: string;
}

/** A token as the API shows it (never the secret or its digest). */
export interface Token {
  readonly id: string;
  readonly name: string;
  readonly kind: 'session' | 'api';
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly lastUsedAt?: string;
  readonly revoked: boolean;
}

export function toUser(r: UsersTable): User {
  return {
    name: r.name, email: r.email ?? undefined, platformRoles: JSON.parse(r.platform_roles) as PlatformRole[],
    disabled: Boolean(r.disabled), createdAt: r.created_at, resourceVersion: String(r.resource_version),
  };
}

export function toToken(r: TokensTable): Token {
  return {
    id: r.id, name: r.name, kind: r.kind as Token['kind'], createdAt: r.created_at, expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at ?? undefined, revoked: r.revoked_at !== null,
  };
}

export async function findUser(db: Queryable<PlatformTables>, name: string): Promise<UsersTable | undefined> {
  return db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function countUsers(db: Kysely<PlatformTables>): Promise<number> {
  const r = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function listUsers(db: Kysely<PlatformTables>, limit: number, after?: string): Promise<UsersTable[]> {
  let q = db.selectFrom('users').selectAll().orderBy('name').limit(limit);
  if (after !== undefined) q = q.where('name', '>', after);
  return q.execute();
}

/** The token row and its user for a secret digest, if both exist. */
export async function findTokenWithUser(db: Kysely<PlatformTables>, digest: string) {
  return db.selectFrom('tokens').innerJoin('users', 'users.name', 'tokens.user_name')
    .select(['tokens.id', 'tokens.kind', 'tokens.expires_at', 'tokens.revoked_at', 'tokens.last_used_at', 'users.name', 'users.platform_roles', 'users.disabled'])
    .where('tokens.token_hash', '=', digest).executeTakeFirst();
}

/** The token row with id `id` and its user, if both exist. */
export async function findTokenByIdWithUser(db: Kysely<PlatformTables>, id: string) {
  return db.selectFrom('tokens').innerJoin('users', 'users.name', 'tokens.user_name')
    .select(['tokens.id', 'tokens.expires_at', 'tokens.revoked_at', 'users.name', 'users.platform_roles', 'users.disabled'])
    .where('tokens.id', '=', id).executeTakeFirst();
}

export async function tenantBindings(db: Queryable<PlatformTables>, user: string): Promise<{ tenant: string; role: TenantRole }[]> {
  const rows = await db.selectFrom('role_bindings').select(['tenant', 'role']).where('user_name', '=', user).orderBy('tenant').execute();
  return rows.map((r) => ({ tenant: r.tenant, role: r.role as TenantRole }));
}

/** Inserts a user row; a taken name fails with a unique violation (see db/database.ts `isUniqueViolation`). */
export async function insertUser(tx: Queryable<PlatformTables>, row: UsersTable): Promise<void> {
  await tx.insertInto('users').values(row).execute();
}

/**
 * Writes `next` over user `name` if its row is still at `version`; false when another change
 * got there first (optimistic concurrency).
 */
export async function updateUser(tx: Queryable<PlatformTables>, name: string, version: number, next: UsersTable): Promise<boolean> {
  const res = await tx.updateTable('users').set(next).where('name', '=', name).where('resource_version', '=', version).executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Deletes user `name` (its tokens and role bindings go by foreign key); false when there was none. */
export async function deleteUser(tx: Queryable<PlatformTables>, name: string): Promise<boolean> {
  const res = await tx.deleteFrom('users').where('name', '=', name).executeTakeFirst();
  return Number(res.numDeletedRows) === 1;
}

/** Inserts a token row (the secret only as its digest). */
export async function insertToken(tx: Queryable<PlatformTables>, row: TokensTable): Promise<void> {
  await tx.insertInto('tokens').values(row).execute();
}

/** The API tokens of `user`, newest first. */
export async function listApiTokens(db: Queryable<PlatformTables>, user: string): Promise<TokensTable[]> {
  return db.selectFrom('tokens').selectAll().where('user_name', '=', user).where('kind', '=', 'api').orderBy('created_at', 'desc').execute();
}

/** Token `id` if `owner` owns it: what revoking it needs. */
export async function findOwnedToken(db: Queryable<PlatformTables>, id: string, owner: string) {
  return db.selectFrom('tokens').select(['id', 'token_hash', 'revoked_at']).where('id', '=', id).where('user_name', '=', owner).executeTakeFirst();
}

/** Marks token `id` revoked at `at`. */
export async function revokeToken(tx: Queryable<PlatformTables>, id: string, at: string): Promise<void> {
  await tx.updateTable('tokens').set({ revoked_at: at }).where('id', '=', id).execute();
}

/** Revokes every live session of `user` at `at` (a disabled user or a new password ends them). */
export async function revokeSessions(tx: Queryable<PlatformTables>, user: string, at: string): Promise<void> {
  await tx.updateTable('tokens').set({ revoked_at: at }).where('user_name', '=', user).where('kind', '=', 'session').where('revoked_at', 'is', null).execute();
}

/** Records that token `id` was used at `at`. */
export async function touchToken(db: Queryable<PlatformTables>, id: string, at: string): Promise<void> {
  await db.updateTable('tokens').set({ last_used_at: at }).where('id', '=', id).execute();
}
