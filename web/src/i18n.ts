import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';

export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];
export const NAMESPACES = [
  'common',
  'auth',
  'projects',
  'data',
  'labeling',
  'review',
  'admin',
  'profile',
  'system',
  'dashboard',
  'billing',
  'quality',
  'ai',
  'ask',
  'ml',
  'comments',
  'problems',
] as const;
const STORAGE_KEY = 'si.language';

// One JSON file per language and namespace, so page groups never edit the same file; one
// chunk per language (lang/*.ts), fetched when the language is first used.
const bundles: Record<Language, () => Promise<{ default: Record<string, Record<string, unknown>> }>> = {
  en: () => import('./lang/en'),
  'zh-CN': () => import('./lang/zh-CN'),
};

async function loadLanguage(lng: Language): Promise<void> {
  if (i18n.hasResourceBundle(lng, 'common')) return;
  const files = (await bundles[lng]()).default;
  for (const [file, content] of Object.entries(files)) {
    i18n.addResourceBundle(lng, /([^/]+)\.json$/.exec(file)![1]!, content);
  }
}

function initialLanguage(): Language {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved && (LANGUAGES as readonly string[]).includes(saved)) return saved as Language;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

const language = initialLanguage();
/** Settles once the language in use is loaded; the console renders after it. */
export const i18nReady: Promise<unknown> = i18n
  .use(initReactI18next)
  .init({
    resources: {},
    partialBundledLanguages: true,
    lng: language,
    fallbackLng: false,
    ns: [...NAMESPACES],
    defaultNS: 'common',
    interpolation: { escapeValue: false },
    returnNull: false,
  })
  .then(() => loadLanguage(language));
document.documentElement.lang = language;

/** Switches the language and remembers it for the next visit. */
export async function setLanguage(lng: Language): Promise<void> {
  await loadLanguage(lng);
  localStorage.setItem(STORAGE_KEY, lng);
  document.documentElement.lang = lng;
  await i18n.changeLanguage(lng);
}

export default i18n;
