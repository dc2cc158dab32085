// The one path every service takes for a change: authorize, open the transaction, run the
// area's writes (through its store.ts), append the audit record and publish the outbox event in
// that same transaction, commit. Services throw domain errors (errors.ts) and never build audit
// entries or open transactions by hand, so every change is recorded the same way.
import type { Transaction } from 'kysely';
import type { AuditLog } from './audit/service.ts';
import type { AuditEntry } from './audit/store.ts';
import type { Database } from './db/database.ts';
import type { PlatformTables } from './db/schema.ts';
import { BerthError, forbidden, unauthorized } from './errors.ts';
import { actorOf, type RequestContext } from './context.ts';
import { can, type Permission } from './identity/rbac.ts';
import { publish } from './outbox/outbox.ts';

/** What `change` needs: the database, the audit log, and the clock events are stamped with. */
export interface ChangeDeps {
  readonly db: Database;
  readonly audit: AuditLog;
  readonly now?: () => Date;
}

/** What a change says about itself in the audit log; actor, source, request, tenant, outcome and code come from `change`. */
export interface ChangeAudit {
  /** The verb: `create`, `update`, `delete`, `grant`, `revoke` … (`create` is recorded with code 201, every other with 200). */
  readonly action: string;
  /** The resource as permissions name it (`users`, `projects` …). */
  readonly resource: string;
  /** The object's name (or id). */
  readonly name: string;
  readonly detail?: Readonly<Record<string, unknown>>;
  /** The status the change answered with, when not the usual one (`create` 201, every other verb 200). */
  readonly code?: number;
}

/** Who made a change, as its audit record names them. */
export interface ChangeActor {
  readonly name: string;
  readonly sourceIp: string;
  readonly requestId: string;
}

/** The actor of a request, as audit records name it. */
export function changeActor(ctx: RequestContext): ChangeActor {
  return { name: actorOf(ctx), sourceIp: ctx.sourceIp, requestId: ctx.requestId };
}

/** An audited event: a success (the default), or a failure with the status it was refused with. */
export type AuditedEvent = ChangeAudit & ({ readonly outcome?: 'success' } | { readonly outcome: 'failure'; readonly code: number });

/**
 * The audit entry of an event by `actor` in `tenant` (`''`: the platform): the one way entries
 * are filled, by `change` and `recordChange`, and for events that are no change (a login, a
 * refusal an area answers itself), which their area appends alone.
 */
export function auditEntry(actor: ChangeActor, tenant: string, a: AuditedEvent): AuditEntry {
  return {
    actor: actor.name, sourceIp: actor.sourceIp, requestId: actor.requestId, tenant, outcome: a.outcome ?? 'success',
    action: a.action, resource: a.resource, name: a.name, code: a.code ?? (a.action === 'create' ? 201 : 200), detail: a.detail ?? {},
  };
}

/**
 * Appends, in `tx`, the audit record of a successful change by `actor` in `tenant`. `change`
 * records with it; so do the changes that run outside `change` in an area's own transaction: a
 * registry push or delete (authorized by its /v2 gate), a batch of pulls, a garbage collection
 * run, a cascade inside another change.
 */
export async function recordChange(audit: AuditLog, tx: ChangeTx, actor: ChangeActor, tenant: string, a: ChangeAudit): Promise<void> {
  await audit.record(tx, auditEntry(actor, tenant, a));
}

/** An outbox event published with the change (see outbox/outbox.ts). */
export interface ChangeEvent {
  readonly topic: string;
  readonly key: string;
  readonly payload: unknown;
}

/** Describes one change; `audit` and `event` may be computed from the body's result. */
export interface ChangeSpec<R> {
  /**
   * The permission the caller must hold (platform-wide, or in `tenant` through a tenant role).
   * Omitted only where any authenticated caller, or the system itself, may make the change.
   */
  readonly permission?: Permission;
  /** The tenant the object belongs to (`''` or omitted: the platform). Scopes `permission` and is recorded. */
  readonly tenant?: string;
  readonly audit: ChangeAudit | ((result: R) => ChangeAudit);
  readonly event?: ChangeEvent | ((result: R) => ChangeEvent | undefined);
}

/** What a refused change was about, as its success would have been recorded. */
export interface RefusedChange {
  readonly resource: string;
  readonly name: string;
  readonly tenant: string;
}

// Errors a change refused with, and what they refused: the HTTP error handler records the
// refusal, and takes the object and tenant from here rather than guess them from the URL.
const refusals = new WeakMap<object, RefusedChange>();

/**
 * The object and tenant of the change `err` refused, when `err` is a domain error a `change`
 * raised or let through and its audit fields were known before its body ran.
 */
export function refusedChange(err: unknown): RefusedChange | undefined {
  return typeof err === 'object' && err !== null ? refusals.get(err) : undefined;
}

/**
 * The one authorization check of a use case: Unauthorized without a principal, Forbidden (naming
 * user, verb, resource and tenant) unless it holds `permission` platform-wide or, through a tenant
 * role, in `tenant`. `change` runs it first; a service calls it directly only where it must read
 * before deciding (a read, or a check that needs the object's tenant).
 */
export function authorize(ctx: RequestContext, permission: Permission, tenant?: string): void {
  const p = ctx.principal;
  if (!p) throw unauthorized();
  if (!can(p, permission, tenant)) {
    const [resource, verb] = permission.split(':');
    throw forbidden(`user "${p.name}" cannot ${verb} ${resource}${tenant ? ` in tenant "${tenant}"` : ''}`);
  }
}

/** The transaction a change body writes in: pass it to the area's store functions. */
export type ChangeTx = Transaction<PlatformTables>;

/**
 * Runs one change: throws Unauthorized without a principal and Forbidden without `permission`
 * (nothing is opened then); otherwise runs `body` in one transaction and, in that transaction,
 * appends the audit record (actor, source IP and request id from `ctx`, the tenant, outcome
 * success) and publishes the event, then commits and returns the body's result. When `body` (or
 * the audit append) throws, everything rolls back and the error propagates unchanged: refusals
 * (401, 403, 422) are audited once, by the HTTP error handler (http/app.ts), not here; it takes
 * their object and tenant from `refusedChange`, so a refusal names what a success would have.
 */
export async function change<R>(deps: ChangeDeps, ctx: RequestContext, spec: ChangeSpec<R>, body: (tx: ChangeTx) => Promise<R>): Promise<R> {
  const tenant = spec.tenant ?? '';
  const about = typeof spec.audit === 'function' ? undefined : { resource: spec.audit.resource, name: spec.audit.name, tenant };
  const refuse = (err: unknown): never => {
    if (about && err instanceof BerthError) refusals.set(err, about);
    throw err;
  };
  if (spec.permission) {
    try {
      authorize(ctx, spec.permission, tenant || undefined);
    } catch (err) {
      refuse(err);
    }
  }
  return deps.db.transaction(async (tx) => {
    const result = await body(tx);
    const a = typeof spec.audit === 'function' ? spec.audit(result) : spec.audit;
    await recordChange(deps.audit, tx, changeActor(ctx), tenant, a);
    const e = typeof spec.event === 'function' ? spec.event(result) : spec.event;
    if (e) await publish(tx, e.topic, e.key, e.payload, deps.now?.() ?? new Date());
    return result;
  }).catch(refuse);
}
