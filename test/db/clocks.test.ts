// Deadline clocks as they are stored and recorded: due times per urgency from the default SLA, restarts on
// return and rework, extensions, working-day categories, urgency changes when filing, and the clock
// values each event records.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SLA } from '../../src/domain/deadlines.js';
import { URGENCIES, type Stage, type Urgency } from '../../src/domain/types.js';
import type { ClockRow, EventRecord } from '../../src/domain/records.js';
import { DIALECTS } from '../support/db.js';
import { MINUTE, act, actAfter, clock, clocks, domainError, eventRows, events, plus, record, snapshotOf, staffView } from '../support/cases.js';
import { buildWorld, type World } from '../support/world.js';

/** The due time the default SLA gives a clock of `stage` started at `stageStart` (round 1 unless told). */
function defaultDue(urgency: Urgency, stage: Stage, stageStart: string, reportedAt: string, round = 1): string {
  const limit = DEFAULT_SLA[urgency].stages[stage];
  return plus(limit.from === 'report' && round === 1 ? reportedAt : stageStart, limit.minutes);
}

/**
 * Each event's clock snapshot lists exactly the clocks open after it plus those it stopped, with the
 * due time they had then. Clocks whose due time moved later (extensions) are checked by the caller.
 */
function expectSnapshotsMatch(list: EventRecord[], rows: ClockRow[]): void {
  for (const e of list) {
    const expected = rows
      .filter((k) => k.startedAt <= e.at && (k.completedAt === null || k.completedAt >= e.at))
      .map((k) => `${k.stage}#${k.round}`)
      .sort();
    const snapshot = snapshotOf(e);
    expect(snapshot.map((s) => `${s.stage}#${s.round}`).sort(), `clocks recorded by ${e.action} (seq ${e.seq})`).toEqual(expected);
    for (const s of snapshot) {
      const row = rows.find((k) => k.stage === s.stage && k.round === s.round)!;
      if (row.dueAt === row.originalDueAt) expect(s.dueAt, `${s.stage}#${s.round} due as recorded by ${e.action}`).toBe(row.dueAt);
      else expect([row.originalDueAt, row.dueAt]).toContain(s.dueAt);
      if (row.completedAt === e.at) expect(s).toMatchObject({ completedAt: e.at, outcome: row.outcome });
      else expect(s).toMatchObject({ completedAt: null, outcome: null });
    }
  }
}

describe.each(DIALECTS)('deadline clocks ($name)', (dialect) => {
  let world: World;

  beforeAll(async () => {
    world = await buildWorld(dialect);
  });
  afterAll(() => world?.close());

  const now = () => world.clock.now().toISOString();
  const rubbish = (username = 'solang', urgency?: Urgency) =>
    world.report(username, { categoryId: world.category('01-002').id, description: '垃圾桶满了好几天没人拉', ...(urgency ? { urgency } : {}) });

  describe.each(URGENCIES)('an %s case', (urgency) => {
    it('gets accept, dispatch, sign, resolve, verify and close due times from the default SLA', async () => {
      world.clock.set('2025-06-02T02:00:00.000Z');
      const caseId = await rubbish('solang', urgency);
      const reportedAt = now();
      expect((await record(world, caseId)).urgency).toBe(urgency);
      expect((await clock(world, caseId, 'accept')).dueAt).toBe(defaultDue(urgency, 'accept', reportedAt, reportedAt));
      expect((await clock(world, caseId, 'dispatch')).dueAt).toBe(defaultDue(urgency, 'dispatch', reportedAt, reportedAt));
      if (urgency === 'normal') {
        // General cases: dispatched within 24 h of the report; the reminder comes a fifth of the time before.
        expect((await clock(world, caseId, 'dispatch')).dueAt).toBe('2025-06-03T02:00:00.000Z');
        expect((await clock(world, caseId, 'accept')).remindAt).toBe(plus(reportedAt, 4 * 60 - 48));
      }

      await actAfter(world, 1, 'dispatcher', caseId, 'accept');
      await actAfter(world, 1, 'dispatcher', caseId, 'file');
      await actAfter(world, 1, 'dispatcher', caseId, 'dispatch');
      const dispatchedAt = now();
      expect(await clock(world, caseId, 'dispatch')).toMatchObject({ completedAt: dispatchedAt, outcome: 'met' });
      expect((await clock(world, caseId, 'sign')).dueAt).toBe(defaultDue(urgency, 'sign', dispatchedAt, reportedAt));
      expect((await clock(world, caseId, 'resolve')).dueAt).toBe(defaultDue(urgency, 'resolve', dispatchedAt, reportedAt));
      if (urgency === 'emergency') expect((await clock(world, caseId, 'resolve')).dueAt).toBe(plus(reportedAt, 30));
      if (urgency === 'normal') expect((await clock(world, caseId, 'resolve')).dueAt).toBe(plus(dispatchedAt, 7 * 24 * 60));

      await actAfter(world, 1, 'urban', caseId, 'sign');
      await actAfter(world, 1, 'urban', caseId, 'resolve', { note: '已清运', media: [await world.photo('urban')] });
      const resolvedAt = now();
      expect(await clock(world, caseId, 'resolve')).toMatchObject({ completedAt: resolvedAt, outcome: 'met' });
      expect((await clock(world, caseId, 'verify')).dueAt).toBe(defaultDue(urgency, 'verify', resolvedAt, reportedAt));
      await actAfter(world, 1, 'dispatcher', caseId, 'verify');
      expect((await clock(world, caseId, 'close')).dueAt).toBe(defaultDue(urgency, 'close', now(), reportedAt));
      await actAfter(world, 1, 'dispatcher', caseId, 'close', { closureType: 'fixed' });

      const rows = await clocks(world, caseId);
      expect(rows.map((k) => [k.stage, k.round, k.outcome]).sort()).toEqual(
        [
          ['accept', 1, 'met'],
          ['close', 1, 'met'],
          ['dispatch', 1, 'met'],
          ['resolve', 1, 'met'],
          ['sign', 1, 'met'],
          ['verify', 1, 'met'],
        ].sort(),
      );
      expectSnapshotsMatch(await events(world, caseId), rows);
    });
  });

  it('restarts the dispatch clock from the moment a department returns the case', async () => {
    world.clock.set('2025-06-03T02:00:00.000Z');
    const caseId = await rubbish();
    const reportedAt = now();
    await actAfter(world, 5, 'dispatcher', caseId, 'accept');
    await actAfter(world, 5, 'dispatcher', caseId, 'file');
    await actAfter(world, 5, 'dispatcher', caseId, 'dispatch');
    world.clock.advance(20 * 60);
    await act(world, 'urban', caseId, 'return', { reason: '不属于本部门' });
    const returnedAt = now();

    expect(await clock(world, caseId, 'dispatch', 1)).toMatchObject({ dueAt: plus(reportedAt, 24 * 60), outcome: 'met' });
    expect(await clock(world, caseId, 'sign', 1)).toMatchObject({ completedAt: returnedAt, outcome: 'cancelled' });
    expect(await clock(world, caseId, 'resolve', 1)).toMatchObject({ completedAt: returnedAt, outcome: 'cancelled' });
    // Round 2 counts 24 h from the return, not from the report (which would leave 4 h).
    expect(await clock(world, caseId, 'dispatch', 2)).toMatchObject({ startedAt: returnedAt, dueAt: plus(returnedAt, 24 * 60), completedAt: null });

    await actAfter(world, 30, 'dispatcher', caseId, 'dispatch', { departmentId: world.department('nj-municipal').id });
    const redispatchedAt = now();
    expect(await clock(world, caseId, 'dispatch', 2)).toMatchObject({ completedAt: redispatchedAt, outcome: 'met' });
    expect(await clock(world, caseId, 'sign', 2)).toMatchObject({ startedAt: redispatchedAt, dueAt: plus(redispatchedAt, 4 * 60) });
    expect(await clock(world, caseId, 'resolve', 2)).toMatchObject({ startedAt: redispatchedAt, dueAt: plus(redispatchedAt, 7 * 24 * 60) });
    expectSnapshotsMatch(await events(world, caseId), await clocks(world, caseId));
  });

  it('opens a second resolve clock when verification sends the work back', async () => {
    world.clock.set('2025-06-04T02:00:00.000Z');
    for (const urgency of ['normal', 'emergency'] as const) {
      const caseId = await world.report('solang', { categoryId: world.category('01-003').id, urgency });
      const reportedAt = now();
      await actAfter(world, 1, 'dispatcher', caseId, 'accept');
      await actAfter(world, 1, 'dispatcher', caseId, 'file');
      await actAfter(world, 1, 'dispatcher', caseId, 'dispatch');
      await actAfter(world, 1, 'municipal', caseId, 'sign');
      await actAfter(world, 10, 'municipal', caseId, 'resolve', { note: '已更换', media: [await world.photo('municipal')] });
      await actAfter(world, 10, 'dispatcher', caseId, 'rework', { reason: '仍松动' });
      const reworkAt = now();
      expect(await clock(world, caseId, 'resolve', 1)).toMatchObject({ outcome: 'met' });
      expect(await clock(world, caseId, 'verify', 1)).toMatchObject({ completedAt: reworkAt, outcome: 'met' });
      const second = await clock(world, caseId, 'resolve', 2);
      // A limit counted from the report applies to the first round only.
      const limit = urgency === 'normal' ? 7 * 24 * 60 : 30;
      expect(second, urgency).toMatchObject({ startedAt: reworkAt, dueAt: plus(reworkAt, limit), originalDueAt: plus(reworkAt, limit), completedAt: null });
      if (urgency === 'emergency') expect(second.dueAt).not.toBe(plus(reportedAt, 30));
      expect((await record(world, caseId)).status).toBe('handling');
      expectSnapshotsMatch(await events(world, caseId), await clocks(world, caseId));
    }
  });

  it('pushes the resolve due time back by an approved extension and keeps the original', async () => {
    world.clock.set('2025-06-05T02:00:00.000Z');
    const caseId = await rubbish();
    await actAfter(world, 1, 'dispatcher', caseId, 'accept');
    await actAfter(world, 1, 'dispatcher', caseId, 'file');
    await actAfter(world, 1, 'dispatcher', caseId, 'dispatch');
    const due = (await clock(world, caseId, 'resolve')).dueAt;
    await actAfter(world, 10, 'urban', caseId, 'sign');
    await actAfter(world, 60, 'urban', caseId, 'request-extension', { reason: '需要协调环卫车辆', minutes: 2 * 24 * 60 });
    // Asking changes nothing yet.
    expect((await clock(world, caseId, 'resolve')).dueAt).toBe(due);
    expect((await record(world, caseId)).pendingExtension).toMatchObject({ minutes: 2 * 24 * 60, reason: '需要协调环卫车辆' });
    await actAfter(world, 30, 'supervisor', caseId, 'approve-extension');

    const extended = await clock(world, caseId, 'resolve');
    expect(extended).toMatchObject({ round: 1, dueAt: plus(due, 2 * 24 * 60), originalDueAt: due, completedAt: null });
    expect((await record(world, caseId)).pendingExtension).toBeNull();
    const list = await events(world, caseId);
    const recorded = (action: string) => snapshotOf(list.find((e) => e.action === action)!).find((s) => s.stage === 'resolve')?.dueAt;
    expect(recorded('dispatch')).toBe(due);
    expect(recorded('request-extension')).toBe(due);
    expect(recorded('approve-extension')).toBe(plus(due, 2 * 24 * 60));
    const view = await staffView(world, 'dispatcher', caseId);
    expect(view.clocks.find((c) => c.stage === 'resolve')).toMatchObject({ dueAt: plus(due, 2 * 24 * 60), originalDueAt: due, state: 'running' });
    expectSnapshotsMatch(list, await clocks(world, caseId));

    // A denied request leaves the due time where it was.
    await actAfter(world, 10, 'urban', caseId, 'request-extension', { reason: '还需要一天', minutes: 24 * 60 });
    await actAfter(world, 10, 'dispatcher', caseId, 'deny-extension', { reason: '不批准' });
    expect((await clock(world, caseId, 'resolve')).dueAt).toBe(plus(due, 2 * 24 * 60));
  });

  it('refuses an extension asked for after the resolve deadline', async () => {
    world.clock.set('2025-06-06T02:00:00.000Z');
    const caseId = await rubbish('tenzin', 'urgent');
    await actAfter(world, 1, 'dispatcher', caseId, 'accept');
    await actAfter(world, 1, 'dispatcher', caseId, 'file');
    await actAfter(world, 1, 'dispatcher', caseId, 'dispatch');
    await actAfter(world, 1, 'urban', caseId, 'sign');
    const due = (await clock(world, caseId, 'resolve')).dueAt;
    world.clock.set(plus(due, 1));
    const before = await eventRows(world.database, caseId);
    const error = await domainError(act(world, 'urban', caseId, 'request-extension', { reason: '来不及了', minutes: 60 }), 'extension_after_deadline', 'conflict');
    expect(error.details).toEqual({ dueAt: due });
    expect(await eventRows(world.database, caseId)).toEqual(before);
    expect((await record(world, caseId)).pendingExtension).toBeNull();
    expect((await clock(world, caseId, 'resolve')).dueAt).toBe(due);
  });

  describe('a category counted in working days (道路破损 02-081)', () => {
    it('counts normal limits on working days only, skipping the weekend', async () => {
      const category = world.category('02-081');
      expect(category.sla?.normal?.unit).toBe('working');
      // Friday 23:00 in Lhasa.
      world.clock.set('2025-06-06T15:00:00.000Z');
      const caseId = await world.report('solang', { categoryId: category.id, description: '路面塌了一个大坑', urgency: 'normal' });
      // 1 h left on Friday, then Monday from midnight.
      expect((await clock(world, caseId, 'accept')).dueAt).toBe('2025-06-08T19:00:00.000Z');
      expect((await clock(world, caseId, 'dispatch')).dueAt).toBe('2025-06-09T15:00:00.000Z');
      // Other urgencies keep the calendar defaults.
      const urgent = await world.report('solang', { categoryId: category.id, description: '路面塌了一个大坑', urgency: 'urgent' });
      expect((await clock(world, urgent, 'accept')).dueAt).toBe(plus('2025-06-06T15:00:00.000Z', 30));
    });

    it('gives 15 working days to resolve, skipping weekends and the holidays of the calendar', async () => {
      const work = async () => {
        // Wednesday 7 May 2025, dispatched at 21:00 in Lhasa.
        world.clock.set('2025-05-07T12:57:00.000Z');
        const caseId = await world.report('tenzin', { categoryId: world.category('02-081').id, description: '这段路坑坑洼洼的' });
        await actAfter(world, 1, 'dispatcher', caseId, 'accept');
        await actAfter(world, 1, 'dispatcher', caseId, 'file');
        await actAfter(world, 1, 'dispatcher', caseId, 'dispatch');
        expect(now()).toBe('2025-05-07T13:00:00.000Z');
        return caseId;
      };
      const plain = await work();
      // Three weeks: 15 working days with two weekends in between.
      expect((await clock(world, plain, 'resolve')).dueAt).toBe('2025-05-28T13:00:00.000Z');
      // Sign within 4 working hours: 3 h on Wednesday, 1 h on Thursday.
      expect((await clock(world, plain, 'sign')).dueAt).toBe('2025-05-07T17:00:00.000Z');

      const reference = world.services.ctx.uow.autocommit.reference;
      await reference.setCalendarDay('2025-05-12', 'holiday');
      await reference.setCalendarDay('2025-05-13', 'holiday');
      await reference.setCalendarDay('2025-05-17', 'workday'); // a Saturday worked in exchange (调休)
      world.services.ctx.invalidate();

      const withHolidays = await work();
      // Two holidays push it two working days later, the Saturday worked pulls it one back.
      expect((await clock(world, withHolidays, 'resolve')).dueAt).toBe('2025-05-29T13:00:00.000Z');
      // Stored clocks of the earlier case are not rewritten by a calendar change.
      expect((await clock(world, plain, 'resolve')).dueAt).toBe('2025-05-28T13:00:00.000Z');
    });
  });

  it('recomputes open due times when filing changes the urgency', async () => {
    world.clock.set('2025-06-10T02:00:00.000Z');
    const caseId = await rubbish('solang', 'normal');
    const reportedAt = now();
    expect((await clock(world, caseId, 'dispatch')).dueAt).toBe(plus(reportedAt, 24 * 60));
    await actAfter(world, 10, 'dispatcher', caseId, 'accept');
    await actAfter(world, 10, 'dispatcher', caseId, 'file', { urgency: 'urgent' });
    expect((await record(world, caseId)).urgency).toBe('urgent');
    const dispatch = await clock(world, caseId, 'dispatch');
    expect(dispatch).toMatchObject({ dueAt: plus(reportedAt, 2 * 60), originalDueAt: plus(reportedAt, 2 * 60), startedAt: reportedAt, completedAt: null });
    expect(dispatch.remindAt < dispatch.dueAt).toBe(true);
    // The accept clock had already stopped: it keeps the time it was held to.
    expect(await clock(world, caseId, 'accept')).toMatchObject({ dueAt: plus(reportedAt, 4 * 60), outcome: 'met' });
    const list = await events(world, caseId);
    const recorded = (action: string) => snapshotOf(list.find((e) => e.action === action)!).find((s) => s.stage === 'dispatch')?.dueAt;
    expect(recorded('report')).toBe(plus(reportedAt, 24 * 60));
    expect(recorded('accept')).toBe(plus(reportedAt, 24 * 60));
    expect(recorded('file')).toBe(plus(reportedAt, 2 * 60));
    // Later clocks follow the new urgency.
    await actAfter(world, 10, 'dispatcher', caseId, 'dispatch');
    expect((await clock(world, caseId, 'sign')).dueAt).toBe(plus(now(), 30));
    expect((await clock(world, caseId, 'resolve')).dueAt).toBe(plus(now(), 24 * 60));
  });

  it('shows a case as overdue at once when filing as an emergency puts the dispatch deadline in the past', async () => {
    world.clock.set('2025-06-11T02:00:00.000Z');
    const caseId = await rubbish('solang', 'normal');
    const reportedAt = now();
    await actAfter(world, 10, 'dispatcher', caseId, 'accept');
    await actAfter(world, 10, 'dispatcher', caseId, 'file', { urgency: 'emergency' });
    expect((await clock(world, caseId, 'dispatch')).dueAt).toBe(plus(reportedAt, 10));
    const view = await staffView(world, 'dispatcher', caseId);
    expect(view.overdue).toBe(true);
    const dispatch = view.clocks.find((c) => c.stage === 'dispatch')!;
    expect(dispatch.state).toBe('overdue');
    expect(dispatch.remainingMs).toBe(-10 * MINUTE);
    // Dispatching late stops the clock as late.
    await actAfter(world, 1, 'dispatcher', caseId, 'dispatch');
    expect(await clock(world, caseId, 'dispatch')).toMatchObject({ outcome: 'late' });
  });

  it('records the clock values of every step of a long walk in its event', async () => {
    world.clock.set('2025-06-12T02:00:00.000Z');
    const caseId = await rubbish('tenzin', 'normal');
    const steps: [string, Parameters<typeof act>[3], Parameters<typeof act>[4]][] = [
      ['dispatcher', 'accept', {}],
      ['dispatcher', 'file', {}],
      ['dispatcher', 'dispatch', {}],
      ['urban', 'return', { reason: '不归我们' }],
      ['dispatcher', 'dispatch', { departmentId: world.department('nj-urban').id }],
      ['urban', 'sign', {}],
      ['urban', 'start', {}],
      ['urban', 'request-extension', { reason: '等车', minutes: 600 }],
      ['supervisor', 'approve-extension', {}],
      ['urban', 'resolve', { note: '已清运', media: [await world.photo('urban')] }],
      ['dispatcher', 'rework', { reason: '没清干净' }],
      ['urban', 'resolve', { note: '已清干净', media: [await world.photo('urban')] }],
      ['dispatcher', 'verify', {}],
      ['dispatcher', 'close', { closureType: 'fixed' }],
    ];
    for (const [username, action, input] of steps) await actAfter(world, 45, username, caseId, action, input);
    const rows = await clocks(world, caseId);
    const list = await events(world, caseId);
    expectSnapshotsMatch(list, rows);
    // Every clock is stopped once the case is closed.
    expect(rows.every((k) => k.completedAt !== null)).toBe(true);
    expect(rows.map((k) => `${k.stage}#${k.round}`).sort()).toEqual(
      ['accept#1', 'close#1', 'dispatch#1', 'dispatch#2', 'resolve#1', 'resolve#2', 'resolve#3', 'sign#1', 'sign#2', 'verify#1', 'verify#2'].sort(),
    );
    // The extended clock: requested with the original due time, approved with the new one.
    const extended = rows.find((k) => k.stage === 'resolve' && k.round === 2)!;
    expect(extended.dueAt).toBe(plus(extended.originalDueAt, 600));
    const resolveDue = (action: string) => snapshotOf(list.find((e) => e.action === action)!).find((s) => s.stage === 'resolve' && s.round === 2)?.dueAt;
    expect(resolveDue('request-extension')).toBe(extended.originalDueAt);
    expect(resolveDue('approve-extension')).toBe(extended.dueAt);
  });
});
