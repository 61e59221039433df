// Cases: their rows (a new report written whole, loads, versioned updates, lists) and the idempotency keys
// that tie a retried request to the case it made. Events, clocks, map cells and counters have rooms of their
// own (event, clock, cell and counter repositories); a new report writes into all of them at once here.

import { sql, type Kysely } from 'kysely';
import type { CaseStatus } from '../domain/types.js';
import type { CaseFilters, CaseRecord } from '../domain/records.js';
import { toCase } from './case.mappers.js';
import { visible, type CaseEb, type Visibility } from './case.visibility.js';
import { cellDeltas, onCellConflict, upsertCells, type CellKey } from './cell.repository.js';
import { insertRows, selectRows } from './compiled.js';
import { bumpCounter, CounterRepository, refOf } from './counter.repository.js';
import { isPostgres } from './dialect.js';
import type { CaseClockTable, CaseEventTable, CaseTable, DB, IdempotencyKeyTable, MediaLinkTable } from './schema.js';

export interface CaseQuery extends CaseFilters {
  visibility: Visibility;
  now: string;
  limit: number;
  offset: number;
}

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

export class CaseRepository {
  private readonly counters: CounterRepository;

  constructor(private readonly db: Kysely<DB>) {
    this.counters = new CounterRepository(db);
  }

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
        sql`n as (${bumpCounter(this.db, counter)})`,
        sql`c as (${this.db.insertInto('cases').values({ ...c.row, ref }).returning('ref')})`,
        sql`k as (${upsertCells(this.db, cells)})`,
      ];
      if (c.clocks.length > 0) writes.push(sql`t as (${this.db.insertInto('case_clocks').values(c.clocks)})`);
      if (c.events.length > 0) writes.push(sql`e as (${this.db.insertInto('case_events').values(c.events)})`);
      if (c.links.length > 0) writes.push(sql`m as (${this.db.insertInto('media_links').values(c.links)})`);
      if (c.idempotency) writes.push(sql`i as (${this.db.insertInto('idempotency_keys').values(c.idempotency)})`);
      const { rows } = await sql<{ ref: string }>`with ${sql.join(writes)} select ref from c`.execute(this.db);
      return rows[0]!.ref;
    }
    const ref = refOf(c.refDay, await this.counters.nextCounter(`case_ref:${c.refDay}`));
    await insertRows(this.db, 'cases', [{ ...c.row, ref }]);
    await insertRows(this.db, 'case_cells', cells, 'upsert', onCellConflict);
    await insertRows(this.db, 'case_clocks', c.clocks);
    await insertRows(this.db, 'case_events', c.events);
    await insertRows(this.db, 'media_links', c.links);
    if (c.idempotency) await insertRows(this.db, 'idempotency_keys', [c.idempotency]);
    return ref;
  }

  /** Cases merged into a master. */
  async mergedInto(masterId: string): Promise<CaseRecord[]> {
    return (await this.db.selectFrom('cases').selectAll().where('master_case_id', '=', masterId).orderBy('reported_at').execute()).map(toCase);
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
}
