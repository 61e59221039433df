// Cases: their rows (a new report written whole, loads, versioned updates, lists) and the idempotency keys
// that tie a retried request to the case it made. Events, clocks, map cells and counters have rooms of their
// own (event, clock, cell and counter repositories); a new report writes into all of them at once here.

import { sql, type Kysely, type SqlBool } from 'kysely';
import type { CaseScope } from '../domain/access.js';
import type { CaseStatus } from '../domain/types.js';
import type { CaseUpdate, CaseQuery, CaseRecord, EventRecord, IdempotencyRecord, NewCase } from '../domain/records.js';
import type { CaseStore } from '../ports.js';
import { caseColumns, caseRow, eventRow, fromClock, idempotencyRow, linkRow, outboxRow, toCase, toEvent } from './case.mappers.js';
import { visible, type CaseEb } from './case.visibility.js';
import { cellDeltas, onCellConflict, upsertCells } from './cell.repository.js';
import { insertRows, selectRows } from './compiled.js';
import { bumpCounter, CounterRepository, refOf } from './counter.repository.js';
import { isPostgres } from './dialect.js';
import type { CaseEventTable, CaseTable, DB } from './schema.js';

export class CaseRepository implements CaseStore {
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

  async findMany(ids: string[]): Promise<CaseRecord[]> {
    if (ids.length === 0) return [];
    return (await this.db.selectFrom('cases').selectAll().where('id', 'in', ids).execute()).map(toCase);
  }

  async findByRef(ref: string): Promise<CaseRecord | undefined> {
    const row = await this.db.selectFrom('cases').selectAll().where('ref', '=', ref).executeTakeFirst();
    return row && toCase(row);
  }

  /** Apply changes if nobody changed the case since `version` was read; false when someone did. */
  async apply(id: string, version: number, changes: CaseUpdate): Promise<boolean> {
    const result = await this.db
      .updateTable('cases')
      .set({ ...caseColumns(changes), version: version + 1 })
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
   * evidence links and idempotency key; returns the case and its events as stored. On PostgreSQL this is
   * one statement (data-modifying CTEs: one round trip, atomic by itself; foreign keys are checked at its
   * end, when every row is there); on SQLite, where a statement costs no round trip, one statement per table, in the
   * caller's transaction.
   */
  async insertNew(c: NewCase): Promise<{ record: CaseRecord; events: EventRecord[] }> {
    const row = caseRow(c.record);
    const events = c.events.map(eventRow);
    const ref = await this.writeNew(c, row, events);
    return { record: toCase({ ...row, ref }), events: events.map(toEvent) };
  }

  /** insertNew's statements; returns the reference the case was numbered with. */
  private async writeNew(c: NewCase, row: Omit<CaseTable, 'ref'>, events: CaseEventTable[]): Promise<string> {
    // The day the reference counts in: YYYYMMDD of the report's time.
    const refDay = c.record.reportedAt.slice(0, 10).replace(/-/g, '');
    const cells = cellDeltas(c.cells, 1);
    const clocks = c.clocks.map(fromClock);
    const links = c.links.map(linkRow);
    const idempotency = c.idempotency && idempotencyRow(c.idempotency);
    if (isPostgres(this.db)) {
      const counter = `case_ref:${refDay}`;
      // YYYYMMDD-NNNN, as refOf writes it: at least four digits.
      const ref = sql<string>`(select ${refDay} || '-' || case when n.value < 10000 then lpad(n.value::text, 4, '0') else n.value::text end from n)`;
      const writes = [
        sql`n as (${bumpCounter(this.db, counter)})`,
        sql`c as (${this.db.insertInto('cases').values({ ...row, ref }).returning('ref')})`,
        sql`k as (${upsertCells(this.db, cells)})`,
      ];
      if (clocks.length > 0) writes.push(sql`t as (${this.db.insertInto('case_clocks').values(clocks)})`);
      if (events.length > 0) {
        writes.push(sql`e as (${this.db.insertInto('case_events').values(events)})`);
        writes.push(sql`o as (${this.db.insertInto('outbox').values(events.map(outboxRow))})`);
      }
      if (links.length > 0) writes.push(sql`m as (${this.db.insertInto('media_links').values(links)})`);
      if (idempotency) writes.push(sql`i as (${this.db.insertInto('idempotency_keys').values(idempotency)})`);
      const { rows } = await sql<{ ref: string }>`with ${sql.join(writes)} select ref from c`.execute(this.db);
      return rows[0]!.ref;
    }
    const ref = refOf(refDay, await this.counters.nextCounter(`case_ref:${refDay}`));
    await insertRows(this.db, 'cases', [{ ...row, ref }]);
    await insertRows(this.db, 'case_cells', cells, 'upsert', onCellConflict);
    await insertRows(this.db, 'case_clocks', clocks);
    await insertRows(this.db, 'case_events', events);
    await insertRows(this.db, 'outbox', events.map(outboxRow));
    await insertRows(this.db, 'media_links', links);
    if (idempotency) await insertRows(this.db, 'idempotency_keys', [idempotency]);
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

  async saveIdempotencyKey(record: IdempotencyRecord): Promise<void> {
    await this.db.insertInto('idempotency_keys').values(idempotencyRow(record)).execute();
  }

  /**
   * Every case the reader may see that a KPI over [from, to) can count, and perhaps some it cannot: reported
   * before `to`, and not closed before `from` unless it has an event in the period (a closing since undone
   * has one). At most `limit` (the caller asks for one more than it takes, to know there were more).
   */
  async kpiCandidates(visibility: CaseScope, from: string, to: string, limit: number): Promise<CaseRecord[]> {
    const rows = await this.db
      .selectFrom('cases')
      .selectAll('cases')
      .where((eb) => visible(eb, visibility))
      .where('cases.reported_at', '<', to)
      .where((eb) =>
        eb.or([
          eb('cases.closed_at', 'is', null),
          eb('cases.closed_at', '>=', from),
          eb.exists(eb.selectFrom('case_events as e').select('e.id').whereRef('e.case_id', '=', 'cases.id').where('e.at', '>=', from).where('e.at', '<', to)),
        ]),
      )
      .orderBy('cases.id')
      .limit(limit)
      .execute();
    return rows.map(toCase);
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
    if (q.ids) query = q.ids.length ? query.where('cases.id', 'in', q.ids) : query.where(sql<SqlBool>`1 = 0`);
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
