// How a page shows a request the server refused: 403 as "not allowed" and 404 as "not found",
// each with the server's reason; anything else as an error banner.
import { Alert, Result } from 'antd';
import { useI18n } from './i18n/i18n-provider.tsx';

/** Renders nothing without an error; a result page for `code` 403 or 404; an error alert otherwise. */
export function LoadError({ error, code }: { readonly error: string | null; readonly code: number | undefined }) {
  const { t } = useI18n();
  if (error === null) return null;
  if (code === 403) return <Result status="403" title={t('registry.forbidden')} subTitle={error} />;
  if (code === 404) return <Result status="404" title={t('registry.notFound')} subTitle={error} />;
  return <Alert type="error" showIcon title={error} />;
}
