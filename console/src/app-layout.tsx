// The logged-in frame: side navigation limited to the user's permissions, a header with the
// language switch, the user's name and log out.
import { useEffect } from 'react';
import type { ReactNode } from 'react';
import { Button, Layout, Menu, Space, Typography } from 'antd';
import { useI18n } from './i18n/i18n-provider.tsx';
import { LanguageSwitch } from './language-switch.tsx';
import { allowedPages } from './nav.ts';
import type { PageDef } from './nav.ts';
import { usePath } from './router.ts';
import { useSession } from './session.ts';

/** Frames `children` with navigation; `current` is the id of the open page, if any. */
export function AppLayout({ current, children }: { readonly current?: PageDef['id']; readonly children: ReactNode }) {
  const { t } = useI18n();
  const { user, logout } = useSession();
  const [, go] = usePath();
  const items = allowedPages(user.permissions).map((p) => ({ key: p.path, label: t(p.label) }));
  const open = allowedPages(user.permissions).find((p) => p.id === current);
  const selected = open ? [open.path] : [];
  const title = open ? `${t(open.label)} · ${t('app.title')}` : t('app.title');

  useEffect(() => {
    document.title = title;
  }, [title]);

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider breakpoint="lg" collapsedWidth={0} theme="light" style={{ borderRight: '1px solid #f0f0f0' }}>
        <Typography.Title level={4} style={{ margin: '16px 24px' }}>{t('app.title')}</Typography.Title>
        <Menu mode="inline" selectedKeys={selected} items={items} onClick={({ key }) => go(key)} style={{ borderInlineEnd: 0 }} />
      </Layout.Sider>
      {/* minWidth 0: wide page content scrolls inside the page instead of squeezing the navigation. */}
      <Layout style={{ minWidth: 0 }}>
        <Layout.Header
          style={{ background: '#fff', display: 'flex', justifyContent: 'flex-end', alignItems: 'center', padding: '0 24px', borderBottom: '1px solid #f0f0f0' }}
        >
          <Space size="middle">
            <LanguageSwitch />
            <Typography.Text strong data-testid="current-user">{user.name}</Typography.Text>
            <Button onClick={logout}>{t('app.logout')}</Button>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ padding: 24 }}>{children}</Layout.Content>
      </Layout>
    </Layout>
  );
}
