// Hot statements compiled once per shape. Building a Kysely query parses and freezes every column and
// value anew: for a case row (30 columns) that cost more than SQLite takes to run it, and for the short
// selects every request runs (its token, its media, its idempotency key) about as much. The SQL of an insert
// depends only on the dialect, the table, the columns and the number of rows; that of a select on the
// dialect, its name and the length of each list it is given. So each is compiled the first time its shape is
// seen and, from then on, only the values are laid out in the compiled order.

import { CompiledQuery, type Compilable, type InsertQueryBuilder, type InsertResult, type Insertable, type Kysely } from 'kysely';
import { isPostgres } from './dialect.js';
import type { DB } from './schema.js';

type Row = Record<string, unknown>;

/** Per shape: the SQL and the columns in their parameter order, or null when the shape cannot be reused. */
const shapes = new Map<string, { sql: string; columns: string[] } | null>();
const MAX_SHAPES = 1000;

/** The columns Kysely writes for these rows (those not undefined), if every row has the same ones. */
function columnsOf(rows: Row[]): string[] | undefined {
  const columns = Object.keys(rows[0]!).filter((k) => rows[0]![k] !== undefined);
  for (const row of rows) {
    let n = 0;
    for (const k in row) if (row[k] !== undefined) n++;
    if (n !== columns.length || columns.some((c) => row[c] === undefined)) return undefined;
  }
  return columns;
}

const valuesOf = (rows: Row[], columns: string[]): unknown[] => {
  const out: unknown[] = [];
  for (const row of rows) for (const c of columns) out.push(row[c]);
  return out;
};

/**
 * `build(db.insertInto(table).values(rows))`, run; `name` tells apart statements of one table that `build`
 * makes differently (an upsert). `build` must make the same SQL for the same name: a value it adds as a
 * parameter only stops the shape from being reused, but SQL text it varied otherwise would be reused stale. The first statement of a shape is compiled by Kysely and kept only if its
 * parameters are exactly the rows' values in row and column order (so nothing was inlined into the SQL).
 */
export async function insertRows<T extends keyof DB & string, R = unknown>(
  db: Kysely<DB>,
  table: T,
  rows: Insertable<DB[T]>[],
  name = 'insert',
  build: (q: InsertQueryBuilder<DB, T, InsertResult>) => Compilable<R> = (q) => q as unknown as Compilable<R>,
): Promise<R[]> {
  if (rows.length === 0) return [];
  const plain = rows as unknown as Row[];
  const columns = columnsOf(plain);
  const key = columns ? `${isPostgres(db) ? 'pg' : 'sqlite'}|${table}|${name}|${rows.length}|${columns.join(',')}` : undefined;
  const known = key ? shapes.get(key) : null;
  if (known) return (await db.executeQuery(CompiledQuery.raw(known.sql, valuesOf(plain, known.columns)) as CompiledQuery<R>)).rows;
  const compiled = build(db.insertInto(table).values(rows)).compile();
  if (key && columns && known === undefined && shapes.size < MAX_SHAPES) {
    const expected = valuesOf(plain, columns);
    const reusable = compiled.parameters.length === expected.length && compiled.parameters.every((p, i) => p === expected[i]);
    shapes.set(key, reusable ? { sql: compiled.sql, columns } : null);
  }
  return (await db.executeQuery(compiled)).rows;
}

type Value = string | number | null;
/** A statement's values by name: each one a parameter, or a list of them (an IN list). */
type Values = Record<string, Value | readonly Value[] | undefined>;
type Slot = { name: string; index?: number } | { value: unknown };

const MARK = '\u0000value:';
const statements = new Map<string, { sql: string; slots: Slot[] } | null>();

/** The values with a marker in place of each: compiled, the markers name the parameter each slot takes. */
function markersOf(values: Values): Values {
  const out: Values = {};
  for (const [name, v] of Object.entries(values)) {
    if (v === undefined) out[name] = undefined;
    else out[name] = Array.isArray(v) ? v.map((_, i) => `${MARK}${name}:${i}`) : `${MARK}${name}`;
  }
  return out;
}

function slotOf(parameter: unknown): Slot {
  if (typeof parameter !== 'string' || !parameter.startsWith(MARK)) return { value: parameter };
  const [name, index] = parameter.slice(MARK.length).split(':');
  return index === undefined ? { name: name! } : { name: name!, index: Number(index) };
}

/**
 * `build(values)` as a compiled query, compiled once per shape: `name` and the dialect, the length of each
 * list and which values are absent (undefined). `build` must make its SQL from these alone: the values reach
 * it as markers the first time, so anything that decides the SQL's text (a range to enumerate, a switch)
 * belongs in `name`. A statement whose markers do not all come back as parameters (a value Kysely wrote into
 * the SQL) is never reused: it is built from the real values every time.
 */
export function compiledOnce<V extends Values, R>(db: Kysely<DB>, name: string, values: V, build: (values: V) => Compilable<R>): CompiledQuery<R> {
  let key = `${isPostgres(db) ? 'pg' : 'sqlite'}|${name}`;
  for (const k in values) {
    const v = values[k];
    key += v === undefined ? '|-' : Array.isArray(v) ? `|${v.length}` : '|1';
  }
  let known = statements.get(key);
  if (known === undefined && statements.size < MAX_SHAPES) {
    const compiled = build(markersOf(values) as V).compile();
    const marked = new Set(compiled.parameters.filter((p) => typeof p === 'string' && p.startsWith(MARK)));
    const wanted = Object.values(values).reduce<number>((n, v) => n + (v === undefined ? 0 : Array.isArray(v) ? v.length : 1), 0);
    known = marked.size === wanted ? { sql: compiled.sql, slots: compiled.parameters.map(slotOf) } : null;
    statements.set(key, known);
  }
  if (!known) return build(values).compile();
  const parameters = known.slots.map((slot) => {
    if ('value' in slot) return slot.value;
    const v = values[slot.name];
    return slot.index === undefined ? v : (v as readonly Value[])[slot.index];
  });
  return CompiledQuery.raw(known.sql, parameters) as CompiledQuery<R>;
}

/** The rows of `build(values)`, compiled once per shape (compiledOnce). */
export async function selectRows<V extends Values, R>(db: Kysely<DB>, name: string, values: V, build: (values: V) => Compilable<R>): Promise<R[]> {
  return (await db.executeQuery(compiledOnce(db, name, values, build))).rows;
}
