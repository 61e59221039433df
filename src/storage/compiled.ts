// Hot inserts compiled once per shape. Building a Kysely insert parses and freezes every column and value
// anew: for a case row (30 columns) that cost more than SQLite takes to run it. The SQL of an insert
// depends only on the dialect, the table, the columns and the number of rows, so it is compiled the first
// time a shape is seen and, from then on, only the values are laid out in the compiled order.

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
