// The landing page: what needs attention, clusters with their status, tenants with their quota
// usage, and recent audit events. Each part shows only when the user may read it.
import { Alert, Card, Empty, List, Space, Table, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { attentionItems } from '../attention.ts';
import type { AttentionItem } from '../attention.ts';
import { formatTime } from '../format.ts';
import { useI18n } from '../i18n/i18n-provider.tsx';
import type { Translate } from '../i18n/messages.ts';
import { Link } from '../link.tsx';
import { LoadError } from '../load-error.tsx';
import type { AuditRecord, Cluster, Namespace, Tenant, TenantUsage } from '../model.ts';
import { can } from '../nav.ts';
import { formatQuantity, usageRows } from '../quota.ts';
import { useSession } from '../session.ts';
import { tenancyPath } from '../tenancy-path.ts';
import { useAsync } from '../use-async.ts';
import { ClusterStatusTag, UsageBar } from './tenancy-parts.tsx';

/** How many tenants the overview reads usage for; the tenants page lists them all. */
const maxTenants = 50;
const auditCount = 10;

interface TenantFacts {
  readonly tenant: Tenant;
  readonly usage?: TenantUsage;
  readonly namespaces: readonly Namespace[];
}

function attentionText(item: AttentionItem, t: Translate): string {
  switch (item.kind) {
    case 'clusterDegraded':
      return `${t('overview.clusterDegraded', { cluster: item.cluster, reason: item.reason || item.message })}${item.since ? ` (${t('overview.since', { time: formatTime(item.since) })})` : ''}`;
    case 'objectFailed':
      return t('overview.objectFailed', { kind: item.objectKind, name: item.name, namespace: item.namespace, cluster: item.cluster });
    case 'quotaHigh': {
      const vars = {
        tenant: item.tenant, resource: item.resource, percent: item.percent,
        used: formatQuantity(item.resource, item.used), hard: formatQuantity(item.resource, item.hard),
      };
      return item.namespace
        ? t('overview.quotaHighNamespace', { ...vars, namespace: item.namespace.name, cluster: item.namespace.cluster })
        : t('overview.quotaHigh', vars);
    }
  }
}

function attentionLink(item: AttentionItem): string {
  if (item.kind === 'clusterDegraded') return tenancyPath({ kind: 'cluster', cluster: item.cluster });
  if (item.kind === 'objectFailed') return tenancyPath({ kind: 'namespace', tenant: item.tenant, cluster: item.cluster, namespace: item.namespace });
  if (item.namespace) return tenancyPath({ kind: 'namespace', tenant: item.tenant, cluster: item.namespace.cluster, namespace: item.namespace.name });
  return tenancyPath({ kind: 'tenant', tenant: item.tenant });
}

function Attention({ items }: { readonly items: readonly AttentionItem[] }) {
  const { t } = useI18n();
  if (items.length === 0) return <Alert type="success" showIcon title={t('overview.allGood')} data-testid="attention-none" />;
  return (
    <div data-testid="attention">
      <List
        size="small"
        dataSource={items as AttentionItem[]}
        renderItem={(item) => (
          <List.Item>
            <Space wrap>
              <Tag color={item.kind === 'quotaHigh' ? 'orange' : 'red'}>!</Tag>
              <Link to={attentionLink(item)}>{attentionText(item, t)}</Link>
              {item.kind !== 'quotaHigh' && item.message !== '' && <Typography.Text type="secondary">{item.message}</Typography.Text>}
            </Space>
          </List.Item>
        )}
      />
    </div>
  );
}

function Clusters({ clusters }: { readonly clusters: readonly Cluster[] }) {
  const { t } = useI18n();
  const columns: TableColumnsType<Cluster> = [
    { title: t('common.name'), key: 'name', render: (_, c) => <Link to={tenancyPath({ kind: 'cluster', cluster: c.name })}>{c.name}</Link> },
    { title: t('clusters.status'), key: 'status', render: (_, c) => <ClusterStatusTag status={c.status} /> },
    { title: t('clusters.version'), key: 'version', render: (_, c) => c.version ?? '—' },
    { title: t('clusters.nodes'), key: 'nodes', render: (_, c) => (c.nodes ? t('clusters.nodesReady', { ready: c.nodes.ready, total: c.nodes.total }) : '—') },
  ];
  return <div data-testid="overview-clusters"><Table<Cluster> rowKey="name" size="small" columns={columns} dataSource={clusters as Cluster[]} pagination={false} /></div>;
}

function Tenants({ facts }: { readonly facts: readonly TenantFacts[] }) {
  const { t } = useI18n();
  const columns: TableColumnsType<TenantFacts> = [
    { title: t('common.name'), key: 'name', render: (_, f) => <Link to={tenancyPath({ kind: 'tenant', tenant: f.tenant.name })}>{f.tenant.name}</Link> },
    { title: t('tenants.namespaces'), key: 'namespaces', render: (_, f) => f.namespaces.length },
    {
      title: t('tenants.quota'), key: 'quota',
      render: (_, f) => (
        <Space wrap size="middle">
          {usageRows(f.usage?.hard ?? f.tenant.quota, f.usage?.used ?? {}).filter((r) => r.hard !== undefined).map((r) => (
            <Space key={r.resource} orientation="vertical" size={0}>
              <Typography.Text type="secondary">{r.resource}</Typography.Text>
              <UsageBar resource={r.resource} used={r.used} hard={r.hard} percent={r.percent} />
            </Space>
          ))}
        </Space>
      ),
    },
  ];
  return (
    <div data-testid="overview-tenants">
      <Table<TenantFacts> rowKey={(f) => f.tenant.name} size="small" columns={columns} dataSource={facts as TenantFacts[]} pagination={false} />
    </div>
  );
}

function Audit({ records }: { readonly records: readonly AuditRecord[] }) {
  const { t } = useI18n();
  const columns: TableColumnsType<AuditRecord> = [
    { title: t('audit.time'), dataIndex: 'time', key: 'time', render: (v: string) => formatTime(v) },
    { title: t('audit.actor'), dataIndex: 'actor', key: 'actor' },
    { title: t('audit.action'), dataIndex: 'action', key: 'action' },
    { title: t('audit.resource'), dataIndex: 'resource', key: 'resource' },
    { title: t('audit.name'), dataIndex: 'name', key: 'name' },
    { title: t('audit.outcome'), dataIndex: 'outcome', key: 'outcome', render: (v: string) => <Tag color={v === 'success' ? 'green' : 'red'}>{v}</Tag> },
  ];
  return <div data-testid="overview-audit"><Table<AuditRecord> rowKey="seq" size="small" columns={columns} dataSource={records as AuditRecord[]} pagination={false} /></div>;
}

async function loadTenants(api: ReturnType<typeof useSession>['api']): Promise<{ facts: readonly TenantFacts[]; truncated: boolean }> {
  const tenants = await api.listTenants(maxTenants + 1);
  const shown = tenants.slice(0, maxTenants);
  // One tenant the caller may no longer read (removed meanwhile) must not blank the page.
  const facts = await Promise.all(shown.map(async (tenant) => ({
    tenant,
    usage: await api.tenantUsage(tenant.name).catch(() => undefined),
    namespaces: await api.listNamespaces(tenant.name).catch(() => [] as readonly Namespace[]),
  })));
  return { facts, truncated: tenants.length > maxTenants };
}

/** The overview (needs any of `clusters:list`, `tenants:get`, `audit:list`). */
export default function OverviewPage() {
  const { t } = useI18n();
  const { api, user } = useSession();
  const seesClusters = can(user.permissions, 'clusters:list');
  const seesTenants = can(user.permissions, 'tenants:get');
  const seesAudit = can(user.permissions, 'audit:list');
  const clusters = useAsync(async () => (seesClusters ? api.listClusters() : []), [api, seesClusters]);
  const tenants = useAsync(async () => (seesTenants ? loadTenants(api) : { facts: [], truncated: false }), [api, seesTenants]);
  const audit = useAsync(async () => (seesAudit ? (await api.listAudit({}, auditCount)).items : []), [api, seesAudit]);
  const ready = !clusters.loading && !tenants.loading;
  const items = attentionItems({
    clusters: clusters.data,
    usages: tenants.data?.facts.flatMap((f) => (f.usage ? [f.usage] : [])),
    namespaces: tenants.data?.facts.flatMap((f) => f.namespaces),
  });
  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }}>
      <Typography.Title level={3} style={{ margin: 0 }}>{t('overview.title')}</Typography.Title>
      {(seesClusters || seesTenants) && (
        <Card title={t('overview.attention')} size="small" loading={!ready}>
          <Attention items={items} />
        </Card>
      )}
      {seesClusters && (
        <Card title={<Link to={tenancyPath({ kind: 'clusters' })}>{t('overview.clusters')}</Link>} size="small">
          <LoadError error={clusters.error} code={clusters.errorCode} />
          {clusters.data && (clusters.data.length > 0 ? <Clusters clusters={clusters.data} /> : <Empty description={t('clusters.empty')} />)}
        </Card>
      )}
      {seesTenants && (
        <Card title={<Link to={tenancyPath({ kind: 'tenants' })}>{t('overview.tenants')}</Link>} size="small" loading={tenants.loading}>
          <LoadError error={tenants.error} code={tenants.errorCode} />
          {tenants.data && <Tenants facts={tenants.data.facts} />}
          {tenants.data?.truncated && <Typography.Text type="secondary">{t('overview.tenantsTruncated', { count: maxTenants })}</Typography.Text>}
        </Card>
      )}
      {seesAudit && (
        <Card title={t('overview.recentAudit')} size="small" extra={<Link to="/audit">{t('overview.moreAudit')}</Link>}>
          <LoadError error={audit.error} code={audit.errorCode} />
          {audit.data && <Audit records={audit.data} />}
        </Card>
      )}
    </Space>
  );
}
