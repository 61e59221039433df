// The throttle's state in the database, once per dialect: fixed windows counted by one atomic upsert,
// exact under concurrency (also from two connection pools, as from two processes), lockouts, refunds,
// cleanup of ended windows, and the rules read from the environment.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, rateRule } from '../../src/config.js';
import { ManualClock } from '../../src/ports.js';
import { buildServices } from '../../src/compose.js';
import { DEFAULT_THROTTLE } from '../../src/services/throttle.service.js';
import { connect, migrate, type Database } from '../../src/storage/db.js';
import type { RateRule } from '../../src/domain/records.js';
import { ThrottleRepository } from '../../src/storage/throttle.repository.js';
import { DIALECTS, freshDatabase, type DialectUnderTest, type TestDatabase } from '../support/db.js';
import { domainError } from '../support/cases.js';
import { MemoryMediaStore } from '../support/world.js';

const T0 = new Date('2025-05-07T13:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const rule: RateRule = { limit: 7, windowS: 60 };

/** A second handle on the same database, as another process would have: its own pool (PostgreSQL) or connection (an SQLite file). */
async function twoHandles(dialect: DialectUnderTest, first: TestDatabase): Promise<{ a: Database; b: Database; close(): Promise<void> }> {
  if (dialect.name === 'postgres') {
    const { rows } = await sql<{ current_schema: string }>`select current_schema()`.execute(first.db);
    const b = connect(dialect.url, { schema: rows[0]!.current_schema, poolSize: 5 });
    return { a: first, b, close: () => b.close() };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gridline-throttle-'));
  const file = `sqlite:${path.join(dir, 'shared.db')}`;
  const a = connect(file);
  await migrate(a);
  const b = connect(file);
  return {
    a,
    b,
    close: async () => {
      await a.close();
      await b.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe.each(DIALECTS)('throttle storage ($name)', (dialect) => {
  let database: TestDatabase;
  let repo: ThrottleRepository;
  let n = 0;
  let key: { rule: string; subject: string };

  beforeAll(async () => {
    database = await freshDatabase(dialect);
    repo = new ThrottleRepository(database.db);
  });
  afterAll(() => database?.drop());
  beforeEach(() => {
    key = { rule: 'test', subject: `subject-${++n}` };
  });

  it('allows `limit` hits in a window, refuses the rest with the seconds left, and starts afresh when the window ends', async () => {
    for (let i = 1; i <= 7; i++) expect(await repo.hit(key, rule, at(i))).toMatchObject({ allowed: true, count: i, remaining: 7 - i, retryAfterS: 0 });
    // The window is anchored at the first hit (t = 1 s) and ends 60 s later.
    expect(await repo.hit(key, rule, at(20))).toMatchObject({ allowed: false, count: 8, remaining: 0, retryAfterS: 41, resetAt: at(61).toISOString() });
    expect(await repo.hit(key, rule, at(60.2))).toMatchObject({ allowed: false, retryAfterS: 1 });
    expect(await repo.hit(key, rule, at(61))).toMatchObject({ allowed: true, count: 1, resetAt: at(121).toISOString() });
    // Other subjects and rules have counters of their own.
    expect(await repo.hit({ ...key, subject: `${key.subject}-other` }, rule, at(30))).toMatchObject({ allowed: true, count: 1 });
    expect(await repo.hit({ ...key, rule: 'other-rule' }, rule, at(30))).toMatchObject({ allowed: true, count: 1 });
  });

  it.runIf(dialect.name === 'postgres')('keeps the table UNLOGGED on PostgreSQL (a check waits for no WAL flush)', async () => {
    const { rows } = await sql<{ relpersistence: string }>`select relpersistence from pg_class where oid = 'throttle'::regclass`.execute(database.db);
    expect(rows[0]?.relpersistence).toBe('u');
  });

  it('stops counting at limit + 1, however many hits a flood sends', async () => {
    for (let i = 0; i < 50; i++) await repo.hit(key, rule, at(1));
    const row = await database.db.selectFrom('throttle').selectAll().where('rule', '=', key.rule).where('subject', '=', key.subject).executeTakeFirstOrThrow();
    expect(row.count).toBe(8);
  });

  it('never allows more than the limit to concurrent hits, from one pool or from two processes', async () => {
    const results = await Promise.all(Array.from({ length: 40 }, () => repo.hit(key, rule, at(1))));
    expect(results.filter((r) => r.allowed)).toHaveLength(7);
    expect(results.map((r) => r.count).sort((x, y) => x - y).slice(0, 7)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const { a, b, close } = await twoHandles(dialect, database);
    try {
      const ra = new ThrottleRepository(a.db);
      const rb = new ThrottleRepository(b.db);
      const shared = { rule: 'test', subject: `shared-${n}` };
      const mixed = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? ra : rb).hit(shared, rule, at(1))));
      expect(mixed.filter((r) => r.allowed)).toHaveLength(7);
      // What one process counted, the other sees.
      expect(await ra.hit(shared, rule, at(2))).toMatchObject({ allowed: false });
      expect(await rb.peek(shared, rule, at(2))).toMatchObject({ blocked: true, retryAfterS: 59 });
    } finally {
      await close();
    }
  });

  it('locks a key: hits are refused and not counted until the lock ends, then a fresh window starts', async () => {
    const first = await repo.hit(key, rule, at(1), '10.0.0.1');
    expect(await repo.lock(key, first.resetAt, at(301).toISOString())).toBe(true);
    expect(await repo.hit(key, rule, at(100), '10.0.0.2')).toMatchObject({ allowed: false, count: 1, retryAfterS: 201, lockedUntil: at(301).toISOString() });
    expect(await repo.peek(key, rule, at(100))).toEqual({ blocked: true, retryAfterS: 201, count: 1 });
    expect(await repo.locked('test', at(100))).toContainEqual({ subject: key.subject, lockedUntil: at(301).toISOString(), failures: 1, lastAddress: '10.0.0.2' });
    expect(await repo.hit(key, rule, at(301))).toMatchObject({ allowed: true, count: 1, lockedUntil: null });
    expect(await repo.locked('test', at(301))).not.toContainEqual(expect.objectContaining({ subject: key.subject }));
  });

  it('refunds a hit only within its own window; a lock for a window that was cleared meanwhile does not take', async () => {
    const one = await repo.hit(key, rule, at(1));
    await repo.hit(key, rule, at(2));
    await repo.refund(key, one.resetAt);
    expect(await repo.peek(key, rule, at(3))).toMatchObject({ count: 1 });
    await repo.refund(key, at(999).toISOString());
    expect(await repo.peek(key, rule, at(3))).toMatchObject({ count: 1 });
    expect(await repo.clear(key, at(3))).toBe(false);
    expect(await repo.lock(key, one.resetAt, at(500).toISOString())).toBe(false);
    expect(await repo.peek(key, rule, at(4))).toEqual({ blocked: false, retryAfterS: 0, count: 0 });
  });

  it('deletes ended windows and run-out locks, keeping current windows and running locks', async () => {
    await database.db.deleteFrom('throttle').execute();
    const ended = { rule: 'test', subject: 'ended' };
    const current = { rule: 'test', subject: 'current' };
    const locked = { rule: 'test', subject: 'locked' };
    const lockRunOut = { rule: 'test', subject: 'lock-run-out' };
    await repo.hit(ended, rule, at(0));
    await repo.hit(current, rule, at(100));
    const l = await repo.hit(locked, rule, at(0));
    await repo.lock(locked, l.resetAt, at(1000).toISOString());
    const r = await repo.hit(lockRunOut, rule, at(0));
    await repo.lock(lockRunOut, r.resetAt, at(90).toISOString());
    expect(await repo.deleteExpired(at(120))).toBe(2);
    const left = (await database.db.selectFrom('throttle').select('subject').orderBy('subject').execute()).map((x) => x.subject);
    expect(left).toEqual(['current', 'locked']);
  });

  it('cleans up from the service at most once per interval, off the request path, by the service clock', async () => {
    await database.db.deleteFrom('throttle').execute();
    const clock = new ManualClock(T0);
    const services = buildServices(database, { clock, mediaStore: new MemoryMediaStore(), throttle: { report: { limit: 5, windowS: 60 }, cleanupEveryS: 600 } });
    const rows = async () => (await database.db.selectFrom('throttle').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    for (let i = 0; i < 5; i++) await services.throttle.check('report', { userId: `u${i}`, address: '10.0.0.1' });
    expect(await rows()).toBe(5);
    clock.advance(5);
    await services.throttle.check('report', { userId: 'u-late', address: '10.0.0.1' });
    expect(await rows()).toBe(6);
    clock.advance(6);
    expect(services.throttle.cleaning).toBeUndefined();
    await services.throttle.check('report', { userId: 'u-later', address: '10.0.0.1' });
    // The cleanup was started, not awaited by the request.
    expect(await services.throttle.cleaning).toBe(6);
    expect(await rows()).toBe(1);
    // Not again within the interval.
    const started = services.throttle.cleaning;
    clock.advance(9);
    await services.throttle.check('report', { userId: 'u-later', address: '10.0.0.1' });
    expect(services.throttle.cleaning).toBe(started);
  });

  it('refuses the rules as DomainErrors with retryAfterS: rate_limited per user or address, and public writes per address', async () => {
    const clock = new ManualClock(at(10_000));
    const services = buildServices(database, { clock, mediaStore: new MemoryMediaStore(), throttle: { publicWrite: { limit: 2, windowS: 600 }, read: { limit: 0, windowS: 60 } } });
    await services.throttle.check('publicWrite', { address: '192.0.2.1' });
    await services.throttle.check('publicWrite', { address: '192.0.2.1', userId: 'ignored-for-public-rules' });
    const error = await domainError(services.throttle.check('publicWrite', { address: '192.0.2.1' }), 'rate_limited', 'too_many');
    expect(error.details).toEqual({ retryAfterS: 600, rule: 'publicWrite' });
    await services.throttle.check('publicWrite', { address: '192.0.2.2' });
    // A rule with limit 0 is off: nothing is counted or stored.
    for (let i = 0; i < 200; i++) await services.throttle.check('read', { userId: 'reader', address: '192.0.2.1' });
    expect(await database.db.selectFrom('throttle').selectAll().where('rule', '=', 'read').execute()).toEqual([]);
  });
});

describe('throttle configuration', () => {
  it('reads LIMIT/WINDOW rules from the environment, with the defaults when unset', () => {
    expect(rateRule('30/1m', DEFAULT_THROTTLE.report, 'X')).toEqual({ limit: 30, windowS: 60 });
    expect(rateRule('10/15m', DEFAULT_THROTTLE.report, 'X')).toEqual({ limit: 10, windowS: 900 });
    expect(rateRule('300 / 90s', DEFAULT_THROTTLE.report, 'X')).toEqual({ limit: 300, windowS: 90 });
    expect(rateRule('1000/h', DEFAULT_THROTTLE.report, 'X')).toEqual({ limit: 1000, windowS: 3600 });
    expect(rateRule('off', DEFAULT_THROTTLE.report, 'X').limit).toBe(0);
    expect(rateRule(undefined, DEFAULT_THROTTLE.report, 'X')).toBe(DEFAULT_THROTTLE.report);
    for (const bad of ['30', '30/0m', 'many/1m', '30/1d', '-1/1m']) expect(() => rateRule(bad, DEFAULT_THROTTLE.report, 'THROTTLE_REPORT')).toThrow(/THROTTLE_REPORT/);

    const config = loadConfig({ THROTTLE_REPORT: '5/1m', THROTTLE_LOGIN_ACCOUNT: '3/5m', THROTTLE_LOCKOUT_MINUTES: '60', TRUST_PROXY: '10.0.0.0/8' });
    expect(config.throttle).toMatchObject({ report: { limit: 5, windowS: 60 }, loginAccount: { limit: 3, windowS: 300 }, lockoutS: 3600, read: DEFAULT_THROTTLE.read });
    expect(config.trustProxy).toBe('10.0.0.0/8');
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({}).throttle).toEqual(DEFAULT_THROTTLE);
  });
});
