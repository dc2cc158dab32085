// The tenant form (platform admins): name, display name, members and their tenant roles, allowed
// clusters, the tenant quota, the default LimitRange and the node selector — creating a tenant,
// or, prefilled, changing one. Quantities are checked as they are typed by the server's own rules;
// what only the server knows (what the tenant's namespaces hold, a name taken) comes back from it
// and stands next to the field it names.
import { AutoComplete, Button, Col, Form, Input, Row, Select, Space, Typography } from 'antd';
import { useI18n } from '../i18n/i18n-provider.tsx';
import type { Tenant } from '../model.ts';
import { can } from '../nav.ts';
import { useSession } from '../session.ts';
import { parseKeyValues } from '../tenancy-format.ts';
import {
  checkTenant, limitProblem, limitResources, limitRows, quotaProblem, tenantBody, tenantFieldOf, tenantFormValues, tenantQuotaResources,
  type TenantFormValues,
} from '../tenant-form.ts';
import { useAsync } from '../use-async.ts';
import { FormDialog } from './form-dialog.tsx';

// Kubernetes' DNS-1123 label rule, which tenant names follow (the server checks too).
const tenantName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The member rows; `users` (Berth's users, when the caller may list them) are offered for User names, any name is taken. */
function Members({ users }: { readonly users: readonly string[] }) {
  const { t } = useI18n();
  const members = Form.useWatch<TenantFormValues['members']>('members');
  const userOptions = users.map((u) => ({ value: u }));
  return (
    <Form.List name="members">
      {(rows, { add, remove }) => (
        <div data-testid="field-members">
          {rows.map((row) => (
            <Space key={row.key} align="start" style={{ display: 'flex' }} data-testid={`member-${row.name}`}>
              <Form.Item name={[row.name, 'kind']} data-testid="member-kind" rules={[{ required: true, message: t('common.required') }]}>
                <Select aria-label={t('tenants.memberKind')} style={{ width: 100 }} options={[{ value: 'User', label: 'User' }, { value: 'Group', label: 'Group' }]} />
              </Form.Item>
              <Form.Item name={[row.name, 'name']} rules={[{ required: true, whitespace: true, message: t('common.required') }]}>
                <AutoComplete
                  aria-label={t('tenants.memberName')} style={{ width: 240 }} options={members?.[row.name]?.kind === 'User' ? userOptions : []}
                  filterOption={(input, option) => option?.value.startsWith(input) ?? false}
                />
              </Form.Item>
              <Form.Item name={[row.name, 'role']} data-testid="member-role" rules={[{ required: true, message: t('common.required') }]}>
                <Select
                  aria-label={t('tenants.role')} style={{ width: 140 }}
                  options={(['tenant-admin', 'member', 'viewer'] as const).map((r) => ({ value: r, label: r }))}
                />
              </Form.Item>
              <Button onClick={() => remove(row.name)}>{t('common.remove')}</Button>
            </Space>
          ))}
          <Button onClick={() => add({ kind: 'User', name: '', role: 'member' })}>{t('tenants.addMember')}</Button>
        </div>
      )}
    </Form.List>
  );
}

function Quota() {
  return (
    <Row gutter={12}>
      {tenantQuotaResources.map((resource) => (
        <Col key={resource} xs={12} md={8}>
          <Form.Item
            name={['quota', resource]} label={<Typography.Text code>{resource}</Typography.Text>} data-testid={`field-quota.${resource}`}
            rules={[{ validator: async (_, v: string | undefined) => { const p = quotaProblem(resource, v); if (p !== undefined) throw new Error(p); } }]}
          >
            <Input aria-label={resource} autoComplete="off" />
          </Form.Item>
        </Col>
      ))}
    </Row>
  );
}

function LimitRange() {
  const { t } = useI18n();
  return (
    <div data-testid="field-limits">
      <Row gutter={8} style={{ fontWeight: 600, marginBottom: 4 }}>
        <Col span={3}>{t('namespaces.limitType')}</Col>
        <Col span={6}>{t('namespaces.bound')}</Col>
        {limitResources.map((r) => <Col key={r} span={5}><Typography.Text code>{r}</Typography.Text></Col>)}
      </Row>
      {limitRows.map(({ item, bound }) => (
        <Row key={`${item}.${bound}`} gutter={8} align="top">
          <Col span={3}>{item === 'container' ? 'Container' : 'Pod'}</Col>
          <Col span={6}><Typography.Text code>{bound}</Typography.Text></Col>
          {limitResources.map((resource) => (
            <Col key={resource} span={5}>
              <Form.Item
                name={['defaultLimitRange', item, bound, resource]} style={{ marginBottom: 8 }}
                rules={[{ validator: async (_, v: string | undefined) => { const p = limitProblem(item, bound, resource, v); if (p !== undefined) throw new Error(p); } }]}
              >
                <Input aria-label={`${item} ${bound} ${resource}`} size="small" autoComplete="off" />
              </Form.Item>
            </Col>
          ))}
        </Row>
      ))}
    </div>
  );
}

/**
 * Creates a tenant, or changes `tenant` when given (its name then stays). The clusters offered
 * are the registered ones; the server's refusal stays in the dialog, each cause on its field.
 */
export function TenantFormDialog({ tenant, open, onClose, onSaved }: {
  readonly tenant?: Tenant; readonly open: boolean; readonly onClose: () => void; readonly onSaved: (t: Tenant) => void;
}) {
  const { t } = useI18n();
  const { api, user } = useSession();
  const [form] = Form.useForm<TenantFormValues>();
  const clusters = useAsync(() => (open ? api.listClusters() : Promise.resolve(undefined)), [api, open]);
  const mayListUsers = can(user.permissions, 'users:list');
  const users = useAsync(() => (open && mayListUsers ? api.listUsers(1000) : Promise.resolve(undefined)), [api, open, mayListUsers]);
  const names = [...new Set([...(clusters.data ?? []).map((c) => c.name), ...(tenant?.clusters ?? [])])].sort();
  return (
    <FormDialog<TenantFormValues, Tenant>
      name="tenant" open={open} title={tenant ? t('tenants.edit', { name: tenant.name }) : t('tenants.new')} okText={tenant ? t('common.save') : t('common.create')}
      width={960} form={form} initialValues={tenantFormValues(tenant)} errorTestId="tenant-form-error"
      place={tenantFieldOf} onClose={onClose} onDone={onSaved}
      // Until the clusters are loaded only the server can say whether a named one exists.
      check={(values) => checkTenant(tenantBody(values), clusters.data ? names : tenantBody(values).clusters)}
      submit={(values) => {
        const body = tenantBody(values);
        if (tenant === undefined) return api.createTenant(body);
        const { name: _name, ...patch } = body;
        return api.updateTenant(tenant.name, { ...patch, resourceVersion: tenant.resourceVersion });
      }}
    >
      <Row gutter={12}>
        <Col xs={24} md={12}>
          <Form.Item
            name="name" label={t('common.name')} extra={tenant ? undefined : t('tenants.nameRule')} data-testid="field-name"
            rules={[{ required: true, message: t('common.required') }, { pattern: tenantName, max: 63, message: t('tenants.nameRule') }]}
          >
            <Input maxLength={63} autoComplete="off" disabled={tenant !== undefined} />
          </Form.Item>
        </Col>
        <Col xs={24} md={12}>
          <Form.Item name="displayName" label={t('tenants.displayName')} data-testid="field-displayName">
            <Input maxLength={256} autoComplete="off" />
          </Form.Item>
        </Col>
      </Row>
      <Form.Item
        name="clusters" label={t('tenants.clusters')} extra={t('tenants.clustersHint')} data-testid="field-clusters"
      >
        <Select mode="multiple" loading={clusters.loading} options={names.map((c) => ({ value: c, label: c }))} />
      </Form.Item>
      <Form.Item label={t('tenants.members')} extra={t('tenants.membersHint')}>
        <Members users={(users.data?.items ?? []).map((u) => u.name)} />
      </Form.Item>
      <Typography.Title level={5}>{t('tenants.quota')}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('tenants.quotaHint')}</Typography.Paragraph>
      <Quota />
      <Typography.Title level={5}>{t('tenants.defaultLimitRange')}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('tenants.limitRangeHint')}</Typography.Paragraph>
      <LimitRange />
      <Form.Item
        name="nodeSelector" label={t('tenants.nodeSelector')} extra={t('tenants.nodeSelectorHint')} data-testid="field-nodeSelector"
        rules={[{ validator: async (_, v: string | undefined) => { if (parseKeyValues(v ?? '') === undefined) throw new Error(t('clusters.labelsInvalid')); } }]}
      >
        <Input autoComplete="off" />
      </Form.Item>
    </FormDialog>
  );
}
