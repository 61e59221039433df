// Cases, their append-only events and their clocks.

import { sql, type Expression, type ExpressionBuilder, type InsertQueryBuilder, type InsertResult, type Kysely, type SqlBool } from 'kysely';
import type { CaseScope } from '../domain/access.js';
import type { CaseStatus } from '../domain/types.js';
import type { PendingExtension } from '../domain/workflow.js';
import { CELL_LEVELS, cellOf } from '../geo/cells.js';
import { insertRows, selectRows } from './compiled.js';
import { fromJson, isPostgres, likePrefix, toJson } from './dialect.js';
import { newId } from '../domain/ids.js';
import type { CaseCellTable, CaseClockTable, CaseEventTable, CaseTable, DB, IdempotencyKeyTable, MediaLinkTable } from './schema.js';
import type { CaseFilters, CaseRecord, EventRecord, ClockRow } from '../domain/records.js';
export type { CaseRecord, EventRecord, ClockRow } from '../domain/records.js';

/** What a duplicate candidate shows of a case. */
export interface NearbyCase {
  id: string;
  ref: string;
  status: CaseStatus;
  categoryId: string;
  description: string;
  lat: number;
  lon: number;
  reportedAt: string;
}

/** Which cases a reader may see: the access policy's scope (domain/access.ts), as SQL in `visible`. */
export type Visibility = CaseScope;

export interface CaseQuery extends CaseFilters {
  visibility: Visibility;
  now: string;
  limit: number;
  offset: number;
}

export const toCase = (r: CaseTable): CaseRecord => ({
  id: r.id,
  ref: r.ref,
  status: r.status,
  categoryId: r.category_id,
  urgency: r.urgency,
  description: r.description,
  lat: r.lat,
  lon: r.lon,
  original: { lat: r.orig_lat, lon: r.orig_lon, coordSys: r.orig_coord_sys },
  address: r.address,
  gridId: r.grid_id,
  jurisdictionId: r.jurisdiction_id,
  originJurisdictionId: r.origin_jurisdiction_id,
  routedDepartmentId: r.routed_department_id,
  departmentId: r.department_id,
  assistingDepartmentIds: fromJson<string[]>(r.assisting_department_ids, []),
  assigneeId: r.assignee_id,
  reporterId: r.reporter_id,
  channel: r.channel,
  mediaIds: fromJson<string[]>(r.media_ids, []),
  closureType: r.closure_type,
  rating: r.rating_score === null ? null : { score: r.rating_score, unitAtFault: r.rating_unit_at_fault === 1 },
  pendingExtension: fromJson<PendingExtension | null>(r.pending_extension, null),
  reportedAt: r.reported_at,
  updatedAt: r.updated_at,
  closedAt: r.closed_at,
  version: r.version,
  nearBorder: r.near_border === 1,
  borderUnitIds: fromJson<string[]>(r.border_unit_ids, []),
  outsideArea: r.outside_area === 1,
  suggestedJurisdictionId: r.suggested_jurisdiction_id,
  masterCaseId: r.master_case_id,
});

export const toEvent = (r: CaseEventTable): EventRecord => ({
  id: r.id,
  caseId: r.case_id,
  seq: r.seq,
  action: r.action,
  actorId: r.actor_id,
  actorRole: r.actor_role,
  at: r.at,
  fromStatus: r.from_status,
  toStatus: r.to_status,
  note: r.note,
  data: fromJson<Record<string, unknown>>(r.data, {}),
  evidence: fromJson<string[]>(r.evidence, []),
  clocks: fromJson<unknown[]>(r.clocks, []),
});

/** An event to append: who did what when; the rest defaults (the system, no note, data, evidence or clocks). */
export type NewEvent = Pick<EventRecord, 'caseId' | 'seq' | 'action' | 'at' | 'fromStatus' | 'toStatus'> & Partial<Pick<EventRecord, 'actorId' | 'actorRole' | 'note' | 'data' | 'evidence' | 'clocks'>>;

/** The one constructor of an event row; its id is time-ordered by the event's own time. */
export const eventRow = (e: NewEvent): CaseEventTable => ({
  id: newId(Date.parse(e.at)),
  case_id: e.caseId,
  seq: e.seq,
  action: e.action,
  actor_id: e.actorId ?? null,
  actor_role: e.actorRole ?? 'system',
  at: e.at,
  from_status: e.fromStatus,
  to_status: e.toStatus,
  note: e.note ?? null,
  data: toJson(e.data ?? {}),
  evidence: toJson(e.evidence ?? []),
  clocks: toJson(e.clocks ?? []),
});

export const toClock = (r: CaseClockTable): ClockRow => ({
  id: r.id,
  caseId: r.case_id,
  stage: r.stage,
  round: r.round,
  startedAt: r.started_at,
  dueAt: r.due_at,
  originalDueAt: r.original_due_at,
  remindAt: r.remind_at,
  completedAt: r.completed_at,
  outcome: r.outcome,
  remindedAt: r.reminded_at,
  supervisedAt: r.supervised_at,
});

export const fromClock = (c: ClockRow): CaseClockTable => ({
  id: c.id,
  case_id: c.caseId,
  stage: c.stage,
  round: c.round,
  started_at: c.startedAt,
  due_at: c.dueAt,
  original_due_at: c.originalDueAt,
  remind_at: c.remindAt,
  completed_at: c.completedAt,
  outcome: c.outcome,
  reminded_at: c.remindedAt,
  supervised_at: c.supervisedAt,
});

/** Where a case counts on the map: its point, handling and origin units, status and category. */
export interface CellKey {
  lat: number;
  lon: number;
  unitId: string;
  originUnitId: string;
  status: CaseStatus;
  categoryId: string;
}

/** The cell-count rows adding (1) or removing (-1) a case at every level. */
const cellDeltas = (c: CellKey, delta: 1 | -1): CaseCellTable[] =>
  Array.from({ length: CELL_LEVELS }, (_, level) => {
    const { cy, cx } = cellOf(c.lat, c.lon, level);
    return { level, cy, cx, unit_id: c.unitId, origin_unit_id: c.originUnitId, status: c.status, category_id: c.categoryId, n: delta, sum_lat: c.lat * delta, sum_lon: c.lon * delta };
  });

/** Everything a new report writes, in one transaction; the case's reference is numbered as it is written. */
export interface NewCase {
  row: Omit<CaseTable, 'ref'>;
  /** The day the reference counts in (YYYYMMDD): the case becomes YYYYMMDD-NNNN. */
  refDay: string;
  cells: CellKey;
  clocks: CaseClockTable[];
  events: CaseEventTable[];
  links: MediaLinkTable[];
  idempotency?: IdempotencyKeyTable;
}

/** A case reference: the day and its number, at least four digits (20250507-0042). */
export const refOf = (day: string, n: number): string => `${day}-${String(n).padStart(4, '0')}`;

type CaseEb = ExpressionBuilder<DB, 'cases'>;

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

function visible(eb: CaseEb, v: Visibility): Expression<SqlBool> {
  const inUnit = (column: 'cases.jurisdiction_id' | 'cases.origin_jurisdiction_id', path: string) =>
    eb.exists(
      eb
        .selectFrom('jurisdictions as j')
        .select('j.id')
        .whereRef('j.id', '=', column)
        .where((w) => w.or([w('j.path', '=', path), w('j.path', 'like', likePrefix(`${path}/`))])),
    );
  switch (v.kind) {
    case 'all':
      return sql<SqlBool>`1 = 1`;
    case 'reporter':
      return eb('cases.reporter_id', '=', v.reporterId);
    case 'jurisdiction':
      return eb.or([inUnit('cases.jurisdiction_id', v.path), inUnit('cases.origin_jurisdiction_id', v.path)]);
    case 'department': {
      const own = [
        eb('cases.department_id', '=', v.departmentId),
        eb('cases.assisting_department_ids', 'like', `%"${v.departmentId}"%`),
      ];
      if (v.foodSafetyPath) {
        own.push(
          eb.and([
            eb.exists(eb.selectFrom('categories as c').select('c.id').whereRef('c.id', '=', 'cases.category_id').where('c.food_safety', '=', 1)),
            inUnit('cases.jurisdiction_id', v.foodSafetyPath),
          ]),
        );
      }
      return eb.or(own);
    }
  }
}

export class CaseRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async insert(row: CaseTable): Promise<void> {
    await this.db.insertInto('cases').values(row).execute();
  }

  async find(id: string): Promise<CaseRecord | undefined> {
    const row = await this.db.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toCase(row);
  }

  async findByRef(ref: string): Promise<CaseRecord | undefined> {
    const row = await this.db.selectFrom('cases').selectAll().where('ref', '=', ref).executeTakeFirst();
    return row && toCase(row);
  }

  /** Apply changes if nobody changed the case since `version` was read; false when someone did. */
  async update(id: string, version: number, changes: Partial<CaseTable>): Promise<boolean> {
    const result = await this.db
      .updateTable('cases')
      .set({ ...changes, version: version + 1 })
      .where('id', '=', id)
      .where('version', '=', version)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /**
   * Take the next event number for a case without reading it first (system events). The row is locked
   * by the update, so the status returned is the one the event is appended to.
   */
  async bumpVersion(id: string): Promise<{ version: number; status: CaseStatus; departmentId: string | null } | undefined> {
    const row = await this.db
      .updateTable('cases')
      .set((eb) => ({ version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .returning(['version', 'status', 'department_id'])
      .executeTakeFirst();
    return row && { version: row.version, status: row.status, departmentId: row.department_id };
  }

  async appendEvent(event: NewEvent): Promise<void> {
    await insertRows(this.db, 'case_events', [eventRow(event)]);
  }

  async events(caseId: string): Promise<EventRecord[]> {
    const rows = await this.db.selectFrom('case_events').selectAll().where('case_id', '=', caseId).orderBy('seq').execute();
    return rows.map(toEvent);
  }

  /** The newest event of a case with this action. */
  async lastEventOf(caseId: string, action: string): Promise<EventRecord | undefined> {
    const row = await this.db.selectFrom('case_events').selectAll().where('case_id', '=', caseId).where('action', '=', action).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    return row && toEvent(row);
  }

  /** Add (delta 1) or remove (delta -1) a case from the map-cell counts at every level: one upsert of a row per level. */
  async adjustCells(c: CellKey, delta: 1 | -1): Promise<void> {
    await this.upsertCells(cellDeltas(c, delta)).execute();
  }

  /** The levels' rows are distinct keys, so one multi-row upsert never meets the same row twice. */
  private upsertCells(rows: CaseCellTable[]) {
    return this.onCellConflict(this.db.insertInto('case_cells').values(rows));
  }

  private onCellConflict(q: InsertQueryBuilder<DB, 'case_cells', InsertResult>) {
    return q.onConflict((oc) =>
      oc.columns(['level', 'cy', 'cx', 'unit_id', 'origin_unit_id', 'status', 'category_id']).doUpdateSet((eb) => ({
        n: eb('case_cells.n', '+', eb.ref('excluded.n')),
        sum_lat: eb('case_cells.sum_lat', '+', eb.ref('excluded.sum_lat')),
        sum_lon: eb('case_cells.sum_lon', '+', eb.ref('excluded.sum_lon')),
      })),
    );
  }

  /**
   * True when insertNew is a single statement, atomic without a transaction around it (PostgreSQL): a
   * report that writes nothing else can skip BEGIN and COMMIT, two round trips.
   */
  get insertNewIsOneStatement(): boolean {
    return isPostgres(this.db);
  }

  /**
   * Write a new report: its reference (the day's counter), the case, its cell counts, clocks, events,
   * evidence links and idempotency key; returns the reference. On PostgreSQL this is one statement
   * (data-modifying CTEs: one round trip, atomic by itself; foreign keys are checked at its end, when every
   * row is there); on SQLite, where a statement costs no round trip, one statement per table, in the
   * caller's transaction.
   */
  async insertNew(c: NewCase): Promise<string> {
    const cells = cellDeltas(c.cells, 1);
    if (isPostgres(this.db)) {
      const counter = `case_ref:${c.refDay}`;
      // YYYYMMDD-NNNN, as refOf writes it: at least four digits.
      const ref = sql<string>`(select ${c.refDay} || '-' || case when n.value < 10000 then lpad(n.value::text, 4, '0') else n.value::text end from n)`;
      const writes = [
        sql`n as (${this.db
          .insertInto('counters')
          .values({ name: counter, value: 1 })
          .onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({ value: eb('counters.value', '+', 1) })))
          .returning('value')})`,
        sql`c as (${this.db.insertInto('cases').values({ ...c.row, ref }).returning('ref')})`,
        sql`k as (${this.upsertCells(cells)})`,
      ];
      if (c.clocks.length > 0) writes.push(sql`t as (${this.db.insertInto('case_clocks').values(c.clocks)})`);
      if (c.events.length > 0) writes.push(sql`e as (${this.db.insertInto('case_events').values(c.events)})`);
      if (c.links.length > 0) writes.push(sql`m as (${this.db.insertInto('media_links').values(c.links)})`);
      if (c.idempotency) writes.push(sql`i as (${this.db.insertInto('idempotency_keys').values(c.idempotency)})`);
      const { rows } = await sql<{ ref: string }>`with ${sql.join(writes)} select ref from c`.execute(this.db);
      return rows[0]!.ref;
    }
    const ref = refOf(c.refDay, await this.nextCounter(`case_ref:${c.refDay}`));
    await insertRows(this.db, 'cases', [{ ...c.row, ref }]);
    await insertRows(this.db, 'case_cells', cells, 'upsert', (q) => this.onCellConflict(q));
    await this.insertClocks(c.clocks);
    await insertRows(this.db, 'case_events', c.events);
    await insertRows(this.db, 'media_links', c.links);
    if (c.idempotency) await insertRows(this.db, 'idempotency_keys', [c.idempotency]);
    return ref;
  }

  /**
   * Open, unmerged cases of these categories in a cell range and box reported since a time (duplicate
   * candidates): only the columns a candidate shows, newest first.
   */
  async openNear(q: {
    y0: number;
    y1: number;
    x0: number;
    x1: number;
    box: { minLat: number; maxLat: number; minLon: number; maxLon: number };
    categoryIds: string[];
    since: string;
    excludeId?: string;
    limit: number;
  }): Promise<NearbyCase[]> {
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
      let query = this.cellsFrom('cases_near')
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

  /** The cases table, told on SQLite to read through this index (SQLite keeps no statistics); PostgreSQL chooses. */
  private cellsFrom(index: 'cases_cell' | 'cases_near' | null) {
    return index && !isPostgres(this.db) ? this.db.selectFrom(sql<CaseTable>`cases`.as<'cases'>(sql`cases indexed by ${sql.raw(index)}`)) : this.db.selectFrom('cases');
  }

  /**
   * The cases of a range of level-3 cells, read through cases_cell: one index seek per row of cells. With
   * `pin`, SQLite (which keeps no statistics) is told to use that index; PostgreSQL chooses on its own.
   */
  private inCells(q: { y0: number; y1: number; x0: number; x1: number }, pin: boolean) {
    return this.cellsFrom(pin ? 'cases_cell' : null)
      .selectAll('cases')
      .where((eb) => cellRows(eb, 'cases.cy', q.y0, q.y1))
      .where('cases.cx', '>=', q.x0)
      .where('cases.cx', '<=', q.x1);
  }

  /** Cases in a cell range (level 3) and exact box, for the map's point view. */
  async inBox(q: {
    visibility: Visibility;
    y0: number;
    y1: number;
    x0: number;
    x1: number;
    minLat: number;
    maxLat: number;
    minLon: number;
    maxLon: number;
    status?: CaseStatus[];
    categoryId?: string;
    limit: number;
  }): Promise<CaseRecord[]> {
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
  async clusters(q: { level: number; y0: number; y1: number; x0: number; x1: number; unitIds: string[] | null; status?: CaseStatus[]; categoryId?: string }): Promise<{ cy: number; cx: number; n: number; sumLat: number; sumLon: number }[]> {
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

  /** Cases merged into a master. */
  async mergedInto(masterId: string): Promise<CaseRecord[]> {
    return (await this.db.selectFrom('cases').selectAll().where('master_case_id', '=', masterId).orderBy('reported_at').execute()).map(toCase);
  }

  /** The newest event of a case: the state the case row must agree with. */
  async lastEvent(caseId: string): Promise<{ seq: number; toStatus: CaseStatus } | undefined> {
    const row = await this.db.selectFrom('case_events').select(['seq', 'to_status']).where('case_id', '=', caseId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    return row && { seq: row.seq, toStatus: row.to_status };
  }

  async eventsFor(caseIds: string[]): Promise<EventRecord[]> {
    if (caseIds.length === 0) return [];
    const rows = await this.db.selectFrom('case_events').selectAll().where('case_id', 'in', caseIds).orderBy('case_id').orderBy('seq').execute();
    return rows.map(toEvent);
  }

  async clocks(caseId: string): Promise<ClockRow[]> {
    const rows = await this.db.selectFrom('case_clocks').selectAll().where('case_id', '=', caseId).orderBy('started_at').orderBy('stage').execute();
    return rows.map(toClock);
  }

  async clocksFor(caseIds: string[]): Promise<ClockRow[]> {
    if (caseIds.length === 0) return [];
    const rows = await this.db.selectFrom('case_clocks').selectAll().where('case_id', 'in', caseIds).orderBy('started_at').execute();
    return rows.map(toClock);
  }

  async insertClocks(rows: CaseClockTable[]): Promise<void> {
    await insertRows(this.db, 'case_clocks', rows);
  }

  async updateClock(id: string, changes: Partial<CaseClockTable>): Promise<void> {
    await this.db.updateTable('case_clocks').set(changes).where('id', '=', id).execute();
  }

  /** Next number of a named counter: one atomic upsert on both dialects (the row is locked until commit). */
  async nextCounter(name: string): Promise<number> {
    const [row] = await insertRows(this.db, 'counters', [{ name, value: 1 }], 'next', (q) =>
      q.onConflict((oc) => oc.column('name').doUpdateSet({ value: sql<number>`counters.value + 1` })).returning('value'),
    );
    if (!row) throw new Error(`counter ${name} returned no row`);
    return row.value;
  }

  async idempotencyKey(scope: string, key: string): Promise<{ requestHash: string; caseId: string } | undefined> {
    const [row] = await selectRows(this.db, 'idempotencyKey', { scope, key }, (v) =>
      this.db.selectFrom('idempotency_keys').select(['request_hash', 'case_id']).where('scope', '=', v.scope).where('key', '=', v.key),
    );
    return row && { requestHash: row.request_hash, caseId: row.case_id };
  }

  async saveIdempotencyKey(scope: string, key: string, requestHash: string, caseId: string, at: string): Promise<void> {
    await this.db.insertInto('idempotency_keys').values({ scope, key, request_hash: requestHash, case_id: caseId, created_at: at }).execute();
  }

  async list(q: CaseQuery): Promise<{ items: CaseRecord[]; total: number }> {
    let query = this.db.selectFrom('cases').where((eb) => visible(eb, q.visibility));
    if (q.status?.length) query = query.where('cases.status', 'in', q.status);
    if (q.categoryId) query = query.where('cases.category_id', '=', q.categoryId);
    if (q.departmentId) query = query.where('cases.department_id', '=', q.departmentId);
    if (q.gridId) query = query.where('cases.grid_id', '=', q.gridId);
    if (q.urgency) query = query.where('cases.urgency', '=', q.urgency);
    if (q.outside !== undefined) query = query.where('cases.outside_area', '=', q.outside ? 1 : 0);
    if (q.nearBorder !== undefined) query = query.where('cases.near_border', '=', q.nearBorder ? 1 : 0);
    if (q.reportedFrom) query = query.where('cases.reported_at', '>=', q.reportedFrom);
    if (q.reportedTo) query = query.where('cases.reported_at', '<', q.reportedTo);
    if (q.overdue !== undefined) {
      const overdue = (eb: CaseEb) =>
        eb.exists(
          eb
            .selectFrom('case_clocks as k')
            .select('k.id')
            .whereRef('k.case_id', '=', 'cases.id')
            .where('k.completed_at', 'is', null)
            .where('k.due_at', '<', q.now),
        );
      query = query.where((eb) => (q.overdue ? overdue(eb) : eb.not(overdue(eb))));
    }
    const [rows, count] = await Promise.all([
      query.selectAll('cases').orderBy('cases.reported_at', 'desc').orderBy('cases.id', 'desc').limit(q.limit).offset(q.offset).execute(),
      query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map(toCase), total: Number(count.n) };
  }

  /** Open clocks whose reminder time has come and that have had no reminder yet. */
  async clocksToRemind(now: string, limit: number): Promise<ClockRow[]> {
    const rows = await this.db
      .selectFrom('case_clocks')
      .selectAll()
      .where('completed_at', 'is', null)
      .where('reminded_at', 'is', null)
      .where('remind_at', '<=', now)
      .where('due_at', '>', now)
      .orderBy('remind_at')
      .limit(limit)
      .execute();
    return rows.map(toClock);
  }

  /** Open clocks past due that have not been put under supervision yet. */
  async clocksToSupervise(now: string, limit: number): Promise<ClockRow[]> {
    const rows = await this.db
      .selectFrom('case_clocks')
      .selectAll()
      .where('completed_at', 'is', null)
      .where('supervised_at', 'is', null)
      .where('due_at', '<', now)
      .orderBy('due_at')
      .limit(limit)
      .execute();
    return rows.map(toClock);
  }

  /** Mark a clock reminded/supervised if no other process did first; true when this call won. */
  async claimClock(id: string, column: 'reminded_at' | 'supervised_at', at: string): Promise<boolean> {
    const result = await this.db
      .updateTable('case_clocks')
      .set({ [column]: at })
      .where('id', '=', id)
      .where(column, 'is', null)
      .where('completed_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }
}
