// The deadline sweep: one reminder (催办) per clock once its reminder time has come, one supervision (督办)
// once it is overdue, written by the system; never twice, not even when two sweeps run at once.

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServices, type Services } from '../../src/compose.js';
import { connect } from '../../src/storage/db.js';
import { DIALECTS } from '../support/db.js';
import { act, actAfter, clock, clocks, events, expectConsistentChain, plus, record } from '../support/cases.js';
import { MemoryMediaStore, buildWorld, type World } from '../support/world.js';

const T = '2025-05-07T13:00:00.000Z';

describe.each(DIALECTS)('the deadline sweep ($name)', (dialect) => {
  let world: World;

  beforeAll(async () => {
    world = await buildWorld(dialect, T);
  });
  afterAll(() => world?.close());

  const systemEvents = async (caseId: string) => (await events(world, caseId)).filter((e) => e.action === 'remind' || e.action === 'supervise');
  const countSystemEvents = async () => {
    const row = await world.database.db
      .selectFrom('case_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('action', 'in', ['remind', 'supervise'])
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  /** Run sweeps at `at`; their results add up to the events they wrote. */
  const sweepAt = async (at: string, sweeps: (() => Promise<{ reminded: number; supervised: number }>)[] = [() => world.services.sweep.run()]) => {
    world.clock.set(at);
    const before = await countSystemEvents();
    const results = await Promise.all(sweeps.map((run) => run()));
    const reminded = results.reduce((n, r) => n + r.reminded, 0);
    const supervised = results.reduce((n, r) => n + r.supervised, 0);
    expect(await countSystemEvents()).toBe(before + reminded + supervised);
    return { reminded, supervised };
  };
  const rubbish = (username = 'solang') => world.report(username, { categoryId: world.category('01-002').id, description: '垃圾桶满了' });

  it('reminds once when the reminder time comes and supervises once when overdue, as the system', async () => {
    world.clock.set(T);
    const waiting = await rubbish();
    const accepted = await rubbish('tenzin');
    const rejected = await rubbish('tenzin');
    await actAfter(world, 10, 'dispatcher', accepted, 'accept');
    await act(world, 'dispatcher', rejected, 'reject', { reason: '重复上报' });
    const accept = await clock(world, waiting, 'accept');
    // Normal: accept due in 4 h, reminded 48 min before.
    expect(accept.remindAt).toBe(plus(T, 3 * 60 + 12));

    await sweepAt(plus(T, 3 * 60));
    expect(await systemEvents(waiting)).toEqual([]);

    const first = await sweepAt(plus(T, 3 * 60 + 30));
    expect(first.reminded).toBeGreaterThanOrEqual(1);
    const reminded = await systemEvents(waiting);
    expect(reminded).toHaveLength(1);
    expect(reminded[0]).toMatchObject({
      seq: 2,
      action: 'remind',
      actorId: null,
      actorRole: 'system',
      at: plus(T, 3 * 60 + 30),
      fromStatus: 'reported',
      toStatus: 'reported',
      data: { stage: 'accept', round: 1, dueAt: accept.dueAt, departmentId: null },
    });
    expect(await clock(world, waiting, 'accept')).toMatchObject({ remindedAt: plus(T, 3 * 60 + 30), supervisedAt: null });

    // Again, and a minute later: nothing new.
    expect(await sweepAt(plus(T, 3 * 60 + 30))).toEqual({ reminded: 0, supervised: 0 });
    expect(await sweepAt(plus(T, 3 * 60 + 31))).toEqual({ reminded: 0, supervised: 0 });
    expect(await systemEvents(waiting)).toHaveLength(1);

    await sweepAt(plus(T, 4 * 60 + 30));
    const supervised = (await systemEvents(waiting)).filter((e) => e.action === 'supervise');
    expect(supervised).toHaveLength(1);
    expect(supervised[0]).toMatchObject({ actorId: null, actorRole: 'system', data: { stage: 'accept', round: 1, dueAt: accept.dueAt, overdueMinutes: 30 } });
    expect(await sweepAt(plus(T, 4 * 60 + 40))).toEqual({ reminded: 0, supervised: 0 });

    // The dispatch clock (24 h from the report) follows: reminded 4.8 h before, then supervised.
    await sweepAt(plus(T, 20 * 60));
    await sweepAt(plus(T, 25 * 60));
    await sweepAt(plus(T, 26 * 60));
    expect((await systemEvents(waiting)).map((e) => `${e.action} ${String(e.data.stage)}`)).toEqual(['remind accept', 'supervise accept', 'remind dispatch', 'supervise dispatch']);
    const all = await events(world, waiting);
    expectConsistentChain(all, 'reported', 'the waiting case');
    expect((await record(world, waiting)).version).toBe(all.length);

    // Stopped clocks are never reminded nor supervised: the accepted case only hears about dispatch.
    expect((await systemEvents(accepted)).map((e) => `${e.action} ${String(e.data.stage)}`)).toEqual(['remind dispatch', 'supervise dispatch']);
    expect(await systemEvents(rejected)).toEqual([]);
    expect((await clock(world, rejected, 'accept')).remindedAt).toBeNull();

    // Work goes on after the sweep: the next action continues the chain and stops the clock as late.
    await act(world, 'dispatcher', waiting, 'accept');
    expectConsistentChain(await events(world, waiting), 'accepted', 'accepted after the sweep');
    expect(await clock(world, waiting, 'accept')).toMatchObject({ outcome: 'late' });
  });

  it('names the department under supervision once the case is dispatched, and keeps the reporter out of it', async () => {
    world.clock.set(plus(T, 2 * 24 * 60));
    const caseId = await rubbish();
    await actAfter(world, 1, 'dispatcher', caseId, 'accept');
    await actAfter(world, 1, 'dispatcher', caseId, 'file');
    await actAfter(world, 1, 'dispatcher', caseId, 'dispatch');
    const sign = await clock(world, caseId, 'sign');
    await sweepAt(plus(sign.dueAt, 1));
    const supervise = (await systemEvents(caseId)).find((e) => e.action === 'supervise' && e.data.stage === 'sign');
    expect(supervise?.data.departmentId).toBe(world.department('nj-urban').id);
    expect(supervise?.toStatus).toBe('dispatched');
    // The rider's timeline is about their report, not internal chasing.
    const mine = await world.services.caseQueries.myReports(await world.as('solang'), 1, 50, 'zh-CN');
    const timeline = mine.items.find((c) => c.id === caseId)!.timeline;
    expect(timeline.map((t) => t.action)).toEqual(['report', 'accept', 'file', 'dispatch']);
  });

  it('chases an extended deadline like a new one: reminded before it, supervised when it is missed too', async () => {
    world.clock.set(plus(T, 3 * 24 * 60));
    const caseId = await world.report('tenzin', { categoryId: world.category('01-002').id, description: '垃圾桶满了', urgency: 'urgent' });
    await actAfter(world, 1, 'dispatcher', caseId, 'accept');
    await actAfter(world, 1, 'dispatcher', caseId, 'file');
    await actAfter(world, 1, 'dispatcher', caseId, 'dispatch');
    await actAfter(world, 1, 'urban', caseId, 'sign');
    const due = (await clock(world, caseId, 'resolve')).dueAt;
    // Asked in time; the deadline passes while the approval waits, and the sweep supervises it.
    world.clock.set(plus(due, -60));
    await act(world, 'urban', caseId, 'request-extension', { reason: '需要协调环卫车辆', minutes: 24 * 60 });
    await sweepAt(plus(due, 10));
    const about = async (action: string) => (await systemEvents(caseId)).filter((e) => e.action === action && e.data.stage === 'resolve');
    expect(await about('supervise')).toHaveLength(1);
    world.clock.set(plus(due, 20));
    await act(world, 'supervisor', caseId, 'approve-extension');
    const extended = plus(due, 24 * 60);
    expect((await clock(world, caseId, 'resolve')).dueAt).toBe(extended);

    // The new deadline gets its reminder...
    await sweepAt(plus(extended, -60));
    expect((await about('remind')).map((e) => e.data.dueAt)).toEqual([extended]);
    // ...and, once it is missed as well, its supervision.
    await sweepAt(plus(extended, 30));
    expect((await about('supervise')).map((e) => e.data.dueAt)).toEqual([due, extended]);
    expectConsistentChain(await events(world, caseId), 'signed', 'the extended case');
  });

  it('writes exactly one event per clock when two sweeps run at the same time', async () => {
    const start = plus(T, 5 * 24 * 60);
    world.clock.set(start);
    const ids: string[] = [];
    for (const urgency of ['normal', 'urgent', 'emergency', 'normal', 'urgent', 'emergency', 'normal', 'urgent'] as const) {
      ids.push(await world.report(urgency === 'normal' ? 'solang' : 'tenzin', { categoryId: world.category('01-002').id, description: '垃圾桶满了', urgency }));
      world.clock.advance(1);
    }
    // Some of them move on, so that their next clocks run too.
    for (const id of ids.slice(0, 3)) await act(world, 'dispatcher', id, 'accept');

    let other: { services: Services; close(): Promise<void> } | undefined;
    if (dialect.name === 'postgres') {
      // A second process: its own pool on the same schema.
      const { rows } = await sql<{ current_schema: string }>`select current_schema()`.execute(world.database.db);
      const database = connect(dialect.url, { schema: rows[0]!.current_schema, poolSize: 5 });
      other = { services: buildServices(database, { clock: world.clock, mediaStore: new MemoryMediaStore() }), close: () => database.close() };
    }
    const second = other?.services ?? world.services;
    try {
      const twice = [() => world.services.sweep.run(), () => second.sweep.run()];
      for (const minutes of [20, 3 * 60 + 30, 6 * 60, 30 * 60]) {
        const result = await sweepAt(plus(start, minutes), twice);
        // One more pair finds nothing left to do.
        expect(await sweepAt(plus(start, minutes), twice), `second pair at +${minutes} min`).toEqual({ reminded: 0, supervised: 0 });
        expect(result.reminded + result.supervised, `sweeps at +${minutes} min`).toBeGreaterThan(0);
      }
    } finally {
      await other?.close();
    }

    for (const id of ids) {
      const list = await events(world, id);
      expectConsistentChain(list, (await record(world, id)).status, `case ${id}`);
      for (const k of await clocks(world, id)) {
        const about = list.filter((e) => e.data.stage === k.stage && e.data.round === k.round);
        expect(about.filter((e) => e.action === 'remind'), `${k.stage}#${k.round} reminders`).toHaveLength(k.remindedAt ? 1 : 0);
        expect(about.filter((e) => e.action === 'supervise'), `${k.stage}#${k.round} supervisions`).toHaveLength(k.supervisedAt ? 1 : 0);
        if (k.completedAt === null) expect(k.supervisedAt, `${k.stage}#${k.round} is overdue by now`).not.toBeNull();
      }
    }
  });
});
