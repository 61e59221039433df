// Points for verified food-safety reports (issue 11, item 3). The seed's rules (一级 5 分, 二级 2 分, 三级 1 分;
// 满 10 分兑换 200 元) are a draft (拟订), so they are data: numbered rule sets, each in force from its
// effective date. An award reads the set in force on the day of the verification; a new set applies from
// its date onward and never changes an entry already made. The ledger's entries are never edited or
// deleted: an overturned verification posts a reversal.

import { invalid } from './errors.js';
import { isCalendarDate } from './members.js';

export interface PointsRules {
  /** Points per hazard level: 1 (gravest), 2, 3. */
  awards: { 1: number; 2: number; 3: number };
  /** Redemption: `yuan` for every `per` points, from `minimum` points on. */
  redeem: { per: number; yuan: number; minimum: number };
  /** Whether the reporter of a report merged into the verified case earns too (default: no, one award per hazard). */
  mergedReportsEarn: boolean;
}

export interface RuleSet extends PointsRules {
  version: number;
  /** YYYY-MM-DD (China time): in force from this day until the next set's. */
  effectiveFrom: string;
  note: string | null;
  createdBy: string | null;
  createdAt: string;
}

/** The seed's draft rules. */
export const DRAFT_RULES: PointsRules = { awards: { 1: 5, 2: 2, 3: 1 }, redeem: { per: 10, yuan: 200, minimum: 10 }, mergedReportsEarn: false };

/** award and reversal (of a case); hold (a redemption requested) and release (a redemption rejected). */
export type EntryKind = 'award' | 'reversal' | 'hold' | 'release';

/** One line of a member's ledger. Points are signed: an award adds, a reversal takes back. */
export interface PointsEntry {
  id: string;
  memberId: string;
  kind: EntryKind;
  points: number;
  caseId: string | null;
  /** The award's round on its case: a reversal carries its award's, a later award after a reversal the next. */
  round: number;
  level: number | null;
  ruleVersion: number | null;
  redemptionId: string | null;
  note: string | null;
  actorId: string | null;
  at: string;
}

export type RedemptionStatus = 'requested' | 'approved' | 'rejected' | 'paid';

/** A member's request to turn points into cash: held while pending, released on rejection, paid once. */
export interface Redemption {
  id: string;
  memberId: string;
  points: number;
  yuan: number;
  ruleVersion: number;
  status: RedemptionStatus;
  reason: string | null;
  payoutRef: string | null;
  requestedAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
  paidAt: string | null;
  paidBy: string | null;
}

/** Check a redemption's size against the rules: at least the minimum, whole steps; answers the yuan it pays. */
export function redemptionValue(rules: PointsRules, points: unknown): number {
  if (typeof points !== 'number' || !Number.isInteger(points) || points < 1) throw invalid('points', 'points is a whole number of points to redeem.', 'invalid_points');
  if (points < rules.redeem.minimum) throw invalid('points', `A redemption takes at least ${rules.redeem.minimum} points.`, 'below_minimum');
  if (points % rules.redeem.per !== 0) throw invalid('points', `Points are redeemed in steps of ${rules.redeem.per} (${rules.redeem.yuan} yuan each).`, 'not_whole_steps');
  return (points / rules.redeem.per) * rules.redeem.yuan;
}

/** The day (China time, UTC+8) of an instant: the day rule sets and appointments are dated by. */
export const chinaDay = (iso: string): string => new Date(new Date(iso).getTime() + 8 * 3_600_000).toISOString().slice(0, 10);

/** The set in force on `day`: the one with the latest effective date on or before it (undefined before the first). */
export function ruleSetOn(sets: readonly RuleSet[], day: string): RuleSet | undefined {
  let best: RuleSet | undefined;
  for (const s of sets) if (s.effectiveFrom <= day && (!best || s.effectiveFrom > best.effectiveFrom || (s.effectiveFrom === best.effectiveFrom && s.version > best.version))) best = s;
  return best;
}

/** Points a level earns under a set. */
export const pointsFor = (rules: PointsRules, level: 1 | 2 | 3): number => rules.awards[level];

const whole = (value: unknown, field: string, min: number, max: number): number => {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw invalid(field, `${field} is a whole number from ${min} to ${max}.`, 'invalid_rule');
  return value;
};

/**
 * Check a new rule set: whole points per level (the gravest earning most), a redemption rate, and an
 * effective date that is not before `today` (a set never reaches back over awards already made).
 */
export function checkRuleSet(input: { effectiveFrom?: unknown; awards?: unknown; redeem?: unknown; mergedReportsEarn?: unknown }, today: string): PointsRules & { effectiveFrom: string } {
  const effectiveFrom = typeof input.effectiveFrom === 'string' ? input.effectiveFrom : '';
  if (!isCalendarDate(effectiveFrom)) throw invalid('effectiveFrom', 'effectiveFrom is the first day the rules apply, YYYY-MM-DD.', 'invalid_date');
  if (effectiveFrom < today) throw invalid('effectiveFrom', `A rule set applies from today (${today}) or later: it never changes awards already made.`, 'effective_in_past');
  const a = (input.awards ?? {}) as Record<string, unknown>;
  const awards = { 1: whole(a['1'], 'awards.1', 0, 1000), 2: whole(a['2'], 'awards.2', 0, 1000), 3: whole(a['3'], 'awards.3', 0, 1000) };
  if (!(awards[1] >= awards[2] && awards[2] >= awards[3])) throw invalid('awards', 'A graver level never earns fewer points: awards.1 >= awards.2 >= awards.3.', 'invalid_rule');
  const r = (input.redeem ?? {}) as Record<string, unknown>;
  const redeem = { per: whole(r.per, 'redeem.per', 1, 100_000), yuan: whole(r.yuan, 'redeem.yuan', 1, 1_000_000), minimum: whole(r.minimum, 'redeem.minimum', 1, 100_000) };
  if (redeem.minimum % redeem.per !== 0) throw invalid('redeem.minimum', 'redeem.minimum is a whole number of redemption steps (a multiple of redeem.per).', 'invalid_rule');
  if (input.mergedReportsEarn !== undefined && typeof input.mergedReportsEarn !== 'boolean') throw invalid('mergedReportsEarn', 'mergedReportsEarn is true or false.', 'invalid_rule');
  return { effectiveFrom, awards, redeem, mergedReportsEarn: input.mergedReportsEarn === true };
}
