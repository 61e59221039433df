// Languages: Chinese first, then English and Tibetan, each listed in its own name. The choice is kept on
// the device and sent with every request (Accept-Language), so the server's own words (a case's story,
// category names) come back in the same language. Tibetan text uses the bundled Noto Serif Tibetan font,
// which the browser fetches only when Tibetan characters are on the page (its unicode-range).

import { createI18n } from 'vue-i18n';
import { ApiError, setApiLanguage } from './api.js';
import bo from './locales/bo.js';
import en from './locales/en.js';
import zh from './locales/zh-CN.js';

export const LANGUAGES = [
  { code: 'zh-CN', name: '中文' },
  { code: 'bo', name: 'བོད་ཡིག' },
  { code: 'en', name: 'English' },
] as const;
export type Language = (typeof LANGUAGES)[number]['code'];

const KEY = 'gridline.language';

function initial(): Language {
  const saved = localStorage.getItem(KEY);
  if (LANGUAGES.some((l) => l.code === saved)) return saved as Language;
  const browser = navigator.language.toLowerCase();
  return browser.startsWith('bo') ? 'bo' : browser.startsWith('en') ? 'en' : 'zh-CN';
}

export const i18n = createI18n({ legacy: false, locale: initial(), fallbackLocale: 'zh-CN', messages: { 'zh-CN': zh, en, bo } });

export function setLanguage(code: Language): void {
  i18n.global.locale.value = code;
  localStorage.setItem(KEY, code);
  document.documentElement.lang = code;
  setApiLanguage(code);
}
setLanguage(i18n.global.locale.value as Language);

/** A name kept in the three languages (categories, units, programme options), in this one: Chinese where it has none. */
export function inLanguage(names: { zh?: string; en?: string; bo?: string }, locale: string): string {
  return (locale === 'bo' ? names.bo : locale === 'en' ? names.en : names.zh) || names.zh || '';
}

/** A refusal in the user's language: the server's code if we know it, its own message otherwise. */
export function errorText(error: unknown): string {
  const t = i18n.global.t;
  if (error instanceof ApiError) {
    const key = `errors.${error.code}`;
    if (i18n.global.te(key)) return t(key, { message: error.message });
    if (error.status === 400) return t('errors.validation_failed', { message: error.message });
    return t('errors.unknown', { message: error.message });
  }
  return t('errors.unknown', { message: error instanceof Error ? error.message : String(error) });
}
