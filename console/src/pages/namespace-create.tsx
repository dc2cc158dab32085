// The dialog in which a tenant admin creates a namespace of the tenant on one of its clusters,
// with its slice of the tenant quota, or adopts one that already exists there.
import { Checkbox, Form, Input, Select } from 'antd';
import { topLevelPlacement } from '../form-causes.ts';
import { useI18n } from '../i18n/i18n-provider.tsx';
import type { Namespace } from '../model.ts';
import { useSession } from '../session.ts';
import { parseKeyValues } from '../tenancy-format.ts';
import { FormDialog } from './form-dialog.tsx';

interface CreateValues {
  readonly name: string;
  readonly cluster: string;
  readonly quota?: string;
  readonly adopt?: boolean;
}

// Kubernetes' DNS-1123 label rule, which namespace names follow (the server checks too).
const namespaceName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

// A cause on `quota[r]` lands on the one quota text field.
const placement = topLevelPlacement(['name', 'cluster', 'quota']);

/** A dialog creating a namespace of `tenant` on one of `clusters`; the server's refusal stays in the dialog. */
export function NamespaceCreate({ tenant, clusters, open, onClose, onCreated }: {
  readonly tenant: string; readonly clusters: readonly string[]; readonly open: boolean;
  readonly onClose: () => void; readonly onCreated: (ns: Namespace) => void;
}) {
  const { t } = useI18n();
  const { api } = useSession();
  const [form] = Form.useForm<CreateValues>();
  return (
    <FormDialog<CreateValues, Namespace>
      name="namespace" open={open} title={t('namespaces.new')} okText={t('common.create')} form={form}
      initialValues={{ name: '', cluster: clusters[0], adopt: false }} errorTestId="namespace-create-error" place={placement}
      onClose={onClose} onDone={onCreated}
      submit={(values) => api.createNamespace(tenant, {
        name: values.name, cluster: values.cluster, quota: parseKeyValues(values.quota ?? '') ?? {}, ...(values.adopt ? { adopt: true } : {}),
      })}
    >
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
        name="quota" label={t('tenants.quota')} extra={t('namespaces.quotaHint')} data-testid="field-quota"
        rules={[{ validator: async (_, v: string | undefined) => { if (parseKeyValues(v ?? '') === undefined) throw new Error(t('namespaces.quotaInvalid')); } }]}
      >
        <Input autoComplete="off" />
      </Form.Item>
      <Form.Item name="adopt" valuePropName="checked" extra={t('namespaces.adoptHint')}>
        <Checkbox>{t('namespaces.adopt')}</Checkbox>
      </Form.Item>
    </FormDialog>
  );
}
