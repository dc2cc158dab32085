// The English / 中文 switch shown in the header and on the login page.
import { Segmented } from 'antd';
import { useI18n } from './i18n/i18n-provider.tsx';
import { languageLabels, languages } from './i18n/messages.ts';
import type { Language } from './i18n/messages.ts';

/** Switches the console's language (and AntD's locale); the choice persists in localStorage. */
export function LanguageSwitch() {
  const { language, setLanguage, t } = useI18n();
  return (
    <Segmented<Language>
      aria-label={t('app.language')}
      value={language}
      onChange={setLanguage}
      options={languages.map((l) => ({ value: l, label: languageLabels[l] }))}
    />
  );
}
