// Merging duplicates into a master case and separating them again (issue 3), through the services on
// both dialects: the merged case stops its clocks and follows the master; the reporter keeps the credit
// and the case in their list throughout; un-merge puts it back in the queue it left, with fresh clocks.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportInput } from '../../src/services/cases/report.js';
import { DIALECTS } from '../support/db.js';
import { act, actAfter, clocks, domainError, events, expectConsistentChain, record, reportInput, userId } from '../support/cases.js';
import { buildWorld, type World } from '../support/world.js';

describe.each(DIALECTS)('merge and un-merge ($name)', (dialect) => {
  let world: World;

  beforeAll(async () => {
    world = await buildWorld(dialect);
  });
  afterAll(() => world?.close());

  const report = async (username: string, overrides: Partial<ReportInput> = {}): Promise<string> =>
    (await world.services.reports.report(await world.as(username), await reportInput(world, username, overrides))).caseId;
  const filed = async (username: string): Promise<string> => {
    const id = await report(username);
    await act(world, 'dispatcher', id, 'accept');
    await act(world, 'dispatcher', id, 'file');
    return id;
  };
  const mine = async (username: string, id: string) => {
    const items = (await world.services.caseQueries.myReports(await world.as(username), 1, 100, 'zh-CN')).items;
    return items.find((c) => c.id === id);
  };
  const openClocks = async (id: string) => (await clocks(world, id)).filter((c) => c.completedAt === null);

  it('merges a filed case into another: merged, clocks stopped, the master named in the event', async () => {
    const master = await filed('solang');
    const dup = await filed('tenzin');
    expect((await openClocks(dup)).map((c) => c.stage)).toEqual(['dispatch']);
    const masterBefore = await record(world, master);

    await actAfter(world, 5, 'dispatcher', dup, 'merge', { masterCaseId: master, note: '同一个井盖' });

    const after = await record(world, dup);
    expect(after.status).toBe('merged');
    expect(after.masterCaseId).toBe(master);
    expect(after.reporterId).toBe(userId(world, 'tenzin'));
    expect(await openClocks(dup)).toEqual([]);
    const dispatch = (await clocks(world, dup)).find((c) => c.stage === 'dispatch')!;
    expect(dispatch.outcome).toBe('cancelled');
    const list = await events(world, dup);
    expectConsistentChain(list, 'merged', 'merged case');
    const merge = list.at(-1)!;
    expect(merge.action).toBe('merge');
    expect(merge.fromStatus).toBe('filed');
    expect(merge.data).toMatchObject({ masterCaseId: master, masterRef: masterBefore.ref });
    // The master is untouched.
    const masterAfter = await record(world, master);
    expect(masterAfter.status).toBe('filed');
    expect(masterAfter.version).toBe(masterBefore.version);
    expect(await world.services.ctx.uow.autocommit.cases.mergedInto(master)).toEqual([expect.objectContaining({ id: dup })]);
  });

  it('the merged reporter keeps the case, follows the master, and sees its later steps', async () => {
    const master = await filed('solang');
    const dup = await report('tenzin');
    await act(world, 'dispatcher', dup, 'merge', { masterCaseId: master });
    const masterRef = (await record(world, master)).ref;

    let view = await mine('tenzin', dup);
    expect(view?.mergedInto).toEqual({ id: master, ref: masterRef });
    expect(view?.status).toBe('filed');
    expect(view?.timeline.find((t) => t.action === 'merge')?.text).toContain(masterRef);

    await actAfter(world, 3, 'dispatcher', master, 'dispatch');
    await actAfter(world, 3, 'municipal', master, 'sign');
    view = await mine('tenzin', dup);
    expect(view?.status).toBe('signed');
    expect(view?.timeline.map((t) => t.action)).toEqual(['report', 'merge', 'dispatch', 'sign']);
    // Credit stays with tenzin: the case is still theirs.
    expect((await record(world, dup)).reporterId).toBe(userId(world, 'tenzin'));
  });

  it('refuses merging into itself (400), into a merged or closed case (409), and keeps the case as it was', async () => {
    const a = await filed('solang');
    const b = await filed('tenzin');
    const c = await filed('tenzin');
    await domainError(act(world, 'dispatcher', a, 'merge', { masterCaseId: a }), 'merge_into_self', 'invalid');

    await act(world, 'dispatcher', b, 'merge', { masterCaseId: c });
    await domainError(act(world, 'dispatcher', a, 'merge', { masterCaseId: b }), 'master_not_open', 'conflict');

    await act(world, 'dispatcher', c, 'close', { closureType: 'no_action_possible', reason: '已由产权单位自行修好' });
    await domainError(act(world, 'dispatcher', a, 'merge', { masterCaseId: c }), 'master_not_open', 'conflict');

    const rejected = await report('solang');
    await act(world, 'dispatcher', rejected, 'reject', { reason: '不在管辖范围' });
    await domainError(act(world, 'dispatcher', a, 'merge', { masterCaseId: rejected }), 'master_not_open', 'conflict');

    await domainError(act(world, 'dispatcher', a, 'merge', { masterCaseId: 'no-such-case' }), 'master_not_found', 'invalid');
    await domainError(act(world, 'dispatcher', a, 'merge', {}), 'master_required', 'invalid');

    expect((await record(world, a)).status).toBe('filed');
    expect((await events(world, a)).map((e) => e.action)).toEqual(['report', 'accept', 'file']);
  });

  it('only staff merge: a rider may not merge their own case, and a Zhaxi case is not a master Najin can see', async () => {
    const a = await report('solang');
    const b = await report('solang');
    await domainError(act(world, 'solang', a, 'merge', { masterCaseId: b }), 'role_not_allowed', 'forbidden');
    const zhaxi = await report('pema', { lat: world.zhaxiPoint.lat, lon: world.zhaxiPoint.lon });
    await domainError(act(world, 'dispatcher', a, 'merge', { masterCaseId: zhaxi }), 'master_not_found', 'invalid');
    expect((await record(world, a)).status).toBe('reported');
  });

  it('un-merges a case merged when filed back to filed, with a fresh dispatch clock', async () => {
    const master = await filed('solang');
    const dup = await filed('tenzin');
    await act(world, 'dispatcher', dup, 'merge', { masterCaseId: master });
    await domainError(act(world, 'dispatcher', dup, 'unmerge', {}), 'reason_required', 'invalid');

    world.clock.advance(30);
    const now = world.clock.now().toISOString();
    await act(world, 'dispatcher', dup, 'unmerge', { reason: '不是同一个井盖,相隔一条街' });

    const after = await record(world, dup);
    expect(after.status).toBe('filed');
    expect(after.masterCaseId).toBeNull();
    const open = await openClocks(dup);
    expect(open.map((c) => c.stage)).toEqual(['dispatch']);
    expect(open[0]!.startedAt).toBe(now);
    expect(open[0]!.round).toBeGreaterThan(1);
    expectConsistentChain(await events(world, dup), 'filed', 'un-merged case');

    const view = await mine('tenzin', dup);
    expect(view?.mergedInto).toBeNull();
    expect(view?.status).toBe('filed');
    expect(view?.timeline.map((t) => t.action).slice(-2)).toEqual(['merge', 'unmerge']);
    // Back in the queue: it can be dispatched on its own.
    await act(world, 'dispatcher', dup, 'dispatch');
    expect((await record(world, dup)).status).toBe('dispatched');
  });

  it('un-merges a case merged while still reported back to reported, with fresh accept and dispatch clocks', async () => {
    const master = await report('solang');
    const dup = await report('tenzin');
    await act(world, 'dispatcher', dup, 'merge', { masterCaseId: master });
    expect(await openClocks(dup)).toEqual([]);
    const cancelled = (await clocks(world, dup)).filter((c) => c.outcome === 'cancelled').map((c) => c.stage).sort();
    expect(cancelled).toEqual(['accept', 'dispatch']);

    world.clock.advance(10);
    await act(world, 'dispatcher', dup, 'unmerge', { reason: '不是同一个问题' });
    const after = await record(world, dup);
    expect(after.status).toBe('reported');
    expect((await openClocks(dup)).map((c) => c.stage).sort()).toEqual(['accept', 'dispatch']);
    await act(world, 'dispatcher', dup, 'accept');
    expect((await record(world, dup)).status).toBe('accepted');
  });

  it('the merged case stays in its reporter’s list before, during and after the merge', async () => {
    const master = await filed('solang');
    const dup = await report('tenzin');
    const listed = async () => (await mine('tenzin', dup)) !== undefined;
    expect(await listed()).toBe(true);
    await act(world, 'dispatcher', dup, 'merge', { masterCaseId: master });
    expect(await listed()).toBe(true);
    await act(world, 'dispatcher', dup, 'unmerge', { reason: '不同的问题' });
    expect(await listed()).toBe(true);
    // And the dispatcher still lists it throughout.
    const ids = (await world.services.caseQueries.list(await world.as('dispatcher'), { status: ['reported'], pageSize: 100 })).items.map((c) => c.id);
    expect(ids).toContain(dup);
  });
});
