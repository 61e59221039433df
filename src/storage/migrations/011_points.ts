// Frozen once shipped. Points for verified food-safety reports (issue 11): the numbered rule sets and the
// members' ledger. Migrations import no app code.
//
// points_rules: one row per version; `rules` is the set's JSON (awards per level, redemption rate, whether
//   merged reports earn); in force from effective_from (a day, China time) until the next set's.
// points_entries: never updated or deleted. (case_id, kind, round) is unique, so a case's award is made once
//   per round however many verifications race for it, and a reversal takes back one award. A redemption's
//   hold (and its release on rejection) names the redemption.
// points_accounts: each member's balance, the sum of their entries, kept with every entry; a debit is one
//   conditional update (balance >= points), so no number of concurrent requests can take it below zero.
// redemptions: requested -> approved -> paid, or rejected (points released); paying is a conditional
//   update from approved, so a redemption is paid once.

import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('points_rules')
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('effective_from', 'text', (c) => c.notNull())
    .addColumn('rules', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('created_by', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('points_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('member_id', 'text', (c) => c.notNull().references('members.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('points', 'integer', (c) => c.notNull())
    .addColumn('case_id', 'text', (c) => c.references('cases.id'))
    .addColumn('round', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('level', 'integer')
    .addColumn('rule_version', 'integer', (c) => c.references('points_rules.version'))
    .addColumn('redemption_id', 'text')
    .addColumn('note', 'text')
    .addColumn('actor_id', 'text', (c) => c.references('users.id'))
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('points_entries_member').on('points_entries').columns(['member_id', 'id']).execute();
  await db.schema
    .createTable('points_accounts')
    .addColumn('member_id', 'text', (c) => c.primaryKey().references('members.id'))
    .addColumn('balance', 'integer', (c) => c.notNull().check(sql`balance >= 0`))
    .execute();

  await db.schema
    .createTable('redemptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('member_id', 'text', (c) => c.notNull().references('members.id'))
    .addColumn('points', 'integer', (c) => c.notNull())
    .addColumn('yuan', 'integer', (c) => c.notNull())
    .addColumn('rule_version', 'integer', (c) => c.notNull().references('points_rules.version'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('payout_ref', 'text')
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'text')
    .addColumn('decided_by', 'text', (c) => c.references('users.id'))
    .addColumn('paid_at', 'text')
    .addColumn('paid_by', 'text', (c) => c.references('users.id'))
    .execute();
  await db.schema.createIndex('redemptions_member').on('redemptions').columns(['member_id', 'id']).execute();
  await db.schema.createIndex('redemptions_status').on('redemptions').columns(['status', 'id']).execute();
  await db.schema.createIndex('redemptions_paid').on('redemptions').column('paid_at').execute();

  await db.schema.createIndex('points_entries_case').on('points_entries').columns(['case_id', 'kind', 'round']).unique().where(sql.ref('case_id'), 'is not', null).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('redemptions').execute();
  await db.schema.dropTable('points_accounts').execute();
  await db.schema.dropTable('points_entries').execute();
  await db.schema.dropTable('points_rules').execute();
}
