// A project's tag immutability rules and retention policies, and retention runs (a dry run lists
// what would go). Everyone who sees the project reads them; managers change and run them.
import { useState } from 'react';
import { Alert, App as AntApp, Button, Card, Form, Input, InputNumber, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { formatTime } from '../format.ts';
import { useI18n } from '../i18n/i18n-provider.tsx';
import { LoadError } from '../load-error.tsx';
import type { ImmutabilityRule, Policy, RetentionPolicy, RetentionResult } from '../model.ts';
import { repositoryPath, retentionKeeps, shortDigest } from '../registry-format.ts';
import { useSession } from '../session.ts';
import { useAsync } from '../use-async.ts';
import { errorText } from '../http.ts';

interface RuleValues {
  readonly repositories?: string;
  readonly tags?: string;
}

interface RetentionValues {
  readonly repositories?: string;
  readonly keepLatest?: number | null;
  readonly keepTags?: string[];
  readonly keepPulledWithinDays?: number | null;
}

type Removed = RetentionResult['removed'][number];

/** A blank pattern is left out; the server then takes `*`. */
const blankToUndefined = (v: string | undefined) => (v?.trim() ? v.trim() : undefined);

/** The Policies tab of `project`; add, delete and run controls show when `manages`. */
export function ProjectPolicies({ project, manages }: { readonly project: string; readonly manages: boolean }) {
  const { t } = useI18n();
  const { api } = useSession();
  const { message } = AntApp.useApp();
  const policies = useAsync(() => api.listPolicies(project), [api, project]);
  const [ruleForm] = Form.useForm<RuleValues>();
  const [retentionForm] = Form.useForm<RetentionValues>();
  const [result, setResult] = useState<RetentionResult | null>(null);
  const [running, setRunning] = useState(false);
  const fail = (err: unknown) => void message.error(errorText(err));

  const items = (policies.data?.items ?? []) as readonly Policy[];
  const rules = items.filter((p): p is ImmutabilityRule => p.kind === 'immutability');
  const retention = items.filter((p): p is RetentionPolicy => p.kind === 'retention');

  async function addRule(values: RuleValues): Promise<void> {
    try {
      await api.createImmutabilityRule(project, { repositories: blankToUndefined(values.repositories), tags: blankToUndefined(values.tags) });
      ruleForm.resetFields();
      void message.success(t('policies.created'));
      policies.reload();
    } catch (err) {
      fail(err);
    }
  }

  async function addRetention(values: RetentionValues): Promise<void> {
    try {
      await api.createRetentionPolicy(project, {
        repositories: blankToUndefined(values.repositories),
        ...(values.keepLatest != null ? { keepLatest: values.keepLatest } : {}),
        ...(values.keepTags && values.keepTags.length > 0 ? { keepTags: values.keepTags } : {}),
        ...(values.keepPulledWithinDays != null ? { keepPulledWithinDays: values.keepPulledWithinDays } : {}),
      });
      retentionForm.resetFields();
      void message.success(t('policies.created'));
      policies.reload();
    } catch (err) {
      fail(err);
    }
  }

  async function remove(policy: Policy): Promise<void> {
    try {
      await api.deletePolicy(project, policy.id);
      void message.success(t('policies.deleted'));
      policies.reload();
    } catch (err) {
      fail(err);
    }
  }

  async function run(dryRun: boolean): Promise<void> {
    setRunning(true);
    try {
      setResult(await api.runRetention(project, dryRun));
    } catch (err) {
      fail(err);
    } finally {
      setRunning(false);
    }
  }

  const deleteColumn = {
    title: t('common.actions'), key: 'actions',
    render: (_: unknown, p: Policy) => (
      <Popconfirm title={t('common.confirmDelete', { name: p.id })} okText={t('common.yes')} cancelText={t('common.no')} onConfirm={() => remove(p)}>
        <Button size="small" danger>{t('common.delete')}</Button>
      </Popconfirm>
    ),
  };
  const pattern = (v: string) => <Typography.Text code>{v}</Typography.Text>;
  const ruleColumns: TableColumnsType<ImmutabilityRule> = [
    { title: t('policies.repositories'), dataIndex: 'repositories', key: 'repositories', render: pattern },
    { title: t('policies.tags'), dataIndex: 'tags', key: 'tags', render: pattern },
    { title: t('common.createdBy'), dataIndex: 'createdBy', key: 'createdBy' },
    { title: t('common.createdAt'), dataIndex: 'createdAt', key: 'createdAt', render: (v: string) => formatTime(v) },
    ...(manages ? [deleteColumn] : []),
  ];
  const retentionColumns: TableColumnsType<RetentionPolicy> = [
    { title: t('policies.repositories'), dataIndex: 'repositories', key: 'repositories', render: pattern },
    {
      title: t('policies.keeps'), key: 'keeps',
      render: (_, p) => retentionKeeps(p).map((k) => (
        <Tag key={k.kind}>
          {k.kind === 'latest' ? t('policies.keepLatestN', { count: k.count })
            : k.kind === 'tags' ? t('policies.keepTagsOf', { tags: k.tags.join(', ') })
              : t('policies.keepPulledWithin', { days: k.days })}
        </Tag>
      )),
    },
    { title: t('common.createdBy'), dataIndex: 'createdBy', key: 'createdBy' },
    { title: t('common.createdAt'), dataIndex: 'createdAt', key: 'createdAt', render: (v: string) => formatTime(v) },
    ...(manages ? [deleteColumn] : []),
  ];
  const removedColumns: TableColumnsType<Removed> = [
    { title: t('repos.name'), dataIndex: 'repository', key: 'repository', render: (v: string) => repositoryPath(v) },
    { title: t('artifacts.digest'), dataIndex: 'digest', key: 'digest', render: (v: string) => <Typography.Text code>{shortDigest(v)}</Typography.Text> },
    {
      title: t('artifacts.tags'), dataIndex: 'tags', key: 'tags',
      render: (tags: readonly string[]) => tags.length === 0 ? <Typography.Text type="secondary">{t('artifacts.untagged')}</Typography.Text> : tags.map((x) => <Tag key={x}>{x}</Tag>),
    },
  ];

  if (policies.error !== null) return <LoadError error={policies.error} code={policies.errorCode} />;
  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }}>
      <Card title={t('policies.immutability')} size="small" data-testid="immutability-rules">
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Typography.Text type="secondary">{t('policies.immutabilityHint')}</Typography.Text>
          <Table<ImmutabilityRule> rowKey="id" size="small" columns={ruleColumns} dataSource={rules as ImmutabilityRule[]} loading={policies.loading} pagination={false} />
          {manages && (
            <Form<RuleValues> form={ruleForm} layout="inline" onFinish={addRule}>
              <Form.Item name="repositories" label={t('policies.repositories')}><Input placeholder="**" maxLength={255} /></Form.Item>
              <Form.Item name="tags" label={t('policies.tags')}><Input placeholder="v*" maxLength={255} /></Form.Item>
              <Form.Item><Button htmlType="submit">{t('policies.addRule')}</Button></Form.Item>
            </Form>
          )}
          {manages && <Typography.Text type="secondary">{t('policies.patternHint')}</Typography.Text>}
        </Space>
      </Card>
      <Card
        title={t('policies.retention')}
        size="small"
        data-testid="retention-policies"
        extra={manages && (
          <Space>
            <Button loading={running} onClick={() => run(true)}>{t('policies.dryRun')}</Button>
            <Popconfirm title={t('policies.confirmRun')} okText={t('common.yes')} cancelText={t('common.no')} onConfirm={() => run(false)}>
              <Button danger loading={running}>{t('policies.run')}</Button>
            </Popconfirm>
          </Space>
        )}
      >
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Typography.Text type="secondary">{t('policies.retentionHint')}</Typography.Text>
          <Table<RetentionPolicy> rowKey="id" size="small" columns={retentionColumns} dataSource={retention as RetentionPolicy[]} loading={policies.loading} pagination={false} />
          {manages && (
            <Form<RetentionValues> form={retentionForm} layout="inline" onFinish={addRetention}>
              <Form.Item name="repositories" label={t('policies.repositories')}><Input placeholder="**" maxLength={255} style={{ width: 140 }} /></Form.Item>
              <Form.Item name="keepLatest" label={t('policies.keepLatest')}><InputNumber min={0} max={100000} precision={0} /></Form.Item>
              <Form.Item name="keepTags" label={t('policies.keepTags')}><Select mode="tags" style={{ minWidth: 160 }} open={false} /></Form.Item>
              <Form.Item name="keepPulledWithinDays" label={t('policies.keepPulledWithinDays')}><InputNumber min={0} max={100000} precision={0} /></Form.Item>
              <Form.Item><Button htmlType="submit">{t('policies.addPolicy')}</Button></Form.Item>
            </Form>
          )}
          {result && (
            <Alert
              type={result.dryRun ? 'info' : 'success'}
              showIcon
              closable={{ onClose: () => setResult(null) }}
              data-testid="retention-result"
              title={t(result.dryRun ? 'policies.wouldGo' : 'policies.removed', { count: result.removed.length, kept: result.kept })}
              description={result.removed.length > 0 && (
                <Table<Removed> rowKey={(r) => `${r.repository}@${r.digest}`} size="small" columns={removedColumns} dataSource={result.removed as Removed[]} pagination={false} />
              )}
            />
          )}
        </Space>
      </Card>
    </Space>
  );
}
