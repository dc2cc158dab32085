// Language selection and text formatting, without React, so that it can be tested on its own.
import { en } from './en.ts';
import type { MessageKey, Messages } from './en.ts';
import { zh } from './zh.ts';

/** The languages the console speaks. */
export const languages = ['en', 'zh'] as const;

/** A language code of the console. */
export type Language = (typeof languages)[number];

/** How each language names itself in the switch. */
export const languageLabels: { readonly [L in Language]: string } = { en: 'English', zh: '中文' };

const dictionaries: { readonly [L in Language]: Messages } = { en, zh };

/** The localStorage key that remembers the chosen language. */
export const languageStorageKey = 'berth.language';

/** True when `value` names one of the console's languages. */
export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (languages as readonly string[]).includes(value);
}

/**
 * Chooses the starting language: the stored choice if valid, else the first browser language
 * the console speaks (any `zh-*` counts as Chinese), else English.
 */
export function initialLanguage(stored: string | null, browserLanguages: readonly string[]): Language {
  if (isLanguage(stored)) return stored;
  for (const tag of browserLanguages) {
    const primary = tag.toLowerCase().split('-')[0];
    if (isLanguage(primary)) return primary;
  }
  return 'en';
}

/** Fills `{name}` placeholders from `vars`; unknown placeholders are left as written. */
export function format(template: string, vars: Readonly<Record<string, string | number>> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(vars, name) ? String(vars[name]) : whole);
}

/** A translate function bound to one language. */
export type Translate = (key: MessageKey, vars?: Readonly<Record<string, string | number>>) => string;

/** Returns the translate function of `language`. */
export function translator(language: Language): Translate {
  const dict = dictionaries[language];
  return (key, vars) => format(dict[key], vars);
}

/** Keys and dictionaries, re-exported so that the rest of the console imports i18n from one module. */
export type { MessageKey, Messages };
