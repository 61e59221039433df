// Plain words for what happened to a report, as its reporter reads it. Chinese first; English too.
// Tibetan wording falls back to Chinese until translators supply it (the UI issue brings bo strings).

import type { CaseStatus } from './types.js';

export type Locale = 'zh-CN' | 'en' | 'bo';

const STATUS: Record<CaseStatus, { 'zh-CN': string; en: string }> = {
  reported: { 'zh-CN': '已上报,等待受理', en: 'Reported, waiting to be accepted' },
  rejected: { 'zh-CN': '不予受理', en: 'Not accepted' },
  accepted: { 'zh-CN': '已受理', en: 'Accepted' },
  filed: { 'zh-CN': '已立案,等待派遣', en: 'Registered, waiting to be sent to a department' },
  dispatched: { 'zh-CN': '已派遣,等待部门签收', en: 'Sent to the department responsible' },
  returned: { 'zh-CN': '正在重新派遣', en: 'Being sent to another department' },
  signed: { 'zh-CN': '部门已签收', en: 'The department has taken it on' },
  handling: { 'zh-CN': '正在处置', en: 'Being fixed' },
  resolved: { 'zh-CN': '已处置,等待核查', en: 'Fixed, being checked' },
  verified: { 'zh-CN': '核查通过', en: 'Checked on site' },
  closed: { 'zh-CN': '已结案', en: 'Closed' },
  joint_meeting: { 'zh-CN': '提交联席会议确定责任部门', en: 'Passed to the joint meeting to decide who is responsible' },
  merged: { 'zh-CN': '已与同一问题的案件合并办理', en: 'Handled together with an earlier report of the same problem' },
};

type Words = Record<'zh-CN' | 'en', (d: EventWordsData) => string>;

export interface EventWordsData {
  department?: string;
  jurisdiction?: string;
  reason?: string;
  note?: string;
  closureType?: string;
  score?: number;
  dueAt?: string;
}

const CLOSURE: Record<string, { 'zh-CN': string; en: string }> = {
  fixed: { 'zh-CN': '问题已解决', en: 'the problem is fixed' },
  not_responsible: { 'zh-CN': '不属于本辖区职责', en: 'not the responsibility of this authority' },
  duplicate: { 'zh-CN': '与已有案件重复', en: 'a duplicate of an existing case' },
  no_action_possible: { 'zh-CN': '暂无法处置', en: 'no action is possible' },
};

const suffix = (text: string | undefined, zh: boolean) => (text ? (zh ? `:${text}` : `: ${text}`) : '');

/**
 * The events a reporter is told about, with their words. Internal steps are left out: an action with no
 * words here (the sweep's remind, supervise and alert, which chase staff) never reaches a reporter's
 * timeline. The system's own accept, file and dispatch (自动派单) read as the command centre's.
 */
export const REPORTER_WORDS: Record<string, Words> = {
  report: { 'zh-CN': () => '您的上报已收到', en: () => 'Your report was received' },
  accept: { 'zh-CN': () => '街道指挥中心已受理', en: () => 'Accepted by the command centre' },
  reject: {
    'zh-CN': (d) => `不予受理${suffix(d.reason, true)}`,
    en: (d) => `Not accepted${suffix(d.reason, false)}`,
  },
  file: { 'zh-CN': () => '已立案', en: () => 'Registered as a case' },
  dispatch: {
    'zh-CN': (d) => `已派遣至${d.department ?? '责任部门'}`,
    en: (d) => `Sent to ${d.department ?? 'the department responsible'}`,
  },
  sign: { 'zh-CN': (d) => `${d.department ?? '责任部门'}已签收`, en: (d) => `${d.department ?? 'The department'} has taken it on` },
  return: { 'zh-CN': () => '正在重新派遣', en: () => 'Being sent to another department' },
  start: { 'zh-CN': () => '已开始处置', en: () => 'Work has started' },
  'approve-extension': {
    'zh-CN': (d) => `处置时限已延长${d.dueAt ? `至 ${d.dueAt}` : ''}`,
    en: (d) => `More time was granted${d.dueAt ? ` until ${d.dueAt}` : ''}`,
  },
  resolve: { 'zh-CN': (d) => `已处置${suffix(d.note, true)}`, en: (d) => `Fixed${suffix(d.note, false)}` },
  verify: { 'zh-CN': () => '现场核查通过', en: () => 'Checked on site' },
  rework: { 'zh-CN': () => '核查未通过,已要求返工', en: () => 'The check found it not fixed; sent back for rework' },
  close: {
    'zh-CN': (d) => `已结案:${CLOSURE[d.closureType ?? 'fixed']?.['zh-CN'] ?? ''},欢迎评价`,
    en: (d) => `Closed: ${CLOSURE[d.closureType ?? 'fixed']?.en ?? ''}. Please rate how it was handled`,
  },
  rate: { 'zh-CN': (d) => `您的评价:${d.score ?? ''} 星`, en: (d) => `Your rating: ${d.score ?? ''} stars` },
  reopen: { 'zh-CN': () => '已重新办理', en: () => 'Reopened for handling' },
  escalate: { 'zh-CN': () => '已提交联席会议确定责任部门', en: () => 'Passed to the joint meeting to decide who is responsible' },
  'record-decision': {
    'zh-CN': (d) => `联席会议已确定由${d.department ?? '责任部门'}办理`,
    en: (d) => `The joint meeting assigned it to ${d.department ?? 'a department'}`,
  },
  merge: {
    'zh-CN': (d) => `同一问题已有人上报,已合并至案件 ${d.note ?? ''},您将收到该案件的进展`,
    en: (d) => `The same problem was already reported; merged into case ${d.note ?? ''}, whose progress you will now see`,
  },
  unmerge: { 'zh-CN': () => '已取消合并,单独办理', en: () => 'Separated again and handled on its own' },
  reroute: { 'zh-CN': () => '已调整所属网格', en: () => 'Moved to the grid it belongs to' },
  refer: {
    'zh-CN': (d) => `已转办至${d.jurisdiction ?? '相关街道'}`,
    en: (d) => `Referred to ${d.jurisdiction ?? 'the neighbouring subdistrict'}`,
  },
};

const base = (locale: Locale): 'zh-CN' | 'en' => (locale === 'en' ? 'en' : 'zh-CN');

export const statusWords = (status: CaseStatus, locale: Locale): string => STATUS[status][base(locale)];

export function eventWords(action: string, locale: Locale, data: EventWordsData): string | undefined {
  return REPORTER_WORDS[action]?.[base(locale)](data);
}

/** The languages Gridline answers in; Chinese when a reader states no preference Gridline can meet. */
export const LOCALES: readonly Locale[] = ['zh-CN', 'en', 'bo'];
export const DEFAULT_LOCALE: Locale = 'zh-CN';

/** The language (primary subtag) of each locale: any region or script of it is that locale (zh-TW, en-GB, bo-CN). */
export const LANGUAGE_OF: Readonly<Record<Locale, string>> = { 'zh-CN': 'zh', en: 'en', bo: 'bo' };

/**
 * One language tag as a locale: a ?lang= value, a user's setting, or the tag the Accept-Language
 * negotiation (src/http/auth.ts) picked. Case-insensitive and by the tag's leading letters, so any region
 * or script of a language is that language (EN-gb, en_GB → en; zh-TW → zh-CN; bo-CN → bo). Undefined
 * for a language Gridline does not speak.
 */
export function parseLocale(tag: string | undefined | null): Locale | undefined {
  if (!tag) return undefined;
  const t = tag.trim().toLowerCase();
  if (t.startsWith('en')) return 'en';
  if (t.startsWith('bo')) return 'bo';
  if (t.startsWith('zh')) return 'zh-CN';
  return undefined;
}
