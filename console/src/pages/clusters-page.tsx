// Clusters (needs `clusters:list`): the list with status, version, nodes and capacity, a form
// that registers a cluster from a pasted kubeconfig, and a cluster's own page with its conditions
// and its NodePorts.
import { useState } from 'react';
import { App as AntApp, Button, Descriptions, Form, Input, Result, Select, Space, Table, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { formatTime } from '../format.ts';
import { topLevelPlacement } from '../form-causes.ts';
import { useI18n } from '../i18n/i18n-provider.tsx';
import { Link } from '../link.tsx';
import { LoadError } from '../load-error.tsx';
import type { Cluster, ClusterCondition } from '../model.ts';
import { can } from '../nav.ts';
import { formatQuantity } from '../quota.ts';
import { usePath } from '../router.ts';
import { useSession } from '../session.ts';
import { parseKeyValues } from '../tenancy-format.ts';
import { parseTenancyPath, tenancyPath } from '../tenancy-path.ts';
import { useAsync } from '../use-async.ts';
import { ClusterNodePorts } from './cluster-nodeports.tsx';
import { DeleteButton, DetailHeader } from './detail-header.tsx';
import { FormDialog } from './form-dialog.tsx';
import { ClusterStatusTag } from './tenancy-parts.tsx';

interface RegisterValues {
  readonly name: string;
  readonly kubeconfig: string;
  readonly labels?: string;
  readonly webhookFailurePolicy?: 'Fail' | 'Ignore';
}

// Kubernetes' DNS-1123 label rule, which cluster names follow (the server checks too).
const clusterName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

// The server's causes name the body's fields, which are the form's; one under `settings` (a choice
// from a closed list) stays above the form.
const registerPlacement = topLevelPlacement(['name', 'kubeconfig', 'labels']);

function Labels({ labels }: { readonly labels: Readonly<Record<string, string>> }) {
  return <>{Object.entries(labels).map(([k, v]) => <Tag key={k}>{`${k}=${v}`}</Tag>)}</>;
}

function RegisterDialog({ open, onClose, onRegistered }: { readonly open: boolean; readonly onClose: () => void; readonly onRegistered: (c: Cluster) => void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [form] = Form.useForm<RegisterValues>();
  return (
    <FormDialog<RegisterValues, Cluster>
      name="cluster" open={open} title={t('clusters.register')} okText={t('clusters.register')} width={720} form={form} initialValues={{ name: '', kubeconfig: '' }}
      errorTestId="register-error" place={registerPlacement} onClose={onClose} onDone={onRegistered}
      submit={(values) => api.createCluster({
        name: values.name, kubeconfig: values.kubeconfig, labels: parseKeyValues(values.labels ?? ''),
        ...(values.webhookFailurePolicy ? { settings: { webhookFailurePolicy: values.webhookFailurePolicy } } : {}),
      })}
    >
      <Form.Item name="name" label={t('common.name')} rules={[{ required: true, message: t('common.required') }, { pattern: clusterName, max: 63, message: t('users.nameRule') }]}>
        <Input maxLength={63} autoComplete="off" />
      </Form.Item>
      <Form.Item
        name="kubeconfig" label={t('clusters.kubeconfig')} extra={t('clusters.kubeconfigHint')} rules={[{ required: true, message: t('common.required') }]}
        data-testid="field-kubeconfig"
      >
        <Input.TextArea rows={10} spellCheck={false} style={{ fontFamily: 'monospace' }} />
      </Form.Item>
      <Form.Item
        name="labels" label={t('clusters.labels')} extra={t('clusters.labelsHint')}
        rules={[{ validator: async (_, v: string | undefined) => { if (parseKeyValues(v ?? '') === undefined) throw new Error(t('clusters.labelsInvalid')); } }]}
      >
        <Input autoComplete="off" />
      </Form.Item>
      <Form.Item name="webhookFailurePolicy" label={t('clusters.webhookFailurePolicy')}>
        <Select allowClear options={[{ value: 'Fail', label: 'Fail' }, { value: 'Ignore', label: 'Ignore' }]} />
      </Form.Item>
    </FormDialog>
  );
}

function ClusterList() {
  const { t } = useI18n();
  const { api, user } = useSession();
  const { message } = AntApp.useApp();
  const clusters = useAsync(() => api.listClusters(), [api]);
  const [registering, setRegistering] = useState(false);
  const columns: TableColumnsType<Cluster> = [
    { title: t('common.name'), dataIndex: 'name', key: 'name', render: (name: string) => <Link to={tenancyPath({ kind: 'cluster', cluster: name })}>{name}</Link> },
    { title: t('clusters.status'), key: 'status', render: (_, c) => <ClusterStatusTag status={c.status} /> },
    { title: t('clusters.version'), key: 'version', render: (_, c) => c.version ?? '—' },
    { title: t('clusters.nodes'), key: 'nodes', render: (_, c) => (c.nodes ? t('clusters.nodesReady', { ready: c.nodes.ready, total: c.nodes.total }) : '—') },
    { title: t('clusters.cpu'), key: 'cpu', render: (_, c) => formatQuantity('cpu', c.capacity?.cpu) },
    { title: t('clusters.memory'), key: 'memory', render: (_, c) => formatQuantity('memory', c.capacity?.memory) },
    { title: t('clusters.labels'), key: 'labels', render: (_, c) => <Labels labels={c.labels} /> },
    { title: t('clusters.probedAt'), key: 'probedAt', render: (_, c) => formatTime(c.probedAt) },
  ];
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('clusters.title')}</Typography.Title>
        <Space>
          <Button onClick={clusters.reload}>{t('common.refresh')}</Button>
          {can(user.permissions, 'clusters:create') && <Button type="primary" onClick={() => setRegistering(true)}>{t('clusters.register')}</Button>}
        </Space>
      </Space>
      <LoadError error={clusters.error} code={clusters.errorCode} />
      <Table<Cluster>
        rowKey="name" columns={columns} dataSource={clusters.data as Cluster[] | undefined} loading={clusters.loading}
        locale={{ emptyText: t('clusters.empty') }} pagination={{ pageSize: 50, hideOnSinglePage: true }}
      />
      <RegisterDialog
        open={registering}
        onClose={() => setRegistering(false)}
        onRegistered={(c) => { setRegistering(false); void message.success(t('clusters.registered', { name: c.name })); clusters.reload(); }}
      />
    </Space>
  );
}

function ClusterDetail({ name }: { readonly name: string }) {
  const { t } = useI18n();
  const { api, user } = useSession();
  const { message } = AntApp.useApp();
  const [, go] = usePath();
  const cluster = useAsync(() => api.getCluster(name), [api, name]);
  const [refusal, setRefusal] = useState<string | null>(null);
  const c = cluster.data;
  const conditionColumns: TableColumnsType<ClusterCondition> = [
    { title: t('clusters.condition.type'), dataIndex: 'type', key: 'type' },
    { title: t('clusters.condition.status'), dataIndex: 'status', key: 'status' },
    { title: t('clusters.condition.reason'), dataIndex: 'reason', key: 'reason' },
    { title: t('clusters.condition.message'), dataIndex: 'message', key: 'message' },
    { title: t('clusters.condition.since'), dataIndex: 'lastTransitionTime', key: 'since', render: (v: string) => formatTime(v) },
  ];
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <DetailHeader
        crumbs={[{ title: <Link to={tenancyPath({ kind: 'clusters' })}>{t('clusters.title')}</Link> }, { title: name }]}
        title={name} tag={c && <ClusterStatusTag status={c.status} />} refusal={refusal}
        actions={(
          <>
            <Button onClick={cluster.reload}>{t('common.refresh')}</Button>
            {c && can(user.permissions, 'clusters:delete') && (
              <DeleteButton
                label={t('clusters.remove')} confirm={t('clusters.confirmRemove', { name })} forceLabel={t('clusters.forceRemove')}
                remove={(force) => api.deleteCluster(name, force)} onRefused={setRefusal}
                onRemoved={() => { void message.success(t('clusters.removed', { name })); go(tenancyPath({ kind: 'clusters' })); }}
              />
            )}
          </>
        )}
      />
      <LoadError error={cluster.error} code={cluster.errorCode} />
      {c && (
        <Descriptions size="small" column={{ xs: 1, md: 2 }} data-testid="cluster-facts">
          <Descriptions.Item label={t('clusters.server')}><Typography.Text code>{c.server}</Typography.Text></Descriptions.Item>
          <Descriptions.Item label={t('clusters.version')}>{c.version ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('clusters.nodes')}>{c.nodes ? t('clusters.nodesReady', { ready: c.nodes.ready, total: c.nodes.total }) : '—'}</Descriptions.Item>
          <Descriptions.Item label={t('clusters.capacity')}>
            {c.capacity
              ? `${t('clusters.cpu')} ${formatQuantity('cpu', c.capacity.cpu)} · ${t('clusters.memory')} ${formatQuantity('memory', c.capacity.memory)} · ${t('clusters.pods')} ${c.capacity.pods}`
              : '—'}
          </Descriptions.Item>
          <Descriptions.Item label={t('clusters.labels')}><Labels labels={c.labels} /></Descriptions.Item>
          <Descriptions.Item label={t('clusters.webhookFailurePolicy')}>{c.settings.webhookFailurePolicy ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('clusters.probedAt')}>{formatTime(c.probedAt)}</Descriptions.Item>
          <Descriptions.Item label={t('common.createdAt')}>{formatTime(c.createdAt)}</Descriptions.Item>
        </Descriptions>
      )}
      {c && (
        <>
          <Typography.Title level={5}>{t('clusters.conditions')}</Typography.Title>
          <div data-testid="cluster-conditions">
            <Table<ClusterCondition>
              rowKey="type" size="small" columns={conditionColumns} dataSource={c.conditions as ClusterCondition[]} pagination={false}
            />
          </div>
        </>
      )}
      {c && can(user.permissions, 'nodeports:list') && <ClusterNodePorts cluster={name} loaded={c} />}
    </Space>
  );
}

/** Cluster pages (needs `clusters:list`): the list, or one cluster, as the path says. */
export default function ClustersPage() {
  const { t } = useI18n();
  const [path] = usePath();
  const view = parseTenancyPath(path);
  if (view.kind === 'clusters') return <ClusterList />;
  if (view.kind === 'cluster') return <ClusterDetail key={view.cluster} name={view.cluster} />;
  return <Result status="404" title={t('app.notFound')} />;
}
