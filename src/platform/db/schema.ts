// Row types of the platform's tables. Other areas declare their own table interfaces and reach
// them through `kysely.withTables<TheirTables>()`, so this file never grows with them.
import type { Generated } from 'kysely';

export interface UsersTable {
  name: string;
  email: string | null;
  password_hash: string;
  /** JSON array of platform role names. */
  platform_roles: string;
  disabled: number;
  created_at: string;
  updated_at: string;
  resource_version: number;
}

export interface TokensTable {
  id: string;
  user_name: string;
  /** 'session' (from login) or 'api' (personal API token). */
  kind: string;
  name: string;
  token_hash: string;
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface RoleBindingsTable {
  user_name: string;
  tenant: string;
  role: string;
  created_at: string;
}

export interface AuditLogTable {
  seq: number;
  time: string;
  actor: string;
  source_ip: string;
  action: string;
  resource: string;
  name: string;
  tenant: string;
  outcome: string;
  code: number;
  request_id: string;
  /** JSON object with action-specific detail. */
  detail: string;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface OutboxEventsTable {
  id: Generated<number>;
  topic: string;
  key: string;
  /** JSON payload. */
  payload: string;
  created_at: string;
}

export interface OutboxDeliveriesTable {
  consumer: string;
  event_id: number;
  state: string;
  attempts: number;
  next_attempt_at: string;
  lease_until: string | null;
  last_error: string | null;
  updated_at: string;
}

export interface OutboxCursorsTable {
  consumer: string;
  checkpoint: number;
}

/** One row (id 1): the fencing epoch of the current leader, bumped by each election. */
export interface LeaderEpochTable {
  id: number;
  epoch: number;
  /** Replica id of the leader that set `epoch`; '' before the first election. */
  holder: string;
  elected_at: string;
}

export interface PlatformTables {
  users: UsersTable;
  tokens: TokensTable;
  role_bindings: RoleBindingsTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  outbox_events: OutboxEventsTable;
  outbox_deliveries: OutboxDeliveriesTable;
  outbox_cursors: OutboxCursorsTable;
  leader_epoch: LeaderEpochTable;
}
