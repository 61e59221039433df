// The few places where SQLite and PostgreSQL differ.

import { PostgresAdapter, type Kysely } from 'kysely';

/** True when a Kysely (or a transaction of one) talks to PostgreSQL. */
export const isPostgres = (db: Kysely<any>): boolean => db.getExecutor().adapter instanceof PostgresAdapter;

/** True when a write failed on a UNIQUE or PRIMARY KEY constraint. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Escape LIKE wildcards in a literal prefix. Paths are ids and slashes, but be safe. */
export const likePrefix = (prefix: string): string => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export const toJson = (value: unknown): string => JSON.stringify(value);
export const fromJson = <T>(text: string | null, fallback: T): T => (text === null || text === '' ? fallback : (JSON.parse(text) as T));
export const bool = (value: boolean): number => (value ? 1 : 0);

/** True for errors that a retry of the whole transaction can cure (deadlock, serialization, busy). */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001' || code === 'SQLITE_BUSY';
}
