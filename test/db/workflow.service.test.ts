// The whole loop through the services, with every side road: return, extension, rework, a dissatisfied
// rating and a reopen. Events are append-only: numbered 1..n, each starting where the last ended, and
// never changed once written.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseStatus } from '../../src/domain/types.js';
import type { Action, ActionInput } from '../../src/domain/workflow.js';
import type { CaseEventTable } from '../../src/storage/schema.js';
import { DIALECTS } from '../support/db.js';
import { act, countEvents, domainError, eventRows, events, expectConsistentChain, record, userId, staffView } from '../support/cases.js';
import { buildWorld, type World } from '../support/world.js';

describe.each(DIALECTS)('a case worked through the whole loop ($name)', (dialect) => {
  let world: World;

  beforeAll(async () => {
    world = await buildWorld(dialect);
  });
  afterAll(() => world?.close());

  const department = (code: string) => world.department(code).id;

  it('keeps one consistent, append-only chain of events through a long walk', async () => {
    const caseId = await world.report('solang');
    const snapshots: CaseEventTable[][] = [await eventRows(world.database, caseId)];
    const walk: [username: string, action: Action, input: ActionInput | (() => Promise<ActionInput>), status: CaseStatus][] = [
      ['dispatcher', 'accept', {}, 'accepted'],
      ['dispatcher', 'file', { urgency: 'normal' }, 'filed'],
      ['dispatcher', 'dispatch', {}, 'dispatched'],
      ['municipal', 'return', { reason: '这是路灯线路问题,不归市政维护站' }, 'returned'],
      ['dispatcher', 'dispatch', { departmentId: department('nj-municipal'), assistingDepartmentIds: [department('nj-urban')] }, 'dispatched'],
      ['municipal', 'sign', {}, 'signed'],
      ['municipal', 'start', {}, 'handling'],
      ['municipal', 'request-extension', { reason: '需要采购配件', minutes: 120 }, 'handling'],
      ['supervisor', 'approve-extension', {}, 'handling'],
      ['municipal', 'resolve', async () => ({ note: '已更换井盖', media: [await world.photo('municipal')] }), 'resolved'],
      ['dispatcher', 'rework', { reason: '井盖仍有松动' }, 'handling'],
      ['municipal', 'resolve', async () => ({ note: '已加固井盖', media: [await world.photo('municipal')] }), 'resolved'],
      ['dispatcher', 'verify', { note: '现场核查已修复' }, 'verified'],
      ['dispatcher', 'close', { closureType: 'fixed' }, 'closed'],
      ['solang', 'rate', { score: 1, unitAtFault: true, comment: '又坏了' }, 'closed'],
      ['solang', 'reopen', { reason: '问题又出现了' }, 'filed'],
      ['dispatcher', 'dispatch', {}, 'dispatched'],
      ['municipal', 'sign', {}, 'signed'],
    ];
    for (const [username, action, given, status] of walk) {
      world.clock.advance(17);
      const input = typeof given === 'function' ? await given() : given;
      expect(await act(world, username, caseId, action, input), `${username} ${action}`).toEqual({ replayed: false });
      expect((await record(world, caseId)).status, `after ${action}`).toBe(status);
      snapshots.push(await eventRows(world.database, caseId));
    }

    const list = await events(world, caseId);
    const c = await record(world, caseId);
    expect(list.map((e) => e.action)).toEqual(['report', ...walk.map(([, action]) => action)]);
    expectConsistentChain(list, c.status, 'the walked case');
    expect(c.status).toBe('signed');
    expect(c.version).toBe(list.length);

    // Each step appended exactly one row and left every earlier row exactly as it was.
    snapshots.forEach((rows, i) => expect(rows).toHaveLength(i + 1));
    const final = snapshots.at(-1)!;
    for (const [i, rows] of snapshots.entries()) {
      expect(final.slice(0, rows.length), `rows as of step ${i}`).toEqual(rows);
      expect(JSON.stringify(final.slice(0, rows.length))).toBe(JSON.stringify(rows));
    }

    // Who did what is on record, with the role they acted in.
    const by = (action: string) => list.filter((e) => e.action === action);
    expect(by('rate')[0]).toMatchObject({ actorId: userId(world, 'solang'), actorRole: 'reporter', data: { score: 1, unitAtFault: true } });
    expect(by('reopen')[0]).toMatchObject({ actorId: userId(world, 'solang'), actorRole: 'reporter', fromStatus: 'closed', toStatus: 'filed', note: '问题又出现了' });
    expect(by('approve-extension')[0]).toMatchObject({ actorId: userId(world, 'supervisor'), actorRole: 'supervisor', data: { decision: 'approved', extendMinutes: 120 } });
    expect(by('return')[0]!.note).toBe('这是路灯线路问题,不归市政维护站');
    expect(by('dispatch').map((e) => e.data.departmentId)).toEqual([department('nj-municipal'), department('nj-municipal'), department('nj-municipal')]);
    expect(by('resolve').every((e) => e.evidence.length === 1)).toBe(true);
    // Times run forwards.
    for (let i = 1; i < list.length; i++) expect(list[i]!.at > list[i - 1]!.at).toBe(true);

    // After the reopen the case was dispatched afresh, without the old rating or closure.
    expect(c.rating).toBeNull();
    expect(c.closureType).toBeNull();
    expect(c.closedAt).toBeNull();
    expect(c.departmentId).toBe(department('nj-municipal'));
    expect(c.assigneeId).toBe(userId(world, 'municipal'));

    // A sweep in the middle of the life of a case appends its own events to the same chain.
    world.clock.advance(8 * 24 * 60);
    await world.services.sweep.run();
    const swept = await events(world, caseId);
    expect(swept.length).toBeGreaterThan(list.length);
    expectConsistentChain(swept, (await record(world, caseId)).status, 'after the sweep');
    expect(JSON.stringify(await eventRows(world.database, caseId).then((rows) => rows.slice(0, final.length)))).toBe(JSON.stringify(final));
    await act(world, 'municipal', caseId, 'start');
    const after = await events(world, caseId);
    expectConsistentChain(after, 'handling', 'after the sweep and another action');
    expect((await record(world, caseId)).version).toBe(after.length);
  });

  it('shows the same history through the case view', async () => {
    const caseId = await world.report('tenzin');
    await act(world, 'dispatcher', caseId, 'reject', { reason: '经核实为正常施工围挡' });
    const view = await staffView(world, 'dispatcher', caseId);
    const stored = await events(world, caseId);
    expect(view.events?.map((e) => [e.seq, e.action, e.fromStatus, e.toStatus])).toEqual(stored.map((e) => [e.seq, e.action, e.fromStatus, e.toStatus]));
    expect(view.status).toBe('rejected');
    expect(view.availableActions).toEqual([]);
  });

  it('refuses a step the state or the role does not allow, and writes nothing', async () => {
    const caseId = await world.report('solang');
    const refused = async (username: string, action: Action, input: ActionInput, code: string, kind: 'conflict' | 'forbidden' | 'invalid' | 'not_found') => {
      const before = await eventRows(world.database, caseId);
      const status = (await record(world, caseId)).status;
      await domainError(act(world, username, caseId, action, input), code, kind);
      expect(await eventRows(world.database, caseId)).toEqual(before);
      expect((await record(world, caseId)).status).toBe(status);
    };
    await refused('dispatcher', 'dispatch', {}, 'dispatch_not_allowed_when_reported', 'conflict');
    await refused('solang', 'accept', {}, 'role_not_allowed', 'forbidden');
    await refused('municipal', 'sign', {}, 'case_not_found', 'not_found');
    await refused('dispatcher', 'reject', { reason: '   ' }, 'reason_required', 'invalid');
    await act(world, 'dispatcher', caseId, 'accept');
    await act(world, 'dispatcher', caseId, 'file');
    await refused('dispatcher', 'close', { closureType: 'fixed' }, 'close_fixed_requires_verified', 'conflict');
    await act(world, 'dispatcher', caseId, 'dispatch');
    await refused('urban', 'sign', {}, 'case_not_found', 'not_found');
    await act(world, 'municipal', caseId, 'sign');
    await refused('municipal', 'resolve', { note: '已处理' }, 'after_photo_required', 'invalid');
    await refused('municipal', 'resolve', { note: '已处理', media: [await world.photo('solang')] }, 'media_not_yours', 'invalid');
    await refused('municipal', 'approve-extension', {}, 'role_not_allowed', 'forbidden');
    await refused('dispatcher', 'approve-extension', {}, 'no_extension_pending', 'conflict');
    await act(world, 'municipal', caseId, 'request-extension', { reason: '等配件', minutes: 60 });
    await refused('municipal', 'request-extension', { reason: '再等等', minutes: 60 }, 'extension_pending', 'conflict');
    await act(world, 'dispatcher', caseId, 'deny-extension', { reason: '今天必须修好' });
    await act(world, 'municipal', caseId, 'resolve', { note: '已处理', media: [await world.photo('municipal')] });
    await act(world, 'dispatcher', caseId, 'verify');
    await act(world, 'dispatcher', caseId, 'close', { closureType: 'fixed' });
    await refused('solang', 'reopen', { reason: '不满意' }, 'reopen_requires_dissatisfied_rating', 'conflict');
    await refused('tenzin', 'rate', { score: 5 }, 'case_not_found', 'not_found');
    await act(world, 'solang', caseId, 'rate', { score: 4 });
    await refused('solang', 'rate', { score: 5 }, 'already_rated', 'conflict');
    await refused('solang', 'reopen', { reason: '不满意' }, 'reopen_requires_dissatisfied_rating', 'conflict');
    expectConsistentChain(await events(world, caseId), 'closed', 'after refusals');
    expect(await countEvents(world.database, caseId)).toBe(11);
  });

  it('settles unclear responsibility at the joint meeting, which names the lead department', async () => {
    const caseId = await world.report('tenzin', { categoryId: world.category('07-999').id, media: [], description: '不知道该归谁管,反正这里一直漏水' });
    await act(world, 'dispatcher', caseId, 'accept');
    await act(world, 'dispatcher', caseId, 'file');
    await act(world, 'dispatcher', caseId, 'escalate', { reason: '责任部门不明确' });
    expect((await record(world, caseId)).status).toBe('joint_meeting');
    await domainError(act(world, 'dispatcher', caseId, 'record-decision', { note: '会议决定' }), 'department_required', 'invalid');
    await act(world, 'supervisor', caseId, 'record-decision', { note: '联席会议决定由城管办牵头', departmentId: department('nj-urban'), assistingDepartmentIds: [department('nj-municipal')] });
    const c = await record(world, caseId);
    expect(c.status).toBe('dispatched');
    expect(c.departmentId).toBe(department('nj-urban'));
    expect(c.assistingDepartmentIds).toEqual([department('nj-municipal')]);
    // Only the lead department signs; the assisting one sees it but may not take it on.
    await domainError(act(world, 'municipal', caseId, 'sign'), 'out_of_scope', 'forbidden');
    await act(world, 'urban', caseId, 'sign');
    expectConsistentChain(await events(world, caseId), 'signed', 'joint meeting');
  });
});
