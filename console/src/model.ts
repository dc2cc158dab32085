// Shapes of the Berth REST API (/api/v1) as the console reads and writes them.

/** A cause inside a Kubernetes `Status`: which field was refused and why. */
export interface StatusCause {
  readonly field?: string;
  readonly message?: string;
  readonly reason?: string;
}

/** The Kubernetes `Status` object every API error answers with. */
export interface Status {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly status: 'Failure' | 'Success';
  readonly message: string;
  readonly reason: string;
  readonly code: number;
  readonly details?: { readonly causes?: readonly StatusCause[] };
}

/** Answer of `POST /api/v1/login`. */
export interface LoginResponse {
  readonly token: string;
  readonly expiresAt: string;
  readonly user: { readonly name: string; readonly platformRoles: readonly string[] };
}

// Identity answers are the identity module's own types (type-only, erased from the bundle).
import type { Token as StoredToken, User, WhoAmI } from '../../src/platform/identity/service.ts';
export type { User, WhoAmI };

/** A role the caller holds inside one tenant. */
export type TenantRole = WhoAmI['tenantRoles'][number];

/** Continuation metadata of a paginated list. */
export interface ListMeta {
  readonly continue?: string;
}

/** The platform roles the server knows, offered when creating a user (the server validates). */
export const knownPlatformRoles: readonly string[] = ['user', 'auditor', 'platform-admin'];

/** The outcomes an audit record can have. */
export const auditOutcomes: readonly string[] = ['success', 'failure'];

/** Answer of `GET /api/v1/users`. */
export interface UserList {
  readonly kind: 'UserList';
  readonly items: readonly User[];
  readonly metadata: ListMeta;
}

/** Body of `POST /api/v1/users`. */
export interface UserCreate {
  readonly name: string;
  readonly password: string;
  readonly email?: string;
  readonly platformRoles?: readonly string[];
}

/** Body of `PATCH /api/v1/users/{name}`; `resourceVersion` guards against lost updates. */
export interface UserPatch {
  readonly disabled?: boolean;
  readonly platformRoles?: readonly string[];
  readonly password?: string;
  readonly email?: string;
  readonly resourceVersion: string;
}

/** One of the caller's API tokens (never its secret); every listed token is an API token. */
export type Token = Omit<StoredToken, 'kind'>;

/** Answer of `GET /api/v1/tokens`. */
export interface TokenList {
  readonly kind: 'TokenList';
  readonly items: readonly Token[];
}

/** Answer of `POST /api/v1/tokens`: the only time the secret `token` is ever shown. */
export interface CreatedToken {
  readonly id: string;
  readonly name: string;
  readonly token: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

// The audit log's answers are its own types (type-only, erased from the bundle); the API leaves
// out the link to the previous record, which only verification needs.
import type { AuditRecord as StoredAuditRecord } from '../../src/platform/audit/chain.ts';
import type { AuditFilter } from '../../src/platform/audit/store.ts';
import type { VerifyResult as AuditVerifyResult } from '../../src/platform/audit/service.ts';
export type { AuditFilter, AuditVerifyResult };

/** One record of the hash-chained audit log, as `GET /api/v1/audit` answers it. */
export type AuditRecord = Omit<StoredAuditRecord, 'prevHash'>;

/** Answer of `GET /api/v1/audit` (newest first). */
export interface AuditList {
  readonly kind: 'AuditList';
  readonly items: readonly AuditRecord[];
  readonly metadata: ListMeta;
}

// The registry's answers have the shapes of its own types: one contract, imported for types
// only (erased from the bundle), so the console cannot drift from the server.
import type { Artifact, GcResult, GcRun, Member, Project, Repository, RetentionResult, Robot, RobotPermission } from '../../src/images/index.ts';
export type { Artifact, GcResult, GcRun, Member, Project, Repository, RetentionResult, Robot, RobotPermission };

/** Roles a member holds in a registry project, from most to least powerful. */
export const projectRoles: readonly string[] = ['project-admin', 'maintainer', 'developer', 'guest', 'limited-guest'];

/** What a robot may do to repositories (the Docker token actions). */
export const repositoryActions = ['pull', 'push', 'delete'] as const;

/** A repository action. */
export type RepositoryAction = (typeof repositoryActions)[number];

/** A project with its usage (`GET /api/v1/registry/projects` items, `GET /api/v1/registry/projects/{project}`). */
export interface ProjectView extends Project {
  readonly usage: { readonly storageBytes: number; readonly artifacts: number; readonly repositories: number };
}

/** Body of `POST /api/v1/registry/projects`. */
export interface ProjectCreate {
  readonly name: string;
  readonly tenant?: string;
  readonly public?: boolean;
  readonly storageLimit?: number;
  readonly artifactLimit?: number;
}

/** Body of `POST /api/v1/registry/projects/{project}/robots`. */
export interface RobotCreate {
  readonly name: string;
  readonly description?: string;
  readonly expiresInDays?: number;
  readonly permissions: readonly RobotPermission[];
}

/** Answer of the robot create: the only time `secret` is ever shown. */
export interface CreatedRobot extends Robot {
  readonly secret: string;
}

/** A tag immutability rule of a project. */
export interface ImmutabilityRule {
  readonly id: string;
  readonly project: string;
  readonly kind: 'immutability';
  readonly repositories: string;
  readonly tags: string;
  readonly createdAt: string;
  readonly createdBy: string;
}

/** A retention policy of a project: what it keeps; everything else covered by it may go. */
export interface RetentionPolicy {
  readonly id: string;
  readonly project: string;
  readonly kind: 'retention';
  readonly repositories: string;
  readonly keepLatest?: number;
  readonly keepTags?: readonly string[];
  readonly keepPulledWithinDays?: number;
  readonly createdAt: string;
  readonly createdBy: string;
}

/** A project policy. */
export type Policy = ImmutabilityRule | RetentionPolicy;

/** Body of `POST /api/v1/registry/projects/{project}/retention`. */
export interface RetentionCreate {
  readonly repositories?: string;
  readonly keepLatest?: number;
  readonly keepTags?: readonly string[];
  readonly keepPulledWithinDays?: number;
}

/** The `{items}` answer of the registry's list endpoints. */
export interface Items<T> {
  readonly items: readonly T[];
}

// Tenancy answers (`/api/v1/clusters`, `/api/v1/tenants`, their namespaces and usage) are the
// tenancy area's own types (type-only, erased from the bundle), so the pages cannot drift from the API.
import type {
  ClusterCondition, ClusterImportedPort, ClusterImportResult, ClusterRecord, LimitRangeSpec, NamespaceView, NodePortAllocation, NodePortMap, NodePortReservation,
  NodePortUse, ObjectView, QuotaMap, TenantInput, TenantMember, TenantPatch as TenantPatchInput, TenantRecord, UsageView,
} from '../../src/tenancy/index.ts';
export type {
  ClusterCondition, ClusterImportedPort, ClusterImportResult, LimitRangeSpec, NodePortAllocation, NodePortMap, NodePortReservation, NodePortUse, QuotaMap,
  TenantMember,
};

/** A registered cluster (never its credentials), with its conditions and what the last probe saw. */
export type Cluster = ClusterRecord;

/** The state of a cluster: `Degraded` when its API server cannot be reached or refuses Berth. */
export type ClusterStatus = Cluster['status'];

/** Body of `POST /api/v1/clusters`: the kubeconfig text with inline credentials. */
export interface ClusterCreate {
  readonly name: string;
  readonly kubeconfig: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly settings?: Cluster['settings'];
}

/** A tenant as the API answers it. */
export type Tenant = TenantRecord;

/** Body of `POST /api/v1/tenants`. */
export type TenantCreate = TenantInput;

/** Body of `PATCH /api/v1/tenants/{tenant}`: each given field replaces the stored one; `resourceVersion` guards against lost updates. */
export type TenantPatch = TenantPatchInput;

/** A tenant's namespace on one cluster, with the cluster's ResourceQuota status and its objects' states. */
export type Namespace = NamespaceView;

/** How one object Berth applies stands in its cluster, as the reconciler last recorded it. */
export type ObjectStatus = ObjectView;

/** How one object Berth applies stands: Pending, Applied, Drifted or Failed. */
export type ObjectState = ObjectStatus['state'];

/** Answer of `GET /api/v1/tenants/{tenant}/usage`. */
export type TenantUsage = UsageView;

/** A list answer of the tenancy API; `continue` fetches the next page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly continue?: string;
}
