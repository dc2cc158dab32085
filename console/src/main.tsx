// Entry point of the console bundle.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App as AntApp } from 'antd';
import { I18nProvider } from './i18n/i18n-provider.tsx';
import { Shell } from './shell.tsx';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <I18nProvider>
      <AntApp>
        <Shell />
      </AntApp>
    </I18nProvider>
  </StrictMode>,
);
