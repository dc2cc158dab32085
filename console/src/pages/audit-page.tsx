// The audit log: filter, page through, export, and verify the hash chain.
import { useState } from 'react';
import {
  Alert, App as AntApp, Button, DatePicker, Descriptions, Form, Input, Select, Space, Table, Tag, Typography,
} from 'antd';
import type { TableColumnsType } from 'antd';
import type { Dayjs } from 'dayjs';
import { exportFileName, toAuditFilter } from '../audit-filter.ts';
import { formatTime } from '../format.ts';
import { useI18n } from '../i18n/i18n-provider.tsx';
import { auditOutcomes } from '../model.ts';
import type { AuditFilter, AuditRecord, AuditVerifyResult } from '../model.ts';
import { can } from '../nav.ts';
import { currentToken, firstPage, nextPage, pageNumber, previousPage } from '../pager.ts';
import type { Pager } from '../pager.ts';
import { useSession } from '../session.ts';
import { useAsync } from '../use-async.ts';
import { errorText } from '../http.ts';

interface FilterValues {
  readonly actor?: string;
  readonly tenant?: string;
  readonly resource?: string;
  readonly action?: string;
  readonly outcome?: string;
  readonly range?: readonly [Dayjs | null, Dayjs | null] | null;
}

const pageSizes = [20, 50, 100] as const;

function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  // The browser has started the download by now; revoking later lets slow browsers still read it.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function outcomeColor(outcome: string): string {
  if (/^(success|succeeded|allowed|ok)$/i.test(outcome)) return 'green';
  if (/^(failure|failed|denied|error|forbidden)$/i.test(outcome)) return 'red';
  return 'default';
}

/** Audit page: needs `audit:list`; export and verify appear with `audit:export` and `audit:verify`. */
export default function AuditPage() {
  const { t } = useI18n();
  const { api, user } = useSession();
  const { message } = AntApp.useApp();
  const [form] = Form.useForm<FilterValues>();
  const [filter, setFilter] = useState<AuditFilter>({});
  const [limit, setLimit] = useState<number>(pageSizes[1]);
  const [pager, setPager] = useState<Pager>(firstPage);
  const records = useAsync(() => api.listAudit(filter, limit, currentToken(pager)), [api, filter, limit, pager]);
  const [exporting, setExporting] = useState<'jsonl' | 'csv' | null>(null);
  const [verifying, setVerifying] = useState(false);
  const [verified, setVerified] = useState<AuditVerifyResult | null>(null);
  const [verifyError, setVerifyError] = useState<string | null>(null);

  function search(values: FilterValues): void {
    try {
      setFilter(toAuditFilter({
        ...values,
        since: values.range?.[0]?.toDate() ?? null,
        until: values.range?.[1]?.toDate() ?? null,
      }));
      setPager(firstPage);
    } catch (err) {
      void message.error(errorText(err));
    }
  }

  function reset(): void {
    form.resetFields();
    setFilter({});
    setPager(firstPage);
  }

  async function download(format: 'jsonl' | 'csv'): Promise<void> {
    setExporting(format);
    try {
      const file = await api.exportAudit(filter, format, exportFileName(format, new Date()));
      saveBlob(file.blob, file.fileName);
    } catch (err) {
      void message.error(errorText(err));
    } finally {
      setExporting(null);
    }
  }

  async function verify(): Promise<void> {
    setVerifying(true);
    setVerifyError(null);
    setVerified(null);
    try {
      setVerified(await api.verifyAudit());
    } catch (err) {
      setVerifyError(errorText(err));
    } finally {
      setVerifying(false);
    }
  }

  const columns: TableColumnsType<AuditRecord> = [
    { title: t('audit.seq'), dataIndex: 'seq', key: 'seq', width: 80 },
    { title: t('audit.time'), dataIndex: 'time', key: 'time', render: (v: string) => formatTime(v), width: 170 },
    { title: t('audit.actor'), dataIndex: 'actor', key: 'actor' },
    { title: t('audit.action'), dataIndex: 'action', key: 'action', render: (v: string) => <Tag>{v}</Tag> },
    { title: t('audit.resource'), dataIndex: 'resource', key: 'resource' },
    { title: t('audit.name'), dataIndex: 'name', key: 'name', render: (v: string) => v || '—' },
    { title: t('audit.tenant'), dataIndex: 'tenant', key: 'tenant', render: (v: string) => v || '—' },
    {
      title: t('audit.outcome'), dataIndex: 'outcome', key: 'outcome',
      render: (v: string, r) => <Tag color={outcomeColor(v)}>{v} {r.code}</Tag>,
    },
    { title: t('audit.sourceIp'), dataIndex: 'sourceIp', key: 'sourceIp' },
  ];

  const cont = records.data?.metadata.continue;
  const problem = verified?.firstBad ? t(`audit.problem.${verified.firstBad.problem}`) : '';
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('audit.title')}</Typography.Title>
        <Space wrap>
          {can(user.permissions, 'audit:export') && (
            <>
              <Button loading={exporting === 'jsonl'} onClick={() => download('jsonl')}>{t('audit.exportJsonl')}</Button>
              <Button loading={exporting === 'csv'} onClick={() => download('csv')}>{t('audit.exportCsv')}</Button>
            </>
          )}
          {can(user.permissions, 'audit:verify') && (
            <Button type="primary" loading={verifying} onClick={verify}>{t('audit.verify')}</Button>
          )}
        </Space>
      </Space>
      {verified && (
        <Alert
          data-testid="verify-result"
          type={verified.ok ? 'success' : 'error'}
          showIcon
          closable={{ onClose: () => setVerified(null) }}
          title={verified.ok || !verified.firstBad
            ? t('audit.verifyOk', { checked: verified.checked })
            : t('audit.verifyBad', { seq: verified.firstBad.seq, problem, message: verified.firstBad.message })}
        />
      )}
      {verifyError !== null && <Alert type="error" showIcon title={verifyError} />}
      <Form<FilterValues> form={form} layout="inline" onFinish={search} style={{ rowGap: 8 }}>
        <Form.Item name="actor" label={t('audit.actor')}><Input allowClear placeholder={t('audit.any')} style={{ width: 140 }} /></Form.Item>
        <Form.Item name="tenant" label={t('audit.tenant')}><Input allowClear placeholder={t('audit.any')} style={{ width: 140 }} /></Form.Item>
        <Form.Item name="resource" label={t('audit.resource')}><Input allowClear placeholder={t('audit.any')} style={{ width: 140 }} /></Form.Item>
        <Form.Item name="action" label={t('audit.action')}><Input allowClear placeholder={t('audit.any')} style={{ width: 120 }} /></Form.Item>
        <Form.Item name="outcome" label={t('audit.outcome')}>
          <Select allowClear placeholder={t('audit.any')} style={{ width: 120 }} options={auditOutcomes.map((o) => ({ value: o, label: o }))} />
        </Form.Item>
        <Form.Item name="range" label={t('audit.timeRange')}>
          <DatePicker.RangePicker showTime allowEmpty={[true, true]} />
        </Form.Item>
        <Form.Item>
          <Space>
            <Button type="primary" htmlType="submit">{t('audit.search')}</Button>
            <Button onClick={reset}>{t('audit.reset')}</Button>
          </Space>
        </Form.Item>
      </Form>
      {records.error !== null && <Alert type="error" showIcon title={records.error} />}
      <Table<AuditRecord>
        rowKey="seq"
        size="middle"
        columns={columns}
        dataSource={records.data?.items as AuditRecord[] | undefined}
        loading={records.loading}
        pagination={false}
        expandable={{
          expandedRowRender: (r) => (
            <Descriptions size="small" column={1} bordered>
              <Descriptions.Item label={t('audit.requestId')}><Typography.Text code>{r.requestId}</Typography.Text></Descriptions.Item>
              <Descriptions.Item label={t('audit.hash')}><Typography.Text code>{r.hash}</Typography.Text></Descriptions.Item>
              <Descriptions.Item label={t('audit.detail')}>
                <pre style={{ margin: 0, whiteSpace: 'pre-wrap' }}>{JSON.stringify(r.detail, null, 2)}</pre>
              </Descriptions.Item>
            </Descriptions>
          ),
        }}
      />
      <Space>
        <Button disabled={pageNumber(pager) === 1} onClick={() => setPager(firstPage)}>{t('common.first')}</Button>
        <Button disabled={pageNumber(pager) === 1} onClick={() => setPager(previousPage(pager))}>{t('common.previous')}</Button>
        <Typography.Text>{pageNumber(pager)}</Typography.Text>
        <Button disabled={!cont} onClick={() => cont && setPager(nextPage(pager, cont))}>{t('common.next')}</Button>
        <Select<number>
          value={limit}
          onChange={(v) => { setLimit(v); setPager(firstPage); }}
          options={pageSizes.map((n) => ({ value: n, label: t('common.pageSize', { count: n }) }))}
          style={{ width: 120 }}
        />
      </Space>
    </Space>
  );
}
