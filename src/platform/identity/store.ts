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
