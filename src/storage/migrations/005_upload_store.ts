// Frozen once shipped. Resumable uploads keep their chunks in the media store (files under the store's
// directory, or S3 objects), no longer in the database: a 16 MB chunk had grown the database and its log
// by 28.5 MB, and twenty open uploads per rider could hold 2 GB for a day. `upload_parts` says which
// stored part holds the bytes from each offset (the part's name is random per attempt, so two processes
// racing on one offset never overwrite each other's bytes; the conditional UPDATE of `received` picks the
// winner). The bytes held in open uploads are counted from `uploads.length` for the per-user quota, hence
// the index on the owner.
//
// Chunks already in `upload_chunks` cannot be moved into the store from here: a migration knows no media
// store and runs no app code. Unfinished uploads are therefore dropped with their chunks (they expire
// within a day anyway); their clients find the upload gone (404 on HEAD) and start it again, which is
// what tus clients do. Finished uploads (media_id set) hold no chunks and are kept.

import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('upload_parts')
    .addColumn('upload_id', 'text', (c) => c.notNull().references('uploads.id').onDelete('cascade'))
    .addColumn('start_byte', 'bigint', (c) => c.notNull())
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('part', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('upload_parts_pk', ['upload_id', 'start_byte'])
    .execute();
  await db.schema.createIndex('uploads_owner').on('uploads').columns(['owner_id', 'media_id']).execute();

  const typed = db as unknown as Kysely<{ uploads: { id: string; media_id: string | null }; upload_chunks: { upload_id: string } }>;
  await typed.deleteFrom('upload_chunks').execute();
  await typed.deleteFrom('uploads').where('media_id', 'is', null).execute();
  await db.schema.dropTable('upload_chunks').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // The parts of unfinished uploads are in the media store, which the old schema cannot see: those uploads go.
  const typed = db as unknown as Kysely<{ uploads: { id: string; media_id: string | null }; upload_parts: { upload_id: string } }>;
  await typed.deleteFrom('upload_parts').execute();
  await typed.deleteFrom('uploads').where('media_id', 'is', null).execute();
  await db.schema.dropIndex('uploads_owner').execute();
  await db.schema.dropTable('upload_parts').execute();
  const blob = isPostgres(db) ? sql`bytea` : sql`blob`;
  await db.schema
    .createTable('upload_chunks')
    .addColumn('upload_id', 'text', (c) => c.notNull().references('uploads.id').onDelete('cascade'))
    .addColumn('start_byte', 'integer', (c) => c.notNull())
    .addColumn('data', blob, (c) => c.notNull())
    .addPrimaryKeyConstraint('upload_chunks_pk', ['upload_id', 'start_byte'])
    .execute();
}
