// Frozen once shipped. Map cell counts learn where a case was first reported: a case referred to another
// subdistrict stays visible to the one it came from (joint handling), so its counts must reach both
// command centres' maps, while every case is still counted once. Each row now counts the cases of one
// (handling unit, origin unit) pair; a reader's clusters sum the rows where either is theirs.

import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../dialect.js';

const CELL = [1, 0.1, 0.01, 0.001];

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('case_cells_v2')
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('cy', 'integer', (c) => c.notNull())
    .addColumn('cx', 'integer', (c) => c.notNull())
    .addColumn('unit_id', 'text', (c) => c.notNull())
    .addColumn('origin_unit_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('category_id', 'text', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('sum_lat', 'double precision', (c) => c.notNull())
    .addColumn('sum_lon', 'double precision', (c) => c.notNull())
    .addPrimaryKeyConstraint('case_cells_v2_pk', ['level', 'cy', 'cx', 'unit_id', 'origin_unit_id', 'status', 'category_id'])
    .execute();
  // Until now every case counted where it is handled; start from that, origin = handling unit.
  await sql`insert into case_cells_v2 (level, cy, cx, unit_id, origin_unit_id, status, category_id, n, sum_lat, sum_lon)
            select level, cy, cx, unit_id, unit_id, status, category_id, n, sum_lat, sum_lon from case_cells`.execute(db);

  // Then move the cases first reported in another unit (referrals: few) to their (handling, origin) row.
  const typed = db as unknown as Kysely<{
    cases: { lat: number; lon: number; status: string; category_id: string; jurisdiction_id: string; origin_jurisdiction_id: string };
    jurisdictions: { id: string; parent_id: string | null; level: string };
  }>;
  const units = new Map((await typed.selectFrom('jurisdictions').select(['id', 'parent_id', 'level']).execute()).map((u) => [u.id, u]));
  const subdistrictOf = (id: string): string => {
    for (let u = units.get(id); u; u = u.parent_id ? units.get(u.parent_id) : undefined) if (u.level === 'subdistrict') return u.id;
    return id;
  };
  const moved = await typed
    .selectFrom('cases')
    .select(['lat', 'lon', 'status', 'category_id', 'jurisdiction_id', 'origin_jurisdiction_id'])
    .whereRef('origin_jurisdiction_id', '!=', 'jurisdiction_id')
    .execute();
  for (const c of moved) {
    const unit = subdistrictOf(c.jurisdiction_id);
    const origin = subdistrictOf(c.origin_jurisdiction_id);
    if (unit === origin) continue;
    for (let level = 0; level < CELL.length; level++) {
      const cy = Math.floor((c.lat + 90) / CELL[level]!);
      const cx = Math.floor((c.lon + 180) / CELL[level]!);
      await sql`update case_cells_v2 set n = n - 1, sum_lat = sum_lat - ${c.lat}, sum_lon = sum_lon - ${c.lon}
                where level = ${level} and cy = ${cy} and cx = ${cx} and unit_id = ${unit} and origin_unit_id = ${unit}
                  and status = ${c.status} and category_id = ${c.category_id}`.execute(db);
      await sql`insert into case_cells_v2 (level, cy, cx, unit_id, origin_unit_id, status, category_id, n, sum_lat, sum_lon)
                values (${level}, ${cy}, ${cx}, ${unit}, ${origin}, ${c.status}, ${c.category_id}, 1, ${c.lat}, ${c.lon})
                on conflict (level, cy, cx, unit_id, origin_unit_id, status, category_id)
                do update set n = case_cells_v2.n + 1, sum_lat = case_cells_v2.sum_lat + ${c.lat}, sum_lon = case_cells_v2.sum_lon + ${c.lon}`.execute(db);
    }
  }
  await sql`delete from case_cells_v2 where n = 0`.execute(db);
  await db.schema.dropTable('case_cells').execute();
  await db.schema.alterTable('case_cells_v2').renameTo('case_cells').execute();
  // The covering index of 003, with the origin: cluster sums still read index entries only.
  if (isPostgres(db)) {
    await sql`create index case_cells_by_cell on case_cells (level, cy, cx) include (unit_id, origin_unit_id, status, category_id, n, sum_lat, sum_lon)`.execute(db);
  } else {
    await sql`create index case_cells_by_cell on case_cells (level, cy, cx, unit_id, origin_unit_id, status, category_id, n, sum_lat, sum_lon)`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Fold the origin back into the handling unit's rows (the counts 002 kept).
  await db.schema
    .createTable('case_cells_v1')
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('cy', 'integer', (c) => c.notNull())
    .addColumn('cx', 'integer', (c) => c.notNull())
    .addColumn('unit_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('category_id', 'text', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('sum_lat', 'double precision', (c) => c.notNull())
    .addColumn('sum_lon', 'double precision', (c) => c.notNull())
    .addPrimaryKeyConstraint('case_cells_v1_pk', ['level', 'cy', 'cx', 'unit_id', 'status', 'category_id'])
    .execute();
  await sql`insert into case_cells_v1 select level, cy, cx, unit_id, status, category_id, sum(n), sum(sum_lat), sum(sum_lon)
            from case_cells group by level, cy, cx, unit_id, status, category_id`.execute(db);
  await db.schema.dropTable('case_cells').execute();
  await db.schema.alterTable('case_cells_v1').renameTo('case_cells').execute();
  await sql`create index case_cells_cover on case_cells (level, cy, cx, unit_id, status, category_id, n, sum_lat, sum_lon)`.execute(db);
}
