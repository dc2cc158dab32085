// The registry's pages under /projects: the project list here, a project's tabs and a
// repository's artifacts in their own lazily loaded modules.
import { lazy, useState } from 'react';
import { Alert, App as AntApp, AutoComplete, Button, Form, Input, InputNumber, Modal, Popconfirm, Progress, Result, Space, Switch, Table, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { formatTime } from '../format.ts';
import { useI18n } from '../i18n/i18n-provider.tsx';
import { Link } from '../link.tsx';
import { LoadError } from '../load-error.tsx';
import type { ProjectView } from '../model.ts';
import { can } from '../nav.ts';
import { projectTenants } from '../registry-access.ts';
import { formatBytes, quotaPercent } from '../registry-format.ts';
import { parseRegistryPath, registryPath } from '../registry-path.ts';
import { usePath } from '../router.ts';
import { useSession } from '../session.ts';
import { useAsync } from '../use-async.ts';
import { errorText } from '../http.ts';

const ProjectPage = lazy(() => import('./project-page.tsx'));
const RepositoryPage = lazy(() => import('./repository-page.tsx'));

interface CreateValues {
  readonly name: string;
  readonly tenant?: string;
  readonly public?: boolean;
  readonly storageMiB?: number | null;
  readonly artifactLimit?: number | null;
}

// The server's project name rule (one OCI name component, 2 to 63 characters).
const projectName = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const mebibyte = 1024 * 1024;

/** Usage against a limit, as text and, when limited, a bar. */
function UsageCell({ used, limit, show }: { readonly used: number; readonly limit: number; readonly show: (n: number) => string }) {
  const { t } = useI18n();
  const percent = quotaPercent(used, limit);
  const text = t('projects.usageOf', { used: show(used), limit: limit < 0 ? t('projects.unlimited') : show(limit) });
  return (
    <Space orientation="vertical" size={0} style={{ minWidth: 140 }}>
      <Typography.Text>{text}</Typography.Text>
      {percent !== undefined && <Progress percent={percent} size="small" showInfo={false} status={percent >= 90 ? 'exception' : 'normal'} />}
    </Space>
  );
}

function ProjectList() {
  const { t } = useI18n();
  const { api, user } = useSession();
  const { message } = AntApp.useApp();
  const projects = useAsync(async () => (await api.listProjects()).items, [api]);
  const [creating, setCreating] = useState(false);
  const [busy, setBusy] = useState(false);
  const [createError, setCreateError] = useState<string | null>(null);
  const [form] = Form.useForm<CreateValues>();
  const tenants = projectTenants(user);

  async function create(values: CreateValues): Promise<void> {
    setBusy(true);
    setCreateError(null);
    try {
      const tenant = values.tenant?.trim() ?? '';
      const created = await api.createProject({
        name: values.name,
        public: values.public ?? false,
        ...(tenant !== '' ? { tenant } : {}),
        ...(values.storageMiB != null ? { storageLimit: Math.round(values.storageMiB * mebibyte) } : {}),
        ...(values.artifactLimit != null ? { artifactLimit: values.artifactLimit } : {}),
      });
      setCreating(false);
      form.resetFields();
      void message.success(t('projects.created', { name: created.name }));
      projects.reload();
    } catch (err) {
      setCreateError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  async function remove(project: ProjectView): Promise<void> {
    try {
      await api.deleteProject(project.name);
      void message.success(t('projects.deleted', { name: project.name }));
      projects.reload();
    } catch (err) {
      void message.error(errorText(err));
    }
  }

  const columns: TableColumnsType<ProjectView> = [
    {
      title: t('common.name'), dataIndex: 'name', key: 'name',
      render: (name: string) => <Link to={registryPath({ kind: 'project', project: name, tab: 'repositories' })}>{name}</Link>,
    },
    { title: t('projects.tenant'), dataIndex: 'tenant', key: 'tenant', render: (v: string) => v === '' ? <Tag>{t('projects.platform')}</Tag> : v },
    {
      title: t('projects.visibility'), dataIndex: 'public', key: 'public',
      render: (v: boolean) => v ? <Tag color="green">{t('projects.public')}</Tag> : <Tag>{t('projects.private')}</Tag>,
    },
    { title: t('projects.repositories'), key: 'repositories', render: (_, p) => p.usage.repositories },
    { title: t('projects.storage'), key: 'storage', render: (_, p) => <UsageCell used={p.usage.storageBytes} limit={p.storageLimit} show={formatBytes} /> },
    { title: t('projects.artifacts'), key: 'artifacts', render: (_, p) => <UsageCell used={p.usage.artifacts} limit={p.artifactLimit} show={String} /> },
    { title: t('common.createdAt'), dataIndex: 'createdAt', key: 'createdAt', render: (v: string) => formatTime(v) },
  ];
  if (can(user.permissions, 'projects:delete')) {
    columns.push({
      title: t('common.actions'), key: 'actions',
      render: (_, p) => (
        <Popconfirm title={t('common.confirmDelete', { name: p.name })} okText={t('common.yes')} cancelText={t('common.no')} onConfirm={() => remove(p)}>
          <Button size="small" danger>{t('common.delete')}</Button>
        </Popconfirm>
      ),
    });
  }

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('projects.title')}</Typography.Title>
        <Space>
          <Button onClick={projects.reload}>{t('common.refresh')}</Button>
          {can(user.permissions, 'projects:create') && tenants.length > 0 && (
            <Button type="primary" onClick={() => { setCreateError(null); setCreating(true); }}>{t('projects.new')}</Button>
          )}
        </Space>
      </Space>
      <LoadError error={projects.error} code={projects.errorCode} />
      <Table<ProjectView>
        rowKey="name"
        columns={columns}
        dataSource={projects.data as ProjectView[] | undefined}
        loading={projects.loading}
        locale={{ emptyText: t('projects.empty') }}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
      />
      <Modal
        open={creating}
        title={t('projects.new')}
        okText={t('common.create')}
        cancelText={t('common.cancel')}
        confirmLoading={busy}
        onOk={() => form.submit()}
        onCancel={() => setCreating(false)}
        forceRender
      >
        <Form<CreateValues> form={form} layout="vertical" onFinish={create} initialValues={{ public: false, tenant: tenants[0] ?? '' }}>
          <Form.Item
            name="name"
            label={t('common.name')}
            extra={t('projects.nameRule')}
            rules={[{ required: true, message: t('common.required') }, { pattern: projectName, min: 2, max: 63, message: t('projects.nameRule') }]}
          >
            <Input maxLength={63} autoComplete="off" />
          </Form.Item>
          <Form.Item name="tenant" label={t('projects.tenant')} extra={tenants.includes('') ? t('projects.tenantHint') : undefined}>
            <AutoComplete options={tenants.filter((x) => x !== '').map((x) => ({ value: x }))} />
          </Form.Item>
          <Form.Item name="public" label={t('projects.public')} valuePropName="checked" extra={t('projects.publicHint')}>
            <Switch />
          </Form.Item>
          <Form.Item name="storageMiB" label={t('projects.storageLimit')} extra={t('projects.noLimitHint')}>
            <InputNumber min={0} precision={0} style={{ width: '100%' }} />
          </Form.Item>
          <Form.Item name="artifactLimit" label={t('projects.artifactLimit')} extra={t('projects.noLimitHint')}>
            <InputNumber min={0} precision={0} style={{ width: '100%' }} />
          </Form.Item>
          {createError !== null && <Alert type="error" showIcon title={createError} />}
        </Form>
      </Modal>
    </Space>
  );
}

/** Registry pages (needs `projects:list`): the project list, a project, or a repository, as the path says. */
export default function ProjectsPage() {
  const { t } = useI18n();
  const [path] = usePath();
  const view = parseRegistryPath(path);
  if (view.kind === 'projects') return <ProjectList />;
  if (view.kind === 'project') return <ProjectPage key={view.project} project={view.project} tab={view.tab} />;
  if (view.kind === 'repository') return <RepositoryPage key={view.repository} project={view.project} repository={view.repository} />;
  return <Result status="404" title={t('app.notFound')} />;
}
