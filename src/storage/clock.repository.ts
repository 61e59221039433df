// A case's clocks (the deadlines of its stages): read per case or for a page of cases, inserted and updated
// as transitions change them, and found and claimed by the deadline sweep (reminders, supervision, and
// the alert about an emergency nobody signed for).

import type { Kysely } from 'kysely';
import type { ClockRow } from '../domain/records.js';
import type { ClockStore } from '../ports.js';
import { fromClock, toClock } from './case.mappers.js';
import { insertRows } from './compiled.js';
import type { DB } from './schema.js';

/** The column each claim of the sweep sets. */
const CLAIMS = { remindedAt: 'reminded_at', supervisedAt: 'supervised_at', alertedAt: 'alerted_at' } as const;

export class ClockRepository implements ClockStore {
  constructor(private readonly db: Kysely<DB>) {}

  async clocks(caseId: string): Promise<ClockRow[]> {
    const rows = await this.db.selectFrom('case_clocks').selectAll().where('case_id', '=', caseId).orderBy('started_at').orderBy('stage').execute();
    return rows.map(toClock);
  }

  async clocksFor(caseIds: string[]): Promise<ClockRow[]> {
    if (caseIds.length === 0) return [];
    const rows = await this.db.selectFrom('case_clocks').selectAll().where('case_id', 'in', caseIds).orderBy('started_at').execute();
    return rows.map(toClock);
  }

  async insertClocks(clocks: ClockRow[]): Promise<void> {
    await insertRows(this.db, 'case_clocks', clocks.map(fromClock));
  }

  /** What a transition may change of a clock: its times and outcome (never its case, stage or round). */
  async saveClock(c: ClockRow): Promise<void> {
    const { id, case_id: _case, stage: _stage, round: _round, started_at: _started, ...times } = fromClock(c);
    await this.db.updateTable('case_clocks').set(times).where('id', '=', id).execute();
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

  /**
   * Open sign clocks of emergency cases started at or before `startedBy` and not alerted yet: the
   * supervisors hear of an emergency nobody has signed for. An open sign clock means a dispatched case
   * (signing, returning and closing all stop it), so the search starts from the few dispatched cases
   * (the cases_status index) and reaches their clocks by case id.
   */
  async emergenciesToAlert(startedBy: string, limit: number): Promise<ClockRow[]> {
    const rows = await this.db
      .selectFrom('case_clocks')
      .innerJoin('cases', 'cases.id', 'case_clocks.case_id')
      .selectAll('case_clocks')
      .where('case_clocks.completed_at', 'is', null)
      .where('case_clocks.stage', '=', 'sign')
      .where('case_clocks.alerted_at', 'is', null)
      .where('case_clocks.started_at', '<=', startedBy)
      .where('cases.status', '=', 'dispatched')
      .where('cases.urgency', '=', 'emergency')
      .orderBy('case_clocks.started_at')
      .orderBy('case_clocks.id')
      .limit(limit)
      .execute();
    return rows.map(toClock);
  }

  /** Mark a clock reminded/supervised/alerted if no other process did first; true when this call won. */
  async claimClock(id: string, claim: 'remindedAt' | 'supervisedAt' | 'alertedAt', at: string): Promise<boolean> {
    const column = CLAIMS[claim];
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
