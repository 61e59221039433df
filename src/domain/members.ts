// Grid workers (issue 11): the programme's members and their recruitment in three layers, as the seed
// describes it ("个人报名+企业推荐+街道审核", then a formal appointment). Pure: what each step needs, who may
// take it, from which status, and what it changes. The service stores each step as an append-only member
// event with the member's new state, in one transaction.

import { invalid } from './errors.js';
import type { Role } from './types.js';

/** applicant (applied) -> recommended (by the employer's station) -> approved (by the subdistrict) -> appointed; suspended, retired; rejected. */
export const MEMBER_STATUSES = ['applicant', 'recommended', 'approved', 'appointed', 'suspended', 'retired', 'rejected'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/** 流动网格员 (mobile grid worker) and 舌尖守护者 (food-safety guardian). */
export const PROGRAMME_ROLES = ['grid_worker', 'food_safety_guardian'] as const;
export type ProgrammeRole = (typeof PROGRAMME_ROLES)[number];

export const PROGRAMME_ROLE_NAMES: Record<ProgrammeRole, { zh: string; en: string }> = {
  grid_worker: { zh: '流动网格员', en: 'mobile grid worker' },
  food_safety_guardian: { zh: '舌尖守护者', en: 'food-safety guardian' },
};

/** The steps after the application, each an event of the member's history. */
export const MEMBER_ACTIONS = ['recommend', 'approve', 'reject', 'appoint', 'suspend', 'reinstate', 'retire'] as const;
export type MemberAction = (typeof MEMBER_ACTIONS)[number];
export type MemberEventAction = 'apply' | MemberAction;

export const isMemberAction = (value: string): value is MemberAction => (MEMBER_ACTIONS as readonly string[]).includes(value);

/** What a step may carry; each action reads only its own fields. */
export interface MemberActionInput {
  /** recommend: who at the employer's local station recommends (name, and the station). */
  recommender?: string;
  station?: string;
  /** approve: the review's notes. */
  note?: string;
  /** reject, suspend, retire: why (a rejected applicant sees it). */
  reason?: string;
  /** appoint: the appointment's date (YYYY-MM-DD). */
  appointedOn?: string;
  /** appoint: the reporter account the member reports with, if they have one ... */
  userId?: string;
  /** ... or the username of one to create for them. */
  username?: string;
}

interface MemberRule {
  from: readonly MemberStatus[];
  to: MemberStatus;
  /** The roles that take this step (within the member's home subdistrict, an employer for its platform's riders; an admin anywhere). */
  roles: readonly Role[];
  fields: readonly (keyof MemberActionInput)[];
  required: readonly (keyof MemberActionInput)[];
}

/** Subdistrict staff who review and keep the programme. */
const REVIEWERS: readonly Role[] = ['dispatcher', 'supervisor', 'admin'];

export const MEMBER_RULES: Record<MemberAction, MemberRule> = {
  recommend: { from: ['applicant'], to: 'recommended', roles: [...REVIEWERS, 'employer'], fields: ['recommender', 'station', 'note'], required: ['recommender'] },
  approve: { from: ['recommended'], to: 'approved', roles: REVIEWERS, fields: ['note'], required: [] },
  reject: { from: ['applicant', 'recommended', 'approved'], to: 'rejected', roles: REVIEWERS, fields: ['reason'], required: ['reason'] },
  appoint: { from: ['approved'], to: 'appointed', roles: REVIEWERS, fields: ['appointedOn', 'userId', 'username', 'note'], required: ['appointedOn'] },
  suspend: { from: ['appointed'], to: 'suspended', roles: REVIEWERS, fields: ['reason'], required: ['reason'] },
  reinstate: { from: ['suspended'], to: 'appointed', roles: REVIEWERS, fields: ['note'], required: [] },
  retire: { from: ['appointed', 'suspended'], to: 'retired', roles: REVIEWERS, fields: ['reason'], required: ['reason'] },
};

/** The steps open on a member in this status for this role. */
export const availableMemberActions = (status: MemberStatus, role: Role): MemberAction[] =>
  MEMBER_ACTIONS.filter((a) => MEMBER_RULES[a].from.includes(status) && MEMBER_RULES[a].roles.includes(role));

/** A mainland mobile number: 11 digits from 13-19, spaces, dashes and a +86 / 86 prefix taken off; null when it is not one. */
export function normalizeMobile(input: string): string | null {
  const digits = input.replace(/[\s-]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, '');
  return /^1[3-9]\d{9}$/.test(digits) ? digits : null;
}

/** A calendar date YYYY-MM-DD that exists. */
export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

const TEXT_MAX = 500;

/** Check one step's input against its rule: fields it does not read, required ones missing, their shapes. */
export function checkMemberInput(action: MemberAction, input: MemberActionInput): MemberActionInput {
  const rule = MEMBER_RULES[action];
  const given = Object.entries(input).filter(([, v]) => v !== undefined && v !== null) as [keyof MemberActionInput, unknown][];
  for (const [key] of given) {
    if (!rule.fields.includes(key)) throw invalid(key, `${key} is not used by ${action}; it takes ${rule.fields.join(', ')}.`, 'unexpected_field');
  }
  const out: MemberActionInput = {};
  for (const [key, value] of given) {
    if (typeof value !== 'string') throw invalid(key, `${key} must be text.`, 'invalid_field');
    const text = value.trim();
    if (text.length > TEXT_MAX) throw invalid(key, `${key} is at most ${TEXT_MAX} characters.`, 'too_long');
    if (text !== '') out[key] = text;
  }
  for (const key of rule.required) {
    if (out[key] === undefined) throw invalid(key, requiredMessage(action, key), `${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_required`);
  }
  if (out.appointedOn !== undefined && !isCalendarDate(out.appointedOn)) throw invalid('appointedOn', 'appointedOn is the appointment date as YYYY-MM-DD.', 'invalid_date');
  if (out.userId !== undefined && out.username !== undefined) throw invalid('username', 'Give userId (an account the member has) or username (one to create), not both.', 'account_ambiguous');
  return out;
}

function requiredMessage(action: MemberAction, key: keyof MemberActionInput): string {
  switch (key) {
    case 'reason':
      return action === 'reject' ? 'Say why the application is rejected: the applicant sees this reason.' : `Say why (${action}): it stays in the member's history.`;
    case 'recommender':
      return 'Name who recommends the applicant (the station manager at their platform), as the recommendation records it.';
    case 'appointedOn':
      return 'Give the appointment date (YYYY-MM-DD): it is printed on the certificate.';
    default:
      return `${key} is required for ${action}.`;
  }
}

/** The appointment number: the subdistrict's short code, the year, and the member's place in that year's appointments (NJ-2026-007). */
export const appointmentNumber = (prefix: string, year: number, n: number): string => `${prefix}-${year}-${String(n).padStart(3, '0')}`;
