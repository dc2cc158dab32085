// A project's robot accounts: list, create with repository/action permissions and an expiry (the
// secret and a `docker login` command shown once), delete. Only managers reach this tab.
import { useState } from 'react';
import { Alert, App as AntApp, Button, Checkbox, Form, Input, InputNumber, Modal, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { formatTime, tokenState, tokenStateColors } from '../format.ts';
import { useI18n } from '../i18n/i18n-provider.tsx';
import { LoadError } from '../load-error.tsx';
import { repositoryActions } from '../model.ts';
import type { CreatedRobot, RepositoryAction, Robot, RobotPermission } from '../model.ts';
import { dockerLoginCommand } from '../registry-format.ts';
import { useSession } from '../session.ts';
import { useAsync } from '../use-async.ts';
import { errorText } from '../http.ts';

interface CreateValues {
  readonly name: string;
  readonly description?: string;
  readonly expiresInDays?: number | null;
  readonly permissions: readonly { readonly repositories?: string; readonly actions?: readonly RepositoryAction[] }[];
}

// The server's robot name rule.
const robotName = /^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$/;

/** The Robot accounts tab of `project`. */
export function ProjectRobots({ project }: { readonly project: string }) {
  const { t } = useI18n();
  const { api } = useSession();
  const { message } = AntApp.useApp();
  const robots = useAsync(() => api.listRobots(project), [api, project]);
  const [creating, setCreating] = useState(false);
  const [busy, setBusy] = useState(false);
  const [createError, setCreateError] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedRobot | null>(null);
  const [form] = Form.useForm<CreateValues>();
  const copy = { tooltips: [t('common.copy'), t('common.copied')] };

  async function create(values: CreateValues): Promise<void> {
    setBusy(true);
    setCreateError(null);
    try {
      const permissions: RobotPermission[] = values.permissions.map((p) => ({ repositories: p.repositories?.trim() || '**', actions: [...(p.actions ?? [])] }));
      const description = values.description?.trim();
      const robot = await api.createRobot(project, {
        name: values.name,
        permissions,
        ...(description ? { description } : {}),
        ...(values.expiresInDays != null ? { expiresInDays: values.expiresInDays } : {}),
      });
      setCreating(false);
      setCreated(robot);
      form.resetFields();
      robots.reload();
    } catch (err) {
      setCreateError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  async function remove(robot: Robot): Promise<void> {
    try {
      await api.deleteRobot(project, robot.name);
      void message.success(t('robots.deleted', { name: robot.username }));
      robots.reload();
    } catch (err) {
      void message.error(errorText(err));
    }
  }

  const now = new Date();
  const columns: TableColumnsType<Robot> = [
    { title: t('robots.username'), dataIndex: 'username', key: 'username', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
    { title: t('robots.description'), dataIndex: 'description', key: 'description', render: (v: string) => v || '—' },
    {
      title: t('robots.permissions'), dataIndex: 'permissions', key: 'permissions',
      render: (perms: readonly RobotPermission[]) => (
        <Space orientation="vertical" size={2}>
          {perms.map((p) => (
            <span key={p.repositories}>
              <Typography.Text code>{p.repositories}</Typography.Text> {p.actions.map((a) => <Tag key={a}>{a}</Tag>)}
            </span>
          ))}
        </Space>
      ),
    },
    { title: t('robots.expiresAt'), dataIndex: 'expiresAt', key: 'expiresAt', render: (v: string) => formatTime(v) },
    {
      title: t('robots.status'), key: 'status',
      render: (_, r) => {
        const state = tokenState(r, now);
        return <Tag color={tokenStateColors[state]}>{t(`tokens.${state}`)}</Tag>;
      },
    },
    { title: t('common.createdBy'), dataIndex: 'createdBy', key: 'createdBy' },
    {
      title: t('common.actions'), key: 'actions',
      render: (_, r) => (
        <Popconfirm title={t('common.confirmDelete', { name: r.username })} okText={t('common.yes')} cancelText={t('common.no')} onConfirm={() => remove(r)}>
          <Button size="small" danger>{t('common.delete')}</Button>
        </Popconfirm>
      ),
    },
  ];

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      {robots.error === null && (
        <Space style={{ width: '100%', justifyContent: 'flex-end' }}>
          <Button type="primary" onClick={() => { setCreateError(null); setCreating(true); }}>{t('robots.new')}</Button>
        </Space>
      )}
      {created && (
        <Alert
          type="success"
          showIcon
          data-testid="robot-secret"
          title={t('robots.secretTitle', { name: created.username })}
          description={
            <Space orientation="vertical" style={{ width: '100%' }}>
              <Typography.Text type="warning">{t('robots.secretWarning')}</Typography.Text>
              <Typography.Text>{t('robots.username')}: <Typography.Text code copyable={{ text: created.username, ...copy }}>{created.username}</Typography.Text></Typography.Text>
              <Typography.Text>{t('robots.secret')}:</Typography.Text>
              <Typography.Paragraph code copyable={{ text: created.secret, ...copy }} style={{ marginBottom: 0, wordBreak: 'break-all' }} data-testid="robot-secret-value">
                {created.secret}
              </Typography.Paragraph>
              <Typography.Text>{t('robots.login')}:</Typography.Text>
              <Typography.Paragraph code copyable={{ ...copy }} style={{ marginBottom: 0, wordBreak: 'break-all' }} data-testid="robot-login-command">
                {dockerLoginCommand(window.location.host, created.username, created.secret)}
              </Typography.Paragraph>
            </Space>
          }
          action={<Button size="small" onClick={() => setCreated(null)}>{t('common.done')}</Button>}
        />
      )}
      <LoadError error={robots.error} code={robots.errorCode} />
      {robots.error === null && (
        <Table<Robot>
          rowKey="name"
          columns={columns}
          dataSource={robots.data?.items as Robot[] | undefined}
          loading={robots.loading}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
        />
      )}
      <Modal
        open={creating}
        title={t('robots.new')}
        okText={t('common.create')}
        cancelText={t('common.cancel')}
        confirmLoading={busy}
        onOk={() => form.submit()}
        onCancel={() => setCreating(false)}
        width={640}
        forceRender
      >
        <Form<CreateValues>
          form={form}
          layout="vertical"
          onFinish={create}
          initialValues={{ expiresInDays: 30, permissions: [{ repositories: '**', actions: ['pull'] }] }}
        >
          <Form.Item name="name" label={t('common.name')} extra={t('robots.nameRule')}
            rules={[{ required: true, message: t('common.required') }, { pattern: robotName, message: t('robots.nameRule') }]}>
            <Input maxLength={64} autoComplete="off" />
          </Form.Item>
          <Form.Item name="description" label={t('robots.description')}>
            <Input maxLength={1024} autoComplete="off" />
          </Form.Item>
          <Form.Item name="expiresInDays" label={t('robots.expiresInDays')}>
            <InputNumber min={1} max={366} precision={0} style={{ width: '100%' }} />
          </Form.Item>
          <Typography.Text strong>{t('robots.permissions')}</Typography.Text>
          <Form.List name="permissions">
            {(fields, { add, remove: removeField }) => (
              <>
                {fields.map((field) => (
                  <Space key={field.key} align="start" style={{ display: 'flex', marginTop: 8 }} data-testid="robot-permission">
                    <Form.Item name={[field.name, 'repositories']} label={t('robots.repositories')} extra={field.name === 0 ? t('members.patternHint') : undefined} style={{ width: 300, marginBottom: 0 }}>
                      <Input maxLength={255} placeholder="**" autoComplete="off" />
                    </Form.Item>
                    <Form.Item name={[field.name, 'actions']} label={t('robots.actions')} style={{ marginBottom: 0 }}
                      rules={[{ required: true, type: 'array', min: 1, message: t('robots.actionsRequired') }]}>
                      <Checkbox.Group options={repositoryActions.map((a) => ({ value: a, label: a }))} />
                    </Form.Item>
                    {fields.length > 1 && <Button style={{ marginTop: 30 }} onClick={() => removeField(field.name)}>{t('common.remove')}</Button>}
                  </Space>
                ))}
                <Button type="dashed" style={{ marginTop: 12 }} onClick={() => add({ repositories: '**', actions: ['pull'] })}>{t('robots.addPermission')}</Button>
              </>
            )}
          </Form.List>
          {createError !== null && <Alert style={{ marginTop: 12 }} type="error" showIcon title={createError} />}
        </Form>
      </Modal>
    </Space>
  );
}
