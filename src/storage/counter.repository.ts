// Named counters, each taken one number at a time: the day's case reference (case_ref:YYYYMMDD) counts here.

import { sql, type Kysely } from 'kysely';
import { insertRows } from './compiled.js';
import type { DB } from './schema.js';

/** A case reference: the day and its number, at least four digits (20250507-0042). */
export const refOf = (day: string, n: number): string => `${day}-${String(n).padStart(4, '0')}`;

/** The counter's next number as part of a larger statement (insertNew's CTE on PostgreSQL): returns `value`. */
export const bumpCounter = (db: Kysely<DB>, name: string) =>
  db
    .insertInto('counters')
    .values({ name, value: 1 })
    .onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({ value: eb('counters.value', '+', 1) })))
    .returning('value');

export class CounterRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Next number of a named counter: one atomic upsert on both dialects (the row is locked until commit). */
  async nextCounter(name: string): Promise<number> {
    const [row] = await insertRows(this.db, 'counters', [{ name, value: 1 }], 'next', (q) =>
      q.onConflict((oc) => oc.column('name').doUpdateSet({ value: sql<number>`counters.value + 1` })).returning('value'),
    );
    if (!row) throw new Error(`counter ${name} returned no row`);
    return row.value;
  }
}
