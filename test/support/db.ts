// Every database test runs once per dialect: SQLite always, PostgreSQL when TEST_DATABASE_URL is set
// (.ci/run sets it). Each PostgreSQL database lives in a schema of its own, dropped afterwards.

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connect, migrate, type ConnectOptions, type Database, type DialectName } from '../../src/storage/db.js';

export interface DialectUnderTest {
  name: DialectName;
  url: string;
}

export const DIALECTS: DialectUnderTest[] = [
  { name: 'sqlite', url: ':memory:' },
  ...(process.env.TEST_DATABASE_URL ? [{ name: 'postgres' as const, url: process.env.TEST_DATABASE_URL }] : []),
];

export interface TestDatabase extends Database {
  /** Close and drop everything this test database created. */
  drop(): Promise<void>;
}

/** A new, migrated, empty database of the dialect; `options` pass through to connect (a query log, the pool size). */
export async function freshDatabase(dialect: DialectUnderTest, options: Pick<ConnectOptions, 'log' | 'poolSize'> = {}): Promise<TestDatabase> {
  if (dialect.name === 'sqlite') {
    const database = connect(dialect.url, { log: options.log });
    await migrate(database);
    return { ...database, drop: () => database.close() };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: dialect.url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const database = connect(dialect.url, { schema, poolSize: options.poolSize ?? 5, log: options.log });
  const drop = async () => {
    await database.close();
    const client = new pg.Client({ connectionString: dialect.url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  };
  try {
    await migrate(database);
  } catch (error) {
    await drop();
    throw error;
  }
  return { ...database, drop };
}
