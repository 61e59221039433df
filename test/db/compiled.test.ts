// Hot inserts compiled once per shape (src/storage/compiled.ts): whatever the rows' shapes, what is stored
// is what Kysely's own insert stores, on both dialects, and a statement reused for a second set of values
// writes those values, not the first set's.

import { sql, type Insertable } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertRows } from '../../src/storage/compiled.js';
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
});
