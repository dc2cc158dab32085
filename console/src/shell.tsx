// The console's top level: keeps the session token, asks who the user is, and shows either the
// login page or the layout with the page the path names.
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { App as AntApp, Button, Result, Spin } from 'antd';
import { ApiClient } from './api-client.ts';
import { ApiError, errorText } from './http.ts';
import { useI18n } from './i18n/i18n-provider.tsx';
import type { WhoAmI } from './model.ts';
import { loginPath, resolveRoute } from './nav.ts';
import { usePath } from './router.ts';
import { loadToken, saveToken, SessionContext } from './session.ts';
import type { Session } from './session.ts';
import { AppLayout } from './app-layout.tsx';

const LoginPage = lazy(() => import('./pages/login-page.tsx'));
const pageComponents = {
  overview: lazy(() => import('./pages/overview-page.tsx')),
  clusters: lazy(() => import('./pages/clusters-page.tsx')),
  tenants: lazy(() => import('./pages/tenants-page.tsx')),
  tokens: lazy(() => import('./pages/tokens-page.tsx')),
  projects: lazy(() => import('./pages/projects-page.tsx')),
  gc: lazy(() => import('./pages/gc-page.tsx')),
  users: lazy(() => import('./pages/users-page.tsx')),
  audit: lazy(() => import('./pages/audit-page.tsx')),
} as const;

function Loading() {
  return (
    <div style={{ display: 'flex', justifyContent: 'center', padding: '20vh 0' }}>
      <Spin size="large" />
    </div>
  );
}

/** Renders the login page or the logged-in console, following the browser path. */
export function Shell() {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [path, go] = usePath();
  const [token, setToken] = useState<string | null>(() => loadToken(sessionStorage));
  const [user, setUser] = useState<WhoAmI | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const tokenRef = useRef(token);
  const returnTo = useRef<string | null>(null);

  const endSession = useCallback((expired: boolean) => {
    const wasLoggedIn = tokenRef.current !== null;
    tokenRef.current = null;
    saveToken(sessionStorage, null);
    setToken(null);
    setUser(null);
    if (expired && wasLoggedIn) {
      returnTo.current = window.location.pathname;
      void message.warning(t('app.sessionExpired'));
    }
    go(loginPath);
  }, [go, message, t]);

  const endSessionRef = useRef(endSession);
  useEffect(() => {
    endSessionRef.current = endSession;
  }, [endSession]);

  const api = useMemo(() => new ApiClient({
    getToken: () => tokenRef.current,
    onUnauthorized: () => endSessionRef.current(true),
  }), []);

  useEffect(() => {
    if (token === null) return;
    let cancelled = false;
    setLoadError(null);
    api.whoami().then(
      (me) => { if (!cancelled) setUser(me); },
      (err: unknown) => {
        // 401 has already ended the session through onUnauthorized.
        if (!cancelled && !(err instanceof ApiError && err.code === 401)) {
          setLoadError(errorText(err));
        }
      },
    );
    return () => { cancelled = true; };
  }, [api, token]);

  const onLoggedIn = useCallback((newToken: string) => {
    tokenRef.current = newToken;
    saveToken(sessionStorage, newToken);
    setUser(null);
    setToken(newToken);
    go(returnTo.current ?? '/', true);
    returnTo.current = null;
  }, [go]);

  const session = useMemo<Session | null>(
    () => (user ? { api, user, logout: () => endSession(false) } : null),
    [api, user, endSession],
  );

  const route = user ? resolveRoute(path, user.permissions) : null;
  useEffect(() => {
    if (token === null && path !== loginPath) {
      if (path !== '/') returnTo.current = path;
      go(loginPath, true);
    } else if (route?.kind === 'redirect') {
      go(route.to, true);
    }
  }, [token, path, route, go]);

  if (token === null) {
    return (
      <Suspense fallback={<Loading />}>
        <LoginPage api={api} onLoggedIn={onLoggedIn} />
      </Suspense>
    );
  }
  if (loadError !== null) {
    return (
      <Result
        status="error"
        title={loadError}
        extra={<Button onClick={() => endSession(false)}>{t('app.logout')}</Button>}
      />
    );
  }
  if (!session || !route) return <Loading />;

  let content;
  if (route.kind === 'page') {
    const Page = pageComponents[route.page.id];
    content = <Page />;
  } else if (route.kind === 'none') {
    content = <Result status="403" title={t('app.noAccess')} />;
  } else if (route.kind === 'notFound') {
    content = <Result status="404" title={t('app.notFound')} />;
  } else {
    content = <Loading />;
  }
  return (
    <SessionContext.Provider value={session}>
      <AppLayout current={route.kind === 'page' ? route.page.id : undefined}>
        <Suspense fallback={<Loading />}>{content}</Suspense>
      </AppLayout>
    </SessionContext.Provider>
  );
}
