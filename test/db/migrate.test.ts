// Migrations on a database that is not alone: a second Gridline database on the same server (on
// PostgreSQL, another schema of the same database, as every test and any second instance has) must
// migrate, whatever the other one already holds.

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, migrate, type Database } from '../../src/storage/db.js';
import { DIALECTS, freshDatabase, type DialectUnderTest, type TestDatabase } from '../support/db.js';

/** A second, empty database of the dialect, not migrated yet; dropped by `drop`. */
async function emptyDatabase(dialect: DialectUnderTest): Promise<Database & { drop(): Promise<void> }> {
  if (dialect.name === 'sqlite') {
    const database = connect(dialect.url);
    return { ...database, drop: () => database.close() };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: dialect.url });
    await client.connect();
    await client.query(statement);
    await client.end();
  };
  await admin(`CREATE SCHEMA ${schema}`);
  const database = connect(dialect.url, { schema, poolSize: 2 });
  return {
    ...database,
    drop: async () => {
      await database.close();
      await admin(`DROP SCHEMA ${schema} CASCADE`);
    },
  };
}

describe.each(DIALECTS)('migrating ($name)', (dialect) => {
  let first: TestDatabase;

  beforeAll(async () => {
    first = await freshDatabase(dialect);
  });
  afterAll(() => first?.drop());

  it('has nothing left to apply on a migrated database', async () => {
    expect(await migrate(first)).toEqual([]);
  });

  it('migrates a second database while another migrated one exists on the same server', async () => {
    const second = await emptyDatabase(dialect);
    try {
      expect(await migrate(second)).toEqual(['001_init', '002_location', '003_map_cover', '004_evidence']);
      expect(await migrate(second)).toEqual([]);
      // Each has its own tables: a row in one is not in the other.
      await second.db.insertInto('counters').values({ name: 'only-here', value: 1 }).execute();
      expect(await first.db.selectFrom('counters').selectAll().where('name', '=', 'only-here').execute()).toEqual([]);
    } finally {
      await second.drop();
    }
  });
});
