// Frozen once shipped. Device sessions (issue 12): a rider signs in once on a phone and stays signed in
// until they or an administrator end that session. Migrations import no app code.
//
// auth_tokens.id: a public handle for a session, to list and end it (never the token or its hash); rows
//   from before get one here.
// auth_tokens.device: the name the client gave when signing in ("Redmi Note 12"); null for a plain login.
// auth_tokens.last_seen_at: when the session was last used, kept to the hour (one write an hour at most).
// auth_tokens_user: a user's sessions, to list them and to end them all.

import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('auth_tokens').addColumn('id', 'text').execute();
  await db.schema.alterTable('auth_tokens').addColumn('device', 'text').execute();
  await db.schema.alterTable('auth_tokens').addColumn('last_seen_at', 'text').execute();
  const rows = await sql<{ token_hash: string }>`select token_hash from auth_tokens`.execute(db);
  for (const row of rows.rows) await sql`update auth_tokens set id = ${randomUUID()} where token_hash = ${row.token_hash}`.execute(db);
  await db.schema.createIndex('auth_tokens_id').on('auth_tokens').column('id').unique().execute();
  await db.schema.createIndex('auth_tokens_user').on('auth_tokens').columns(['user_id', 'expires_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('auth_tokens_user').execute();
  await db.schema.dropIndex('auth_tokens_id').execute();
  await db.schema.alterTable('auth_tokens').dropColumn('last_seen_at').execute();
  await db.schema.alterTable('auth_tokens').dropColumn('device').execute();
  await db.schema.alterTable('auth_tokens').dropColumn('id').execute();
}
