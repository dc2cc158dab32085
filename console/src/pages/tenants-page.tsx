// Tenants (needs `tenants:get`): the tenants the user may see, a tenant with its members,
// clusters, quota against usage, and namespaces; platform admins create, change and delete
// tenants here (the form is its own module, as is a namespace's page).
import { lazy, useState } from 'react';
import { App as AntApp, Button, Descriptions, Result, Space, Table, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { formatTime } from '../format.ts';
import { useI18n } from '../i18n/i18n-provider.tsx';
import { Link } from '../link.tsx';
import { LoadError } from '../load-error.tsx';
import type { Namespace, Tenant, TenantMember } from '../model.ts';
import { can } from '../nav.ts';
import { usePath } from '../router.ts';
import { useSession } from '../session.ts';
import { countStates, managesTenant } from '../tenancy-format.ts';
import { parseTenancyPath, tenancyPath } from '../tenancy-path.ts';
import { usageRows } from '../quota.ts';
import { useAsync } from '../use-async.ts';
import { DeleteButton, DetailHeader } from './detail-header.tsx';
import { NamespaceCreate } from './namespace-create.tsx';
import { TenantFormDialog } from './tenant-form-dialog.tsx';
import { ObjectStateTag, QuotaTable, UsageBar } from './tenancy-parts.tsx';

const NamespacePage = lazy(() => import('./namespace-page.tsx'));

function MapTags({ map }: { readonly map: Readonly<Record<string, string>> }) {
  return <>{Object.entries(map).map(([k, v]) => <Tag key={k}>{`${k}=${v}`}</Tag>)}</>;
}

function TenantList() {
  const { t } = useI18n();
  const { api, user } = useSession();
  const { message } = AntApp.useApp();
  const tenants = useAsync(() => api.listTenants(), [api]);
  const [creating, setCreating] = useState(false);
  const columns: TableColumnsType<Tenant> = [
    { title: t('common.name'), dataIndex: 'name', key: 'name', render: (name: string) => <Link to={tenancyPath({ kind: 'tenant', tenant: name })}>{name}</Link> },
    { title: t('tenants.displayName'), dataIndex: 'displayName', key: 'displayName' },
    { title: t('tenants.clusters'), key: 'clusters', render: (_, x) => x.clusters.map((c) => <Tag key={c}>{c}</Tag>) },
    { title: t('tenants.members'), key: 'members', render: (_, x) => x.members.length },
    { title: t('tenants.quota'), key: 'quota', render: (_, x) => <MapTags map={x.quota} /> },
    { title: t('common.createdAt'), dataIndex: 'createdAt', key: 'createdAt', render: (v: string) => formatTime(v) },
  ];
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('tenants.title')}</Typography.Title>
        {can(user.permissions, 'tenants:create') && <Button type="primary" onClick={() => setCreating(true)}>{t('tenants.new')}</Button>}
      </Space>
      <LoadError error={tenants.error} code={tenants.errorCode} />
      <Table<Tenant>
        rowKey="name" columns={columns} dataSource={tenants.data as Tenant[] | undefined} loading={tenants.loading}
        locale={{ emptyText: t('tenants.empty') }} pagination={{ pageSize: 50, hideOnSinglePage: true }}
      />
      <TenantFormDialog
        open={creating} onClose={() => setCreating(false)}
        onSaved={(x) => { setCreating(false); void message.success(t('tenants.created', { name: x.name })); tenants.reload(); }}
      />
    </Space>
  );
}

function Members({ members }: { readonly members: readonly TenantMember[] }) {
  const { t } = useI18n();
  const columns: TableColumnsType<TenantMember> = [
    { title: t('tenants.memberKind'), dataIndex: 'kind', key: 'kind' },
    { title: t('tenants.memberName'), dataIndex: 'name', key: 'name' },
    { title: t('tenants.role'), dataIndex: 'role', key: 'role', render: (v: string) => <Tag>{v}</Tag> },
  ];
  return (
    <div data-testid="tenant-members">
      <Table<TenantMember>
        rowKey={(m) => `${m.kind}:${m.name}`} size="small" columns={columns} dataSource={members as TenantMember[]}
        pagination={false} locale={{ emptyText: t('tenants.noMembers') }}
      />
    </div>
  );
}

/** The namespace's fullest resource as a bar, so the list shows where a namespace stands. */
function Fullest({ ns }: { readonly ns: Namespace }) {
  const rows = usageRows(ns.usage?.hard ?? ns.quota, ns.usage?.used ?? {}).filter((r) => r.percent !== undefined);
  const top = rows.reduce<(typeof rows)[number] | undefined>((best, r) => (best === undefined || (r.percent ?? 0) > (best.percent ?? 0) ? r : best), undefined);
  if (top === undefined) return <Typography.Text type="secondary">—</Typography.Text>;
  return (
    <Space size="small">
      <Typography.Text code>{top.resource}</Typography.Text>
      <UsageBar resource={top.resource} used={top.used} hard={top.hard} percent={top.percent} />
    </Space>
  );
}

function Namespaces({ tenant, clusters, onChange }: { readonly tenant: string; readonly clusters: readonly string[]; readonly onChange: () => void }) {
  const { t } = useI18n();
  const { api, user } = useSession();
  const { message } = AntApp.useApp();
  const namespaces = useAsync(() => api.listNamespaces(tenant), [api, tenant]);
  const [creating, setCreating] = useState(false);
  const columns: TableColumnsType<Namespace> = [
    {
      title: t('common.name'), key: 'name',
      render: (_, ns) => <Link to={tenancyPath({ kind: 'namespace', tenant, cluster: ns.cluster, namespace: ns.name })}>{ns.name}</Link>,
    },
    { title: t('namespaces.cluster'), dataIndex: 'cluster', key: 'cluster' },
    { title: t('tenants.quota'), key: 'quota', render: (_, ns) => <MapTags map={ns.quota} /> },
    { title: t('quota.usage'), key: 'usage', render: (_, ns) => <Fullest ns={ns} /> },
    {
      title: t('namespaces.objects'), key: 'objects',
      render: (_, ns) => countStates(ns.objects).map((c) => <Space key={c.state} size={2}><ObjectStateTag state={c.state} />{c.count}</Space>),
    },
  ];
  return (
    <div data-testid="tenant-namespaces">
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 8 }}>
        <Typography.Title level={5} style={{ margin: 0 }}>{t('tenants.namespaces')}</Typography.Title>
        {managesTenant(user, tenant) && clusters.length > 0 && <Button onClick={() => setCreating(true)}>{t('namespaces.new')}</Button>}
      </Space>
      <LoadError error={namespaces.error} code={namespaces.errorCode} />
      <Table<Namespace>
        rowKey={(ns) => `${ns.cluster}/${ns.name}`} size="small" columns={columns} dataSource={namespaces.data as Namespace[] | undefined}
        loading={namespaces.loading} pagination={{ pageSize: 50, hideOnSinglePage: true }} locale={{ emptyText: t('tenants.noNamespaces') }}
      />
      <NamespaceCreate
        tenant={tenant} clusters={clusters} open={creating} onClose={() => setCreating(false)}
        onCreated={(ns) => {
          setCreating(false);
          void message.success(t('namespaces.created', { name: ns.name, cluster: ns.cluster }));
          namespaces.reload();
          onChange();
        }}
      />
    </div>
  );
}

function TenantDetail({ name }: { readonly name: string }) {
  const { t } = useI18n();
  const { api, user } = useSession();
  const { message } = AntApp.useApp();
  const [, go] = usePath();
  const tenant = useAsync(() => api.getTenant(name), [api, name]);
  const usage = useAsync(() => api.tenantUsage(name), [api, name]);
  const [editing, setEditing] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  const x = tenant.data;
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <DetailHeader
        crumbs={[{ title: <Link to={tenancyPath({ kind: 'tenants' })}>{t('tenants.title')}</Link> }, { title: name }]}
        title={x?.displayName || name} refusal={refusal}
        actions={x && (
          <>
            {can(user.permissions, 'tenants:update') && <Button onClick={() => setEditing(true)}>{t('common.edit')}</Button>}
            {can(user.permissions, 'tenants:delete') && (
              <DeleteButton
                label={t('common.delete')} confirm={t('tenants.confirmDelete', { name })} remove={() => api.deleteTenant(name)} onRefused={setRefusal}
                onRemoved={() => { void message.success(t('tenants.deleted', { name })); go(tenancyPath({ kind: 'tenants' })); }}
              />
            )}
          </>
        )}
      />
      <LoadError error={tenant.error} code={tenant.errorCode} />
      {x && (
        <Descriptions size="small" column={{ xs: 1, md: 2 }} data-testid="tenant-facts">
          <Descriptions.Item label={t('common.name')}>{x.name}</Descriptions.Item>
          <Descriptions.Item label={t('tenants.clusters')}>
            {x.clusters.map((c) => <Tag key={c}>{c}</Tag>)}
          </Descriptions.Item>
          <Descriptions.Item label={t('tenants.nodeSelector')}><MapTags map={x.nodeSelector} /></Descriptions.Item>
          <Descriptions.Item label={t('common.createdAt')}>{formatTime(x.createdAt)}</Descriptions.Item>
        </Descriptions>
      )}
      <Typography.Title level={5}>{t('tenants.quota')}</Typography.Title>
      <LoadError error={usage.error} code={usage.errorCode} />
      {usage.data && <QuotaTable hard={usage.data.hard} used={usage.data.used} allocated={usage.data.allocated} testId="tenant-quota" />}
      {x && <Namespaces tenant={name} clusters={x.clusters} onChange={usage.reload} />}
      <Typography.Title level={5}>{t('tenants.members')}</Typography.Title>
      {x && <Members members={x.members} />}
      {x && (
        <TenantFormDialog
          tenant={x} open={editing} onClose={() => setEditing(false)}
          onSaved={() => { setEditing(false); setRefusal(null); void message.success(t('tenants.updated', { name })); tenant.reload(); usage.reload(); }}
        />
      )}
    </Space>
  );
}

/** Tenant pages (needs `tenants:get`): the list, a tenant, or one of its namespaces, as the path says. */
export default function TenantsPage() {
  const { t } = useI18n();
  const [path] = usePath();
  const view = parseTenancyPath(path);
  if (view.kind === 'tenants') return <TenantList />;
  if (view.kind === 'tenant') return <TenantDetail key={view.tenant} name={view.tenant} />;
  if (view.kind === 'namespace') {
    return <NamespacePage key={`${view.tenant}/${view.cluster}/${view.namespace}`} tenant={view.tenant} cluster={view.cluster} name={view.namespace} />;
  }
  return <Result status="404" title={t('app.notFound')} />;
}
