// The words of the programme's notifications (recruitment and redemption steps), in Chinese and English;
// Tibetan falls back to Chinese, as the case messages do. The member reads of their own step in the
// second person ("您的报名已通过审核"); a station, a reviewer or a group reads of the member by name (masked
// for a group's channel). No message carries a phone number.

import { composeMessage, type Lang, type RenderedMessage } from './notify-wording.js';
import type { ProgrammeKind } from './programme-notify.js';
import type { Locale } from './wording.js';

export interface ProgrammeMessageFacts {
  /** The reader is the member themselves. */
  you: boolean;
  /** The member's name (masked when the message goes to a group). */
  name: string;
  platform: string;
  home: string;
  station?: string;
  appointmentNumber?: string;
  roles?: string;
  reason?: string;
  note?: string;
  points?: number;
  yuan?: number;
  payoutRef?: string;
  link: string | null;
}

type Line = (f: ProgrammeMessageFacts) => string;
type Wording = Record<Lang, { you?: Line; other: Line }>;

const HEADLINES: Record<ProgrammeKind, Wording> = {
  member_applied: {
    'zh-CN': { you: () => '您的网格员报名已提交', other: (f) => `新的网格员报名:${f.name}(${f.platform})` },
    en: { you: () => 'Your grid worker application was received', other: (f) => `New grid worker application: ${f.name} (${f.platform})` },
  },
  member_recommended: {
    'zh-CN': { you: (f) => `${f.station ?? f.platform}已推荐您,待街道审核`, other: (f) => `${f.station ?? f.platform}推荐 ${f.name},待街道审核` },
    en: { you: (f) => `${f.station ?? f.platform} recommended you; the subdistrict reviews next`, other: (f) => `${f.station ?? f.platform} recommended ${f.name}; awaiting review` },
  },
  member_approved: {
    'zh-CN': { you: () => '您的报名已通过街道审核,待聘任', other: (f) => `${f.name} 已通过街道审核` },
    en: { you: () => 'Your application was approved; the appointment comes next', other: (f) => `${f.name} was approved by the subdistrict` },
  },
  member_rejected: {
    'zh-CN': { you: () => '您的报名未通过审核', other: (f) => `${f.name} 的报名未通过审核` },
    en: { you: () => 'Your application was not accepted', other: (f) => `The application of ${f.name} was not accepted` },
  },
  member_appointed: {
    'zh-CN': { you: (f) => `您已被聘为${f.roles ?? '流动网格员'}`, other: (f) => `${f.name} 已被聘为${f.roles ?? '流动网格员'}` },
    en: { you: (f) => `You are appointed ${f.roles ?? 'mobile grid worker'}`, other: (f) => `${f.name} was appointed ${f.roles ?? 'mobile grid worker'}` },
  },
  member_suspended: {
    'zh-CN': { you: () => '您的网格员资格已暂停', other: (f) => `${f.name} 的网格员资格已暂停` },
    en: { you: () => 'Your membership is suspended', other: (f) => `The membership of ${f.name} is suspended` },
  },
  member_reinstated: {
    'zh-CN': { you: () => '您的网格员资格已恢复', other: (f) => `${f.name} 的网格员资格已恢复` },
    en: { you: () => 'Your membership is restored', other: (f) => `The membership of ${f.name} is restored` },
  },
  member_retired: {
    'zh-CN': { you: () => '您已退出网格员队伍', other: (f) => `${f.name} 已退出网格员队伍` },
    en: { you: () => 'You have left the programme', other: (f) => `${f.name} has left the programme` },
  },
  redemption_requested: {
    'zh-CN': { you: (f) => `您的积分兑换申请已提交:${f.points} 积分`, other: (f) => `积分兑换待审批:${f.name} ${f.points} 积分(${f.yuan} 元)` },
    en: { you: (f) => `Your redemption of ${f.points} points was requested`, other: (f) => `Redemption to approve: ${f.name}, ${f.points} points (${f.yuan} yuan)` },
  },
  redemption_approved: {
    'zh-CN': { you: (f) => `您的积分兑换已批准:${f.yuan} 元待发放`, other: (f) => `${f.name} 的积分兑换已批准(${f.yuan} 元)` },
    en: { you: (f) => `Your redemption was approved: ${f.yuan} yuan to be paid`, other: (f) => `The redemption of ${f.name} was approved (${f.yuan} yuan)` },
  },
  redemption_rejected: {
    'zh-CN': { you: (f) => `您的积分兑换未获批准,${f.points} 积分已退回`, other: (f) => `${f.name} 的积分兑换未获批准` },
    en: { you: (f) => `Your redemption was not approved; ${f.points} points are back in your balance`, other: (f) => `The redemption of ${f.name} was not approved` },
  },
  redemption_paid: {
    'zh-CN': { you: (f) => `积分兑换 ${f.yuan} 元已发放`, other: (f) => `${f.name} 的积分兑换 ${f.yuan} 元已发放` },
    en: { you: (f) => `${f.yuan} yuan for your points was paid`, other: (f) => `${f.yuan} yuan was paid to ${f.name}` },
  },
};

function details(kind: ProgrammeKind, f: ProgrammeMessageFacts, lang: Lang): [string, string][] {
  const zh = lang === 'zh-CN';
  const money = kind.startsWith('redemption_');
  const rows: [string, string | number | undefined][] = [
    [zh ? '姓名' : 'Name', f.you ? undefined : f.name],
    [zh ? '平台' : 'Platform', money ? undefined : f.platform],
    [zh ? '街道' : 'Subdistrict', f.home],
    [zh ? '推荐站点' : 'Station', kind === 'member_recommended' ? f.station : undefined],
    [zh ? '聘书编号' : 'Appointment no.', kind === 'member_appointed' ? f.appointmentNumber : undefined],
    [zh ? '积分' : 'Points', money ? f.points : undefined],
    [zh ? '金额' : 'Amount', money && f.yuan !== undefined ? (zh ? `${f.yuan} 元` : `${f.yuan} yuan`) : undefined],
    [zh ? '原因' : 'Reason', f.reason],
    [zh ? '说明' : 'Note', f.note],
    [zh ? '付款凭证号' : 'Payout reference', kind === 'redemption_paid' ? f.payoutRef : undefined],
  ];
  return rows.filter((r): r is [string, string | number] => r[1] !== undefined && r[1] !== '').map(([k, v]) => [k, String(v)]);
}

/** One programme notification in one language. */
export function renderProgrammeMessage(kind: ProgrammeKind, facts: ProgrammeMessageFacts, locale: Locale): RenderedMessage {
  const lang: Lang = locale === 'en' ? 'en' : 'zh-CN';
  const words = HEADLINES[kind][lang];
  const title = (facts.you && words.you ? words.you : words.other)(facts);
  const open = kind.startsWith('redemption_') ? (lang === 'zh-CN' ? '查看积分' : 'Open the points') : lang === 'zh-CN' ? '查看详情' : 'Open it';
  return composeMessage(title, details(kind, facts, lang), { link: facts.link, open }, lang);
}
