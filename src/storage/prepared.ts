// Statements prepared once per SQL text and reused, on both dialects. Kysely's drivers send every
// statement to be parsed and planned anew: on SQLite (better-sqlite3 `prepare`) that costs about as much
// as running a short indexed statement; on PostgreSQL it is the backend's parse/analyse work on every
// execution, some 40% of its CPU per report. Both wrappers sit under Kysely's own dialects.

import type SQLite from 'better-sqlite3';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult, SqliteDatabase, SqliteStatement } from 'kysely';
import type pg from 'pg';

/**
 * Distinct texts kept per connection. Gridline's statements are a few hundred shapes; IN lists of varying
 * length add more. SQLite drops the oldest past this; PostgreSQL stops naming new ones.
 */
const MAX_STATEMENTS = 500;

/**
 * better-sqlite3 for Kysely's SqliteDialect, with a statement cache. Reuse is safe: Kysely holds the one
 * connection for a whole query (run and all finish synchronously; a stream keeps the connection until it
 * ends), and SQLite re-prepares a statement by itself when the schema it was prepared against changes.
 */
export function cachingSqlite(database: SQLite.Database, max = MAX_STATEMENTS): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    prepare(sql: string): SqliteStatement {
      let statement = statements.get(sql);
      if (!statement) {
        statement = database.prepare(sql);
        // The oldest goes first (a Map iterates in insertion order); a hot statement dropped is back at its next use.
        if (statements.size >= max) statements.delete(statements.keys().next().value!);
        statements.set(sql, statement);
      }
      return statement;
    },
    close(): void {
      statements.clear();
      database.close();
    },
  };
}

/**
 * Statements whose rows are `*` stay unnamed: a named statement's result columns are fixed when it is
 * prepared, and PostgreSQL refuses to run it ("cached plan must not change result type") once a migration
 * has added a column to the table.
 */
const SELECTS_STAR = /(?:select|returning|,)\s+(?:"[^"]+"\.)?\*/i;

/**
 * A pg pool for Kysely's PostgresDialect that sends parameterised statements as named prepared statements,
 * one name per SQL text and connection: the backend parses and plans each once per connection (and may
 * settle on a generic plan), and each execution is only Bind/Execute. Statements without parameters
 * (BEGIN, COMMIT, DDL) and those reading `*` go unnamed, as before. Names live on the server connection, so
 * a pooler that hands one client several server connections (PgBouncer in transaction mode before 1.21)
 * does not fit.
 */
export function namingPool(pool: pg.Pool, max = MAX_STATEMENTS): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    const names = new Map<string, string>();
    const nameOf = (text: string, values: readonly unknown[]): string | undefined => {
      const known = names.get(text);
      if (known !== undefined || values.length === 0 || names.size >= max || SELECTS_STAR.test(text)) return known;
      const name = `gridline_${names.size + 1}`;
      names.set(text, name);
      return name;
    };
    function query<R>(text: string, values: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
    function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
    function query<R>(textOrCursor: string | PostgresCursor<R>, values: ReadonlyArray<unknown> = []): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
      // Streams (cursors) pass through untouched.
      if (typeof textOrCursor !== 'string') return client.query(textOrCursor as unknown as pg.Submittable) as unknown as PostgresCursor<R>;
      const name = nameOf(textOrCursor, values);
      return client.query({ text: textOrCursor, values: [...values], ...(name ? { name } : {}) }) as unknown as Promise<PostgresQueryResult<R>>;
    }
    return { query, release: (destroy?: boolean) => client.release(destroy) };
  };
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrapped.get(client);
      if (!wrapper) wrapped.set(client, (wrapper = wrap(client)));
      return wrapper;
    },
    end: () => pool.end(),
  };
}
