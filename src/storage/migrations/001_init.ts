// Frozen: never edit a migration that has shipped; add a new one. Migrations import no app code.

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('jurisdictions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'text', (c) => c.references('jurisdictions.id'))
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('name_zh', 'text', (c) => c.notNull())
    .addColumn('name_en', 'text', (c) => c.notNull())
    .addColumn('name_bo', 'text', (c) => c.notNull())
    .addColumn('geometry', 'text')
    .addColumn('min_lon', 'double precision')
    .addColumn('min_lat', 'double precision')
    .addColumn('max_lon', 'double precision')
    .addColumn('max_lat', 'double precision')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('jurisdictions_path').on('jurisdictions').column('path').execute();
  await db.schema.createIndex('jurisdictions_parent').on('jurisdictions').column('parent_id').execute();

  await db.schema
    .createTable('departments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name_zh', 'text', (c) => c.notNull())
    .addColumn('name_en', 'text', (c) => c.notNull())
    .addColumn('name_bo', 'text', (c) => c.notNull())
    .addColumn('jurisdiction_id', 'text', (c) => c.notNull().references('jurisdictions.id'))
    .addColumn('phone', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('categories')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('major_code', 'text', (c) => c.notNull())
    .addColumn('minor_code', 'text', (c) => c.notNull())
    .addColumn('name_zh', 'text', (c) => c.notNull())
    .addColumn('name_en', 'text', (c) => c.notNull())
    .addColumn('name_bo', 'text', (c) => c.notNull())
    .addColumn('default_department_id', 'text', (c) => c.references('departments.id'))
    .addColumn('food_safety', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('report_media_required', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('resolve_photo_required', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('duplicate_radius_m', 'integer', (c) => c.notNull().defaultTo(50))
    .addColumn('default_urgency', 'text', (c) => c.notNull().defaultTo('normal'))
    .addColumn('sla', 'text')
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('category_routes')
    .addColumn('category_id', 'text', (c) => c.notNull().references('categories.id'))
    .addColumn('jurisdiction_id', 'text', (c) => c.notNull().references('jurisdictions.id'))
    .addColumn('department_id', 'text', (c) => c.notNull().references('departments.id'))
    .addPrimaryKeyConstraint('category_routes_pk', ['category_id', 'jurisdiction_id'])
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('phone', 'text')
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('department_id', 'text', (c) => c.references('departments.id'))
    .addColumn('jurisdiction_id', 'text', (c) => c.references('jurisdictions.id'))
    .addColumn('locale', 'text', (c) => c.notNull().defaultTo('zh-CN'))
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('auth_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .execute();

  await db.schema
    .createTable('media')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('mime', 'text', (c) => c.notNull())
    .addColumn('bytes', 'integer', (c) => c.notNull())
    .addColumn('storage_key', 'text', (c) => c.notNull())
    .addColumn('uploaded_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('media_sha256').on('media').column('sha256').execute();

  await db.schema
    .createTable('cases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('ref', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('category_id', 'text', (c) => c.notNull().references('categories.id'))
    .addColumn('urgency', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('lat', 'double precision', (c) => c.notNull())
    .addColumn('lon', 'double precision', (c) => c.notNull())
    .addColumn('orig_lat', 'double precision', (c) => c.notNull())
    .addColumn('orig_lon', 'double precision', (c) => c.notNull())
    .addColumn('orig_coord_sys', 'text', (c) => c.notNull().defaultTo('wgs84'))
    .addColumn('address', 'text')
    .addColumn('grid_id', 'text', (c) => c.references('jurisdictions.id'))
    .addColumn('jurisdiction_id', 'text', (c) => c.notNull().references('jurisdictions.id'))
    .addColumn('origin_jurisdiction_id', 'text', (c) => c.notNull().references('jurisdictions.id'))
    .addColumn('routed_department_id', 'text', (c) => c.references('departments.id'))
    .addColumn('department_id', 'text', (c) => c.references('departments.id'))
    .addColumn('assisting_department_ids', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('assignee_id', 'text', (c) => c.references('users.id'))
    .addColumn('reporter_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('media_ids', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('closure_type', 'text')
    .addColumn('rating_score', 'integer')
    .addColumn('rating_unit_at_fault', 'integer')
    .addColumn('pending_extension', 'text')
    .addColumn('reported_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('closed_at', 'text')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  for (const column of ['status', 'reported_at', 'reporter_id', 'department_id', 'jurisdiction_id', 'grid_id', 'category_id']) {
    await db.schema.createIndex(`cases_${column}`).on('cases').column(column).execute();
  }

  await db.schema
    .createTable('case_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.references('users.id'))
    .addColumn('actor_role', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('data', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('evidence', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('clocks', 'text', (c) => c.notNull().defaultTo('[]'))
    .addUniqueConstraint('case_events_case_seq', ['case_id', 'seq'])
    .execute();
  await db.schema.createIndex('case_events_at').on('case_events').column('at').execute();

  await db.schema
    .createTable('case_clocks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('round', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('due_at', 'text', (c) => c.notNull())
    .addColumn('original_due_at', 'text', (c) => c.notNull())
    .addColumn('remind_at', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .addColumn('outcome', 'text')
    .addColumn('reminded_at', 'text')
    .addColumn('supervised_at', 'text')
    .addUniqueConstraint('case_clocks_case_stage_round', ['case_id', 'stage', 'round'])
    .execute();
  await db.schema.createIndex('case_clocks_open_due').on('case_clocks').columns(['completed_at', 'due_at']).execute();
  await db.schema.createIndex('case_clocks_open_remind').on('case_clocks').columns(['completed_at', 'remind_at']).execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['scope', 'key'])
    .execute();

  await db.schema
    .createTable('counters')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('calendar_days')
    .addColumn('date', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'calendar_days',
    'counters',
    'idempotency_keys',
    'case_clocks',
    'case_events',
    'cases',
    'media',
    'auth_tokens',
    'users',
    'category_routes',
    'categories',
    'departments',
    'jurisdictions',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
