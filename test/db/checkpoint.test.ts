// A file database's WAL is checkpointed by a worker thread, not inside a commit on the serving thread
// (src/storage/checkpointer.ts): the serving connection never checkpoints, and what it commits still
// reaches the database file on its own, promptly, and all of it by the time the database is closed.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/storage/db.js';

describe('sqlite: WAL checkpoints off the serving thread', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gridline-checkpoint-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const blob = (i: number) => Buffer.alloc(64 * 1024, i % 251);

  it('the serving connection never checkpoints, and committed pages still reach the database file within a second', async () => {
    const file = path.join(dir, 'gridline.db');
    const database = connect(`sqlite:${file}`);
    try {
      const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(database.db);
      expect(rows[0]!.wal_autocheckpoint).toBe(0);
      await sql`create table blobs (id integer primary key, data blob not null)`.execute(database.db);
      const before = fs.statSync(file).size;
      // 4 MB committed: past SQLite's own 1,000-page checkpoint, which would have run inside these commits.
      for (let i = 0; i < 64; i++) await sql`insert into blobs (data) values (${blob(i)})`.execute(database.db);
      const deadline = Date.now() + 5_000;
      while (fs.statSync(file).size < before + 4 * 1024 * 1024 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(fs.statSync(file).size).toBeGreaterThanOrEqual(before + 4 * 1024 * 1024);
    } finally {
      await database.close();
    }
    // Closed: everything is in the file itself (no WAL left to replay), and a plain reader sees it all.
    expect(fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0).toBe(0);
    const reader = new SQLite(file, { readonly: true });
    try {
      expect(reader.prepare('select count(*) as n, sum(length(data)) as bytes from blobs').get()).toEqual({ n: 64, bytes: 64 * 64 * 1024 });
    } finally {
      reader.close();
    }
  });

  it('an in-memory database has no WAL and no checkpoint worker', async () => {
    const database = connect(':memory:');
    try {
      const { rows } = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(database.db);
      expect(rows[0]!.journal_mode).toBe('memory');
    } finally {
      await database.close();
    }
  });
});
