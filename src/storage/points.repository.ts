// The points ledger in the database (ports.ts PointsStore): rule sets by version, and entries that are only
// ever inserted. A balance is the sum of a member's entries.

import type { Kysely } from 'kysely';
import type { PointsEntry, RuleSet } from '../domain/points.js';
import type { PointsStore } from '../ports.js';
import { fromJson, toJson } from './dialect.js';
import type { DB, PointsEntryTable, PointsRulesTable } from './schema.js';

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
  note: r.note,
  actorId: r.actor_id,
  at: r.at,
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
      .values({ id: e.id, member_id: e.memberId, kind: e.kind, points: e.points, case_id: e.caseId, round: e.round, level: e.level, rule_version: e.ruleVersion, note: e.note, actor_id: e.actorId, at: e.at })
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

  async balance(memberId: string): Promise<number> {
    const row = await this.db.selectFrom('points_entries').select((eb) => eb.fn.sum<number>('points').as('n')).where('member_id', '=', memberId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
