// Hot statements compiled once per shape (src/storage/compiled.ts): whatever the rows' shapes, what is stored
// is what Kysely's own insert stores, on both dialects, and a statement reused for a second set of values
// writes (or reads) those values, not the first set's.

import { sql, type Insertable } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledOnce, insertRows, selectRows } from '../../src/storage/compiled.js';
import type { DB } from '../../src/storage/schema.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../support/db.js';

describe.each(DIALECTS)('compiled inserts ($name)', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase(dialect);
  });
  afterAll(() => database?.drop());

  const counters = () => database.db.selectFrom('counters').selectAll().orderBy('name').execute();

  it('stores each call\'s own values when a shape is reused, one row or several', async () => {
    await insertRows(database.db, 'counters', [{ name: 'a', value: 1 }]);
    await insertRows(database.db, 'counters', [{ name: 'b', value: 2 }]);
    await insertRows(database.db, 'counters', [
      { name: 'c', value: 3 },
      { name: 'd', value: 4 },
    ]);
    await insertRows(database.db, 'counters', [
      { value: 6, name: 'f' },
      { name: 'e', value: 5 },
    ]);
    expect(await counters()).toEqual([
      { name: 'a', value: 1 },
      { name: 'b', value: 2 },
      { name: 'c', value: 3 },
      { name: 'd', value: 4 },
      { name: 'e', value: 5 },
      { name: 'f', value: 6 },
    ]);
  });

  it('leaves out undefined columns (their defaults apply) and keeps nulls, whichever shape came first', async () => {
    const at = '2026-12-02T00:00:00.000Z';
    // Rows as a client of insertRows may hand them: some columns left undefined (the schema's types ask for all).
    const user = (id: string, extra: Record<string, unknown>) => ({ id, username: id, password_hash: 'x', display_name: id, role: 'reporter', created_at: at, ...extra }) as unknown as Insertable<DB['users']>;
    await insertRows(database.db, 'users', [user('u1', { phone: '13800000000', locale: 'en' })]);
    await insertRows(database.db, 'users', [user('u2', { phone: null, locale: undefined })]);
    await insertRows(database.db, 'users', [user('u3', { phone: '13900000000', locale: 'bo' }), user('u4', { phone: null, locale: 'en' })]);
    // Rows whose columns differ cannot share one statement: Kysely's own insert handles them (a column a
    // row lacks is NULL there on SQLite, so both rows give the NOT NULL locale).
    await insertRows(database.db, 'users', [user('u5', { phone: '1', locale: 'bo' }), user('u6', { locale: 'en' })]);
    const rows = await database.db.selectFrom('users').select(['id', 'phone', 'locale']).where('id', 'in', ['u1', 'u2', 'u3', 'u4', 'u5', 'u6']).orderBy('id').execute();
    expect(rows).toEqual([
      { id: 'u1', phone: '13800000000', locale: 'en' },
      { id: 'u2', phone: null, locale: 'zh-CN' },
      { id: 'u3', phone: '13900000000', locale: 'bo' },
      { id: 'u4', phone: null, locale: 'en' },
      { id: 'u5', phone: '1', locale: 'bo' },
      { id: 'u6', phone: null, locale: 'en' },
    ]);
  });

  it('an upsert is a shape of its own, and its constants are not taken for values', async () => {
    const next = (name: string) =>
      insertRows(database.db, 'counters', [{ name, value: 1 }], 'test-next', (q) =>
        q.onConflict((oc) => oc.column('name').doUpdateSet({ value: sql<number>`counters.value + 1` })).returning('value'),
      );
    expect(await next('n')).toEqual([{ value: 1 }]);
    expect(await next('n')).toEqual([{ value: 2 }]);
    expect(await next('m')).toEqual([{ value: 1 }]);
    expect(await next('n')).toEqual([{ value: 3 }]);
    // An upsert whose update has a value of its own (a parameter Kysely adds) is never reused wrongly.
    const add = (name: string, by: number) =>
      insertRows(database.db, 'counters', [{ name, value: by }], `test-add`, (q) => q.onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({ value: eb('counters.value', '+', by) }))).returning('value'));
    expect(await add('k', 5)).toEqual([{ value: 5 }]);
    expect(await add('k', 7)).toEqual([{ value: 12 }]);
    expect(await add('k', 1)).toEqual([{ value: 13 }]);
  });

  it('a select compiled once reads each call\'s own values: scalars, IN lists of any length, absent filters', async () => {
    await insertRows(database.db, 'counters', ['s1', 's2', 's3', 's4'].map((name, i) => ({ name, value: 10 + i })));
    const read = (names: string[], above?: number) =>
      selectRows(database.db, 'test-counters', { names, above }, (v) => {
        let q = database.db.selectFrom('counters').select(['name', 'value']).where('name', 'in', v.names).orderBy('name');
        if (v.above !== undefined) q = q.where('value', '>', v.above);
        return q;
      });
    expect(await read(['s1'])).toEqual([{ name: 's1', value: 10 }]);
    expect(await read(['s2'])).toEqual([{ name: 's2', value: 11 }]);
    expect(await read(['s1', 's3', 's4'])).toEqual([
      { name: 's1', value: 10 },
      { name: 's3', value: 12 },
      { name: 's4', value: 13 },
    ]);
    expect(await read(['s2', 's3', 's4'], 11)).toEqual([
      { name: 's3', value: 12 },
      { name: 's4', value: 13 },
    ]);
    expect(await read(['s2', 's3', 's4'], 12)).toEqual([{ name: 's4', value: 13 }]);
    expect(await read(['s2', 's3', 's4'])).toHaveLength(3);
    // The same shape compiles to the same text, with the values in their places.
    const a = compiledOnce(database.db, 'test-counters', { names: ['x', 'y'], above: 1 }, (v) => database.db.selectFrom('counters').selectAll().where('name', 'in', v.names).where('value', '>', v.above));
    const b = compiledOnce(database.db, 'test-counters', { names: ['p', 'q'], above: 2 }, (v) => database.db.selectFrom('counters').selectAll().where('name', 'in', v.names).where('value', '>', v.above));
    expect(b.sql).toBe(a.sql);
    expect([a.parameters, b.parameters]).toEqual([
      ['x', 'y', 1],
      ['p', 'q', 2],
    ]);
  });

  it('a select whose value Kysely writes into the SQL is built anew each time, never reused with the first value', async () => {
    await insertRows(database.db, 'counters', [
      { name: 'lit-a', value: 1 },
      { name: 'lit-b', value: 2 },
    ]);
    // sql.lit puts the value in the text: the marker never comes back as a parameter.
    const read = (name: string) => selectRows(database.db, 'test-literal', { name }, (v) => database.db.selectFrom('counters').select('value').where('name', '=', sql.lit(v.name)));
    expect(await read('lit-a')).toEqual([{ value: 1 }]);
    expect(await read('lit-b')).toEqual([{ value: 2 }]);
  });
});
