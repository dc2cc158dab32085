// The language the console shows, shared through React context, with AntD's and dayjs's locale
// following it so that built-in texts (pagination, date pickers, confirmations) switch too.
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import { ConfigProvider } from 'antd';
import type { Locale } from 'antd/es/locale/index.js';
import enUS from 'antd/es/locale/en_US.js';
import zhCN from 'antd/es/locale/zh_CN.js';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn.js';
import { initialLanguage, languageStorageKey, translator } from './messages.ts';
import type { Language, Translate } from './messages.ts';

/** What components read from the language context. */
export interface I18n {
  readonly language: Language;
  readonly t: Translate;
  /** Switches the language and remembers the choice in localStorage. */
  readonly setLanguage: (language: Language) => void;
}

const I18nContext = createContext<I18n | null>(null);

// antd publishes its ES modules without `"type": "module"`, so TypeScript (NodeNext) types a
// default import as the CommonJS exports object while Vite hands over the default export itself.
function esDefault<T extends object>(m: T | { readonly default: T }): T {
  return 'default' in m ? m.default : m;
}

const antdLocales: { readonly [L in Language]: Locale } = { en: esDefault<Locale>(enUS), zh: esDefault<Locale>(zhCN) };
const dayjsLocales: { readonly [L in Language]: string } = { en: 'en', zh: 'zh-cn' };
const htmlLang: { readonly [L in Language]: string } = { en: 'en', zh: 'zh-CN' };

function readStoredLanguage(): string | null {
  try {
    return localStorage.getItem(languageStorageKey);
  } catch {
    // Storage can be disabled by the browser's privacy settings; the choice is then per page load.
    return null;
  }
}

/** Provides the current language to its children and sets AntD's locale to match. */
export function I18nProvider({ children }: { readonly children: ReactNode }) {
  const [language, setLanguageState] = useState<Language>(() =>
    initialLanguage(readStoredLanguage(), navigator.languages ?? [navigator.language]));

  const setLanguage = useCallback((next: Language) => {
    setLanguageState(next);
    try {
      localStorage.setItem(languageStorageKey, next);
    } catch {
      // See readStoredLanguage: without storage the switch still applies to this page.
    }
  }, []);

  useEffect(() => {
    document.documentElement.lang = htmlLang[language];
  }, [language]);

  // dayjs's locale is global; it is set before rendering so that date pickers render in the new language.
  dayjs.locale(dayjsLocales[language]);

  const value = useMemo<I18n>(() => ({ language, setLanguage, t: translator(language) }), [language, setLanguage]);
  return (
    <I18nContext.Provider value={value}>
      <ConfigProvider locale={antdLocales[language]} theme={{ token: { colorPrimary: '#1f6feb' } }}>
        {children}
      </ConfigProvider>
    </I18nContext.Provider>
  );
}

/** The language context; throws when used outside I18nProvider. */
export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n must be used inside I18nProvider');
  return value;
}
