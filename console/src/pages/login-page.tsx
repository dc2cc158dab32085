// The login form: exchanges a username and password for a session token.
import { useState } from 'react';
import { Alert, Button, Card, Form, Input } from 'antd';
import type { ApiClient } from '../api-client.ts';
import { ApiError, errorText } from '../http.ts';
import { useI18n } from '../i18n/i18n-provider.tsx';
import { LanguageSwitch } from '../language-switch.tsx';

interface LoginValues {
  readonly username: string;
  readonly password: string;
}

/** Login page; calls `onLoggedIn` with the new token after a successful login. */
export default function LoginPage({ api, onLoggedIn }: { readonly api: ApiClient; readonly onLoggedIn: (token: string) => void }) {
  const { t } = useI18n();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(values: LoginValues): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      const res = await api.login(values.username, values.password);
      onLoggedIn(res.token);
    } catch (err) {
      if (err instanceof ApiError && err.code === 429 && err.retryAfter !== undefined) {
        setError(t('login.lockedOut', { seconds: err.retryAfter }));
      } else {
        setError(errorText(err));
      }
      setBusy(false);
    }
  }

  return (
    <div style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', background: '#f5f7fa' }}>
      <Card style={{ width: 380 }} extra={<LanguageSwitch />} title={t('login.title')}>
        <Form<LoginValues> layout="vertical" onFinish={submit} requiredMark={false}>
          <Form.Item
            name="username"
            label={t('login.username')}
            rules={[{ required: true, message: t('login.required', { field: t('login.username') }) }]}
          >
            <Input autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item
            name="password"
            label={t('login.password')}
            rules={[{ required: true, message: t('login.required', { field: t('login.password') }) }]}
          >
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          {error !== null && <Alert type="error" title={error} showIcon style={{ marginBottom: 16 }} role="alert" />}
          <Button type="primary" htmlType="submit" block loading={busy}>{t('login.submit')}</Button>
        </Form>
      </Card>
    </div>
  );
}
