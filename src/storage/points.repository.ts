// The points ledger in the database (ports.ts PointsStore): rule sets by version, and entries that are only
// ever inserted. A balance is the sum of a member's entries.

import type { Kysely } from 'kysely';
import type { PointsEntry, Redemption, RedemptionStatus, RuleSet } from '../domain/points.js';
import type { PayoutRow, PointsStore, RedemptionQuery } from '../ports.js';
import { fromJson, toJson } from './dialect.js';
import type { DB, PointsEntryTable, PointsRulesTable, RedemptionTable } from './schema.js';

const toRuleSet = (r: PointsRulesTable): RuleSet => ({
  version: r.version,
  effectiveFrom: r.effective_from,
  ...fromJson<Omit<RuleSet, 'version' | 'effectiveFrom' | 'note' | 'createdBy' | 'createdAt'>>(r.rules, { awards: { 1: 0, 2: 0, 3: 0 }, redeem: { per: 10, yuan: 0, minimum: 10 }, mergedReportsEarn: false }),
  note: r.note,
  createdBy: r.created_by,
  createdAt: r.created_at,
});

const toEntry = (r: PointsEntryTable): PointsEntry => ({
  id: r.id,
  memberId: r.member_id,
  kind: r.kind as PointsEntry['kind'],
  points: r.points,
  caseId: r.case_id,
  round: r.round,
  level: r.level,
  ruleVersion: r.rule_version,
  redemptionId: r.redemption_id,
  note: r.note,
  actorId: r.actor_id,
  at: r.at,
});

const toRedemption = (r: RedemptionTable): Redemption => ({
  id: r.id,
  memberId: r.member_id,
  points: r.points,
  yuan: r.yuan,
  ruleVersion: r.rule_version,
  status: r.status as RedemptionStatus,
  reason: r.reason,
  payoutRef: r.payout_ref,
  requestedAt: r.requested_at,
  decidedAt: r.decided_at,
  decidedBy: r.decided_by,
  paidAt: r.paid_at,
  paidBy: r.paid_by,
});

export class PointsRepository implements PointsStore {
  constructor(private readonly db: Kysely<DB>) {}

  async ruleSets(): Promise<RuleSet[]> {
    return (await this.db.selectFrom('points_rules').selectAll().orderBy('version').execute()).map(toRuleSet);
  }

  async insertRuleSet(s: RuleSet): Promise<void> {
    await this.db
      .insertInto('points_rules')
      .values({ version: s.version, effective_from: s.effectiveFrom, rules: toJson({ awards: s.awards, redeem: s.redeem, mergedReportsEarn: s.mergedReportsEarn }), note: s.note, created_by: s.createdBy, created_at: s.createdAt })
      .execute();
  }

  async insertEntry(e: PointsEntry): Promise<void> {
    await this.db
      .insertInto('points_entries')
      .values({ id: e.id, member_id: e.memberId, kind: e.kind, points: e.points, case_id: e.caseId, round: e.round, level: e.level, rule_version: e.ruleVersion, redemption_id: e.redemptionId, note: e.note, actor_id: e.actorId, at: e.at })
      .execute();
  }

  async entriesOfCase(caseId: string): Promise<PointsEntry[]> {
    return (await this.db.selectFrom('points_entries').selectAll().where('case_id', '=', caseId).orderBy('id').execute()).map(toEntry);
  }

  async entries(memberId: string, limit: number, before?: string): Promise<PointsEntry[]> {
    let q = this.db.selectFrom('points_entries').selectAll().where('member_id', '=', memberId);
    if (before) q = q.where('id', '<', before);
    return (await q.orderBy('id', 'desc').limit(limit).execute()).map(toEntry);
  }

  async ledgerSum(memberId: string): Promise<number> {
    const row = await this.db.selectFrom('points_entries').select((eb) => eb.fn.sum<number>('points').as('n')).where('member_id', '=', memberId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async balance(memberId: string): Promise<number> {
    const row = await this.db.selectFrom('points_accounts').select('balance').where('member_id', '=', memberId).executeTakeFirst();
    return row?.balance ?? 0;
  }

  async credit(memberId: string, points: number): Promise<void> {
    await this.db
      .insertInto('points_accounts')
      .values({ member_id: memberId, balance: points })
      .onConflict((oc) => oc.column('member_id').doUpdateSet((eb) => ({ balance: eb('points_accounts.balance', '+', points) })))
      .execute();
  }

  async debit(memberId: string, points: number): Promise<boolean> {
    const result = await this.db
      .updateTable('points_accounts')
      .set((eb) => ({ balance: eb('balance', '-', points) }))
      .where('member_id', '=', memberId)
      .where('balance', '>=', points)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async insertRedemption(r: Redemption): Promise<void> {
    await this.db
      .insertInto('redemptions')
      .values({ id: r.id, member_id: r.memberId, points: r.points, yuan: r.yuan, rule_version: r.ruleVersion, status: r.status, reason: r.reason, payout_ref: r.payoutRef, requested_at: r.requestedAt, decided_at: r.decidedAt, decided_by: r.decidedBy, paid_at: r.paidAt, paid_by: r.paidBy })
      .execute();
  }

  async redemption(id: string): Promise<Redemption | undefined> {
    const row = await this.db.selectFrom('redemptions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRedemption(row) : undefined;
  }

  async redemptionsByIds(ids: string[]): Promise<Redemption[]> {
    if (ids.length === 0) return [];
    return (await this.db.selectFrom('redemptions').selectAll().where('id', 'in', ids).execute()).map(toRedemption);
  }

  async moveRedemption(id: string, from: readonly RedemptionStatus[], changes: Partial<Pick<Redemption, 'status' | 'reason' | 'payoutRef' | 'decidedAt' | 'decidedBy' | 'paidAt' | 'paidBy'>>): Promise<boolean> {
    const result = await this.db
      .updateTable('redemptions')
      .set({
        ...(changes.status ? { status: changes.status } : {}),
        ...(changes.reason !== undefined ? { reason: changes.reason } : {}),
        ...(changes.payoutRef !== undefined ? { payout_ref: changes.payoutRef } : {}),
        ...(changes.decidedAt !== undefined ? { decided_at: changes.decidedAt } : {}),
        ...(changes.decidedBy !== undefined ? { decided_by: changes.decidedBy } : {}),
        ...(changes.paidAt !== undefined ? { paid_at: changes.paidAt } : {}),
        ...(changes.paidBy !== undefined ? { paid_by: changes.paidBy } : {}),
      })
      .where('id', '=', id)
      .where('status', 'in', [...from])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async redemptions(q: RedemptionQuery): Promise<Redemption[]> {
    let query = this.db.selectFrom('redemptions').selectAll();
    if (q.memberId) query = query.where('member_id', '=', q.memberId);
    if (q.status) query = query.where('status', '=', q.status);
    if (q.before) query = query.where('id', '<', q.before);
    return (await query.orderBy('id', 'desc').limit(q.limit).execute()).map(toRedemption);
  }

  async heldPoints(memberId: string): Promise<number> {
    const row = await this.db.selectFrom('redemptions').select((eb) => eb.fn.sum<number>('points').as('n')).where('member_id', '=', memberId).where('status', 'in', ['requested', 'approved']).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async paidBetween(fromIso: string, toIso: string): Promise<PayoutRow[]> {
    const rows = await this.db
      .selectFrom('redemptions')
      .innerJoin('members', 'members.id', 'redemptions.member_id')
      .selectAll('redemptions')
      .select(['members.name as member_name', 'members.phone as member_phone', 'members.appointment_number as member_number', 'members.platform as member_platform', 'members.jurisdiction_id as member_jurisdiction'])
      .where('redemptions.status', '=', 'paid')
      .where('redemptions.paid_at', '>=', fromIso)
      .where('redemptions.paid_at', '<', toIso)
      .orderBy('redemptions.paid_at')
      .orderBy('redemptions.id')
      .execute();
    return rows.map((r) => ({ ...toRedemption(r), memberName: r.member_name, memberPhone: r.member_phone, appointmentNumber: r.member_number, platform: r.member_platform, jurisdictionId: r.member_jurisdiction }));
  }

  async heldFor(redemptionIds: string[]): Promise<number> {
    if (redemptionIds.length === 0) return 0;
    let total = 0;
    for (let i = 0; i < redemptionIds.length; i += 500) {
      const row = await this.db
        .selectFrom('points_entries')
        .select((eb) => eb.fn.sum<number>('points').as('n'))
        .where('kind', '=', 'hold')
        .where('redemption_id', 'in', redemptionIds.slice(i, i + 500))
        .executeTakeFirst();
      total += -Number(row?.n ?? 0);
    }
    return total;
  }

  async reporterStats(userId: string): Promise<{ reports: number; verified: number; closeMinutes: number[] }> {
    const cases = await this.db.selectFrom('cases').select(['id', 'reported_at', 'closed_at']).where('reporter_id', '=', userId).execute();
    const verified = await this.db
      .selectFrom('case_events')
      .innerJoin('cases', 'cases.id', 'case_events.case_id')
      .select((eb) => eb.fn.count<number>('case_events.case_id').distinct().as('n'))
      .where('cases.reporter_id', '=', userId)
      .where('case_events.action', '=', 'verify')
      .executeTakeFirst();
    const closeMinutes = cases.filter((c) => c.closed_at !== null).map((c) => (Date.parse(c.closed_at!) - Date.parse(c.reported_at)) / 60_000);
    return { reports: cases.length, verified: Number(verified?.n ?? 0), closeMinutes };
  }

  async earnedBetween(fromIso: string, toIso: string): Promise<{ memberId: string; points: number }[]> {
    const rows = await this.db
      .selectFrom('points_entries')
      .select(['member_id', (eb) => eb.fn.sum<number>('points').as('points')])
      .where('kind', 'in', ['award', 'reversal'])
      .where('at', '>=', fromIso)
      .where('at', '<', toIso)
      .groupBy('member_id')
      .execute();
    return rows.map((r) => ({ memberId: r.member_id, points: Number(r.points) }));
  }

  async earned(memberId: string): Promise<number> {
    const row = await this.db.selectFrom('points_entries').select((eb) => eb.fn.sum<number>('points').as('n')).where('member_id', '=', memberId).where('kind', 'in', ['award', 'reversal']).executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
