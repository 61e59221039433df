// The words of every notification, in Chinese and English. Tibetan falls back to Chinese (never to broken
// text) until translators supply it; the names in a message (category, place, department) are Tibetan
// where the reference data has them. Each message carries the case reference, category, place, time left
// and a link, as the people reading it in a group or an inbox need them.

import type { CaseNotifyKind as NotifyKind } from './notify.js';
import type { Stage } from './types.js';
import type { Locale } from './wording.js';

export interface MessageFacts {
  ref: string;
  category: string;
  /** The address the reporter gave, or the grid's name. */
  place: string;
  urgent: boolean;
  department?: string;
  jurisdiction?: string;
  reason?: string;
  note?: string;
  score?: number;
  /** Minutes to the nearest open deadline (negative: overdue by that much), and its stage. */
  minutesLeft?: number;
  stage?: Stage;
  overdueMinutes?: number;
  /** An after-photo's address, for the reporter's "resolved". */
  photo?: string;
  /** A channel's name and the problem, for "channel_broken". */
  channel?: string;
  problem?: string;
  link: string | null;
}

export interface RenderedMessage {
  title: string;
  text: string;
  markdown: string;
}

export type Lang = 'zh-CN' | 'en';
type Line = (f: MessageFacts) => string;

const duration = (minutes: number, lang: Lang): string => {
  const m = Math.abs(Math.round(minutes));
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  const min = m % 60;
  if (lang === 'zh-CN') return `${d ? `${d}天` : ''}${h ? `${h}小时` : ''}${min || (!d && !h) ? `${min}分钟` : ''}`;
  const parts = [d && `${d} d`, h && `${h} h`, (min || (!d && !h)) && `${min} min`].filter(Boolean);
  return parts.join(' ');
};

const timeLeft = (f: MessageFacts, lang: Lang): string | undefined => {
  if (f.minutesLeft === undefined) return undefined;
  if (lang === 'zh-CN') return f.minutesLeft >= 0 ? `剩余 ${duration(f.minutesLeft, lang)}` : `已超时 ${duration(f.minutesLeft, lang)}`;
  return f.minutesLeft >= 0 ? `${duration(f.minutesLeft, lang)} left` : `overdue by ${duration(f.minutesLeft, lang)}`;
};

/** The headline of each kind. */
const HEADLINES: Record<NotifyKind, Record<Lang, Line>> = {
  receipt: { 'zh-CN': (f) => `您的上报已收到(${f.ref})`, en: (f) => `Your report was received (${f.ref})` },
  accepted: { 'zh-CN': (f) => `您的上报已受理(${f.ref})`, en: (f) => `Your report was accepted (${f.ref})` },
  rejected: { 'zh-CN': (f) => `您的上报不予受理(${f.ref})`, en: (f) => `Your report was not accepted (${f.ref})` },
  dispatched: {
    'zh-CN': (f) => `案件 ${f.ref} 已派遣至${f.department ?? '责任部门'}`,
    en: (f) => `Case ${f.ref} was sent to ${f.department ?? 'the department responsible'}`,
  },
  resolved: { 'zh-CN': (f) => `案件 ${f.ref} 已处置`, en: (f) => `Case ${f.ref} was fixed` },
  closed: { 'zh-CN': (f) => `案件 ${f.ref} 已结案`, en: (f) => `Case ${f.ref} was closed` },
  rate_request: { 'zh-CN': (f) => `请评价案件 ${f.ref} 的办理`, en: (f) => `Please rate how case ${f.ref} was handled` },
  reopened: { 'zh-CN': (f) => `案件 ${f.ref} 已重新办理`, en: (f) => `Case ${f.ref} was reopened` },
  new_report: { 'zh-CN': (f) => `新上报 ${f.ref}:${f.category}`, en: (f) => `New report ${f.ref}: ${f.category}` },
  emergency: { 'zh-CN': (f) => `【紧急】${f.category}(${f.ref})`, en: (f) => `[EMERGENCY] ${f.category} (${f.ref})` },
  returned: { 'zh-CN': (f) => `案件 ${f.ref} 被退回,需重新派遣`, en: (f) => `Case ${f.ref} was returned and needs another department` },
  extension_requested: { 'zh-CN': (f) => `案件 ${f.ref} 申请延期`, en: (f) => `More time was asked for case ${f.ref}` },
  reminder: { 'zh-CN': (f) => `【催办】案件 ${f.ref} 即将到期`, en: (f) => `[Reminder] Case ${f.ref} is nearly due` },
  supervision: { 'zh-CN': (f) => `【督办】案件 ${f.ref} 已超时`, en: (f) => `[Supervision] Case ${f.ref} is overdue` },
  rated: { 'zh-CN': (f) => `案件 ${f.ref} 获评 ${f.score ?? ''} 星`, en: (f) => `Case ${f.ref} was rated ${f.score ?? ''} stars` },
  referred_in: { 'zh-CN': (f) => `转办来件 ${f.ref}:${f.category}`, en: (f) => `Case ${f.ref} was referred to you: ${f.category}` },
  emergency_unsigned: {
    'zh-CN': (f) => `【紧急未签收】案件 ${f.ref} 派遣后仍未签收`,
    en: (f) => `[Emergency not signed] Case ${f.ref} has not been taken on`,
  },
  channel_broken: {
    'zh-CN': (f) => `通知渠道「${f.channel ?? ''}」已失效`,
    en: (f) => `Notification channel "${f.channel ?? ''}" is broken`,
  },
};

const STAGES: Record<Stage, Record<Lang, string>> = {
  accept: { 'zh-CN': '受理', en: 'accept' },
  dispatch: { 'zh-CN': '派遣', en: 'dispatch' },
  sign: { 'zh-CN': '签收', en: 'sign' },
  resolve: { 'zh-CN': '处置', en: 'resolve' },
  verify: { 'zh-CN': '核查', en: 'verify' },
  close: { 'zh-CN': '结案', en: 'close' },
};

/** The detail lines of a message: label and value, only those the facts have. */
function details(kind: NotifyKind, f: MessageFacts, lang: Lang): [string, string][] {
  const zh = lang === 'zh-CN';
  if (kind === 'channel_broken') return [[zh ? '原因' : 'Problem', f.problem ?? ''], [zh ? '处理' : 'What to do', zh ? '请在渠道设置中更新密钥后重新投递' : 'update its key in the channel settings, then redeliver']];
  const rows: [string, string | undefined][] = [
    [zh ? '编号' : 'Case', f.ref],
    [zh ? '类别' : 'Category', f.category],
    [zh ? '地点' : 'Place', f.place],
    [zh ? '部门' : 'Department', kind === 'dispatched' || kind === 'returned' || kind === 'reminder' || kind === 'supervision' ? f.department : undefined],
    [zh ? '转至' : 'Now with', kind === 'referred_in' ? f.jurisdiction : undefined],
    [zh ? '原因' : 'Reason', f.reason],
    [zh ? '说明' : 'Note', f.note],
    [zh ? '超时' : 'Overdue', f.overdueMinutes !== undefined ? duration(f.overdueMinutes, lang) : undefined],
    [f.stage ? (zh ? `${STAGES[f.stage][lang]}时限` : `Time left to ${STAGES[f.stage][lang]}`) : zh ? '时限' : 'Time left', kind === 'closed' || kind === 'rate_request' || kind === 'rated' || kind === 'rejected' ? undefined : timeLeft(f, lang)],
  ];
  return rows.filter((r): r is [string, string] => r[1] !== undefined && r[1] !== '');
}

const ACTION: Partial<Record<NotifyKind, Record<Lang, string>>> = {
  rate_request: { 'zh-CN': '点此评价', en: 'Rate it here' },
  receipt: { 'zh-CN': '查看进度', en: 'Follow it here' },
};

/** Markdown's special characters in a value taken from a report (a rider's words must not format a group's message). */
const md = (s: string): string => s.replace(/([\\`*_[\]<>#|])/g, '\\$1');

/** One notification in one language (Tibetan: Chinese wording with the Tibetan names). */
export function renderMessage(kind: NotifyKind, facts: MessageFacts, locale: Locale): RenderedMessage {
  const lang: Lang = locale === 'en' ? 'en' : 'zh-CN';
  const open = ACTION[kind]?.[lang] ?? (lang === 'zh-CN' ? '查看案件' : 'Open the case');
  return composeMessage(HEADLINES[kind][lang](facts), details(kind, facts, lang), { link: facts.link, photo: facts.photo, open }, lang);
}

/** A message's text and markdown from its title, its detail rows and its link: every kind is laid out alike. */
export function composeMessage(title: string, rows: [string, string][], extra: { link: string | null; photo?: string; open: string }, lang: Lang): RenderedMessage {
  const sep = lang === 'zh-CN' ? ':' : ': ';
  const text = [title, ...rows.map(([k, v]) => `${k}${sep}${v}`), ...(extra.photo ? [extra.photo] : []), ...(extra.link ? [`${extra.open}${sep}${extra.link}`] : [])].join('\n');
  const markdown = [
    `**${md(title)}**`,
    ...rows.map(([k, v]) => `> ${k}${sep}${md(v)}`),
    ...(extra.photo ? [`![](${extra.photo})`] : []),
    ...(extra.link ? [`[${extra.open}](${extra.link})`] : []),
  ].join('\n');
  return { title, text, markdown };
}
