// One registry project: what it is and uses, and tabs for its repositories, members, robot
// accounts and policies. Management controls show only to those who manage the project.
import { Breadcrumb, Descriptions, Space, Table, Tabs, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { formatTime } from '../format.ts';
import { useI18n } from '../i18n/i18n-provider.tsx';
import { Link } from '../link.tsx';
import { LoadError } from '../load-error.tsx';
import type { Member, Repository } from '../model.ts';
import { managesProject } from '../registry-access.ts';
import { formatBytes, repositoryPath } from '../registry-format.ts';
import { registryPath } from '../registry-path.ts';
import type { ProjectTab } from '../registry-path.ts';
import { usePath } from '../router.ts';
import { useSession } from '../session.ts';
import { useAsync } from '../use-async.ts';
import { ProjectMembers } from './project-members.tsx';
import { ProjectPolicies } from './project-policies.tsx';
import { ProjectRobots } from './project-robots.tsx';

function Repositories({ project }: { readonly project: string }) {
  const { t } = useI18n();
  const { api } = useSession();
  const repos = useAsync(() => api.listRepositories(project), [api, project]);
  const host = window.location.host;
  const columns: TableColumnsType<Repository> = [
    {
      title: t('repos.name'), dataIndex: 'name', key: 'name',
      render: (name: string) => <Link to={registryPath({ kind: 'repository', project, repository: name })}>{repositoryPath(name)}</Link>,
    },
    { title: t('repos.artifacts'), dataIndex: 'artifactCount', key: 'artifactCount' },
    { title: t('repos.pulls'), dataIndex: 'pullCount', key: 'pullCount' },
    { title: t('repos.updatedAt'), dataIndex: 'updatedAt', key: 'updatedAt', render: (v: string) => formatTime(v) },
  ];
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <LoadError error={repos.error} code={repos.errorCode} />
      <Table<Repository>
        rowKey="name"
        columns={columns}
        dataSource={repos.data?.items as Repository[] | undefined}
        loading={repos.loading}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
      />
      <Typography.Text type="secondary">
        {t('repos.pushHint')}{' '}
        <Typography.Text code copyable>{`docker push ${host}/${project}/<repository>:<tag>`}</Typography.Text>
      </Typography.Text>
    </Space>
  );
}

/** A project's page, on tab `tab`; a project the caller may not see shows "not found". */
export default function ProjectPage({ project, tab }: { readonly project: string; readonly tab: ProjectTab }) {
  const { t } = useI18n();
  const { api, user } = useSession();
  const [, go] = usePath();
  const info = useAsync(() => api.getProject(project), [api, project]);
  // Limited guests may not list members; they then simply manage nothing.
  const members = useAsync(() => api.listMembers(project).catch(() => ({ items: [] as readonly Member[] })), [api, project]);
  const manages = info.data !== undefined && managesProject(user, info.data, members.data?.items ?? []);

  const breadcrumb = (
    <Breadcrumb items={[{ title: <Link to={registryPath({ kind: 'projects' })}>{t('projects.title')}</Link> }, { title: project }]} />
  );
  if (info.error !== null) {
    return <Space orientation="vertical" style={{ width: '100%' }}>{breadcrumb}<LoadError error={info.error} code={info.errorCode} /></Space>;
  }
  const p = info.data;
  const limit = (n: number, show: (v: number) => string) => (n < 0 ? t('projects.unlimited') : show(n));
  const items = [
    { key: 'repositories', label: t('project.tab.repositories'), children: <Repositories project={project} /> },
    { key: 'members', label: t('project.tab.members'), children: <ProjectMembers project={project} manages={manages} onChange={members.reload} /> },
    // A typed robots path still opens the tab, so a non-manager reads the server's refusal.
    ...(manages || tab === 'robots' ? [{ key: 'robots', label: t('project.tab.robots'), children: <ProjectRobots project={project} /> }] : []),
    { key: 'policies', label: t('project.tab.policies'), children: <ProjectPolicies project={project} manages={manages} /> },
  ];
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      {breadcrumb}
      <Space align="center">
        <Typography.Title level={3} style={{ margin: 0 }}>{project}</Typography.Title>
        {p && (p.public ? <Tag color="green">{t('projects.public')}</Tag> : <Tag>{t('projects.private')}</Tag>)}
      </Space>
      {p && (
        <Descriptions size="small" column={{ xs: 1, md: 3 }} data-testid="project-usage">
          <Descriptions.Item label={t('projects.tenant')}>{p.tenant === '' ? t('projects.platform') : p.tenant}</Descriptions.Item>
          <Descriptions.Item label={t('projects.storage')}>
            {t('projects.usageOf', { used: formatBytes(p.usage.storageBytes), limit: limit(p.storageLimit, formatBytes) })}
          </Descriptions.Item>
          <Descriptions.Item label={t('projects.artifacts')}>
            {t('projects.usageOf', { used: String(p.usage.artifacts), limit: limit(p.artifactLimit, String) })}
          </Descriptions.Item>
          <Descriptions.Item label={t('projects.repositories')}>{p.usage.repositories}</Descriptions.Item>
          <Descriptions.Item label={t('common.createdBy')}>{p.createdBy}</Descriptions.Item>
          <Descriptions.Item label={t('common.createdAt')}>{formatTime(p.createdAt)}</Descriptions.Item>
        </Descriptions>
      )}
      <Tabs
        activeKey={tab}
        items={items}
        destroyOnHidden
        onChange={(key) => go(registryPath({ kind: 'project', project, tab: key as ProjectTab }))}
      />
    </Space>
  );
}
