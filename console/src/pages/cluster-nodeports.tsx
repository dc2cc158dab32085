// A cluster's NodePorts on its page (needs `nodeports:list`): the range as a strip coloured by
// state with a legend and a tooltip per segment, the free count, and who holds which ports; for
// platform admins, an import of the ports Services outside the tenants use, confirmed in a dialog
// that shows what a dry run of it would reserve.
import { useState } from 'react';
import { App as AntApp, Button, Modal, Space, Table, Tooltip, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { errorText } from '../http.ts';
import { useI18n } from '../i18n/i18n-provider.tsx';
import { LoadError } from '../load-error.tsx';
import type { ClusterImportedPort, ClusterImportResult, NodePortAllocation, NodePortReservation, NodePortUse } from '../model.ts';
import { can } from '../nav.ts';
import { portStates, segmentPorts, stripSegments } from '../nodeport-strip.ts';
import { useSession } from '../session.ts';
import { useAsync } from '../use-async.ts';

const colours: Readonly<Record<(typeof portStates)[number], string>> = {
  free: '#d9f7be', used: '#1677ff', allocated: '#722ed1', reserved: '#faad14', conflict: '#f5222d',
};

/** "Import from cluster": a dry run first, shown in a dialog; confirming imports for real and calls `onImported`. */
function ImportFromCluster({ cluster, onImported }: { readonly cluster: string; readonly onImported: () => void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const { message } = AntApp.useApp();
  const [plan, setPlan] = useState<ClusterImportResult | null>(null);
  const [busy, setBusy] = useState(false);
  async function run(dryRun: boolean): Promise<void> {
    setBusy(true);
    try {
      const r = await api.importNodePortsFromCluster(cluster, dryRun);
      if (dryRun) {
        setPlan(r);
        return;
      }
      setPlan(null);
      void message.success(t('clusters.nodePorts.imported', { created: r.created.length, unchanged: r.unchanged, cluster }));
      onImported();
    } catch (err) {
      void message.error(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  const columns: TableColumnsType<ClusterImportedPort> = [
    { title: t('clusters.nodePorts.port'), dataIndex: 'port', key: 'port' },
    { title: t('clusters.nodePorts.service'), dataIndex: 'service', key: 'service' },
    { title: t('clusters.nodePorts.status'), dataIndex: 'status', key: 'status', render: (s: ClusterImportedPort['status']) => t(`clusters.nodePorts.status.${s}`) },
  ];
  return (
    <>
      <Button loading={busy && plan === null} onClick={() => void run(true)} data-testid="nodeports-import">{t('clusters.nodePorts.import')}</Button>
      <Modal
        open={plan !== null} title={t('clusters.nodePorts.importTitle', { cluster })} okText={t('clusters.nodePorts.importOk')} cancelText={t('common.cancel')}
        okButtonProps={{ disabled: plan?.created.length === 0 }} confirmLoading={busy} onOk={() => void run(false)} onCancel={() => setPlan(null)} width={640}
      >
        {plan && (
          <Space orientation="vertical" size="small" style={{ width: '100%' }} data-testid="nodeports-import-plan">
            <Typography.Text>{t('clusters.nodePorts.importIntro')}</Typography.Text>
            <Typography.Text strong data-testid="nodeports-import-summary">
              {t('clusters.nodePorts.importPlan', { created: plan.created.length, unchanged: plan.unchanged, tenant: plan.tenantPorts })}
            </Typography.Text>
            <Table<ClusterImportedPort>
              rowKey="port" size="small" columns={columns} dataSource={plan.imported as ClusterImportedPort[]}
              pagination={{ pageSize: 10, hideOnSinglePage: true }} locale={{ emptyText: t('clusters.nodePorts.none') }}
            />
          </Space>
        )}
      </Modal>
    </>
  );
}

/** The NodePort section of one cluster's page; it loads again whenever `loaded` (the page's cluster answer) is a new one, so the page's refresh covers it. */
export function ClusterNodePorts({ cluster, loaded }: { readonly cluster: string; readonly loaded: object }) {
  const { t } = useI18n();
  const { api, user } = useSession();
  const map = useAsync(() => api.getNodePorts(cluster), [api, cluster, loaded]);
  const m = map.data;
  const stateText = (s: (typeof portStates)[number]) => t(`clusters.nodePorts.state.${s}`);
  const reservedColumns: TableColumnsType<NodePortReservation> = [
    { title: t('clusters.nodePorts.ports'), dataIndex: 'ports', key: 'ports' },
    { title: t('clusters.nodePorts.owner'), dataIndex: 'owner', key: 'owner' },
    { title: t('clusters.nodePorts.note'), dataIndex: 'note', key: 'note', render: (v?: string) => v ?? '' },
  ];
  const allocatedColumns: TableColumnsType<NodePortAllocation> = [
    { title: t('clusters.nodePorts.port'), dataIndex: 'port', key: 'port' },
    { title: t('clusters.nodePorts.tenant'), dataIndex: 'tenant', key: 'tenant' },
    { title: t('clusters.nodePorts.service'), dataIndex: 'service', key: 'service', render: (v?: string) => v ?? '—' },
    { title: t('clusters.nodePorts.allocationState'), dataIndex: 'state', key: 'state', render: (v: NodePortAllocation['state']) => t(`clusters.nodePorts.allocationState.${v}`) },
  ];
  const usedColumns: TableColumnsType<NodePortUse> = [
    { title: t('clusters.nodePorts.port'), dataIndex: 'port', key: 'port' },
    { title: t('clusters.nodePorts.service'), key: 'service', render: (_, u) => `${u.namespace}/${u.service}` },
  ];
  const none = { emptyText: t('clusters.nodePorts.none') };
  return (
    <Space orientation="vertical" size="small" style={{ width: '100%' }} data-testid="cluster-nodeports">
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={5} style={{ margin: 0 }}>{t('clusters.nodePorts')}</Typography.Title>
        {can(user.permissions, 'nodeports:create') && <ImportFromCluster cluster={cluster} onImported={map.reload} />}
      </Space>
      <LoadError error={map.error} code={map.errorCode} />
      {m && (
        <>
          <Typography.Text data-testid="nodeports-summary">{t('clusters.nodePorts.summary', { free: m.free, size: m.size, range: m.range })}</Typography.Text>
          <div data-testid="nodeports-strip" style={{ display: 'flex', width: '100%', height: 20, borderRadius: 4, overflow: 'hidden', border: '1px solid #d9d9d9' }}>
            {stripSegments(m.strip).map((s) => (
              <Tooltip key={s.from} title={t('clusters.nodePorts.segment', { ports: segmentPorts(s), state: stateText(s.state), count: s.count })}>
                <div data-testid={`strip-${s.state}`} data-ports={segmentPorts(s)} style={{ width: `${s.percent}%`, background: colours[s.state] }} />
              </Tooltip>
            ))}
          </div>
          <Space size="middle" wrap data-testid="nodeports-legend">
            {portStates.map((s) => (
              <Space key={s} size={4}>
                <span style={{ display: 'inline-block', width: 12, height: 12, borderRadius: 2, background: colours[s] }} />
                <Typography.Text>{stateText(s)}</Typography.Text>
              </Space>
            ))}
          </Space>
          <Typography.Text strong>{t('clusters.nodePorts.reserved')}</Typography.Text>
          <div data-testid="nodeports-reserved">
            <Table<NodePortReservation> rowKey="ports" size="small" columns={reservedColumns} dataSource={m.reserved as NodePortReservation[]} pagination={{ pageSize: 20, hideOnSinglePage: true }} locale={none} />
          </div>
          <Typography.Text strong>{t('clusters.nodePorts.allocated')}</Typography.Text>
          <div data-testid="nodeports-allocated">
            <Table<NodePortAllocation> rowKey="port" size="small" columns={allocatedColumns} dataSource={m.allocated as NodePortAllocation[]} pagination={{ pageSize: 20, hideOnSinglePage: true }} locale={none} />
          </div>
          <Typography.Text strong>{t('clusters.nodePorts.used')}</Typography.Text>
          <div data-testid="nodeports-used">
            <Table<NodePortUse> rowKey="port" size="small" columns={usedColumns} dataSource={m.used as NodePortUse[]} pagination={{ pageSize: 20, hideOnSinglePage: true }} locale={none} />
          </div>
        </>
      )}
    </Space>
  );
}
