// Prepared statements reused by SQL text. Kysely's SQLite driver prepares every statement anew (parse and
// plan: about as long as running a short indexed statement); this wraps the better-sqlite3 database it is
// given so that each distinct SQL text is prepared once and reused.

import type SQLite from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * Distinct texts kept. Gridline's statements are a few hundred shapes; IN lists of varying length add
 * more, so the least recently used are dropped past this.
 */
const MAX_STATEMENTS = 1000;

/**
 * better-sqlite3 for Kysely's SqliteDialect, with a statement cache. Reuse is safe: Kysely holds the one
 * connection for a whole query (run and all finish synchronously; a stream keeps the connection until it
 * ends), and SQLite re-prepares a statement by itself when the schema it was prepared against changes.
 */
export function cachingDatabase(database: SQLite.Database, max = MAX_STATEMENTS): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    prepare(sql: string): SqliteStatement {
      let statement = statements.get(sql);
      if (statement) {
        // Map order is insertion order: move it to the back (most recently used).
        statements.delete(sql);
      } else {
        statement = database.prepare(sql);
        if (statements.size >= max) statements.delete(statements.keys().next().value!);
      }
      statements.set(sql, statement);
      return statement;
    },
    close(): void {
      statements.clear();
      database.close();
    },
  };
}
