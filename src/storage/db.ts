// Connects Kysely to SQLite (embedded default) or PostgreSQL, chosen by the database URL, and runs the
// migrations. Dialect differences live here and in dialect.ts only.

import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type KyselyConfig, type Migration, type MigrationProvider } from 'kysely';
import pg from 'pg';
import * as m001 from './migrations/001_init.js';
import * as m002 from './migrations/002_location.js';
import * as m003 from './migrations/003_map_cover.js';
import * as m004 from './migrations/004_evidence.js';
import * as m005 from './migrations/005_upload_store.js';
import * as m006 from './migrations/006_throttle.js';
import * as m007 from './migrations/007_map_origin.js';
import * as m008 from './migrations/008_near_index.js';
import * as m009 from './migrations/009_notify.js';
import * as m010 from './migrations/010_members.js';
import * as m011 from './migrations/011_points.js';
import * as m012 from './migrations/012_programme_notices.js';
import * as m013 from './migrations/013_device_sessions.js';
import type { DB } from './schema.js';
import { startCheckpointer } from './checkpointer.js';
import { cachingSqlite, namingPool } from './prepared.js';

export type DialectName = 'sqlite' | 'postgres';

export interface Database {
  db: Kysely<DB>;
  dialect: DialectName;
  /** PostgreSQL: where to open a connection of one's own (LISTEN needs one), and the schema in use. */
  postgres?: { url: string; schema?: string };
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** PostgreSQL schema to use (tests isolate themselves in one schema each). */
  schema?: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
  /** Kysely's query log (benchmarks count statements with it). */
  log?: KyselyConfig['log'];
}

export const isPostgresUrl = (url: string): boolean => /^postgres(ql)?:\/\//.test(url);

/** `sqlite:FILE`, `file:FILE`, a bare path, or `:memory:` -> the file path better-sqlite3 opens. */
export function sqlitePath(url: string): string {
  const stripped = url.replace(/^sqlite:(\/\/)?/, '').replace(/^file:/, '');
  return stripped === '' ? ':memory:' : stripped;
}

export function connect(url: string, options: ConnectOptions = {}): Database {
  if (isPostgresUrl(url)) {
    // COUNT(*) and BIGINT arrive as strings by default; our counts fit comfortably in a double.
    pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      // JIT compilation costs more than it saves on Gridline's short indexed queries.
      options: `-c jit=off${options.schema ? ` -c search_path=${options.schema}` : ''}`,
    });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: namingPool(pool) }), log: options.log });
    return { db, dialect: 'postgres', postgres: { url, schema: options.schema }, close: () => db.destroy() };
  }
  const file = sqlitePath(url);
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // The default page cache (2 MB) holds a few thousand cases' index pages; intake touches a dozen indexes
  // per case, and reads past the cache go through a system call per page. 64 MB keeps a city's hot pages.
  sqlite.pragma('cache_size = -65536');
  sqlite.pragma('temp_store = MEMORY');
  // A file database's WAL is checkpointed by a worker thread (checkpointer.ts), never inside a commit here.
  const checkpointer = file === ':memory:' ? undefined : (sqlite.pragma('wal_autocheckpoint = 0'), startCheckpointer(file));
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: cachingSqlite(sqlite) }), log: options.log });
  return {
    db,
    dialect: 'sqlite',
    close: async () => {
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}

const MIGRATIONS: Record<string, Migration> = {
  '001_init': m001,
  '002_location': m002,
  '003_map_cover': m003,
  '004_evidence': m004,
  '005_upload_store': m005,
  '006_throttle': m006,
  '007_map_origin': m007,
  '008_near_index': m008,
  '009_notify': m009,
  '010_members': m010,
  '011_points': m011,
  '012_programme_notices': m012,
  '013_device_sessions': m013,
};

class StaticProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

/** Bring the schema up to date (or, for upgrade tests, up to and including `upTo`); returns the names applied now. */
export async function migrate(database: Database, upTo?: string): Promise<string[]> {
  // Kysely looks for its bookkeeping tables in any schema unless told which one; name ours, so databases
  // that hold several Gridline schemas (tests, tenants) never see each other's migrations.
  const migrationTableSchema =
    database.dialect === 'postgres' ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(database.db)).rows[0]?.schema : undefined;
  const migrator = new Migrator({ db: database.db, provider: new StaticProvider(), ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  const { error, results } = upTo ? await migrator.migrateTo(upTo) : await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
