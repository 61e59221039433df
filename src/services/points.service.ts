// Points for verified food-safety reports (issue 11, item 3): the award made in the verification's own
// transaction (ActionService), reversals of overturned verifications, rule sets, and a member's ledger.

import { requireCapability } from '../domain/access.js';
import { conflict, forbidden, invalid, notFound } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { checkRuleSet, chinaDay, pointsFor, redemptionValue, ruleSetOn, type PointsEntry, type Redemption, type RedemptionStatus, type RuleSet } from '../domain/points.js';
import type { CaseRecord, MemberRecord } from '../domain/records.js';
import { isCalendarDate } from '../domain/members.js';
import type { RedemptionStep } from '../domain/programme-notify.js';
import { isWithin } from '../domain/workflow.js';
import type { PayoutRow, Stores } from '../ports.js';
import type { Principal, ServiceContext } from './context.js';
import { bucketsOf, checkPeriod } from '../domain/kpi.js';

/** One month of the programme's points: awarded (awards less reversals) and paid out. */
export interface PointsMonth {
  from: string;
  to: string;
  awarded: number;
  paidPoints: number;
  paidYuan: number;
  redemptionsPaid: number;
}

/** What a verification's event records of its points: the award, or why there was none. */
export type AwardOutcome =
  | { points: number; memberId: string; ruleVersion: number }
  | { points: 0; why: 'reporter_not_member' | 'member_not_appointed' | 'no_rule_set' | 'already_awarded' };

/** An entry as its member (or staff) reads it: with the case's reference. */
export interface EntryView extends PointsEntry {
  caseRef: string | null;
}

export interface MyPoints {
  /** null: the account is not a member; `why` says so. */
  member: { id: string; status: MemberRecord['status']; appointmentNumber: string | null } | null;
  /** Why this account earns no points now (not a member, not appointed), or null when it does. */
  why: 'not_a_member' | 'not_appointed' | null;
  balance: number;
  /** Points held by pending redemptions (already out of the balance; back in it if one is rejected). */
  held: number;
  entries: EntryView[];
  next: string | null;
  rules: RuleSet | null;
}

/** One award per round of a case: what the ledger already holds for it decides whether this one counts. */
async function awardOne(repos: Stores, set: RuleSet | undefined, c: Pick<CaseRecord, 'id' | 'reporterId'>, level: 1 | 2 | 3, actorId: string, at: string, note: string | null): Promise<AwardOutcome> {
  const member = await repos.members.memberByUser(c.reporterId);
  if (!member) return { points: 0, why: 'reporter_not_member' };
  if (member.status !== 'appointed') return { points: 0, why: 'member_not_appointed' };
  if (!set) return { points: 0, why: 'no_rule_set' };
  const entries = await repos.points.entriesOfCase(c.id);
  const awards = entries.filter((e) => e.kind === 'award').length;
  const reversals = entries.filter((e) => e.kind === 'reversal').length;
  if (awards > reversals) return { points: 0, why: 'already_awarded' };
  const points = pointsFor(set, level);
  // The unique (case, kind, round) index stops a second award of this round, however many race for it.
  await repos.points.insertEntry({ id: newId(), memberId: member.id, kind: 'award', points, caseId: c.id, round: awards + 1, level, ruleVersion: set.version, redemptionId: null, note, actorId, at });
  await repos.points.credit(member.id, points);
  return { points, memberId: member.id, ruleVersion: set.version };
}

/**
 * The award for a verified food-safety case, inside the verification's transaction: the reporting member
 * earns the level's points under the rule set in force that day; reporters of reports merged into it earn
 * too only where the rule set says so.
 */
export async function awardForVerification(repos: Stores, c: Pick<CaseRecord, 'id' | 'reporterId'>, level: 1 | 2 | 3, actorId: string, at: string): Promise<{ award: AwardOutcome; merged?: AwardOutcome[] }> {
  // The set in force that day, read once for the case and the reports merged into it.
  const set = ruleSetOn(await repos.points.ruleSets(), chinaDay(at));
  const award = await awardOne(repos, set, c, level, actorId, at, null);
  if (!set?.mergedReportsEarn) return { award };
  const merged = [];
  for (const m of await repos.cases.mergedInto(c.id)) merged.push(await awardOne(repos, set, m, level, actorId, at, `merged into ${c.id}`));
  return { award, merged };
}

export class PointsService {
  constructor(private readonly ctx: ServiceContext) {}

  /** The rule sets, oldest first, and the one in force today. */
  async rules(): Promise<{ items: RuleSet[]; current: RuleSet | null }> {
    const items = await this.ctx.uow.autocommit.points.ruleSets();
    return { items, current: ruleSetOn(items, chinaDay(this.ctx.now().toISOString())) ?? null };
  }

  /** A new rule set (admin), in force from its date on: never before today, so no award already made changes. */
  async addRules(principal: Principal, input: Parameters<typeof checkRuleSet>[0] & { note?: string }): Promise<RuleSet> {
    requireCapability(principal.actor, 'manage_points_rules');
    const checked = checkRuleSet(input, chinaDay(this.ctx.now().toISOString()));
    const note = typeof input.note === 'string' && input.note.trim() !== '' ? input.note.trim().slice(0, 500) : null;
    try {
      return await this.ctx.transaction(async (repos) => {
        const sets = await repos.points.ruleSets();
        const set: RuleSet = { version: (sets.at(-1)?.version ?? 0) + 1, ...checked, note, createdBy: principal.user.id, createdAt: this.ctx.now().toISOString() };
        await repos.points.insertRuleSet(set);
        return set;
      });
    } catch (error) {
      if (this.ctx.uow.failure(error) === 'duplicate') throw conflict('rules_changed', 'Another rule set was added a moment ago; reload and try again.');
      throw error;
    }
  }

  /** Take back a case's standing award (its verification was overturned), with the reason. */
  async reverse(principal: Principal, caseId: string, reason: string): Promise<PointsEntry> {
    requireCapability(principal.actor, 'reverse_points');
    const text = typeof reason === 'string' ? reason.trim() : '';
    if (text === '') throw invalid('reason', 'Say why the verification is overturned: the member sees it in their ledger.', 'reason_required');
    if (text.length > 500) throw invalid('reason', 'reason is at most 500 characters.', 'too_long');
    const record = await this.ctx.uow.autocommit.cases.find(caseId);
    if (!record) throw notFound('case', caseId);
    const home = await this.ctx.uow.autocommit.reference.jurisdiction(record.jurisdictionId);
    if (principal.actor.role !== 'admin' && !(home && isWithin(home.path, principal.actor.jurisdictionPath))) {
      throw forbidden('out_of_scope', 'This case is outside your jurisdiction.', {});
    }
    try {
      return await this.ctx.transaction(async (repos) => {
        const entries = await repos.points.entriesOfCase(caseId);
        const awards = entries.filter((e) => e.kind === 'award');
        const reversals = entries.filter((e) => e.kind === 'reversal').length;
        const standing = awards[reversals];
        if (!standing || awards.length === reversals) throw conflict('no_award', 'This case has no standing award to take back.', { caseId });
        // Taking back points already redeemed would leave the balance below zero: refused, the ledger unchanged.
        if (!(await repos.points.debit(standing.memberId, standing.points))) {
          throw conflict('points_spent', 'The member has already redeemed or holds these points for a redemption, so the award cannot be taken back now; settle it with finance first.', { points: standing.points });
        }
        const entry: PointsEntry = { id: newId(), memberId: standing.memberId, kind: 'reversal', points: -standing.points, caseId, round: standing.round, level: standing.level, ruleVersion: standing.ruleVersion, redemptionId: null, note: text, actorId: principal.user.id, at: this.ctx.now().toISOString() };
        await repos.points.insertEntry(entry);
        return entry;
      });
    } catch (error) {
      if (this.ctx.uow.failure(error) === 'duplicate') throw conflict('no_award', 'This award was taken back a moment ago.', { caseId });
      throw error;
    }
  }

  /**
   * A member asks to redeem points (from the minimum on, in whole steps). The points are held at once: one
   * conditional update takes them from the balance only if it holds them, so however many requests arrive
   * together, none overspends. The transaction's first statement is that update (on SQLite it takes the
   * write lock before anything is read).
   */
  async requestRedemption(principal: Principal, points: number): Promise<Redemption> {
    const repos = this.ctx.uow.autocommit;
    const member = await repos.members.memberByUser(principal.user.id);
    if (!member) throw forbidden('not_a_member', 'Only members of the grid-worker programme redeem points; apply at POST /api/v1/applications.', {});
    if (member.status !== 'appointed') throw forbidden('not_appointed', `Only appointed members redeem points; yours is ${member.status}.`, { status: member.status });
    const rules = ruleSetOn(await repos.points.ruleSets(), chinaDay(this.ctx.now().toISOString()));
    if (!rules) throw conflict('no_rule_set', 'No points rules are in force yet.');
    const yuan = redemptionValue(rules, points);
    const now = this.ctx.now().toISOString();
    const redemption: Redemption = { id: newId(), memberId: member.id, points, yuan, ruleVersion: rules.version, status: 'requested', reason: null, payoutRef: null, requestedAt: now, decidedAt: null, decidedBy: null, paidAt: null, paidBy: null };
    await this.ctx.transaction(async (tx) => {
      if (!(await tx.points.debit(member.id, points))) {
        throw conflict('insufficient_points', `You have ${await tx.points.balance(member.id)} points free to redeem; this asks for ${points}.`, { field: 'points', requested: points });
      }
      await tx.points.insertRedemption(redemption);
      await tx.points.insertEntry({ id: newId(), memberId: member.id, kind: 'hold', points: -points, caseId: null, round: 1, level: null, ruleVersion: rules.version, redemptionId: redemption.id, note: `兑换 ${yuan} 元`, actorId: principal.user.id, at: now });
      await this.notice(tx, redemption.id, 'requested', principal, now);
    });
    this.ctx.signals.send('outbox');
    return redemption;
  }

  /** Tell of a redemption step once its transaction commits (the programme's outbox). */
  private notice(tx: Stores, redemptionId: string, step: RedemptionStep, principal: Principal, at: string): Promise<void> {
    return tx.notify.insertNotice({ id: newId(), eventId: `${redemptionId}:${step}`, topic: 'redemption', subjectId: redemptionId, step, actorId: principal.user.id, createdAt: at });
  }

  /** One conditional step of a redemption and its notice, in one transaction (the update first); false when it was not movable. */
  private async move(principal: Principal, r: Redemption, from: readonly RedemptionStatus[], step: Exclude<RedemptionStep, 'requested'>, changes: Parameters<Stores['points']['moveRedemption']>[2], also?: (tx: Stores) => Promise<void>): Promise<boolean> {
    const now = this.ctx.now().toISOString();
    const moved = await this.ctx.transaction(async (tx) => {
      if (!(await tx.points.moveRedemption(r.id, from, { ...changes, status: step }))) return false;
      await also?.(tx);
      await this.notice(tx, r.id, step, principal, now);
      return true;
    });
    if (moved) this.ctx.signals.send('outbox');
    return moved;
  }

  /** Staff: approve a requested redemption (finance pays it next). */
  async approveRedemption(principal: Principal, id: string): Promise<Redemption> {
    const r = await this.redemptionInScope(principal, id);
    const now = this.ctx.now().toISOString();
    if (!(await this.move(principal, r, ['requested'], 'approved', { decidedAt: now, decidedBy: principal.user.id }))) throw await this.notMovable(r, 'approve');
    return (await this.ctx.uow.autocommit.points.redemption(id))!;
  }

  /** Staff: reject a requested or approved redemption with a reason the member sees; its points come back. */
  async rejectRedemption(principal: Principal, id: string, reason: string): Promise<Redemption> {
    const text = typeof reason === 'string' ? reason.trim() : '';
    if (text === '') throw invalid('reason', 'Say why the redemption is rejected: the member sees it.', 'reason_required');
    const r = await this.redemptionInScope(principal, id);
    const now = this.ctx.now().toISOString();
    const moved = await this.move(principal, r, ['requested', 'approved'], 'rejected', { reason: text.slice(0, 500), decidedAt: now, decidedBy: principal.user.id }, async (tx) => {
      await tx.points.credit(r.memberId, r.points);
      await tx.points.insertEntry({ id: newId(), memberId: r.memberId, kind: 'release', points: r.points, caseId: null, round: 1, level: null, ruleVersion: r.ruleVersion, redemptionId: id, note: text.slice(0, 500), actorId: principal.user.id, at: now });
    });
    // Read again outside the transaction (on SQLite it held the one connection).
    if (!moved) throw await this.notMovable(r, 'reject');
    return (await this.ctx.uow.autocommit.points.redemption(id))!;
  }

  /** Finance: mark an approved redemption paid, with the payout's reference. Once: a second payment is 409. */
  async payRedemption(principal: Principal, id: string, payoutRef: string): Promise<Redemption> {
    const ref = typeof payoutRef === 'string' ? payoutRef.trim() : '';
    if (ref === '' || ref.length > 100) throw invalid('payoutRef', 'Give the payout reference (the transfer or voucher number), up to 100 characters.', 'payout_ref_required');
    const r = await this.redemptionInScope(principal, id);
    const now = this.ctx.now().toISOString();
    if (!(await this.move(principal, r, ['approved'], 'paid', { payoutRef: ref, paidAt: now, paidBy: principal.user.id }))) throw await this.notMovable(r, 'pay');
    return (await this.ctx.uow.autocommit.points.redemption(id))!;
  }

  /** Staff: redemptions of their jurisdiction's members, newest first. */
  async listRedemptions(principal: Principal, q: { status?: RedemptionStatus; limit?: number; before?: string }): Promise<Redemption[]> {
    requireCapability(principal.actor, 'manage_redemptions');
    const rows = await this.ctx.uow.autocommit.points.redemptions({ status: q.status, before: q.before, limit: Math.min(Math.max(q.limit ?? 50, 1), 200) });
    const out: Redemption[] = [];
    for (const r of rows) if (await this.inScope(principal, r.memberId)) out.push(r);
    return out;
  }

  /**
   * The finance export's lines: redemptions paid on the days from..to (China time, both included) of the
   * caller's jurisdiction, with totals, and the ledger's own figure for the same redemptions (what their
   * hold entries took), which the totals must equal.
   */
  async payouts(principal: Principal, from: string, to: string): Promise<{ rows: PayoutRow[]; points: number; yuan: number; ledgerPoints: number }> {
    requireCapability(principal.actor, 'manage_redemptions');
    if (!isCalendarDate(from)) throw invalid('from', 'from is the first day of the period, YYYY-MM-DD.', 'invalid_date');
    if (!isCalendarDate(to)) throw invalid('to', 'to is the last day of the period, YYYY-MM-DD.', 'invalid_date');
    if (to < from) throw invalid('to', 'to is on or after from.', 'invalid_period');
    if (Date.parse(to) - Date.parse(from) > 366 * 86_400_000) throw invalid('to', 'A period is at most a year (366 days).', 'period_too_long');
    const start = new Date(Date.parse(`${from}T00:00:00+08:00`)).toISOString();
    const end = new Date(Date.parse(`${to}T00:00:00+08:00`) + 86_400_000).toISOString();
    const repos = this.ctx.uow.autocommit;
    const all = await repos.points.paidBetween(start, end);
    const rows: PayoutRow[] = [];
    for (const r of all) if (await this.inScope(principal, r.memberId)) rows.push(r);
    return {
      rows,
      points: rows.reduce((n, r) => n + r.points, 0),
      yuan: rows.reduce((n, r) => n + r.yuan, 0),
      ledgerPoints: await repos.points.heldFor(rows.map((r) => r.id)),
    };
  }

  /**
   * Points awarded (awards less reversals) and paid out (redemptions paid: points, yuan, how many) month by
   * month in China Standard Time, over the members of the caller's jurisdiction: the programme's line in
   * the figures (GET /kpis/points).
   */
  async monthly(principal: Principal, from: Date, to: Date): Promise<PointsMonth[]> {
    requireCapability(principal.actor, 'view_members');
    requireCapability(principal.actor, 'view_kpis');
    checkPeriod({ from, to });
    const repos = this.ctx.uow.autocommit;
    const scope = new Map<string, boolean>();
    const mine = async (memberId: string) => {
      if (!scope.has(memberId)) scope.set(memberId, await this.inScope(principal, memberId));
      return scope.get(memberId)!;
    };
    const months: PointsMonth[] = [];
    for (const month of bucketsOf({ from, to }, 'month')) {
      const [earned, paid] = await Promise.all([repos.points.earnedBetween(month.from.toISOString(), month.to.toISOString()), repos.points.paidBetween(month.from.toISOString(), month.to.toISOString())]);
      let awarded = 0;
      for (const e of earned) if (await mine(e.memberId)) awarded += e.points;
      const ours: PayoutRow[] = [];
      for (const r of paid) if (await mine(r.memberId)) ours.push(r);
      months.push({ from: month.from.toISOString(), to: month.to.toISOString(), awarded, paidPoints: ours.reduce((n, r) => n + r.points, 0), paidYuan: ours.reduce((n, r) => n + r.yuan, 0), redemptionsPaid: ours.length });
    }
    return months;
  }

  /** The step is not open from where the redemption stands now (read again: someone may have moved it a moment ago). */
  private async notMovable(r: Redemption, step: 'approve' | 'reject' | 'pay') {
    const status = (await this.ctx.uow.autocommit.points.redemption(r.id))?.status ?? r.status;
    return conflict(`${step}_not_allowed_when_${status}`, status === 'paid' && step === 'pay' ? 'This redemption is already paid.' : `A redemption that is ${status} cannot be ${step === 'pay' ? 'paid' : `${step}d`}; reload it.`, { status });
  }

  private async redemptionInScope(principal: Principal, id: string): Promise<Redemption> {
    requireCapability(principal.actor, 'manage_redemptions');
    const r = await this.ctx.uow.autocommit.points.redemption(id);
    if (!r) throw notFound('redemption', id);
    if (!(await this.inScope(principal, r.memberId))) throw forbidden('out_of_scope', "This redemption is another subdistrict's.", {});
    return r;
  }

  private async inScope(principal: Principal, memberId: string): Promise<boolean> {
    if (principal.actor.role === 'admin') return true;
    const member = await this.ctx.uow.autocommit.members.member(memberId);
    const home = member ? await this.ctx.uow.autocommit.reference.jurisdiction(member.jurisdictionId) : undefined;
    return !!home && isWithin(home.path, principal.actor.jurisdictionPath);
  }

  /** GET /me/points: the signed-in reporter's balance and ledger, newest first, or why they earn none. */
  async mine(principal: Principal, q: { limit?: number; before?: string } = {}): Promise<MyPoints> {
    const repos = this.ctx.uow.autocommit;
    const member = await repos.members.memberByUser(principal.user.id);
    const { current } = await this.rules();
    if (!member) return { member: null, why: 'not_a_member', balance: 0, held: 0, entries: [], next: null, rules: current };
    const limit = Math.min(Math.max(q.limit ?? 50, 1), 200);
    const rows = await repos.points.entries(member.id, limit + 1, q.before);
    const page = rows.slice(0, limit);
    const refs = new Map((await repos.cases.findMany([...new Set(page.map((e) => e.caseId).filter((id): id is string => id !== null))])).map((c) => [c.id, c.ref]));
    return {
      member: { id: member.id, status: member.status, appointmentNumber: member.appointmentNumber },
      why: member.status === 'appointed' ? null : 'not_appointed',
      balance: await repos.points.balance(member.id),
      held: await repos.points.heldPoints(member.id),
      entries: page.map((e) => ({ ...e, caseRef: e.caseId ? (refs.get(e.caseId) ?? null) : null })),
      next: rows.length > limit ? page[page.length - 1]!.id : null,
      rules: current,
    };
  }
}

