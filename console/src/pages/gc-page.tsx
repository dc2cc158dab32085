// The registry's garbage collection (platform admins): recorded runs, a dry run, and a run.
import { useState } from 'react';
import { Alert, App as AntApp, Button, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { formatTime } from '../format.ts';
import { useI18n } from '../i18n/i18n-provider.tsx';
import type { Translate } from '../i18n/messages.ts';
import { LoadError } from '../load-error.tsx';
import type { GcResult, GcRun } from '../model.ts';
import { can } from '../nav.ts';
import { formatBytes } from '../registry-format.ts';
import { useSession } from '../session.ts';
import { useAsync } from '../use-async.ts';
import { errorText } from '../http.ts';

const statusColors = { running: 'processing', succeeded: 'green', failed: 'red' } as const;

function resultOf(run: GcRun): GcResult | undefined {
  return run.result !== null && 'dryRun' in run.result ? run.result : undefined;
}

function summary(t: Translate, r: GcResult): string {
  const vars = { blobs: r.blobsDeleted, bytes: formatBytes(r.bytesFreed), links: r.linksRemoved, uploads: r.uploadsRemoved };
  return t(r.dryRun ? 'gc.resultDry' : 'gc.result', vars);
}

/** Garbage collection page: needs `gc:list`; the run buttons need `gc:create`. */
export default function GcPage() {
  const { t } = useI18n();
  const { api, user } = useSession();
  const { message } = AntApp.useApp();
  const runs = useAsync(() => api.listGcRuns(), [api]);
  const [running, setRunning] = useState(false);
  const [last, setLast] = useState<GcRun | null>(null);

  async function run(dryRun: boolean): Promise<void> {
    setRunning(true);
    try {
      setLast(await api.runGc(dryRun));
      runs.reload();
    } catch (err) {
      void message.error(errorText(err));
    } finally {
      setRunning(false);
    }
  }

  const columns: TableColumnsType<GcRun> = [
    { title: t('gc.startedAt'), dataIndex: 'startedAt', key: 'startedAt', render: (v: string) => formatTime(v) },
    { title: t('gc.finishedAt'), dataIndex: 'finishedAt', key: 'finishedAt', render: (v: string | null) => formatTime(v ?? undefined) },
    { title: t('gc.triggeredBy'), dataIndex: 'triggeredBy', key: 'triggeredBy' },
    { title: t('gc.status'), dataIndex: 'status', key: 'status', render: (s: GcRun['status']) => <Tag color={statusColors[s]}>{t(`gc.status.${s}`)}</Tag> },
    {
      title: t('gc.mode'), key: 'mode',
      render: (_, r) => {
        const res = resultOf(r);
        return res === undefined ? '—' : res.dryRun ? <Tag>{t('gc.modeDry')}</Tag> : <Tag color="blue">{t('gc.modeReal')}</Tag>;
      },
    },
    { title: t('gc.blobs'), key: 'blobs', render: (_, r) => resultOf(r)?.blobsDeleted ?? '—' },
    { title: t('gc.bytesFreed'), key: 'bytes', render: (_, r) => { const res = resultOf(r); return res ? formatBytes(res.bytesFreed) : '—'; } },
    { title: t('gc.links'), key: 'links', render: (_, r) => resultOf(r)?.linksRemoved ?? '—' },
    { title: t('gc.uploads'), key: 'uploads', render: (_, r) => resultOf(r)?.uploadsRemoved ?? '—' },
    {
      title: '', key: 'error',
      render: (_, r) => r.result !== null && 'error' in r.result ? <Typography.Text type="danger">{r.result.error}</Typography.Text> : null,
    },
  ];
  const lastResult = last ? resultOf(last) : undefined;

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('gc.title')}</Typography.Title>
        <Space>
          <Button onClick={runs.reload}>{t('common.refresh')}</Button>
          {can(user.permissions, 'gc:create') && (
            <>
              <Button loading={running} onClick={() => run(true)}>{t('gc.dryRun')}</Button>
              <Popconfirm title={t('gc.confirmRun')} okText={t('common.yes')} cancelText={t('common.no')} onConfirm={() => run(false)}>
                <Button type="primary" danger loading={running}>{t('gc.run')}</Button>
              </Popconfirm>
            </>
          )}
        </Space>
      </Space>
      <Typography.Text type="secondary">{t('gc.hint')}</Typography.Text>
      {lastResult && (
        <Alert type={lastResult.dryRun ? 'info' : 'success'} showIcon data-testid="gc-result" title={summary(t, lastResult)}
          closable={{ onClose: () => setLast(null) }} />
      )}
      <LoadError error={runs.error} code={runs.errorCode} />
      <Table<GcRun>
        rowKey="id"
        columns={columns}
        dataSource={runs.data?.items as GcRun[] | undefined}
        loading={runs.loading}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
      />
    </Space>
  );
}
