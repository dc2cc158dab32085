// A repository's artifacts: tags, digest, size, media type, push and pull times, referrers, and
// the `docker pull` commands to copy (by tag and by digest, for this server's host).
import { Breadcrumb, Button, Space, Table, Tag, Tooltip, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { formatTime } from '../format.ts';
import { useI18n } from '../i18n/i18n-provider.tsx';
import { Link } from '../link.tsx';
import { LoadError } from '../load-error.tsx';
import type { Artifact } from '../model.ts';
import { formatBytes, mediaTypeLabel, pullCommand, referrersByDigest, repositoryPath, shortDigest } from '../registry-format.ts';
import { registryPath } from '../registry-path.ts';
import { useSession } from '../session.ts';
import { useAsync } from '../use-async.ts';

/** One `docker pull` command to copy; a long one wraps anywhere rather than widen the table. */
function PullCommand({ command, tooltips }: { readonly command: string; readonly tooltips: readonly string[] }) {
  return (
    <Typography.Text code copyable={{ text: command, tooltips: [...tooltips] }} style={{ wordBreak: 'break-all' }} data-testid="pull-command">
      {command}
    </Typography.Text>
  );
}

/** The artifacts of `repository` (its full name) in `project`. */
export default function RepositoryPage({ project, repository }: { readonly project: string; readonly repository: string }) {
  const { t } = useI18n();
  const { api } = useSession();
  const artifacts = useAsync(() => api.listArtifacts(repository), [api, repository]);
  const host = window.location.host;
  const tooltips = [t('common.copy'), t('common.copied')];
  const list = (artifacts.data?.items ?? []) as readonly Artifact[];
  const referrers = referrersByDigest(list);

  const digestText = (digest: string) => (
    <Tooltip title={digest}>
      <Typography.Text code copyable={{ text: digest, tooltips }} style={{ whiteSpace: 'nowrap' }} data-testid="artifact-digest">{shortDigest(digest)}</Typography.Text>
    </Tooltip>
  );

  const columns: TableColumnsType<Artifact> = [
    {
      title: t('artifacts.tags'), dataIndex: 'tags', key: 'tags',
      render: (tags: readonly string[], a) => (
        <Space orientation="vertical" size={2}>
          <span>{tags.length === 0 ? <Typography.Text type="secondary">{t('artifacts.untagged')}</Typography.Text> : tags.map((x) => <Tag key={x} color="blue">{x}</Tag>)}</span>
          <PullCommand command={pullCommand(host, repository, tags.length > 0 ? { tag: tags[0] } : { digest: a.digest })} tooltips={tooltips} />
          {a.subject !== '' && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('artifacts.refersTo', { digest: shortDigest(a.subject) })}</Typography.Text>}
        </Space>
      ),
    },
    { title: t('artifacts.digest'), dataIndex: 'digest', key: 'digest', width: 180, render: digestText },
    { title: t('artifacts.size'), dataIndex: 'size', key: 'size', width: 80, render: (v: number) => <Tooltip title={`${v} B`}><span style={{ whiteSpace: 'nowrap' }}>{formatBytes(v)}</span></Tooltip> },
    {
      title: t('artifacts.mediaType'), dataIndex: 'mediaType', key: 'mediaType', width: 140,
      render: (v: string, a) => (
        <Space orientation="vertical" size={0}>
          <Tooltip title={v}><Typography.Text>{mediaTypeLabel(v)}</Typography.Text></Tooltip>
          {a.artifactType !== '' && a.subject !== '' && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{a.artifactType}</Typography.Text>}
        </Space>
      ),
    },
    {
      // Push and pull times share a column so that the tags and pull command keep their room.
      title: `${t('artifacts.pushedAt')} / ${t('artifacts.pulledAt')}`, key: 'times', width: 185,
      render: (_, a) => (
        <Space orientation="vertical" size={0}>
          <span style={{ whiteSpace: 'nowrap' }}>{formatTime(a.pushedAt)}</span>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('artifacts.pushedBy', { user: a.pushedBy })}</Typography.Text>
          <Typography.Text type="secondary" style={{ fontSize: 12, whiteSpace: 'nowrap' }} data-testid="artifact-pulled">
            {t('artifacts.pulledAt')}: {formatTime(a.pulledAt ?? undefined, t('common.never'))}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('artifacts.referrers'), key: 'referrers', width: 170,
      render: (_, a) => (
        <Space orientation="vertical" size={0}>
          {(referrers.get(a.digest) ?? []).map((r) => (
            <Tooltip key={r.digest} title={r.digest}>
              <Typography.Text style={{ fontSize: 12 }} data-testid="artifact-referrer">{r.artifactType || r.mediaType} <Typography.Text code style={{ whiteSpace: 'nowrap' }}>{shortDigest(r.digest)}</Typography.Text></Typography.Text>
            </Tooltip>
          ))}
        </Space>
      ),
    },
  ];

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Breadcrumb
        items={[
          { title: <Link to={registryPath({ kind: 'projects' })}>{t('projects.title')}</Link> },
          { title: <Link to={registryPath({ kind: 'project', project, tab: 'repositories' })}>{project}</Link> },
          { title: repositoryPath(repository) },
        ]}
      />
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={3} style={{ margin: 0 }}>{repository}</Typography.Title>
        <Button onClick={artifacts.reload}>{t('common.refresh')}</Button>
      </Space>
      <LoadError error={artifacts.error} code={artifacts.errorCode} />
      {artifacts.error === null && (
        <Table<Artifact>
          rowKey="digest"
          // Fixed widths keep the short columns readable; the tags and pull command take the rest.
          tableLayout="fixed"
          columns={columns}
          dataSource={list as Artifact[]}
          loading={artifacts.loading}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          expandable={{
            expandedRowRender: (a) => (
              <Space orientation="vertical" size={4} data-testid="pull-commands">
                <Typography.Text strong>{t('artifacts.pullCommands')}</Typography.Text>
                {a.tags.map((tag) => (
                  <Typography.Text key={tag} code copyable={{ tooltips }}>{pullCommand(host, repository, { tag })}</Typography.Text>
                ))}
                <Space size={4} align="start" wrap>
                  <Typography.Text type="secondary">{t('artifacts.byDigest')}:</Typography.Text>
                  <Typography.Text code copyable={{ tooltips }} style={{ wordBreak: 'break-all' }} data-testid="pull-by-digest">{pullCommand(host, repository, { digest: a.digest })}</Typography.Text>
                </Space>
              </Space>
            ),
          }}
        />
      )}
    </Space>
  );
}
