// Frozen once shipped. Location as a first-class strength: border flags, the outside queue, merged
// duplicates, and grid cells for nearby-case search and map clustering.

import { sql, type Kysely } from 'kysely';

/** Cell size in degrees per level; level 3 (0.001° ≈ 100 m) is also stored on each case. */
const CELL = [1, 0.1, 0.01, 0.001];

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('cases').addColumn('near_border', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('cases').addColumn('border_unit_ids', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema.alterTable('cases').addColumn('outside_area', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('cases').addColumn('suggested_jurisdiction_id', 'text').execute();
  await db.schema.alterTable('cases').addColumn('master_case_id', 'text').execute();
  await db.schema.alterTable('cases').addColumn('cy', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('cases').addColumn('cx', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('cases_cell').on('cases').columns(['cy', 'cx', 'reported_at']).execute();
  await db.schema.createIndex('cases_master').on('cases').column('master_case_id').execute();

  // Counts of cases per map cell, level, status and category, kept in step with the cases table in the
  // same transaction, so clustered map views never scan the cases themselves.
  await db.schema
    .createTable('case_cells')
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('cy', 'integer', (c) => c.notNull())
    .addColumn('cx', 'integer', (c) => c.notNull())
    .addColumn('unit_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('category_id', 'text', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('sum_lat', 'double precision', (c) => c.notNull())
    .addColumn('sum_lon', 'double precision', (c) => c.notNull())
    .addPrimaryKeyConstraint('case_cells_pk', ['level', 'cy', 'cx', 'unit_id', 'status', 'category_id'])
    .execute();

  // Backfill existing cases. A cell row counts the cases of one handling unit: the subdistrict of the
  // case's jurisdiction (or the jurisdiction itself above that level), so map views respect jurisdiction.
  const typed = db as unknown as Kysely<{
    cases: { id: string; lat: number; lon: number; status: string; category_id: string; jurisdiction_id: string; cy: number; cx: number };
    jurisdictions: { id: string; parent_id: string | null; level: string };
  }>;
  const units = new Map((await typed.selectFrom('jurisdictions').select(['id', 'parent_id', 'level']).execute()).map((u) => [u.id, u]));
  const subdistrictOf = (id: string): string => {
    for (let u = units.get(id); u; u = u.parent_id ? units.get(u.parent_id) : undefined) if (u.level === 'subdistrict') return u.id;
    return id;
  };
  const rows = await typed.selectFrom('cases').select(['id', 'lat', 'lon', 'status', 'category_id', 'jurisdiction_id']).execute();
  const cells = new Map<string, { level: number; cy: number; cx: number; unit_id: string; status: string; category_id: string; n: number; sum_lat: number; sum_lon: number }>();
  for (const row of rows) {
    const cy = Math.floor((row.lat + 90) / CELL[3]!);
    const cx = Math.floor((row.lon + 180) / CELL[3]!);
    await typed.updateTable('cases').set({ cy, cx }).where('id', '=', row.id).execute();
    for (let level = 0; level < CELL.length; level++) {
      const y = Math.floor((row.lat + 90) / CELL[level]!);
      const x = Math.floor((row.lon + 180) / CELL[level]!);
      const unit = subdistrictOf(row.jurisdiction_id);
      const key = `${level}/${y}/${x}/${unit}/${row.status}/${row.category_id}`;
      const cell = cells.get(key) ?? { level, cy: y, cx: x, unit_id: unit, status: row.status, category_id: row.category_id, n: 0, sum_lat: 0, sum_lon: 0 };
      cell.n += 1;
      cell.sum_lat += row.lat;
      cell.sum_lon += row.lon;
      cells.set(key, cell);
    }
  }
  for (const cell of cells.values()) {
    await sql`insert into case_cells (level, cy, cx, unit_id, status, category_id, n, sum_lat, sum_lon)
              values (${cell.level}, ${cell.cy}, ${cell.cx}, ${cell.unit_id}, ${cell.status}, ${cell.category_id}, ${cell.n}, ${cell.sum_lat}, ${cell.sum_lon})`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('case_cells').execute();
  await db.schema.dropIndex('cases_master').execute();
  await db.schema.dropIndex('cases_cell').execute();
  for (const column of ['cx', 'cy', 'master_case_id', 'suggested_jurisdiction_id', 'outside_area', 'border_unit_ids', 'near_border']) {
    await db.schema.alterTable('cases').dropColumn(column).execute();
  }
}
