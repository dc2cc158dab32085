// One namespace of a tenant on one cluster: its quota against what the cluster's ResourceQuota
// status says is used, its LimitRange (its own or the tenant's default), and the state of every
// object Berth applies there.
import { useState } from 'react';
import { Alert, App as AntApp, Descriptions, Space, Table, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { formatTime } from '../format.ts';
import { useI18n } from '../i18n/i18n-provider.tsx';
import { Link } from '../link.tsx';
import { LoadError } from '../load-error.tsx';
import type { LimitRangeSpec, ObjectStatus } from '../model.ts';
import { compareResources, formatQuantity } from '../quota.ts';
import { useSession } from '../session.ts';
import { limitRangeRows, managesTenant } from '../tenancy-format.ts';
import type { LimitRow } from '../tenancy-format.ts';
import { tenancyPath } from '../tenancy-path.ts';
import { usePath } from '../router.ts';
import { useAsync } from '../use-async.ts';
import { DeleteButton, DetailHeader } from './detail-header.tsx';
import { ObjectStateTag, QuotaTable } from './tenancy-parts.tsx';

function LimitRangeTable({ spec }: { readonly spec: LimitRangeSpec | null | undefined }) {
  const { t } = useI18n();
  const rows = limitRangeRows(spec);
  const resources = [...new Set(rows.flatMap((r) => Object.keys(r.values)))].sort(compareResources);
  const columns: TableColumnsType<LimitRow> = [
    { title: t('namespaces.limitType'), dataIndex: 'type', key: 'type' },
    { title: t('namespaces.bound'), dataIndex: 'bound', key: 'bound', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
    ...resources.map((resource) => ({
      title: resource, key: resource,
      render: (_: unknown, r: LimitRow) => (r.bound === 'maxLimitRequestRatio' ? r.values[resource] ?? '—' : formatQuantity(resource, r.values[resource])),
    })),
  ];
  return (
    <div data-testid="namespace-limits">
      <Table<LimitRow>
        rowKey={(r) => `${r.type}/${r.bound}`} size="small" columns={columns} dataSource={rows as LimitRow[]} pagination={false}
        locale={{ emptyText: t('namespaces.noLimitRange') }}
      />
    </div>
  );
}

function Objects({ objects }: { readonly objects: readonly ObjectStatus[] }) {
  const { t } = useI18n();
  const columns: TableColumnsType<ObjectStatus> = [
    { title: t('namespaces.object.kind'), dataIndex: 'kind', key: 'kind' },
    { title: t('namespaces.object.name'), dataIndex: 'name', key: 'name' },
    { title: t('namespaces.object.state'), key: 'state', render: (_, o) => <ObjectStateTag state={o.state} /> },
    { title: t('namespaces.object.message'), dataIndex: 'message', key: 'message' },
    { title: t('namespaces.object.updatedAt'), dataIndex: 'updatedAt', key: 'updatedAt', render: (v: string) => formatTime(v) },
  ];
  return (
    <div data-testid="namespace-objects">
      <Table<ObjectStatus>
        rowKey={(o) => `${o.kind}/${o.name}`} size="small" columns={columns} dataSource={objects as ObjectStatus[]} pagination={false}
        locale={{ emptyText: t('namespaces.noObjects') }}
      />
    </div>
  );
}

/** A namespace's page; one the caller may not see shows the server's refusal. */
export default function NamespacePage({ tenant, cluster, name }: { readonly tenant: string; readonly cluster: string; readonly name: string }) {
  const { t } = useI18n();
  const { api, user } = useSession();
  const { message } = AntApp.useApp();
  const [, go] = usePath();
  const [refusal, setRefusal] = useState<string | null>(null);
  const ns = useAsync(() => api.getNamespace(tenant, cluster, name), [api, tenant, cluster, name]);
  // The tenant's default LimitRange applies when the namespace sets none of its own.
  const owner = useAsync(() => api.getTenant(tenant), [api, tenant]);
  const n = ns.data;
  const ownLimits = n?.limitRange != null;
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <DetailHeader
        crumbs={[
          { title: <Link to={tenancyPath({ kind: 'tenants' })}>{t('tenants.title')}</Link> },
          { title: <Link to={tenancyPath({ kind: 'tenant', tenant })}>{tenant}</Link> },
          { title: `${cluster} / ${name}` },
        ]}
        title={name} refusal={refusal}
        actions={n && managesTenant(user, tenant) && (
          <DeleteButton
            label={t('common.delete')} confirm={t('namespaces.confirmDelete', { name, cluster })} forceLabel={t('namespaces.forceDelete')}
            remove={(force) => api.deleteNamespace(tenant, cluster, name, force)} onRefused={setRefusal}
            onRemoved={() => { void message.success(t('namespaces.deleted', { name, cluster })); go(tenancyPath({ kind: 'tenant', tenant })); }}
          />
        )}
      />
      <LoadError error={ns.error} code={ns.errorCode} />
      {n && (
        <>
          <Descriptions size="small" column={{ xs: 1, md: 3 }}>
            <Descriptions.Item label={t('projects.tenant')}>{n.tenant}</Descriptions.Item>
            <Descriptions.Item label={t('namespaces.cluster')}>{n.cluster}</Descriptions.Item>
            <Descriptions.Item label={t('namespaces.adopted')}>{n.adopted ? t('common.yes') : t('common.no')}</Descriptions.Item>
            <Descriptions.Item label={t('common.createdAt')}>{formatTime(n.createdAt)}</Descriptions.Item>
          </Descriptions>
          <Typography.Title level={5}>{t('tenants.quota')}</Typography.Title>
          {n.usage
            ? <Typography.Text type="secondary">{t('quota.observedAt', { time: formatTime(n.usage.observedAt) })}</Typography.Text>
            : <Alert type="info" showIcon title={t('quota.notObserved')} />}
          <QuotaTable hard={n.quota} used={n.usage?.used} testId="namespace-quota" />
          <Space align="center">
            <Typography.Title level={5} style={{ margin: 0 }}>{t('namespaces.limitRange')}</Typography.Title>
            <Tag>{ownLimits ? t('namespaces.limitRangeOwn') : t('namespaces.limitRangeTenant')}</Tag>
          </Space>
          <LimitRangeTable spec={ownLimits ? n.limitRange : owner.data?.defaultLimitRange} />
          <Typography.Title level={5}>{t('namespaces.objects')}</Typography.Title>
          <Objects objects={n.objects} />
        </>
      )}
    </Space>
  );
}
