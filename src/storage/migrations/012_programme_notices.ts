// Frozen once shipped. The programme's side of accounts and notifications (issue 11): employer accounts,
// and news of recruitment and redemption steps. Migrations import no app code.
//
// users.platform / users.station: an `employer` account belongs to a platform's local station (美团 拉萨城关站);
//   null for every other role.
// notices: the programme's outbox, beside the case outbox: one row per member event or redemption step,
//   written in the step's transaction; the fan-out deletes it in the transaction that writes its inbox
//   messages and deliveries. id is time-ordered (the order of telling); topic is member | redemption;
//   event_id is the member event's id, or the redemption's id and the step (`<id>:approved`), unique, so
//   a step is told once.
// members_user: an account holds one live membership (it was one membership ever): a rider rejected or
//   retired may apply again from the same account, as the same phone may.
// deliveries: rebuilt with case_id nullable (a delivery may tell of a member or a redemption); the
//   columns, keys and indexes are otherwise those of 009.

import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('platform', 'text').execute();
  await db.schema.alterTable('users').addColumn('station', 'text').execute();

  await db.schema.dropIndex('members_user').execute();
  await db.schema.createIndex('members_user').on('members').column('user_id').unique().where(sql.ref('user_id'), 'is not', null).where(sql.ref('status'), 'not in', ['rejected', 'retired']).execute();

  await db.schema
    .createTable('notices')
    // Time-ordered: the fan-out tells of a batch's steps in the order they were taken.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('event_id', 'text', (c) => c.notNull().unique())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('step', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('deliveries_012')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('case_id', 'text', (c) => c.references('cases.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('channel_id', 'text', (c) => c.notNull().references('notify_channels.id'))
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_at', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('last_error', 'text')
    .addColumn('last_attempt_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('delivered_at', 'text')
    .execute();
  await sql`insert into deliveries_012 (id, event_id, case_id, kind, channel_id, message, status, attempts, next_at, lease_owner, lease_until, last_error, last_attempt_at, created_at, delivered_at)
    select id, event_id, case_id, kind, channel_id, message, status, attempts, next_at, lease_owner, lease_until, last_error, last_attempt_at, created_at, delivered_at from deliveries`.execute(db);
  await db.schema.dropTable('deliveries').execute();
  await db.schema.alterTable('deliveries_012').renameTo('deliveries').execute();
  // The unique key as an index: SQLite cannot add a constraint to an existing table.
  await db.schema.createIndex('deliveries_event_channel').on('deliveries').columns(['event_id', 'channel_id', 'kind']).unique().execute();
  await db.schema.createIndex('deliveries_due').on('deliveries').columns(['status', 'next_at']).execute();
  await db.schema.createIndex('deliveries_case').on('deliveries').column('case_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from deliveries where case_id is null`.execute(db);
  await db.schema.dropTable('notices').execute();
  await db.schema.dropIndex('members_user').execute();
  await db.schema.createIndex('members_user').on('members').column('user_id').unique().where(sql.ref('user_id'), 'is not', null).execute();
  await db.schema.alterTable('users').dropColumn('station').execute();
  await db.schema.alterTable('users').dropColumn('platform').execute();
}
