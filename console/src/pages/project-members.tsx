// A project's members and repository grants: list; add and remove for those who manage it.
import { useState } from 'react';
import { Alert, App as AntApp, Button, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { formatTime } from '../format.ts';
import { useI18n } from '../i18n/i18n-provider.tsx';
import { LoadError } from '../load-error.tsx';
import { projectRoles } from '../model.ts';
import type { Member } from '../model.ts';
import { useSession } from '../session.ts';
import { useAsync } from '../use-async.ts';
import { errorText } from '../http.ts';

interface AddValues {
  readonly user: string;
  readonly role: string;
  readonly repositories?: string;
}

/** The Members tab; `onChange` tells the page that grants changed (who manages may have too). */
export function ProjectMembers({ project, manages, onChange }: { readonly project: string; readonly manages: boolean; readonly onChange: () => void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const { message } = AntApp.useApp();
  const members = useAsync(() => api.listMembers(project), [api, project]);
  const [adding, setAdding] = useState(false);
  const [busy, setBusy] = useState(false);
  const [addError, setAddError] = useState<string | null>(null);
  const [form] = Form.useForm<AddValues>();

  async function add(values: AddValues): Promise<void> {
    setBusy(true);
    setAddError(null);
    try {
      const m = await api.setMember(project, values.user.trim(), values.role, values.repositories?.trim() ?? '');
      setAdding(false);
      form.resetFields();
      void message.success(t('members.added', { user: m.user, role: m.role }));
      members.reload();
      onChange();
    } catch (err) {
      setAddError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  async function remove(m: Member): Promise<void> {
    try {
      await api.removeMember(project, m.user, m.repositories);
      void message.success(t('members.removed', { user: m.user }));
      members.reload();
      onChange();
    } catch (err) {
      void message.error(errorText(err));
    }
  }

  const columns: TableColumnsType<Member> = [
    { title: t('members.user'), dataIndex: 'user', key: 'user', render: (v: string) => <Typography.Text strong>{v}</Typography.Text> },
    { title: t('members.role'), dataIndex: 'role', key: 'role', render: (v: string) => <Tag color="blue">{v}</Tag> },
    {
      title: t('members.repositories'), dataIndex: 'repositories', key: 'repositories',
      render: (v: string) => v === '' ? <Typography.Text type="secondary">{t('members.wholeProject')}</Typography.Text> : <Typography.Text code>{v}</Typography.Text>,
    },
    { title: t('common.createdAt'), dataIndex: 'createdAt', key: 'createdAt', render: (v: string) => formatTime(v) },
  ];
  if (manages) {
    columns.push({
      title: t('common.actions'), key: 'actions',
      render: (_, m) => (
        <Popconfirm title={t('members.confirmRemove', { user: m.user })} okText={t('common.yes')} cancelText={t('common.no')} onConfirm={() => remove(m)}>
          <Button size="small" danger>{t('common.remove')}</Button>
        </Popconfirm>
      ),
    });
  }

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      {manages && (
        <Space style={{ width: '100%', justifyContent: 'flex-end' }}>
          <Button type="primary" onClick={() => { setAddError(null); setAdding(true); }}>{t('members.add')}</Button>
        </Space>
      )}
      <LoadError error={members.error} code={members.errorCode} />
      {members.error === null && (
        <Table<Member>
          rowKey={(m) => `${m.user}\n${m.repositories}`}
          columns={columns}
          dataSource={members.data?.items as Member[] | undefined}
          loading={members.loading}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
        />
      )}
      <Modal
        open={adding}
        title={t('members.add')}
        okText={t('common.add')}
        cancelText={t('common.cancel')}
        confirmLoading={busy}
        onOk={() => form.submit()}
        onCancel={() => setAdding(false)}
        forceRender
      >
        <Form<AddValues> form={form} layout="vertical" onFinish={add} initialValues={{ role: 'developer' }}>
          <Form.Item name="user" label={t('members.user')} rules={[{ required: true, whitespace: true, message: t('common.required') }]}>
            <Input maxLength={253} autoComplete="off" />
          </Form.Item>
          <Form.Item name="role" label={t('members.role')} rules={[{ required: true, message: t('common.required') }]}>
            <Select options={projectRoles.map((r) => ({ value: r, label: r }))} />
          </Form.Item>
          <Form.Item name="repositories" label={t('members.repositories')} extra={t('members.patternHint')}>
            <Input maxLength={255} autoComplete="off" placeholder="team/*" />
          </Form.Item>
          {addError !== null && <Alert type="error" showIcon title={addError} />}
        </Form>
      </Modal>
    </Space>
  );
}
