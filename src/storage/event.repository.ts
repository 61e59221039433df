// A case's append-only events: appended one at a time, read in order (one case or many), and the newest
// one the case row must agree with.

import type { Kysely } from 'kysely';
import type { CaseStatus } from '../domain/types.js';
import type { EventAction, EventRecord, NewEvent } from '../domain/records.js';
import type { EventStore } from '../ports.js';
import { eventRow, outboxRow, toEvent } from './case.mappers.js';
import { insertRows } from './compiled.js';
import type { DB } from './schema.js';

export class EventRepository implements EventStore {
  constructor(private readonly db: Kysely<DB>) {}

  /** The event and its outbox entry: the fan-out (services/notify) finds every committed event there. */
  async appendEvent(event: NewEvent): Promise<void> {
    const row = eventRow(event);
    await insertRows(this.db, 'case_events', [row]);
    await insertRows(this.db, 'outbox', [outboxRow(row)]);
  }

  async events(caseId: string): Promise<EventRecord[]> {
    const rows = await this.db.selectFrom('case_events').selectAll().where('case_id', '=', caseId).orderBy('seq').execute();
    return rows.map(toEvent);
  }

  /** The newest event of a case with this action. */
  async lastEventOf(caseId: string, action: EventAction): Promise<EventRecord | undefined> {
    const row = await this.db.selectFrom('case_events').selectAll().where('case_id', '=', caseId).where('action', '=', action).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    return row && toEvent(row);
  }

  /** The newest event of a case: the state the case row must agree with. */
  async lastEvent(caseId: string): Promise<{ seq: number; toStatus: CaseStatus } | undefined> {
    const row = await this.db.selectFrom('case_events').select(['seq', 'to_status']).where('case_id', '=', caseId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    return row && { seq: row.seq, toStatus: row.to_status };
  }

  async eventsByIds(ids: string[]): Promise<EventRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('case_events').selectAll().where('id', 'in', ids).orderBy('id').execute();
    return rows.map(toEvent);
  }

  async eventsFor(caseIds: string[]): Promise<EventRecord[]> {
    if (caseIds.length === 0) return [];
    const rows = await this.db.selectFrom('case_events').selectAll().where('case_id', 'in', caseIds).orderBy('case_id').orderBy('seq').execute();
    return rows.map(toEvent);
  }
}
