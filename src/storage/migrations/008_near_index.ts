// Frozen once shipped. Duplicate candidates ("is it one of these?", asked with every report) read the open
// cases within tens of metres of a point. Through cases_cell (cy, cx, reported_at) that meant every case of
// the few level-3 cells around it, each looked up in the table to test its position, category and status:
// where intake is dense (a busy subdistrict, a load test) about a quarter of a millisecond per report on
// SQLite, growing with the cells' cases. cases_near holds what the test needs: with the cells named exactly
// (cy IN, cx IN), latitude is a range inside each cell, and the rest is read from the index itself; only
// the candidates are fetched from the table.

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('cases_near').on('cases').columns(['cy', 'cx', 'lat', 'lon', 'reported_at', 'category_id', 'status']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('cases_near').execute();
}
