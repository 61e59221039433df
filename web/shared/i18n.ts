// Languages: Chinese first, then English and Tibetan, each listed in its own name. The choice is kept on
// the device and sent with every request (Accept-Language), so the server's own words (a case's story,
// category names) come back in the same language. Tibetan text uses the bundled Noto Serif Tibetan font,
// which the browser fetches only when Tibetan characters are on the page (its unicode-range).
//
// Chinese is in the app's first download; English and Tibetan are loaded when chosen (the rider's service
// worker keeps both, so a switch works without signal). Messages are compiled at build time
// (precompileMessages in web/build/plugins.ts).

import { createI18n } from 'vue-i18n';
import { ApiError, setApiLanguage } from './api.js';
import zh from './locales/zh-CN.js';

export const LANGUAGES = [
  { code: 'zh-CN', name: '中文' },
  { code: 'bo', name: 'བོད་ཡིག' },
  { code: 'en', name: 'English' },
] as const;
export type Language = (typeof LANGUAGES)[number]['code'];

const KEY = 'gridline.language';

function initial(): Language {
  // The rider's page chooses first (to fetch that language's file early: rider/index.html), by the same rule.
  const early = (window as { gridlineEarly?: { language?: string } }).gridlineEarly?.language;
  if (LANGUAGES.some((l) => l.code === early)) return early as Language;
  const saved = localStorage.getItem(KEY);
  if (LANGUAGES.some((l) => l.code === saved)) return saved as Language;
  const browser = navigator.language.toLowerCase();
  return browser.startsWith('bo') ? 'bo' : browser.startsWith('en') ? 'en' : 'zh-CN';
}

// Typed as holding all three (the other two are added when chosen, before they are shown).
const messages: Partial<Record<Language, typeof zh>> = { 'zh-CN': zh };
export const i18n = createI18n({ legacy: false, locale: 'zh-CN' as Language, fallbackLocale: 'zh-CN', messages: messages as Record<Language, typeof zh> });

const LOADERS: Record<Exclude<Language, 'zh-CN'>, () => Promise<{ default: typeof zh }>> = {
  en: () => import('./locales/en.js'),
  bo: () => import('./locales/bo.js'),
};

/** Switches the whole app to `code`, once its messages are here (at once for Chinese). */
export async function setLanguage(code: Language): Promise<void> {
  if (code !== 'zh-CN' && !i18n.global.availableLocales.includes(code)) {
    try {
      i18n.global.setLocaleMessage(code, (await LOADERS[code]()).default);
    } catch {
      // Not reachable (offline before the first visit cached it): stay in the language shown.
      return;
    }
  }
  i18n.global.locale.value = code;
  localStorage.setItem(KEY, code);
  document.documentElement.lang = code;
  setApiLanguage(code);
}

/** Settles once the device's language is shown: the app mounts after it, so a Tibetan rider never sees a flash of Chinese. */
export const languageReady: Promise<void> = setLanguage(initial());

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
