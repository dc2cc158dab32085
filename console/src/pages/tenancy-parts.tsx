// Pieces the tenancy pages share: status tags, a usage bar, and the quota table with bars.
import { Progress, Space, Table, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { useI18n } from '../i18n/i18n-provider.tsx';
import type { ClusterStatus, ObjectState, QuotaMap } from '../model.ts';
import { formatQuantity, nearLimit, usageRows } from '../quota.ts';
import type { UsageRow } from '../quota.ts';

const clusterColors: Readonly<Record<ClusterStatus, string>> = { Ready: 'green', Degraded: 'red' };
const stateColors: Readonly<Record<ObjectState, string>> = { Pending: 'blue', Applied: 'green', Drifted: 'orange', Failed: 'red' };

/** A cluster's status as a coloured tag. */
export function ClusterStatusTag({ status }: { readonly status: ClusterStatus }) {
  const { t } = useI18n();
  return <Tag color={clusterColors[status] ?? 'default'} data-testid="cluster-status">{t(`clusters.status.${status}`)}</Tag>;
}

/** An applied object's state as a coloured tag. */
export function ObjectStateTag({ state }: { readonly state: ObjectState }) {
  const { t } = useI18n();
  return <Tag color={stateColors[state] ?? 'default'}>{t(`namespaces.state.${state}`)}</Tag>;
}

/** `used` of `hard` as text and a bar, red above 90%; a dash when nothing is limited. */
export function UsageBar({ resource, used, hard, percent }: {
  readonly resource: string; readonly used?: string; readonly hard?: string; readonly percent?: number;
}) {
  if (hard === undefined) return <Typography.Text type="secondary">—</Typography.Text>;
  const shown = `${formatQuantity(resource, used ?? '0')} / ${formatQuantity(resource, hard)}`;
  return (
    <Space orientation="vertical" size={0} style={{ minWidth: 160 }} data-testid={`usage-${resource}`}>
      <Typography.Text>{percent === undefined ? shown : `${shown} (${percent}%)`}</Typography.Text>
      <Progress
        percent={Math.min(100, percent ?? 0)}
        size="small"
        showInfo={false}
        status={nearLimit(used, hard) ? 'exception' : 'normal'}
      />
    </Space>
  );
}

/**
 * A quota table: one row per resource with hard, (allocated,) used and a usage bar. `allocated`
 * adds the column the tenant page needs (what its namespaces were given).
 */
export function QuotaTable({ hard, used, allocated, testId }: {
  readonly hard: QuotaMap; readonly used?: QuotaMap; readonly allocated?: QuotaMap; readonly testId?: string;
}) {
  const { t } = useI18n();
  const rows = usageRows(hard, used ?? {}, allocated);
  const columns: TableColumnsType<UsageRow> = [
    { title: t('quota.resource'), dataIndex: 'resource', key: 'resource', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
    { title: t('quota.hard'), key: 'hard', render: (_, r) => formatQuantity(r.resource, r.hard) },
    ...(allocated ? [{ title: t('quota.allocated'), key: 'allocated', render: (_: unknown, r: UsageRow) => formatQuantity(r.resource, r.allocated) }] : []),
    { title: t('quota.used'), key: 'used', render: (_, r) => formatQuantity(r.resource, r.used) },
    { title: t('quota.usage'), key: 'usage', render: (_, r) => <UsageBar resource={r.resource} used={r.used} hard={r.hard} percent={r.percent} /> },
  ];
  return (
    <div data-testid={testId}>
      <Table<UsageRow>
        rowKey="resource"
        size="small"
        columns={columns}
        dataSource={rows as UsageRow[]}
        pagination={false}
        locale={{ emptyText: t('quota.none') }}
      />
    </div>
  );
}
