// Frozen once shipped. A covering index for the map's cluster sums: the cluster query reads only index
// entries (SQLite and PostgreSQL alike), never the case_cells rows themselves.

import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) {
    await sql`create index case_cells_cover on case_cells (level, cy, cx) include (unit_id, status, category_id, n, sum_lat, sum_lon)`.execute(db);
  } else {
    await sql`create index case_cells_cover on case_cells (level, cy, cx, unit_id, status, category_id, n, sum_lat, sum_lon)`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('case_cells_cover').execute();
}
