// Migrations on a database that is not alone: a second Gridline database on the same server (on
// PostgreSQL, another schema of the same database, as every test and any second instance has) must
// migrate, whatever the other one already holds.

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
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

  it('upgrades a database with evidence in its events: 004 links the report’s media as before and the resolution’s as after', async () => {
    const old = await emptyDatabase(dialect);
    try {
      expect(await migrate(old, '003_map_cover')).toEqual(['001_init', '002_location', '003_map_cover']);
      const db = old.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
      const at = '2025-05-07T13:00:00.000Z';
      await db.insertInto('users').values({ id: 'u1', username: 'rider', password_hash: 'x', display_name: 'R', role: 'reporter', phone: null, department_id: null, jurisdiction_id: null, locale: 'zh-CN', active: 1, created_at: at }).execute();
      for (const id of ['m1', 'm2', 'm3']) await db.insertInto('media').values({ id, sha256: id.padEnd(64, '0'), kind: 'photo', mime: 'image/jpeg', bytes: 1, storage_key: id.padEnd(64, '0'), uploaded_by: 'u1', created_at: at }).execute();
      await db.insertInto('jurisdictions').values({ id: 'j1', code: '540102013', level: 'subdistrict', path: '/j1', name_zh: '纳金', name_en: 'Najin', name_bo: 'ན་ཅིན', created_at: at }).execute();
      await db.insertInto('categories').values({ id: 'k1', code: '01-003', kind: 'component', major_code: '01', minor_code: '003', name_zh: '井盖', name_en: 'Manhole', name_bo: 'x', created_at: at }).execute();
      await db
        .insertInto('cases')
        .values({ id: 'c1', ref: '20250507-0001', status: 'resolved', category_id: 'k1', urgency: 'normal', description: '井盖', lat: 29.65, lon: 91.13, orig_lat: 29.65, orig_lon: 91.13, jurisdiction_id: 'j1', origin_jurisdiction_id: 'j1', reporter_id: 'u1', channel: 'app', reported_at: at, updated_at: at })
        .execute();
      const event = (seq: number, action: string, evidence: string[]) => ({ id: `e${seq}`, case_id: 'c1', seq, action, actor_id: 'u1', actor_role: 'reporter', at, from_status: null, to_status: 'reported', note: null, data: '{}', evidence: JSON.stringify(evidence), clocks: '[]' });
      await db.insertInto('case_events').values([event(1, 'report', ['m1', 'm2', 'gone']), event(2, 'accept', []), event(3, 'resolve', ['m3'])]).execute();

      expect(await migrate(old, '004_evidence')).toEqual(['004_evidence']);
      const links = await old.db.selectFrom('media_links').select(['media_id', 'case_id', 'event_seq', 'role']).orderBy('media_id').execute();
      expect(links).toEqual([
        { media_id: 'm1', case_id: 'c1', event_seq: 1, role: 'before' },
        { media_id: 'm2', case_id: 'c1', event_seq: 1, role: 'before' },
        { media_id: 'm3', case_id: 'c1', event_seq: 3, role: 'after' },
      ]);
      // Old media have no copies yet: they are made on first use.
      expect((await old.db.selectFrom('media').select('preview').where('id', '=', 'm1').executeTakeFirstOrThrow()).preview).toBeNull();
    } finally {
      await old.drop();
    }
  });

  it('upgrades resumable uploads: 005 drops the unfinished ones with their chunks (their bytes cannot reach the store from a migration) and keeps the finished', async () => {
    const old = await emptyDatabase(dialect);
    try {
      await migrate(old, '004_evidence');
      const db = old.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
      const at = '2025-05-07T13:00:00.000Z';
      await db.insertInto('users').values({ id: 'u1', username: 'rider', password_hash: 'x', display_name: 'R', role: 'reporter', phone: null, department_id: null, jurisdiction_id: null, locale: 'zh-CN', active: 1, created_at: at }).execute();
      const upload = (id: string, received: number, mediaId: string | null) => ({ id, owner_id: 'u1', length: 10, received, metadata: '{}', media_id: mediaId, created_at: at, expires_at: '2025-05-08T13:00:00.000Z' });
      await db.insertInto('uploads').values([upload('open', 4, null), upload('done', 10, 'm1')]).execute();
      await db.insertInto('upload_chunks').values({ upload_id: 'open', start_byte: 0, data: Buffer.from('abcd') }).execute();

      expect(await migrate(old, '005_upload_store')).toEqual(['005_upload_store']);
      expect(await db.selectFrom('uploads').select(['id', 'media_id']).execute()).toEqual([{ id: 'done', media_id: 'm1' }]);
      expect(await db.selectFrom('upload_parts').selectAll().execute()).toEqual([]);
      await expect(db.selectFrom('upload_chunks').selectAll().execute()).rejects.toThrow(/upload_chunks/);
      await db.insertInto('upload_parts').values({ upload_id: 'done', start_byte: 2 ** 33, bytes: 2 ** 32, part: '000000000000000-0123456789abcdef' }).execute();
      expect(await db.selectFrom('upload_parts').select(['start_byte', 'bytes']).execute()).toEqual([{ start_byte: 2 ** 33, bytes: 2 ** 32 }]);
    } finally {
      await old.drop();
    }
  });

  it('upgrades map cell counts: 007 moves a referred case to its (handling, origin) row and keeps the others', async () => {
    const old = await emptyDatabase(dialect);
    try {
      await migrate(old, '006_throttle');
      const db = old.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
      const at = '2025-05-07T13:00:00.000Z';
      await db.insertInto('users').values({ id: 'u1', username: 'rider', password_hash: 'x', display_name: 'R', role: 'reporter', phone: null, department_id: null, jurisdiction_id: null, locale: 'zh-CN', active: 1, created_at: at }).execute();
      const unit = (id: string, level: string, parent: string | null, path: string) => ({ id, code: id, level, parent_id: parent, path, name_zh: id, name_en: id, name_bo: id, created_at: at });
      await db.insertInto('jurisdictions').values([unit('najin', 'subdistrict', null, '/najin'), unit('zhaxi', 'subdistrict', null, '/zhaxi'), unit('g1', 'grid', 'najin', '/najin/g1'), unit('g2', 'grid', 'zhaxi', '/zhaxi/g2')]).execute();
      await db.insertInto('categories').values({ id: 'k1', code: '01-003', kind: 'component', major_code: '01', minor_code: '003', name_zh: '井盖', name_en: 'Manhole', name_bo: 'x', created_at: at }).execute();
      const point = { lat: 29.6512, lon: 91.1337 };
      const kase = (id: string, jurisdiction: string, origin: string) => ({ id, ref: id, status: 'reported', category_id: 'k1', urgency: 'normal', description: 'x', ...point, orig_lat: point.lat, orig_lon: point.lon, jurisdiction_id: jurisdiction, origin_jurisdiction_id: origin, reporter_id: 'u1', channel: 'app', reported_at: at, updated_at: at });
      // c1 stays in Najin; c2 was reported by a Najin rider and referred to Zhaxi.
      await db.insertInto('cases').values([kase('c1', 'g1', 'g1'), kase('c2', 'g2', 'najin')]).execute();
      const sizes = [1, 0.1, 0.01, 0.001];
      const cell = (level: number, unit: string) => ({ level, cy: Math.floor((point.lat + 90) / sizes[level]!), cx: Math.floor((point.lon + 180) / sizes[level]!), unit_id: unit, status: 'reported', category_id: 'k1', n: 1, sum_lat: point.lat, sum_lon: point.lon });
      await db.insertInto('case_cells').values(sizes.flatMap((_, level) => [cell(level, 'najin'), cell(level, 'zhaxi')])).execute();

      expect(await migrate(old, '007_map_origin')).toEqual(['007_map_origin']);
      const rows = await db.selectFrom('case_cells').select(['level', 'unit_id', 'origin_unit_id', 'n']).orderBy('level').orderBy('unit_id').execute();
      expect(rows).toEqual(sizes.flatMap((_, level) => [
        { level, unit_id: 'najin', origin_unit_id: 'najin', n: 1 },
        { level, unit_id: 'zhaxi', origin_unit_id: 'najin', n: 1 },
      ]));
    } finally {
      await old.drop();
    }
  });

  it('upgrades deliveries: 012 keeps every delivery and its unique key, and lets one tell of no case', async () => {
    const old = await emptyDatabase(dialect);
    try {
      await migrate(old, '011_points');
      const db = old.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
      const at = '2026-11-30T08:00:00.000Z';
      await db.insertInto('users').values({ id: 'u1', username: 'rider', password_hash: 'x', display_name: 'R', role: 'reporter', phone: null, department_id: null, jurisdiction_id: null, locale: 'zh-CN', active: 1, created_at: at }).execute();
      await db.insertInto('jurisdictions').values({ id: 'g1', code: 'g1', level: 'grid', parent_id: null, path: '/g1', name_zh: 'g', name_en: 'g', name_bo: 'g', created_at: at }).execute();
      await db.insertInto('categories').values({ id: 'k1', code: '01-003', kind: 'component', major_code: '01', minor_code: '003', name_zh: '井盖', name_en: 'Manhole', name_bo: 'x', created_at: at }).execute();
      await db.insertInto('cases').values({ id: 'c1', ref: 'c1', status: 'reported', category_id: 'k1', urgency: 'normal', description: 'x', lat: 29.65, lon: 91.13, orig_lat: 29.65, orig_lon: 91.13, jurisdiction_id: 'g1', origin_jurisdiction_id: 'g1', reporter_id: 'u1', channel: 'app', reported_at: at, updated_at: at }).execute();
      await db.insertInto('notify_channels').values({ id: 'ch1', kind: 'webhook', name: 'w', config: '{}', status: 'active', created_at: at, updated_at: at }).execute();
      const delivery = (id: string, caseId: string | null, event = 'e1') => ({ id, event_id: event, case_id: caseId, kind: 'new_report', channel_id: 'ch1', message: '{"caseRef":"NJ-1"}', status: 'dead', attempts: 8, next_at: at, last_error: 'HTTP 500', created_at: at });
      await db.insertInto('deliveries').values(delivery('d1', 'c1')).execute();

      expect(await migrate(old, '012_programme_notices')).toEqual(['012_programme_notices']);
      expect(await db.selectFrom('deliveries').select(['id', 'case_id', 'status', 'attempts', 'last_error', 'message']).execute()).toEqual([
        { id: 'd1', case_id: 'c1', status: 'dead', attempts: 8, last_error: 'HTTP 500', message: '{"caseRef":"NJ-1"}' },
      ]);
      await db.insertInto('deliveries').values(delivery('d2', null, 'member-event-1')).execute();
      await expect(db.insertInto('deliveries').values(delivery('d3', 'c1')).execute()).rejects.toThrow();
      await expect(db.insertInto('deliveries').values(delivery('d4', 'no-such-case', 'e2')).execute()).rejects.toThrow();
      expect((await db.selectFrom('users').select(['platform', 'station']).executeTakeFirstOrThrow())).toEqual({ platform: null, station: null });
    } finally {
      await old.drop();
    }
  });

  it('upgrades sign-in tokens: 013 gives every live token a session id of its own, and keeps it valid', async () => {
    const old = await emptyDatabase(dialect);
    try {
      await migrate(old, '012_programme_notices');
      const db = old.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
      const at = '2026-11-30T08:00:00.000Z';
      await db.insertInto('users').values({ id: 'u1', username: 'rider', password_hash: 'x', display_name: 'R', role: 'reporter', phone: null, department_id: null, jurisdiction_id: null, locale: 'zh-CN', active: 1, created_at: at }).execute();
      for (const hash of ['h1', 'h2']) await db.insertInto('auth_tokens').values({ token_hash: hash, user_id: 'u1', created_at: at, expires_at: '2026-12-30T08:00:00.000Z', revoked_at: null }).execute();
      expect(await migrate(old)).toEqual(['013_device_sessions']);
      const rows = await db.selectFrom('auth_tokens').select(['token_hash', 'id', 'device', 'last_seen_at']).orderBy('token_hash').execute();
      expect(rows.map((r) => [r.token_hash, r.device, r.last_seen_at])).toEqual([['h1', null, null], ['h2', null, null]]);
      expect(new Set(rows.map((r) => r.id)).size).toBe(2);
      for (const r of rows) expect(r.id).toMatch(/^[0-9a-f-]{36}$/);
      await expect(db.insertInto('auth_tokens').values({ token_hash: 'h3', id: rows[0]!.id, user_id: 'u1', created_at: at, expires_at: at }).execute()).rejects.toThrow();
    } finally {
      await old.drop();
    }
  });

  it('migrates a second database while another migrated one exists on the same server', async () => {
    const second = await emptyDatabase(dialect);
    try {
      const all = (await first.db.selectFrom('kysely_migration' as never).select('name' as never).orderBy('name' as never).execute()).map((r) => (r as { name: string }).name);
      expect(all.slice(0, 4)).toEqual(['001_init', '002_location', '003_map_cover', '004_evidence']);
      expect(await migrate(second)).toEqual(all);
      expect(await migrate(second)).toEqual([]);
      // Each has its own tables: a row in one is not in the other.
      await second.db.insertInto('counters').values({ name: 'only-here', value: 1 }).execute();
      expect(await first.db.selectFrom('counters').selectAll().where('name', '=', 'only-here').execute()).toEqual([]);
    } finally {
      await second.drop();
    }
  });
});
