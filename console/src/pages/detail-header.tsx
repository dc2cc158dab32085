// The head of an object's page, shared by the cluster, tenant and namespace pages: where it
// stands (breadcrumb), its title with a tag, its actions, and the last refusal of one of them;
// and the delete button with its confirmation.
import { useState } from 'react';
import type { ReactNode } from 'react';
import { Alert, Breadcrumb, Button, Checkbox, Popconfirm, Space, Typography } from 'antd';
import type { BreadcrumbProps } from 'antd';
import { errorText } from '../http.ts';
import { useI18n } from '../i18n/i18n-provider.tsx';

/** Breadcrumb, title (with `tag` beside it), `actions` on the right, and `refusal` below when set. */
export function DetailHeader({ crumbs, title, tag, actions, refusal }: {
  readonly crumbs: BreadcrumbProps['items'];
  readonly title: ReactNode;
  readonly tag?: ReactNode;
  readonly actions?: ReactNode;
  readonly refusal?: string | null;
}) {
  return (
    <>
      <Breadcrumb items={crumbs} />
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Space align="center">
          <Typography.Title level={3} style={{ margin: 0 }}>{title}</Typography.Title>
          {tag}
        </Space>
        {actions !== undefined && <Space>{actions}</Space>}
      </Space>
      {refusal != null && <Alert type="error" showIcon title={refusal} data-testid="detail-refusal" />}
    </>
  );
}

/**
 * A danger button that asks `confirm` before running `remove`; `forceLabel` adds a force checkbox
 * whose state `remove` receives. A rejection goes to `onRefused` as text (the page shows it in its
 * header); success to `onRemoved`.
 */
export function DeleteButton({ label, confirm, forceLabel, remove, onRemoved, onRefused }: {
  readonly label: string;
  readonly confirm: string;
  readonly forceLabel?: string;
  readonly remove: (force: boolean) => Promise<void>;
  readonly onRemoved: () => void;
  readonly onRefused: (message: string | null) => void;
}) {
  const { t } = useI18n();
  const [force, setForce] = useState(false);
  async function run(): Promise<void> {
    onRefused(null);
    try {
      await remove(force);
    } catch (err) {
      onRefused(errorText(err));
      return;
    }
    onRemoved();
  }
  return (
    <Popconfirm
      title={confirm}
      description={forceLabel === undefined ? undefined : <Checkbox checked={force} onChange={(e) => setForce(e.target.checked)}>{forceLabel}</Checkbox>}
      okText={t('common.yes')} cancelText={t('common.no')} onConfirm={run}
    >
      <Button danger>{label}</Button>
    </Popconfirm>
  );
}
