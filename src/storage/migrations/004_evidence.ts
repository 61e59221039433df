// Frozen once shipped. Evidence: what processing learnt about each upload (dimensions, capture time and
// place, the derived copies' keys), which cases and events carry which media (for access and the
// before/after view), the history of public copies and their redactions, and resumable uploads.

import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const blob = isPostgres(db) ? sql`bytea` : sql`blob`;
  for (const [column, type] of [
    ['width', 'integer'],
    ['height', 'integer'],
    ['duration_s', 'double precision'],
    ['taken_at', 'text'],
    ['taken_lat', 'double precision'],
    ['taken_lon', 'double precision'],
    ['display_key', 'text'],
    ['thumb_key', 'text'],
    ['poster_key', 'text'],
    ['clean_key', 'text'],
    ['preview', 'text'],
    ['public_key', 'text'],
    ['published_at', 'text'],
  ] as const) {
    await db.schema.alterTable('media').addColumn(column, type).execute();
  }

  // Which event of which case carries which media: 'before' (the report), 'after' (a resolution) or
  // 'other'; with what the capture metadata says against the case (flags for the dispatcher).
  await db.schema
    .createTable('media_links')
    .addColumn('media_id', 'text', (c) => c.notNull().references('media.id'))
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
    .addColumn('event_seq', 'integer', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('flags', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('media_links_pk', ['media_id', 'case_id', 'event_seq'])
    .execute();
  await db.schema.createIndex('media_links_case').on('media_links').columns(['case_id', 'event_seq']).execute();

  // Append-only: every publication, redaction and withdrawal of a public copy.
  await db.schema
    .createTable('media_publications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('media_id', 'text', (c) => c.notNull().references('media.id'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('regions', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('public_key', 'text')
    .addColumn('actor_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('media_publications_media').on('media_publications').column('media_id').execute();

  // Resumable uploads (tus 1.0): the chunks live in the database, so any process can take the next one.
  await db.schema
    .createTable('uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('length', 'integer', (c) => c.notNull())
    .addColumn('received', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('media_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('upload_chunks')
    .addColumn('upload_id', 'text', (c) => c.notNull().references('uploads.id').onDelete('cascade'))
    .addColumn('start_byte', 'integer', (c) => c.notNull())
    .addColumn('data', blob, (c) => c.notNull())
    .addPrimaryKeyConstraint('upload_chunks_pk', ['upload_id', 'start_byte'])
    .execute();

  // Links for the evidence already recorded in events: the report's media are 'before', a resolution's 'after'.
  const typed = db as unknown as Kysely<{
    case_events: { case_id: string; seq: number; action: string; evidence: string; at: string };
    media: { id: string };
    media_links: { media_id: string; case_id: string; event_seq: number; role: string; flags: string; created_at: string };
  }>;
  const known = new Set((await typed.selectFrom('media').select('id').execute()).map((m) => m.id));
  const events = await typed.selectFrom('case_events').select(['case_id', 'seq', 'action', 'evidence', 'at']).where('evidence', '!=', '[]').execute();
  for (const e of events) {
    const ids = [...new Set((JSON.parse(e.evidence) as string[]).filter((id) => known.has(id)))];
    for (const id of ids) {
      const role = e.action === 'report' ? 'before' : e.action === 'resolve' ? 'after' : 'other';
      await typed.insertInto('media_links').values({ media_id: id, case_id: e.case_id, event_seq: e.seq, role, flags: '[]', created_at: e.at }).execute();
    }
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['upload_chunks', 'uploads', 'media_publications', 'media_links']) await db.schema.dropTable(table).execute();
  for (const column of ['published_at', 'public_key', 'preview', 'clean_key', 'poster_key', 'thumb_key', 'display_key', 'taken_lon', 'taken_lat', 'taken_at', 'duration_s', 'height', 'width']) {
    await db.schema.alterTable('media').dropColumn(column).execute();
  }
}
