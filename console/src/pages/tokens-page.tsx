// The caller's own API tokens: list, create (the secret is shown once), revoke.
import { useState } from 'react';
import { Alert, App as AntApp, Button, Form, Input, InputNumber, Modal, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { formatTime, tokenState, tokenStateColors } from '../format.ts';
import { useI18n } from '../i18n/i18n-provider.tsx';
import type { CreatedToken, Token } from '../model.ts';
import { can } from '../nav.ts';
import { useSession } from '../session.ts';
import { useAsync } from '../use-async.ts';
import { errorText } from '../http.ts';

interface CreateValues {
  readonly name: string;
  readonly expiresInDays?: number | null;
}

/** Tokens page: needs `tokens:list`; create and revoke appear with `tokens:create` and `tokens:delete`. */
export default function TokensPage() {
  const { t } = useI18n();
  const { api, user } = useSession();
  const { message } = AntApp.useApp();
  const tokens = useAsync(() => api.listTokens(), [api]);
  const [creating, setCreating] = useState(false);
  const [busy, setBusy] = useState(false);
  const [createError, setCreateError] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [form] = Form.useForm<CreateValues>();

  async function create(values: CreateValues): Promise<void> {
    setBusy(true);
    setCreateError(null);
    try {
      const days = values.expiresInDays ?? undefined;
      const token = await api.createToken(values.name.trim(), days);
      setCreating(false);
      setCreated(token);
      form.resetFields();
      tokens.reload();
    } catch (err) {
      setCreateError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  async function revoke(token: Token): Promise<void> {
    try {
      await api.revokeToken(token.id);
      void message.success(t('tokens.revokedDone', { name: token.name }));
      tokens.reload();
    } catch (err) {
      void message.error(errorText(err));
    }
  }

  const now = new Date();
  const columns: TableColumnsType<Token> = [
    { title: t('common.name'), dataIndex: 'name', key: 'name' },
    { title: 'ID', dataIndex: 'id', key: 'id', render: (id: string) => <Typography.Text code>{id}</Typography.Text> },
    { title: t('common.createdAt'), dataIndex: 'createdAt', key: 'createdAt', render: (v: string) => formatTime(v) },
    { title: t('tokens.expiresAt'), dataIndex: 'expiresAt', key: 'expiresAt', render: (v: string) => formatTime(v) },
    { title: t('tokens.lastUsedAt'), dataIndex: 'lastUsedAt', key: 'lastUsedAt', render: (v?: string) => formatTime(v, t('common.never')) },
    {
      title: t('tokens.status'), key: 'status',
      render: (_, token) => {
        const state = tokenState(token, now);
        return <Tag color={tokenStateColors[state]}>{t(`tokens.${state}`)}</Tag>;
      },
    },
  ];
  if (can(user.permissions, 'tokens:delete')) {
    columns.push({
      title: t('common.actions'), key: 'actions',
      render: (_, token) => token.revoked ? null : (
        <Popconfirm
          title={t('tokens.confirmRevoke', { name: token.name })}
          okText={t('common.yes')}
          cancelText={t('common.no')}
          onConfirm={() => revoke(token)}
        >
          <Button danger size="small">{t('tokens.revoke')}</Button>
        </Popconfirm>
      ),
    });
  }

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={3} style={{ margin: 0 }}>{t('tokens.title')}</Typography.Title>
        <Space>
          <Button onClick={tokens.reload}>{t('common.refresh')}</Button>
          {can(user.permissions, 'tokens:create') && (
            <Button type="primary" onClick={() => { setCreateError(null); setCreating(true); }}>{t('tokens.new')}</Button>
          )}
        </Space>
      </Space>
      {created && (
        <Alert
          type="success"
          showIcon
          data-testid="token-secret"
          title={t('tokens.secretTitle', { name: created.name })}
          description={
            <Space orientation="vertical" style={{ width: '100%' }}>
              <Typography.Text type="warning">{t('tokens.secretWarning')}</Typography.Text>
              <Typography.Paragraph
                code
                copyable={{ text: created.token, tooltips: [t('common.copy'), t('common.copied')] }}
                style={{ marginBottom: 0, wordBreak: 'break-all' }}
              >
                {created.token}
              </Typography.Paragraph>
            </Space>
          }
          action={<Button size="small" onClick={() => setCreated(null)}>{t('common.done')}</Button>}
        />
      )}
      {tokens.error !== null && <Alert type="error" showIcon title={tokens.error} />}
      <Table<Token>
        rowKey="id"
        columns={columns}
        dataSource={tokens.data?.items as Token[] | undefined}
        loading={tokens.loading}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
      />
      <Modal
        open={creating}
        title={t('tokens.new')}
        okText={t('common.create')}
        cancelText={t('common.cancel')}
        confirmLoading={busy}
        onOk={() => form.submit()}
        onCancel={() => setCreating(false)}
        forceRender
      >
        <Form<CreateValues> form={form} layout="vertical" onFinish={create} initialValues={{ expiresInDays: 30 }}>
          <Form.Item name="name" label={t('common.name')} rules={[{ required: true, whitespace: true, message: t('common.required') }]}>
            <Input maxLength={63} autoFocus />
          </Form.Item>
          <Form.Item name="expiresInDays" label={t('tokens.expiresInDays')}>
            <InputNumber min={1} max={3650} precision={0} style={{ width: '100%' }} />
          </Form.Item>
          {createError !== null && <Alert type="error" showIcon title={createError} />}
        </Form>
      </Modal>
    </Space>
  );
}
