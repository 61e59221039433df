// Cases by map cell: the counts kept per cell at every level (case_cells, which the map's clusters read),
// and the cases of a range of cells read through the cell indexes (the map's points, duplicate candidates).

import { sql, type Expression, type ExpressionBuilder, type InsertQueryBuilder, type InsertResult, type Kysely, type SqlBool } from 'kysely';
import { CELL_LEVELS, cellOf } from '../geo/cells.js';
import type { CaseRecord, CellCluster, CellKey, NearbyCase } from '../domain/records.js';
import type { BoxQuery, CellStore, ClusterQuery, NearQuery } from '../ports.js';
import { toCase } from './case.mappers.js';
import { visible, type CaseEb } from './case.visibility.js';
import { selectRows } from './compiled.js';
import { isPostgres } from './dialect.js';
import type { CaseCellTable, CaseTable, DB } from './schema.js';

/** The cell-count rows adding (1) or removing (-1) a case at every level. */
export const cellDeltas = (c: CellKey, delta: 1 | -1): CaseCellTable[] =>
  Array.from({ length: CELL_LEVELS }, (_, level) => {
    const { cy, cx } = cellOf(c.lat, c.lon, level);
    return { level, cy, cx, unit_id: c.unitId, origin_unit_id: c.originUnitId, status: c.status, category_id: c.categoryId, n: delta, sum_lat: c.lat * delta, sum_lon: c.lon * delta };
  });

/** The levels' rows are distinct keys, so one multi-row upsert never meets the same row twice. */
export function upsertCells(db: Kysely<DB>, rows: CaseCellTable[]) {
  return onCellConflict(db.insertInto('case_cells').values(rows));
}

export function onCellConflict(q: InsertQueryBuilder<DB, 'case_cells', InsertResult>) {
  return q.onConflict((oc) =>
    oc.columns(['level', 'cy', 'cx', 'unit_id', 'origin_unit_id', 'status', 'category_id']).doUpdateSet((eb) => ({
      n: eb('case_cells.n', '+', eb.ref('excluded.n')),
      sum_lat: eb('case_cells.sum_lat', '+', eb.ref('excluded.sum_lat')),
      sum_lon: eb('case_cells.sum_lon', '+', eb.ref('excluded.sum_lon')),
    })),
  );
}

/** Rows of cells beyond which an IN list gives way to a range (bound parameters are finite). */
const MAX_CELL_ROWS = 1000;

/**
 * A range of cell rows (or columns) as an IN list rather than a range: with `cy IN (...) AND cx BETWEEN
 * ...` both planners seek the (cy, cx, ...) index once per row of cells, instead of reading every cell of
 * the rows across the whole city; duplicate candidates name the columns too (cases_near).
 */
function cellRows<T extends keyof DB & string>(eb: ExpressionBuilder<DB, T>, column: string, y0: number, y1: number): Expression<SqlBool> {
  const rows = cellList(y0, y1);
  return rows ? eb(sql.ref(column), 'in', rows) : sql<SqlBool>`${sql.ref(column)} between ${y0} and ${y1}`;
}

/** The rows (or columns) y0..y1 one by one, or undefined when there are too many for an IN list. */
function cellList(y0: number, y1: number): number[] | undefined {
  if (y1 - y0 >= MAX_CELL_ROWS) return undefined;
  const rows: number[] = [];
  for (let y = y0; y <= y1; y++) rows.push(y);
  return rows;
}

/** The cases table, told on SQLite to read through this index (SQLite keeps no statistics); PostgreSQL chooses. */
function cellsFrom(db: Kysely<DB>, index: 'cases_cell' | 'cases_near' | null) {
  return index && !isPostgres(db) ? db.selectFrom(sql<CaseTable>`cases`.as<'cases'>(sql`cases indexed by ${sql.raw(index)}`)) : db.selectFrom('cases');
}

export class CellRepository implements CellStore {
  constructor(private readonly db: Kysely<DB>) {}

  /** Add (delta 1) or remove (delta -1) a case from the map-cell counts at every level: one upsert of a row per level. */
  async adjustCells(c: CellKey, delta: 1 | -1): Promise<void> {
    await upsertCells(this.db, cellDeltas(c, delta)).execute();
  }

  /**
   * Open, unmerged cases of these categories in a cell range and box reported since a time (duplicate
   * candidates): only the columns a candidate shows, newest first.
   */
  async openNear(q: NearQuery): Promise<NearbyCase[]> {
    if (q.categoryIds.length === 0) return [];
    // The box is a few cells (a duplicate radius is tens of metres), so cases_near (migration 008) is always
    // the index to read: the cells named one by one, latitude a range within each, the rest tested on the
    // index entry. SQLite keeps no statistics: when a category has no related ones, `category_id IN (?)` is
    // an equality on cases_category_id, which it rates above several cells, and it then reads every case
    // of that category in the city (~100 ms on 1,000,000 cases instead of well under 1 ms). Pin the index
    // there; PostgreSQL's statistics choose it on their own.
    const ys = cellList(q.y0, q.y1);
    const xs = cellList(q.x0, q.x1);
    const values = { ...q.box, since: q.since, categoryIds: q.categoryIds, excludeId: q.excludeId, limit: q.limit };
    const build = (v: typeof values, rows: (eb: CaseEb) => Expression<SqlBool>, columns: (eb: CaseEb) => Expression<SqlBool>) => {
      let query = cellsFrom(this.db, 'cases_near')
        .select(['cases.id', 'cases.ref', 'cases.status', 'cases.category_id', 'cases.description', 'cases.lat', 'cases.lon', 'cases.reported_at'])
        .where(rows)
        .where(columns)
        .where('cases.lat', '>=', v.minLat)
        .where('cases.lat', '<=', v.maxLat)
        .where('cases.lon', '>=', v.minLon)
        .where('cases.lon', '<=', v.maxLon)
        .where('cases.reported_at', '>=', v.since)
        .where('cases.category_id', 'in', v.categoryIds)
        .where('cases.status', 'not in', ['closed', 'rejected', 'merged'])
        .orderBy('cases.reported_at', 'desc')
        .limit(v.limit);
      if (v.excludeId !== undefined) query = query.where('cases.id', '!=', v.excludeId);
      return query;
    };
    // A box of a few cells (always, for a duplicate radius) is compiled once per number of rows and columns.
    const rows =
      ys && xs
        ? await selectRows(this.db, 'openNear', { ...values, ys, xs }, (v) =>
            build(v, (eb) => eb(sql.ref('cases.cy'), 'in', v.ys), (eb) => eb(sql.ref('cases.cx'), 'in', v.xs)),
          )
        : await build(values, (eb) => cellRows(eb, 'cases.cy', q.y0, q.y1), (eb) => cellRows(eb, 'cases.cx', q.x0, q.x1)).execute();
    return rows.map((r) => ({
      id: r.id,
      ref: r.ref,
      status: r.status,
      categoryId: r.category_id,
      description: r.description,
      lat: r.lat,
      lon: r.lon,
      reportedAt: r.reported_at,
    }));
  }

  /**
   * The cases of a range of level-3 cells, read through cases_cell: one index seek per row of cells. With
   * `pin`, SQLite (which keeps no statistics) is told to use that index; PostgreSQL chooses on its own.
   */
  private inCells(q: { y0: number; y1: number; x0: number; x1: number }, pin: boolean) {
    return cellsFrom(this.db, pin ? 'cases_cell' : null)
      .selectAll('cases')
      .where((eb) => cellRows(eb, 'cases.cy', q.y0, q.y1))
      .where('cases.cx', '>=', q.x0)
      .where('cases.cx', '<=', q.x1);
  }

  /** Cases in a cell range (level 3) and exact box, for the map's point view. */
  async inBox(q: BoxQuery): Promise<CaseRecord[]> {
    // SQLite keeps no statistics, so with a status or category filter (an equality on a one-column index)
    // or the newest-first order (the reported_at index) its planner would walk the whole city instead of
    // the box's rows of cells: pin cases_cell for the views that can span many cases. A reporter's or a
    // department's own cases are better found through their own indexes.
    let query = this.inCells(q, q.visibility.kind === 'all' || q.visibility.kind === 'jurisdiction')
      .where('cases.lat', '>=', q.minLat)
      .where('cases.lat', '<=', q.maxLat)
      .where('cases.lon', '>=', q.minLon)
      .where('cases.lon', '<=', q.maxLon)
      .where((eb) => visible(eb, q.visibility));
    if (q.status?.length) query = query.where('cases.status', 'in', q.status);
    if (q.categoryId) query = query.where('cases.category_id', '=', q.categoryId);
    return (await query.orderBy('cases.reported_at', 'desc').limit(q.limit).execute()).map(toCase);
  }

  /** Clusters: counts and mean positions per cell of a level, from the maintained cell counts. */
  async clusters(q: ClusterQuery): Promise<CellCluster[]> {
    if (q.unitIds && q.unitIds.length === 0) return [];
    let query = this.db
      .selectFrom('case_cells')
      .select((eb) => ['cy', 'cx', eb.fn.sum<number>('n').as('n'), eb.fn.sum<number>('sum_lat').as('sum_lat'), eb.fn.sum<number>('sum_lon').as('sum_lon')])
      .where('level', '=', q.level)
      .where((eb) => cellRows(eb, 'cy', q.y0, q.y1))
      .where('cx', '>=', q.x0)
      .where('cx', '<=', q.x1)
      .groupBy(['cy', 'cx']);
    // A reader sees the cases handled in their units and those first reported there (referred away).
    if (q.unitIds) {
      const unitIds = q.unitIds;
      query = query.where((eb) => eb.or([eb('unit_id', 'in', unitIds), eb('origin_unit_id', 'in', unitIds)]));
    }
    if (q.status?.length) query = query.where('status', 'in', q.status);
    if (q.categoryId) query = query.where('category_id', '=', q.categoryId);
    const rows = await query.execute();
    return rows
      .map((r) => ({ cy: r.cy, cx: r.cx, n: Number(r.n), sumLat: Number(r.sum_lat), sumLon: Number(r.sum_lon) }))
      .filter((r) => r.n > 0);
  }
}
