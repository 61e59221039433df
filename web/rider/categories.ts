// Problem categories, named in the rider's language, kept on the phone for the days without signal.
import { ref } from 'vue';
import { call } from '../shared/api.js';
import { inLanguage } from '../shared/i18n.js';

export interface Category {
  id: string;
  code: string;
  kind: string;
  names: { zh: string; en: string; bo: string };
  foodSafety: boolean;
  reportMediaRequired: boolean;
  defaultUrgency: string;
  active: boolean;
}

const KEY = 'gridline.categories';

interface Early {
  /** The page's own request (index.html): the list, or null for anything but a good answer. */
  categories?: Promise<{ items: Category[] } | null>;
  /** Its answer, once here: the first screen shows it at once. */
  categoriesList?: { items: Category[] } | null;
}
const early = (window as { gridlineEarly?: Early }).gridlineEarly ?? {};

function cached(): Category[] {
  if (early.categoriesList) return early.categoriesList.items.filter((c) => c.active);
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? '[]') as Category[];
  } catch {
    return [];
  }
}

export const categories = ref<Category[]>(cached());

async function fetchCategories(): Promise<Category[]> {
  // The page's answer once; after it (or instead of a refusal) the API client, which knows what a refusal means.
  const list = await early.categories;
  delete early.categories;
  return (list ?? (await call<{ items: Category[] }>('/categories'))).items;
}

export async function refreshCategories(): Promise<void> {
  try {
    const next = (await fetchCategories()).filter((c) => c.active);
    const text = JSON.stringify(next);
    // The same list as on screen (the page's early answer) draws nothing again.
    if (text !== JSON.stringify(categories.value)) categories.value = next;
    localStorage.setItem(KEY, text);
  } catch {
    // Offline: the copy from last time serves.
  }
}

export function categoryName(category: Category | undefined, locale: string): string {
  if (!category) return '';
  return inLanguage(category.names, locale);
}

/** An icon from Vant's set for each of the Najin catalogue's categories (部件/事件 codes), a plain one otherwise. */
const ICONS: Record<string, string> = {
  '01-003': 'warning-o',
  '01-031': 'bulb-o',
  '01-081': 'warn-o',
  '01-021': 'shield-o',
  '05-081': 'sort',
  '02-081': 'map-marked',
  '01-002': 'delete-o',
  '01-091': 'bag-o',
  '04-091': 'umbrella-circle',
  '05-004': 'shop-o',
  '05-091': 'fire-o',
  '05-092': 'logistics',
  '06-091': 'goods-collect-o',
  '06-092': 'hot-o',
  '07-999': 'question-o',
};
export const categoryIcon = (category: Category): string => ICONS[category.code] ?? (category.foodSafety ? 'goods-collect-o' : 'question-o');
