// The Najin demo seed on a fresh database of each dialect: 40 riders, cases spread over the loop, every
// case with a consistent event chain made by the real services.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASE_STATUSES, type CaseStatus } from '../../src/domain/types.js';
import { seedDemo } from '../../src/seed/demo.js';
import { NAJIN_CODE, RIDER_NAMES } from '../../src/seed/najin-data.js';
import { fromJson } from '../../src/storage/dialect.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../support/db.js';
import { expectConsistentChain } from '../support/cases.js';
import { MemoryMediaStore } from '../support/world.js';

const CASES = 320;
/** The first rider's verified food-safety reports (seedGuardian). */
const GUARDIAN_CASES = 9;
const NOW = new Date('2026-11-28T08:00:00Z');

describe.each(DIALECTS)('the Najin demo seed ($name)', (dialect) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await freshDatabase(dialect);
    await seedDemo(database, { password: 'x-demo-pass', cases: CASES, now: NOW, mediaStore: new MemoryMediaStore() });
  }, 120_000);
  afterAll(() => database?.drop());

  it('creates 40 rider accounts', async () => {
    const riders = await database.db.selectFrom('users').select(['username', 'display_name', 'phone']).where('role', '=', 'reporter').where('username', 'like', 'rider%').execute();
    expect(riders).toHaveLength(40);
    expect(riders.map((r) => r.display_name).sort()).toEqual([...RIDER_NAMES].sort());
    for (const r of riders) expect(r.phone).toMatch(/^1\d{10}$/);
  });

  it('has told every case event: the outbox is empty, each rider heard a receipt per report, staff hear their areas', async () => {
    const outbox = await database.db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(outbox.n)).toBe(0);
    const receipts = await database.db.selectFrom('inbox_messages').select((eb) => eb.fn.countAll<number>().as('n')).where('kind', '=', 'receipt').executeTakeFirstOrThrow();
    const reports = await database.db.selectFrom('cases').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(receipts.n)).toBe(Number(reports.n));
    const heard = await database.db
      .selectFrom('inbox_messages')
      .innerJoin('users', 'users.id', 'inbox_messages.user_id')
      .select(['users.username', 'inbox_messages.kind'])
      .where('users.role', '!=', 'reporter')
      .execute();
    const kinds = (username: string) => new Set(heard.filter((m) => m.username === username).map((m) => m.kind));
    expect(kinds('dispatcher').has('new_report')).toBe(true);
    expect(kinds('municipal').has('dispatched')).toBe(true);
    expect(kinds('supervisor').has('supervision')).toBe(true);
  });

  it('has the programme at every recruitment stage: 40 riders appointed (one suspended), a retired courier, applicants on their way', async () => {
    const rows = await database.db.selectFrom('members').select(['status', 'user_id', 'appointment_number', 'seq']).execute();
    const by = (status: string) => rows.filter((r) => r.status === status);
    expect(by('appointed')).toHaveLength(39);
    expect(by('suspended')).toHaveLength(1);
    for (const status of ['applicant', 'recommended', 'approved', 'retired', 'rejected']) expect(by(status), status).toHaveLength(1);
    const riders = await database.db.selectFrom('users').select('id').where('role', '=', 'reporter').where('username', 'like', 'rider%').execute();
    expect(new Set(by('appointed').concat(by('suspended')).map((r) => r.user_id))).toEqual(new Set(riders.map((r) => r.id)));
    expect(by('appointed').map((r) => r.appointment_number)).toContain(`${NAJIN_CODE}-2024-030`);
    const events = await database.db.selectFrom('member_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(events.n)).toBe(rows.reduce((n, r) => n + r.seq, 0));
  });

  it('has points for the verified food-safety reports of its members, each under rule set 1', async () => {
    const awards = await database.db
      .selectFrom('points_entries')
      .innerJoin('cases', 'cases.id', 'points_entries.case_id')
      .innerJoin('categories', 'categories.id', 'cases.category_id')
      .select(['points_entries.points', 'points_entries.level', 'points_entries.rule_version', 'categories.food_safety'])
      .where('points_entries.kind', '=', 'award')
      .execute();
    expect(awards.length).toBeGreaterThan(0);
    for (const a of awards) {
      expect(a.food_safety).toBe(1);
      expect(a.rule_version).toBe(1);
      expect(a.points).toBe({ 1: 5, 2: 2, 3: 1 }[a.level as 1 | 2 | 3]);
    }
  });

  it('has a guardian with a redemption at each stage, the balance equal to the ledger for every member', async () => {
    const statuses = (await database.db.selectFrom('redemptions').select('status').execute()).map((r) => r.status).sort();
    expect(statuses).toEqual(['approved', 'paid', 'rejected', 'requested']);
    const accounts = await database.db.selectFrom('points_accounts').select(['member_id', 'balance']).execute();
    for (const a of accounts) {
      const sum = await database.db.selectFrom('points_entries').select((eb) => eb.fn.sum<number>('points').as('n')).where('member_id', '=', a.member_id).executeTakeFirstOrThrow();
      expect(Number(sum.n), a.member_id).toBe(a.balance);
    }
    expect(Math.max(...accounts.map((a) => a.balance))).toBeGreaterThanOrEqual(15);
  });

  it(`creates ${CASES} cases, spread over the states of the loop, and the guardian's ${GUARDIAN_CASES} food-safety reports`, async () => {
    const rows = await database.db.selectFrom('cases').select(['status']).execute();
    expect(rows).toHaveLength(CASES + GUARDIAN_CASES);
    const seen = new Set(rows.map((r) => r.status));
    for (const status of seen) expect(CASE_STATUSES).toContain(status);
    const expected: CaseStatus[] = ['reported', 'accepted', 'filed', 'dispatched', 'signed', 'handling', 'resolved', 'verified', 'closed', 'rejected'];
    for (const status of expected) expect(seen, `a case is ${status}`).toContain(status);
    // Only rare endings may be missing.
    expect(CASE_STATUSES.filter((s) => !seen.has(s)).length).toBeLessThanOrEqual(2);
    // Closed dominates, as in real life.
    const closed = rows.filter((r) => r.status === 'closed').length;
    expect(closed).toBeGreaterThan(CASES / 3);
  });

  it('gives every case a consistent, append-only event chain ending in its status', async () => {
    const cases = await database.db.selectFrom('cases').select(['id', 'ref', 'status', 'version']).execute();
    const rows = await database.db
      .selectFrom('case_events')
      .select(['case_id', 'seq', 'action', 'from_status', 'to_status', 'actor_role', 'at'])
      .orderBy('case_id')
      .orderBy('seq')
      .execute();
    const byCase = new Map<string, typeof rows>();
    for (const row of rows) byCase.set(row.case_id, [...(byCase.get(row.case_id) ?? []), row]);
    expect(byCase.size).toBe(cases.length);
    for (const c of cases) {
      const list = (byCase.get(c.id) ?? []).map((e) => ({ seq: e.seq, action: e.action, fromStatus: e.from_status, toStatus: e.to_status, at: e.at }));
      expectConsistentChain(list, c.status as CaseStatus, `case ${c.ref}`);
      // The case's version counts its events.
      expect(c.version, `case ${c.ref} version`).toBe(list.length);
      // Time runs forwards through the chain.
      for (let i = 1; i < list.length; i++) expect(list[i]!.at >= list[i - 1]!.at, `case ${c.ref} event ${i + 1} time`).toBe(true);
    }
    // The closing sweep brought reminders and supervision up to the present.
    expect(rows.some((r) => r.action === 'remind' || r.action === 'supervise')).toBe(true);
    for (const r of rows.filter((e) => e.action === 'remind' || e.action === 'supervise')) expect(r.actor_role).toBe('system');
  });

  it("dates every case and event no later than the demo's present", async () => {
    const present = NOW.toISOString();
    const late = await database.db
      .selectFrom('case_events')
      .innerJoin('cases', 'cases.id', 'case_events.case_id')
      .select(['cases.ref', 'cases.status', 'case_events.action', 'case_events.at'])
      .where('case_events.at', '>', present)
      .orderBy('case_events.at')
      .execute();
    expect(late, 'events dated after the present').toEqual([]);
    const cases = await database.db.selectFrom('cases').select(['ref', 'reported_at', 'updated_at']).where('updated_at', '>', present).execute();
    expect(cases, 'cases updated after the present').toEqual([]);
  });

  it('has rated closed cases, and every rating is on a closed case', async () => {
    const rated = await database.db.selectFrom('cases').select(['status', 'rating_score', 'closed_at']).where('rating_score', 'is not', null).execute();
    expect(rated.length).toBeGreaterThan(0);
    for (const r of rated) {
      expect(r.status).toBe('closed');
      expect(r.closed_at).not.toBeNull();
      expect(r.rating_score).toBeGreaterThanOrEqual(1);
      expect(r.rating_score).toBeLessThanOrEqual(5);
    }
    const rateEvents = await database.db.selectFrom('case_events').select(['data']).where('action', '=', 'rate').execute();
    expect(rateEvents.length).toBeGreaterThanOrEqual(rated.length);
    for (const e of rateEvents) expect(fromJson<{ score?: unknown }>(e.data, {}).score).toEqual(expect.any(Number));
  });

  it('keeps closed cases closed with a closure type and open cases without one', async () => {
    const rows = await database.db.selectFrom('cases').select(['status', 'closure_type', 'closed_at']).execute();
    for (const r of rows) {
      if (r.status === 'closed') {
        expect(r.closure_type).not.toBeNull();
        expect(r.closed_at).not.toBeNull();
      } else {
        expect(r.closure_type).toBeNull();
        expect(r.closed_at).toBeNull();
      }
    }
  });
});
