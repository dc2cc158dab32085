// The dialog in which a tenant admin creates a namespace of the tenant on one of its clusters,
// with its slice of the tenant quota, or adopts one that already exists there.
import { useState } from 'react';
import { Alert, Checkbox, Form, Input, Modal, Select } from 'antd';
import { errorText } from '../http.ts';
import { useI18n } from '../i18n/i18n-provider.tsx';
import type { Namespace } from '../model.ts';
import { useSession } from '../session.ts';
import { parseKeyValues } from '../tenancy-format.ts';

interface CreateValues {
  readonly name: string;
  readonly cluster: string;
  readonly quota?: string;
  readonly adopt?: boolean;
}

// Kubernetes' DNS-1123 label rule, which namespace names follow (the server checks too).
const namespaceName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A dialog creating a namespace of `tenant` on one of `clusters`; the server's refusal stays in the dialog. */
export function NamespaceCreate({ tenant, clusters, open, onClose, onCreated }: {
  readonly tenant: string; readonly clusters: readonly string[]; readonly open: boolean;
  readonly onClose: () => void; readonly onCreated: (ns: Namespace) => void;
}) {
  const { t } = useI18n();
  const { api } = useSession();
  const [form] = Form.useForm<CreateValues>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function create(values: CreateValues): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      const ns = await api.createNamespace(tenant, {
        name: values.name, cluster: values.cluster, quota: parseKeyValues(values.quota ?? '') ?? {}, ...(values.adopt ? { adopt: true } : {}),
      });
      form.resetFields();
      onCreated(ns);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal
      open={open} title={t('namespaces.new')} okText={t('common.create')} cancelText={t('common.cancel')}
      confirmLoading={busy} onOk={() => form.submit()} onCancel={onClose} forceRender
    >
      <Form<CreateValues> form={form} layout="vertical" onFinish={create} initialValues={{ cluster: clusters[0], adopt: false }}>
        <Form.Item
          name="name" label={t('common.name')} extra={t('namespaces.nameRule')}
          rules={[{ required: true, message: t('common.required') }, { pattern: namespaceName, max: 63, message: t('namespaces.nameRule') }]}
        >
          <Input maxLength={63} autoComplete="off" />
        </Form.Item>
        <Form.Item name="cluster" label={t('namespaces.cluster')} rules={[{ required: true, message: t('common.required') }]}>
          <Select options={clusters.map((c) => ({ value: c, label: c }))} />
        </Form.Item>
        <Form.Item
          name="quota" label={t('tenants.quota')} extra={t('namespaces.quotaHint')}
          rules={[{ validator: async (_, v: string | undefined) => { if (parseKeyValues(v ?? '') === undefined) throw new Error(t('namespaces.quotaInvalid')); } }]}
        >
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item name="adopt" valuePropName="checked" extra={t('namespaces.adoptHint')}>
          <Checkbox>{t('namespaces.adopt')}</Checkbox>
        </Form.Item>
        {error !== null && <Alert type="error" showIcon title={error} data-testid="namespace-create-error" />}
      </Form>
    </Modal>
  );
}
