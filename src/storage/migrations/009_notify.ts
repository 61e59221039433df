// Frozen once shipped. Notifications (issue 10): the transactional outbox, the deliveries it fans out to,
// the in-app inbox, outside channels and who hears what, the live-event feed, auto-dispatch rules, and the
// mark the sweep leaves when it has alerted a supervisor about an unsigned emergency. Migrations import no
// app code.
//
// outbox: one row per case event, written in the same transaction as the event; the fan-out deletes it in
//   the transaction that writes the event's deliveries, inbox messages and feed entry.
// deliveries: one message for one outside channel; claimed under a lease (lease_until), tried with
//   backoff (next_at), dead-lettered after the channel's maximum of attempts. (event_id, target) is unique,
//   so a fan-out that runs twice cannot double a message.
// feed: the live events, numbered in commit order (the fan-out takes the next number last, under the
//   counter's row lock), read by the SSE streams of every process.

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('outbox')
    .addColumn('event_id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('notify_channels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    // The channel's settings with its secrets (JSON); the API shows them masked.
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('locale', 'text', (c) => c.notNull().defaultTo('zh-CN'))
    // Mobiles @-mentioned on urgent messages (JSON list).
    .addColumn('mention_mobiles', 'text', (c) => c.notNull().defaultTo('[]'))
    // A subdistrict's group (its WeChat group today), or null.
    .addColumn('jurisdiction_id', 'text', (c) => c.references('jurisdictions.id'))
    // active | broken (the key was refused) | disabled
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_reason', 'text')
    .addColumn('status_at', 'text')
    .addColumn('created_by', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // Notification kinds (JSON list).
    .addColumn('kinds', 'text', (c) => c.notNull())
    // Whom it goes to: a channel, or a user's inbox.
    .addColumn('channel_id', 'text', (c) => c.references('notify_channels.id'))
    .addColumn('user_id', 'text', (c) => c.references('users.id'))
    // What it is about (each null: any): a department, a jurisdiction and everything under it, a category.
    .addColumn('department_id', 'text', (c) => c.references('departments.id'))
    .addColumn('jurisdiction_id', 'text', (c) => c.references('jurisdictions.id'))
    .addColumn('category_id', 'text', (c) => c.references('categories.id'))
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_by', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('channel_id', 'text', (c) => c.notNull().references('notify_channels.id'))
    // The rendered message (JSON): what every attempt sends.
    .addColumn('message', 'text', (c) => c.notNull())
    // pending | delivered | dead
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_at', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('last_error', 'text')
    .addColumn('last_attempt_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('delivered_at', 'text')
    .addUniqueConstraint('deliveries_event_channel', ['event_id', 'channel_id', 'kind'])
    .execute();
  await db.schema.createIndex('deliveries_due').on('deliveries').columns(['status', 'next_at']).execute();
  await db.schema.createIndex('deliveries_case').on('deliveries').column('case_id').execute();

  await db.schema
    .createTable('inbox_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    // The case event it tells of (or, for news that is not a case's, the delivery or channel behind it).
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('case_id', 'text', (c) => c.references('cases.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('link', 'text')
    // The message's facts (JSON): reference, status, reason, department, after-photo, time left.
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('read_at', 'text')
    .addUniqueConstraint('inbox_event_user_kind', ['event_id', 'user_id', 'kind'])
    .execute();
  await db.schema.createIndex('inbox_user').on('inbox_messages').columns(['user_id', 'id']).execute();

  await db.schema
    .createTable('feed')
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('case_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('kinds', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('dispatch_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('category_id', 'text', (c) => c.notNull().references('categories.id'))
    .addColumn('jurisdiction_id', 'text', (c) => c.notNull().references('jurisdictions.id'))
    // null: any urgency
    .addColumn('urgency', 'text')
    .addColumn('department_id', 'text', (c) => c.notNull().references('departments.id'))
    .addColumn('created_by', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('dispatch_rules_category').on('dispatch_rules').column('category_id').execute();

  // An emergency not signed in time: the sweep claims this like the reminder and supervision marks.
  await db.schema.alterTable('case_clocks').addColumn('alerted_at', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('case_clocks').dropColumn('alerted_at').execute();
  for (const table of ['dispatch_rules', 'feed', 'inbox_messages', 'deliveries', 'subscriptions', 'notify_channels', 'outbox']) {
    await db.schema.dropTable(table).execute();
  }
}
