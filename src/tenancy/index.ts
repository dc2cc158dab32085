// What other areas (service, reconciler, CLI) may import from tenancy.

export { portMigrations } from './port-migrations.ts';
export { replaceUsedPorts } from './port-store.ts';
export type { NodePortTables } from './port-store.ts';
export { NodePortService } from './port-service.ts';
export type {
  AllocationRequest, ClusterImportedPort, ClusterImportResult, ClusterPortInfo, ImportResult, NodePortAllocation, NodePortConflict, NodePortDeps, NodePortMap, NodePortReservation,
  NodePortUse, TenantPortInfo,
} from './port-service.ts';
export { nodePortRoutes } from './port-routes.ts';
export {
  MAX_IMPORT_CHARS, MAX_IMPORT_ROWS, chooseFreePort, formatPortSpan, parsePortSpan, parseReservationImport, parseServiceRef, portStrip,
} from './ports.ts';
export type { PortSpan, PortState, ReservationInput, StripRun, UsedPort } from './ports.ts';

export { NAMESPACES_RESOURCE, quotaResources, tenantRoles } from './model.ts';
export type {
  Cluster, ClusterSettings, LimitBounds, LimitRangeSpec, MemberKind, QuotaMap, Tenant, TenantMember, TenantNamespace,
  TenantRole, WebhookFailurePolicy,
} from './model.ts';
export {
  MAX_DISPLAY_NAME, MAX_MEMBER_NAME, allocatedQuota, canonicalQuantity, reservedNamespace, validateNamespace, validateQuota, validateTenant,
  validateTenantUpdate,
} from './rules.ts';
export { defaultContainerBounds, limitRangeResources, limitRangeWithinErrors, validateLimitRange } from './limit-range.ts';
export type { BoundsOf } from './limit-range.ts';
export {
  ADOPTED_ANNOTATION, ISOLATION_POLICY_NAME, LIMIT_RANGE_NAME, MANAGED_BY, MANAGED_BY_LABEL, NODE_SELECTOR_ANNOTATION, QUOTA_NAME, TENANT_LABEL,
  managedLabels, renderNamespace, renderTenant, roleClusterRoles,
} from './render.ts';
export type { Manifest, ManifestMetadata } from './render.ts';
export { BERTH_MANAGER, appliedByBerth, driftOf, holdingOf, objectKey, planCluster } from './plan.ts';
export type { DesiredState, Holding, ObjectState, ObjectStatusRow, ObservedObject, Plan, PlannedApply, PlannedPrune } from './plan.ts';
export { Reconciler, isClusterFailure, managedKinds } from './controller.ts';
export type { ReconcileSink, ReconcileSource, ReconcilerCounters, ReconcilerOptions } from './controller.ts';
export { tenancyArea, createTenancyArea, tenancyOf } from './module.ts';
export type { TenancyInstance, TenancyParts } from './module.ts';
export { TenancyService, CLUSTER_TOPIC, TENANT_TOPIC } from './service.ts';
export type {
  ClusterInput, ClusterPatch, NamespaceInput, NamespacePatch, NamespaceView, ObjectView, Page, ProbeOutcome, TenantInput, TenantPatch, UsageView,
} from './service.ts';
export { ClusterConnections } from './connections.ts';
export {
  loadTenancy, recordClusterCondition, recordObjectStatus, recordQuotaUsage, replaceObjectStatus,
} from './store.ts';
export type { ClusterCondition, ClusterRecord, ClusterStatus, NamespaceRecord, TenantRecord } from './store.ts';
export {
  EXEMPT_NAMESPACES, WEBHOOK_CONFIGURATION_NAME, WEBHOOK_TIMEOUT_SECONDS, berthWebhooks, renderWebhookConfigurations,
} from './webhooks.ts';
export type { WebhookSpec, WebhookTarget } from './webhooks.ts';

export { quotaReservationMigrations } from './quota-reservation-migrations.ts';
export { listReservations } from './quota-reservation-store.ts';
export type { QuotaReservation, QuotaReservationTables } from './quota-reservation-store.ts';
export { TenantUsage, quotaWatchedKinds } from './tenant-usage-controller.ts';
export type { TenantOf, TenantUsageOptions, WatchedObject } from './tenant-usage-controller.ts';
export { DEFAULT_RESERVATION_TTL_MS, TenantQuotaAdmission } from './tenant-quota-service.ts';
export type { TenantQuotaAnswer, TenantQuotaDeps, TenantQuotaReview } from './tenant-quota-service.ts';
export { TenantQuota } from './quota-admission-controller.ts';
