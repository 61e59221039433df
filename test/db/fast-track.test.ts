// The emergency fast track (issue 10): 直派 (a dispatcher accepts, files and dispatches in one request,
// the three events still recorded), 自动派单 (a rule sends a matching report straight to its department,
// as system events in the report's own write), and the supervisors alerted when an emergency is not
// signed in time.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildServices } from '../../src/compose.js';
import type { DispatchRule } from '../../src/domain/records.js';
import { NAJIN_CODE, ZHAXI_CODE } from '../../src/seed/najin-data.js';
import { DIALECTS } from '../support/db.js';
import { clock, clocks, countEvents, domainError, events, expectConsistentChain, plus, record, staffView } from '../support/cases.js';
import { MemoryMediaStore, buildWorld, type World } from '../support/world.js';
import type { ActionInput, RequestedAction } from '../../src/domain/workflow.js';

const T = '2025-05-07T13:00:00.000Z';

/** Take a single action or a composite (fast-dispatch) as a named user of the world. */
async function act(world: World, username: string, caseId: string, action: RequestedAction, input: ActionInput = {}, idempotencyKey?: string) {
  return world.services.actions.act(await world.as(username), caseId, action, input, idempotencyKey);
}
/** East of the Lhasa city box: outside every unit. */
const OUTSIDE = { lat: 29.65, lon: 91.41 };

/** What a clock is, without its ids: for comparing two cases' clocks. */
const shapeOf = (c: { stage: string; round: number; startedAt: string; dueAt: string; completedAt: string | null; outcome: string | null; remindAt: string }) => ({
  stage: c.stage,
  round: c.round,
  startedAt: c.startedAt,
  dueAt: c.dueAt,
  remindAt: c.remindAt,
  completedAt: c.completedAt,
  outcome: c.outcome,
});

describe.each(DIALECTS)('the emergency fast track ($name)', (dialect) => {
  describe('直派: accept, file and dispatch in one request', () => {
    let world: World;
    beforeAll(async () => {
      world = await buildWorld(dialect, T);
    });
    afterAll(() => world?.close());

    it('records accept, file and dispatch with consecutive seqs, at one instant, exactly as the three single actions would', async () => {
      world.clock.set(T);
      const fast = await world.report('solang');
      const slow = await world.report('tenzin');
      world.clock.set(plus(T, 2));
      expect(await act(world, 'dispatcher', fast, 'fast-dispatch', { note: '井盖缺失,请立即处理' })).toEqual({ replayed: false });
      for (const action of ['accept', 'file', 'dispatch'] as const) await act(world, 'dispatcher', slow, action);

      const c = await record(world, fast);
      expect(c.status).toBe('dispatched');
      // The routed department, as dispatch would choose by default.
      expect(c.departmentId).toBe(c.routedDepartmentId);
      expect(c.departmentId).not.toBeNull();
      const list = await events(world, fast);
      expectConsistentChain(list, 'dispatched', 'the fast-dispatched case');
      expect(c.version).toBe(list.length);
      expect(list.map((e) => [e.seq, e.action, e.fromStatus, e.toStatus])).toEqual([
        [1, 'report', null, 'reported'],
        [2, 'accept', 'reported', 'accepted'],
        [3, 'file', 'accepted', 'filed'],
        [4, 'dispatch', 'filed', 'dispatched'],
      ]);
      const dispatcherId = world.users.get('dispatcher')!.id;
      for (const e of list.slice(1)) {
        expect(e).toMatchObject({ at: plus(T, 2), actorId: dispatcherId, actorRole: 'dispatcher' });
        expect(e.data.via).toBe('fast-dispatch');
      }
      // The note is for the department: it travels with the dispatch.
      expect(list.map((e) => e.note)).toEqual([expect.any(String), null, null, '井盖缺失,请立即处理']);
      expect(list[3]!.data.departmentId).toBe(c.departmentId);

      // Same statuses, changes, clocks and snapshots as the three single actions taken at that instant.
      const other = await record(world, slow);
      expect({ status: other.status, departmentId: other.departmentId, assigneeId: other.assigneeId }).toEqual({ status: c.status, departmentId: c.departmentId, assigneeId: c.assigneeId });
      expect((await clocks(world, fast)).map(shapeOf)).toEqual((await clocks(world, slow)).map(shapeOf));
      expect(list.map((e) => e.clocks)).toEqual((await events(world, slow)).map((e) => e.clocks));
      expect(await clock(world, fast, 'accept')).toMatchObject({ completedAt: plus(T, 2), outcome: 'met' });
      expect(await clock(world, fast, 'dispatch')).toMatchObject({ completedAt: plus(T, 2), outcome: 'met' });
      expect(await clock(world, fast, 'sign')).toMatchObject({ startedAt: plus(T, 2), completedAt: null });
      expect(await clock(world, fast, 'resolve')).toMatchObject({ completedAt: null });

      // The handler sees it and may sign; the rider reads three steps in plain words.
      const handler = c.departmentId === world.department('nj-urban').id ? 'urban' : 'municipal';
      expect((await staffView(world, handler, fast)).availableActions).toContain('sign');
      const mine = await world.services.caseQueries.myReports(await world.as('solang'), 1, 50, 'zh-CN');
      expect(mine.items.find((r) => r.id === fast)!.timeline.map((t) => t.action)).toEqual(['report', 'accept', 'file', 'dispatch']);
    });

    it('files into the grid it is given and dispatches to the department and assisting departments named', async () => {
      const id = await world.report('solang');
      const router = await world.services.ctx.routing();
      const grid = router.deepest(world.najinPoint.lon, world.najinPoint.lat)!;
      const municipal = world.department('nj-municipal').id;
      const urban = world.department('nj-urban').id;
      await act(world, 'supervisor', id, 'fast-dispatch', { gridId: grid.id, departmentId: municipal, assistingDepartmentIds: [urban] });
      const c = await record(world, id);
      expect(c).toMatchObject({ status: 'dispatched', gridId: grid.id, jurisdictionId: grid.id, departmentId: municipal, assistingDepartmentIds: [urban] });
      const [, accept, file, dispatch] = await events(world, id);
      expect(accept!.data).toEqual({ via: 'fast-dispatch' });
      expect(file!.data).toEqual({ gridId: grid.id, via: 'fast-dispatch' });
      expect(dispatch!.data).toEqual({ departmentId: municipal, assistingDepartmentIds: [urban], via: 'fast-dispatch' });
      expect(accept!.actorRole).toBe('supervisor');
    });

    it('is open to the command centre on a reported case only, and refuses like any action otherwise', async () => {
      const id = await world.report('solang');
      expect((await staffView(world, 'dispatcher', id)).availableActions).toContain('fast-dispatch');
      expect((await staffView(world, 'supervisor', id)).availableActions).toContain('fast-dispatch');
      // The admin reads it for oversight but takes no case action; a handler is not the command centre.
      expect((await staffView(world, 'admin', id)).availableActions).not.toContain('fast-dispatch');
      await domainError(act(world, 'municipal', id, 'fast-dispatch'), 'case_not_found', 'not_found');
      await domainError(act(world, 'admin', id, 'fast-dispatch'), 'role_not_allowed', 'forbidden');
      // The neighbouring subdistrict does not even see it.
      await domainError(act(world, 'zx-dispatcher', id, 'fast-dispatch'), 'case_not_found', 'not_found');
      // A field none of its steps reads.
      const unexpected = await domainError(act(world, 'dispatcher', id, 'fast-dispatch', { reason: '紧急' }), 'unexpected_field', 'invalid');
      expect(unexpected.details.field).toBe('reason');

      await act(world, 'dispatcher', id, 'accept');
      expect((await staffView(world, 'dispatcher', id)).availableActions).not.toContain('fast-dispatch');
      const refused = await domainError(act(world, 'dispatcher', id, 'fast-dispatch'), 'fast-dispatch_not_allowed_when_accepted', 'conflict');
      expect(refused.details).toEqual({ action: 'fast-dispatch', status: 'accepted' });
      expect(await countEvents(world.database, id)).toBe(2);
    });

    it('writes all three steps or none: a refused dispatch leaves the case reported with its one event', async () => {
      const id = await world.report('solang');
      const unknown = await domainError(act(world, 'dispatcher', id, 'fast-dispatch', { departmentId: 'no-such-department' }), 'department_not_found', 'invalid');
      expect(unknown.details.field).toBe('departmentId');
      // Another subdistrict's department would take the case out of Najin's hands.
      await domainError(act(world, 'dispatcher', id, 'fast-dispatch', { departmentId: world.department('zx-urban').id }), 'out_of_scope', 'forbidden');
      // A grid of another subdistrict, refused at the file step after the accept was written.
      const router = await world.services.ctx.routing();
      const zhaxiGrid = router.deepest(world.zhaxiPoint.lon, world.zhaxiPoint.lat)!;
      await domainError(act(world, 'dispatcher', id, 'fast-dispatch', { gridId: zhaxiGrid.id }), 'out_of_scope', 'forbidden');
      const c = await record(world, id);
      expect(c).toMatchObject({ status: 'reported', version: 1, departmentId: null });
      expect((await events(world, id)).map((e) => e.action)).toEqual(['report']);
      expect((await clocks(world, id)).filter((k) => k.completedAt === null).map((k) => k.stage).sort()).toEqual(['accept', 'dispatch']);
      // And it can still be taken afterwards.
      await act(world, 'dispatcher', id, 'fast-dispatch');
      expect((await record(world, id)).status).toBe('dispatched');
    });

    it('is idempotent with an Idempotency-Key: a retry writes nothing more, another request under the key is refused', async () => {
      const id = await world.report('solang');
      expect(await act(world, 'dispatcher', id, 'fast-dispatch', {}, 'fd-1')).toEqual({ replayed: false });
      expect(await act(world, 'dispatcher', id, 'fast-dispatch', {}, 'fd-1')).toEqual({ replayed: true });
      expect(await countEvents(world.database, id)).toBe(4);
      await domainError(act(world, 'dispatcher', id, 'fast-dispatch', { note: 'again' }, 'fd-1'), 'idempotency_key_reused', 'conflict');
      // Without the key, the second request is a second request: the case is no longer reported.
      await domainError(act(world, 'dispatcher', id, 'fast-dispatch'), 'fast-dispatch_not_allowed_when_dispatched', 'conflict');
    });
  });

  describe('自动派单: rules send matching reports straight to their department', () => {
    let world: World;
    const created: DispatchRule[] = [];
    beforeAll(async () => {
      world = await buildWorld(dialect, T);
    });
    afterAll(() => world?.close());

    const addRule = async (username: string, input: { category: string; unit: string; urgency?: 'normal' | 'urgent' | 'emergency' | null; department: string }) => {
      const rule = await world.services.dispatchRules.create(await world.as(username), {
        categoryId: world.category(input.category).id,
        jurisdictionId: input.unit,
        urgency: input.urgency,
        departmentId: world.department(input.department).id,
      });
      created.push(rule);
      return rule;
    };
    const removeAll = async () => {
      const admin = await world.as('admin');
      for (const rule of created.splice(0)) await world.services.dispatchRules.remove(admin, rule.id).catch(() => undefined);
    };
    // Each test starts with no rules, whatever the one before did.
    afterEach(() => removeAll());
    const shortCircuit = (username = 'solang', overrides: Record<string, unknown> = {}) =>
      world.report(username, { categoryId: world.category('01-081').id, description: '紧急!路灯线路短路,还能看到火星!', ...overrides });

    it('writes a short-circuit report already dispatched to municipal works: report, then the system accepts, files and dispatches at once', async () => {
      world.clock.set(T);
      const rule = await addRule('dispatcher', { category: '01-081', unit: world.unit(NAJIN_CODE).id, department: 'nj-municipal' });
      const id = await shortCircuit();
      const c = await record(world, id);
      expect(c).toMatchObject({ status: 'dispatched', urgency: 'emergency', departmentId: world.department('nj-municipal').id, assigneeId: null, version: 4 });
      const list = await events(world, id);
      expectConsistentChain(list, 'dispatched', 'the auto-dispatched case');
      expect(list.map((e) => [e.action, e.fromStatus, e.toStatus, e.actorRole, e.actorId, e.at])).toEqual([
        ['report', null, 'reported', 'reporter', world.users.get('solang')!.id, T],
        ['accept', 'reported', 'accepted', 'system', null, T],
        ['file', 'accepted', 'filed', 'system', null, T],
        ['dispatch', 'filed', 'dispatched', 'system', null, T],
      ]);
      expect(list[1]!.data).toEqual({ automatic: true, ruleId: rule.id });
      expect(list[2]!.data).toEqual({ automatic: true, ruleId: rule.id });
      expect(list[3]!.data).toEqual({ departmentId: world.department('nj-municipal').id, automatic: true, ruleId: rule.id });
      // Clocks as after a dispatch at the report's instant: accept and dispatch met, sign and resolve running.
      const byStage = Object.fromEntries((await clocks(world, id)).map((k) => [k.stage, k]));
      expect(Object.keys(byStage).sort()).toEqual(['accept', 'dispatch', 'resolve', 'sign']);
      expect(byStage.accept).toMatchObject({ completedAt: T, outcome: 'met' });
      expect(byStage.dispatch).toMatchObject({ completedAt: T, outcome: 'met' });
      expect(byStage.sign).toMatchObject({ startedAt: T, dueAt: plus(T, 5), completedAt: null });
      expect(byStage.resolve).toMatchObject({ startedAt: T, dueAt: plus(T, 30), completedAt: null });
      // Every event is in the outbox for the fan-out: the handler can hear of the dispatch at once.
      const outbox = await world.database.db.selectFrom('outbox').select(['seq']).where('case_id', '=', id).orderBy('seq').execute();
      expect(outbox.map((o) => o.seq)).toEqual([1, 2, 3, 4]);

      // The handler has it, may sign it; the dispatcher's list counts it as dispatched; the rider reads the steps.
      expect((await staffView(world, 'municipal', id)).availableActions).toContain('sign');
      const page = await world.services.caseQueries.listViews(await world.as('dispatcher'), { status: ['dispatched'] }, 'zh-CN');
      expect(page.items.map((v) => v.id)).toContain(id);
      const mine = await world.services.caseQueries.myReports(await world.as('solang'), 1, 50, 'zh-CN');
      expect(mine.items.find((r) => r.id === id)!.timeline.map((t) => t.action)).toEqual(['report', 'accept', 'file', 'dispatch']);
      await act(world, 'municipal', id, 'sign');
      expect((await record(world, id)).status).toBe('signed');
    });

    it('takes the most specific jurisdiction first, then a rule of the report’s urgency over one of any urgency', async () => {
      const router = await world.services.ctx.routing();
      const grid = router.deepest(world.najinPoint.lon, world.najinPoint.lat)!;
      const community = router.ancestorAt(grid.id, 'community')!;
      const najin = world.unit(NAJIN_CODE).id;
      const lamp = '01-003';
      // Subdistrict: any urgency and emergency; community: any urgency.
      await addRule('admin', { category: lamp, unit: najin, department: 'nj-urban' });
      const najinEmergency = await addRule('admin', { category: lamp, unit: najin, urgency: 'emergency', department: 'nj-fire' });
      const communityAny = await addRule('admin', { category: lamp, unit: community.id, department: 'nj-municipal' });
      const departmentOf = async (id: string) => (await events(world, id)).find((e) => e.action === 'dispatch')?.data.ruleId;

      // The community's rule is nearer than the subdistrict's, even its emergency one.
      expect(await departmentOf(await world.report('solang', { urgency: 'emergency' }))).toBe(communityAny.id);
      // A grid rule of the report's urgency beats the grid's any-urgency rule.
      const gridAny = await addRule('admin', { category: lamp, unit: grid.id, department: 'nj-municipal' });
      const gridUrgent = await addRule('admin', { category: lamp, unit: grid.id, urgency: 'urgent', department: 'nj-power' });
      const urgent = await world.report('solang', { urgency: 'urgent' });
      expect(await departmentOf(urgent)).toBe(gridUrgent.id);
      expect((await record(world, urgent)).departmentId).toBe(world.department('nj-power').id);
      expect(await departmentOf(await world.report('solang', { urgency: 'normal' }))).toBe(gridAny.id);

      // Without the grid's and community's rules, the subdistrict's: its emergency rule for an emergency.
      const admin = await world.as('admin');
      for (const rule of [gridAny, gridUrgent, communityAny]) await world.services.dispatchRules.remove(admin, rule.id);
      expect(await departmentOf(await world.report('solang', { urgency: 'emergency' }))).toBe(najinEmergency.id);
      const normal = await world.report('solang', { urgency: 'normal' });
      expect((await record(world, normal)).departmentId).toBe(world.department('nj-urban').id);
    });

    it('leaves a report for a person when no rule matches: another category, another urgency, another place', async () => {
      await addRule('dispatcher', { category: '01-081', unit: world.unit(NAJIN_CODE).id, urgency: 'emergency', department: 'nj-municipal' });
      const normal = await shortCircuit('solang', { urgency: 'normal' });
      const manhole = await world.report('solang');
      for (const id of [normal, manhole]) {
        expect(await record(world, id)).toMatchObject({ status: 'reported', departmentId: null, version: 1 });
        expect((await events(world, id)).map((e) => e.action)).toEqual(['report']);
      }
    });

    it('skips reports referred to another subdistrict, outside every unit, or folded into a master', async () => {
      await addRule('admin', { category: '01-081', unit: world.unit(NAJIN_CODE).id, department: 'nj-municipal' });
      await addRule('admin', { category: '01-081', unit: world.unit(ZHAXI_CODE).id, department: 'zx-urban' });
      // A Najin rider's report in Zhaxi is referred there (转办): Zhaxi's command centre looks at it first.
      const referred = await shortCircuit('solang', { ...world.zhaxiPoint });
      expect((await events(world, referred)).map((e) => e.action)).toEqual(['report', 'refer']);
      expect((await record(world, referred)).status).toBe('reported');
      // A point outside every unit waits in the rider's subdistrict.
      const outside = await shortCircuit('solang', OUTSIDE);
      expect(await record(world, outside)).toMatchObject({ status: 'reported', outsideArea: true });
      expect((await events(world, outside)).map((e) => e.action)).toEqual(['report']);
      // A report folded into an open case follows it; it is not dispatched a second time.
      const master = await shortCircuit('tenzin');
      expect((await record(world, master)).status).toBe('dispatched');
      const folded = await shortCircuit('solang', { duplicateOf: master });
      expect((await events(world, folded)).map((e) => e.action)).toEqual(['report', 'merge']);
      expect((await record(world, folded)).status).toBe('merged');
    });

    it('sees a rule as soon as it is added and forgets it as soon as it is deleted', async () => {
      const before = await shortCircuit();
      expect((await record(world, before)).status).toBe('reported');
      const rule = await addRule('dispatcher', { category: '01-081', unit: world.unit(NAJIN_CODE).id, department: 'nj-municipal' });
      expect((await record(world, await shortCircuit())).status).toBe('dispatched');
      await world.services.dispatchRules.remove(await world.as('dispatcher'), rule.id);
      expect((await record(world, await shortCircuit())).status).toBe('reported');
    });

    it('tells the rider at once that the report was received, accepted and sent to municipal works', async () => {
      await addRule('dispatcher', { category: '01-081', unit: world.unit(NAJIN_CODE).id, department: 'nj-municipal' });
      await world.services.notifyWorker.drain();
      const id = await shortCircuit('tenzin');
      await world.services.notifyWorker.drain();
      const inbox = (await world.services.notify.inbox(await world.as('tenzin'), { limit: 100 })).items.filter((m) => m.caseId === id).reverse();
      expect(inbox.map((m) => m.kind)).toEqual(['receipt', 'accepted', 'dispatched']);
      expect(inbox[2]!.title).toContain('市政');
    });
  });

  describe('an emergency nobody signs for in time alerts the supervisors', () => {
    let world: World;
    beforeAll(async () => {
      world = await buildWorld(dialect, T);
    });
    afterAll(() => world?.close());

    const alerts = async (caseId: string) => (await events(world, caseId)).filter((e) => e.action === 'alert');
    const dispatchedEmergency = async (urgency: 'emergency' | 'urgent' = 'emergency') => {
      const id = await world.report('solang', { categoryId: world.category('01-081').id, description: '路灯杆摸着麻手', urgency });
      await act(world, 'dispatcher', id, 'fast-dispatch', { departmentId: world.department('nj-municipal').id });
      return id;
    };

    it('alerts once, EMERGENCY_SIGN_ALERT_MINUTES (10) after dispatch, as the system, leaving the status alone', async () => {
      world.clock.set(T);
      const unsigned = await dispatchedEmergency();
      const signed = await dispatchedEmergency();
      const urgent = await dispatchedEmergency('urgent');
      world.clock.set(plus(T, 1));
      await act(world, 'municipal', signed, 'sign');

      world.clock.set(plus(T, 9));
      expect((await world.services.sweep.run()).alerted).toBe(0);
      expect(await alerts(unsigned)).toEqual([]);

      world.clock.set(plus(T, 10));
      const result = await world.services.sweep.run();
      expect(result.alerted).toBe(1);
      const [alert] = await alerts(unsigned);
      expect(alert).toMatchObject({
        action: 'alert',
        actorId: null,
        actorRole: 'system',
        at: plus(T, 10),
        fromStatus: 'dispatched',
        toStatus: 'dispatched',
        data: { reason: 'emergency_unsigned', stage: 'sign', minutes: 10, departmentId: world.department('nj-municipal').id },
      });
      expect(await clock(world, unsigned, 'sign')).toMatchObject({ alertedAt: plus(T, 10), completedAt: null });
      const list = await events(world, unsigned);
      expectConsistentChain(list, 'dispatched', 'the alerted case');
      expect((await record(world, unsigned)).version).toBe(list.length);

      // Never twice; never for a signed emergency nor an urgent case, however long they wait.
      world.clock.set(plus(T, 60));
      expect((await world.services.sweep.run()).alerted).toBe(0);
      expect(await alerts(unsigned)).toHaveLength(1);
      expect(await alerts(signed)).toEqual([]);
      expect(await alerts(urgent)).toEqual([]);

      // Handling goes on from there; the staff timeline shows the alert, the rider's does not.
      const view = await staffView(world, 'supervisor', unsigned);
      expect(view.events!.filter((e) => e.action === 'alert').map((e) => e.data.reason)).toEqual(['emergency_unsigned']);
      const mine = await world.services.caseQueries.myReports(await world.as('solang'), 1, 50, 'zh-CN');
      const timeline = mine.items.find((r) => r.id === unsigned)!.timeline;
      expect(timeline.map((t) => t.action)).toEqual(['report', 'accept', 'file', 'dispatch']);
      await act(world, 'municipal', unsigned, 'sign');
      expect((await record(world, unsigned)).status).toBe('signed');
    });

    it('alerts again for a new dispatch after a return, and exactly once when two sweeps race', async () => {
      world.clock.set(plus(T, 24 * 60));
      const id = await dispatchedEmergency();
      world.clock.set(plus(T, 24 * 60 + 2));
      await act(world, 'municipal', id, 'return', { reason: '不属于市政,应为供电' });
      await act(world, 'dispatcher', id, 'dispatch', { departmentId: world.department('nj-power').id });
      world.clock.set(plus(T, 24 * 60 + 12));
      const results = await Promise.all([world.services.sweep.run(), world.services.sweep.run()]);
      expect(results.reduce((n, r) => n + r.alerted, 0)).toBe(1);
      const [alert] = await alerts(id);
      expect(alert!.data).toMatchObject({ reason: 'emergency_unsigned', departmentId: world.department('nj-power').id });
      expect(await alerts(id)).toHaveLength(1);
      expectConsistentChain(await events(world, id), 'dispatched', 'after the race');
    });

    it('takes its minutes from the configuration', async () => {
      world.clock.set(plus(T, 48 * 60));
      const id = await dispatchedEmergency();
      const quick = buildServices(world.database, { clock: world.clock, mediaStore: new MemoryMediaStore(), emergencySignAlertMinutes: 3 });
      world.clock.set(plus(T, 48 * 60 + 2));
      expect((await quick.sweep.run()).alerted).toBe(0);
      world.clock.set(plus(T, 48 * 60 + 3));
      expect((await quick.sweep.run()).alerted).toBe(1);
      expect((await alerts(id))[0]!.data.minutes).toBe(3);
    });

    it('reaches the supervisors’ inbox as emergency_unsigned', async () => {
      world.clock.set(plus(T, 72 * 60));
      await world.services.notifyWorker.drain();
      const id = await dispatchedEmergency();
      world.clock.set(plus(T, 72 * 60 + 10));
      await world.services.sweep.run();
      await world.services.notifyWorker.drain();
      const inbox = (await world.services.notify.inbox(await world.as('supervisor'), { limit: 100 })).items.filter((m) => m.caseId === id);
      expect(inbox.map((m) => m.kind)).toContain('emergency_unsigned');
    });
  });
});
