// Users of the platform: list, create, enable/disable, delete. Shown only with `users:list`.
import { useState } from 'react';
import { Alert, App as AntApp, Button, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { formatTime } from '../format.ts';
import { useI18n } from '../i18n/i18n-provider.tsx';
import { knownPlatformRoles } from '../model.ts';
import type { User } from '../model.ts';
import { can } from '../nav.ts';
import { currentToken, firstPage, nextPage, pageNumber, previousPage } from '../pager.ts';
import type { Pager } from '../pager.ts';
import { useSession } from '../session.ts';
import { useAsync } from '../use-async.ts';
import { errorText } from '../http.ts';

interface CreateValues {
  readonly name: string;
  readonly password: string;
  readonly email?: string;
  readonly platformRoles?: string[];
}

const pageSize = 50;
// Kubernetes DNS-1123 label, the rule the server applies to user names.
const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Users page: create, update and delete controls appear with the matching `users:*` permissions. */
export default function UsersPage() {
  const { t } = useI18n();
  const { api, user: me } = useSession();
  const { message } = AntApp.useApp();
  const [pager, setPager] = useState<Pager>(firstPage);
  const users = useAsync(() => api.listUsers(pageSize, currentToken(pager)), [api, pager]);
  const [creating, setCreating] = useState(false);
  const [busy, setBusy] = useState(false);
  const [createError, setCreateError] = useState<string | null>(null);
  const [form] = Form.useForm<CreateValues>();

  const fail = (err: unknown) => void message.error(errorText(err));

  async function create(values: CreateValues): Promise<void> {
    setBusy(true);
    setCreateError(null);
    try {
      const email = values.email?.trim();
      const created = await api.createUser({
        name: values.name,
        password: values.password,
        ...(email ? { email } : {}),
        ...(values.platformRoles && values.platformRoles.length > 0 ? { platformRoles: values.platformRoles } : {}),
      });
      setCreating(false);
      form.resetFields();
      void message.success(t('users.created', { name: created.name }));
      users.reload();
    } catch (err) {
      setCreateError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  async function setDisabled(user: User, disabled: boolean): Promise<void> {
    try {
      await api.patchUser(user.name, { disabled, resourceVersion: user.resourceVersion });
      void message.success(t('users.updated', { name: user.name }));
      users.reload();
    } catch (err) {
      fail(err);
      users.reload();
    }
  }

  async function remove(user: User): Promise<void> {
    try {
      await api.deleteUser(user.name);
      void message.success(t('users.deleted', { name: user.name }));
      users.reload();
    } catch (err) {
      fail(err);
    }
  }

  const mayUpdate = can(me.permissions, 'users:update');
  const mayDelete = can(me.permissions, 'users:delete');
  const columns: TableColumnsType<User> = [
    { title: t('common.name'), dataIndex: 'name', key: 'name', render: (name: string) => <Typography.Text strong>{name}</Typography.Text> },
    { title: t('users.email'), dataIndex: 'email', key: 'email', render: (v?: string) => v ?? '—' },
    {
      title: t('users.roles'), dataIndex: 'platformRoles', key: 'roles',
      render: (roles: readonly string[]) => roles.map((r) => <Tag key={r} color="blue">{r}</Tag>),
    },
    {
      title: t('users.status'), dataIndex: 'disabled', key: 'disabled',
      render: (disabled: boolean) => disabled
        ? <Tag color="red">{t('users.disabled')}</Tag>
        : <Tag color="green">{t('users.enabled')}</Tag>,
    },
    { title: t('common.createdAt'), dataIndex: 'createdAt', key: 'createdAt', render: (v: string) => formatTime(v) },
  ];
  if (mayUpdate || mayDelete) {
    columns.push({
      title: t('common.actions'), key: 'actions',
      render: (_, user) => (
        <Space>
          {mayUpdate && user.name !== me.name && (
            <Button size="small" onClick={() => setDisabled(user, !user.disabled)}>
              {user.disabled ? t('users.enable') : t('users.disable')}
            </Button>
          )}
          {mayDelete && user.name !== me.name && (
            <Popconfirm
              title={t('common.confirmDelete', { name: user.name })}
              okText={t('common.yes')}
              cancelText={t('common.no')}
              onConfirm={() => remove(user)}
            >
              <Button size="small" danger>{t('common.delete')}</Button>
            </Popconfirm>
          )}
        </Space>
      ),
    });
  }

  const cont = users.data?.metadata.continue;
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('users.title')}</Typography.Title>
        <Space>
          <Button onClick={users.reload}>{t('common.refresh')}</Button>
          {can(me.permissions, 'users:create') && (
            <Button type="primary" onClick={() => { setCreateError(null); setCreating(true); }}>{t('users.new')}</Button>
          )}
        </Space>
      </Space>
      {users.error !== null && <Alert type="error" showIcon title={users.error} />}
      <Table<User>
        rowKey="name"
        columns={columns}
        dataSource={users.data?.items as User[] | undefined}
        loading={users.loading}
        pagination={false}
      />
      <Space>
        <Button disabled={pageNumber(pager) === 1} onClick={() => setPager(previousPage(pager))}>{t('common.previous')}</Button>
        <Typography.Text>{pageNumber(pager)}</Typography.Text>
        <Button disabled={!cont} onClick={() => cont && setPager(nextPage(pager, cont))}>{t('common.next')}</Button>
      </Space>
      <Modal
        open={creating}
        title={t('users.new')}
        okText={t('common.create')}
        cancelText={t('common.cancel')}
        confirmLoading={busy}
        onOk={() => form.submit()}
        onCancel={() => setCreating(false)}
        forceRender
      >
        <Form<CreateValues> form={form} layout="vertical" onFinish={create}>
          <Form.Item
            name="name"
            label={t('common.name')}
            extra={t('users.nameRule')}
            rules={[
              { required: true, message: t('common.required') },
              { pattern: dns1123Label, max: 63, message: t('users.nameRule') },
            ]}
          >
            <Input maxLength={63} autoComplete="off" />
          </Form.Item>
          <Form.Item name="password" label={t('users.password')} rules={[{ required: true, message: t('common.required') }]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Form.Item name="email" label={t('users.email')} rules={[{ type: 'email' }]}>
            <Input autoComplete="off" />
          </Form.Item>
          <Form.Item name="platformRoles" label={t('users.roles')}>
            <Select mode="tags" options={knownPlatformRoles.map((r) => ({ value: r, label: r }))} />
          </Form.Item>
          {createError !== null && <Alert type="error" showIcon title={createError} />}
        </Form>
      </Modal>
    </Space>
  );
}
