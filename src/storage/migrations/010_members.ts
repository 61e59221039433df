// Frozen once shipped. Grid workers (issue 11): the programme's configurable lists (worker types, employer
// platforms), its members, and each member's append-only history. Migrations import no app code.
//
// members: one row per person from their application on, with the state the latest event left; a phone is
//   one person's while their membership is live (partial unique index: a rejected or retired phone may
//   apply again). appointment_number is unique once given. status_token_hash is the sha256 of the secret
//   in the applicant's status link (the link itself is never stored).
// member_events: (member_id, seq) unique, numbered 1, 2, ... like case events; never updated or deleted.

import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('programme_options')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('names', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('sort', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('programme_options_pk', ['kind', 'code'])
    .execute();

  await db.schema
    .createTable('members')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('worker_type', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('station', 'text')
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('jurisdiction_id', 'text', (c) => c.notNull().references('jurisdictions.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_at', 'text', (c) => c.notNull())
    .addColumn('status_reason', 'text')
    .addColumn('user_id', 'text', (c) => c.references('users.id'))
    .addColumn('appointment_number', 'text')
    .addColumn('appointed_on', 'text')
    .addColumn('status_token_hash', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('members_live_phone').on('members').column('phone').unique().where(sql.ref('status'), 'not in', ['rejected', 'retired']).execute();
  await db.schema.createIndex('members_user').on('members').column('user_id').unique().where(sql.ref('user_id'), 'is not', null).execute();
  await db.schema.createIndex('members_number').on('members').column('appointment_number').unique().where(sql.ref('appointment_number'), 'is not', null).execute();
  await db.schema.createIndex('members_token').on('members').column('status_token_hash').unique().execute();
  await db.schema.createIndex('members_jurisdiction').on('members').columns(['jurisdiction_id', 'status']).execute();

  await db.schema
    .createTable('member_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('member_id', 'text', (c) => c.notNull().references('members.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.references('users.id'))
    .addColumn('actor_role', 'text', (c) => c.notNull())
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addUniqueConstraint('member_events_seq', ['member_id', 'seq'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('member_events').execute();
  await db.schema.dropTable('members').execute();
  await db.schema.dropTable('programme_options').execute();
}
