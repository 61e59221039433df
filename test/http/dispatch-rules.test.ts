// 自动派单 rules over HTTP (GET/POST /dispatch-rules, DELETE /dispatch-rules/{id}): who may keep them and
// where, the checks with their stable codes, and a rider's report dispatched at once while a rule holds;
// and 直派 (POST /cases/{id}/actions/fast-dispatch) through the action route.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAJIN_CODE, ZHAXI_CODE } from '../../src/seed/najin-data.js';
import { DIALECTS } from '../support/db.js';
import { buildWorld, type World } from '../support/world.js';
import { Api, expectError, type CaseJson } from './support.js';

const T0 = '2025-05-07T13:00:00.000Z';

interface RuleJson {
  id: string;
  categoryId: string;
  jurisdictionId: string;
  urgency: string | null;
  departmentId: string;
  createdBy: string | null;
  createdAt: string;
}

interface ReporterJson {
  id: string;
  status: string;
  timeline: { action: string; text: string }[];
}

describe.each(DIALECTS)('auto-dispatch rules and fast dispatch over HTTP ($name)', (dialect) => {
  let world: World;
  let api: Api;
  beforeAll(async () => {
    world = await buildWorld(dialect, T0);
    api = new Api(world);
    await api.loginAll(['admin', 'dispatcher', 'zx-dispatcher', 'supervisor', 'municipal', 'urban', 'solang']);
  });
  afterAll(() => world?.close());

  const body = (overrides: Record<string, unknown> = {}) => ({
    categoryId: world.category('01-081').id,
    jurisdictionId: world.unit(NAJIN_CODE).id,
    departmentId: world.department('nj-municipal').id,
    ...overrides,
  });
  const list = async (username: string) => {
    const res = await api.get(username, '/api/v1/dispatch-rules');
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ items: RuleJson[] }>().items;
  };
  const remove = (username: string, id: string) => api.call(username, 'DELETE', `/api/v1/dispatch-rules/${id}`);

  describe('keeping the rules', () => {
    it('lets an administrator add, list and delete a rule', async () => {
      const res = await api.post('admin', '/api/v1/dispatch-rules', body({ urgency: 'emergency' }));
      expect(res.statusCode, res.body).toBe(201);
      const rule = res.json<RuleJson>();
      expect(rule).toEqual({
        id: expect.any(String),
        categoryId: world.category('01-081').id,
        jurisdictionId: world.unit(NAJIN_CODE).id,
        urgency: 'emergency',
        departmentId: world.department('nj-municipal').id,
        createdBy: world.users.get('admin')!.id,
        createdAt: T0,
      });
      expect(res.headers.location).toBe(`/api/v1/dispatch-rules/${rule.id}`);
      expect((await list('admin')).map((r) => r.id)).toContain(rule.id);
      expect((await remove('admin', rule.id)).statusCode).toBe(204);
      expect((await list('admin')).map((r) => r.id)).not.toContain(rule.id);
      expectError(await remove('admin', rule.id), 404, 'dispatch_rule_not_found');
    });

    it('lets a dispatcher keep the rules of their own jurisdiction only', async () => {
      const najin = await api.post('dispatcher', '/api/v1/dispatch-rules', body());
      expect(najin.statusCode, najin.body).toBe(201);
      const rule = najin.json<RuleJson>();
      // Not Zhaxi's, with a Zhaxi department that would serve it.
      const zhaxi = body({ jurisdictionId: world.unit(ZHAXI_CODE).id, departmentId: world.department('zx-urban').id });
      expectError(await api.post('dispatcher', '/api/v1/dispatch-rules', zhaxi), 403, 'out_of_scope', 'jurisdictionId');
      // Not the district's either: that is above them.
      expectError(await api.post('dispatcher', '/api/v1/dispatch-rules', body({ jurisdictionId: world.unit(NAJIN_CODE).parentId })), 403, 'out_of_scope');
      // Zhaxi's dispatcher neither sees nor deletes Najin's rule; the administrator sees every rule.
      expect((await list('zx-dispatcher')).map((r) => r.id)).not.toContain(rule.id);
      expect((await list('dispatcher')).map((r) => r.id)).toContain(rule.id);
      expectError(await remove('zx-dispatcher', rule.id), 403, 'out_of_scope');
      const own = await api.post('zx-dispatcher', '/api/v1/dispatch-rules', zhaxi);
      expect(own.statusCode, own.body).toBe(201);
      expect((await list('zx-dispatcher')).map((r) => r.id)).toEqual([own.json<RuleJson>().id]);
      expect((await list('admin')).map((r) => r.id)).toEqual(expect.arrayContaining([rule.id, own.json<RuleJson>().id]));
      expect((await remove('dispatcher', rule.id)).statusCode).toBe(204);
      expect((await remove('zx-dispatcher', own.json<RuleJson>().id)).statusCode).toBe(204);
    });

    it('refuses every other role before reading the body, and anonymous callers', async () => {
      for (const who of ['supervisor', 'municipal', 'solang']) {
        expectError(await api.get(who, '/api/v1/dispatch-rules'), 403, 'role_not_allowed');
        // A body that is not even JSON: the role is refused first.
        expectError(await api.post(who, '/api/v1/dispatch-rules', '{not json', { 'content-type': 'application/json' }), 403, 'role_not_allowed');
        expectError(await remove(who, 'any-id'), 403, 'role_not_allowed');
      }
      expectError(await world.app.inject({ method: 'GET', url: '/api/v1/dispatch-rules' }), 401, 'unauthenticated');
    });

    it('names what is wrong: unknown category, jurisdiction or department, a department that does not serve the place, an urgency', async () => {
      const post = (overrides: Record<string, unknown>) => api.post('admin', '/api/v1/dispatch-rules', body(overrides));
      expectError(await post({ categoryId: 'no-such-category' }), 400, 'category_not_found', 'categoryId');
      expectError(await post({ jurisdictionId: 'no-such-unit' }), 400, 'jurisdiction_not_found', 'jurisdictionId');
      expectError(await post({ departmentId: 'no-such-department' }), 400, 'department_not_found', 'departmentId');
      // Zhaxi's urban office does not serve Najin; the first community's office does not serve the second community.
      expectError(await post({ departmentId: world.department('zx-urban').id }), 400, 'department_not_serving', 'departmentId');
      expectError(await post({ jurisdictionId: world.unit(`${NAJIN_CODE}002`).id, departmentId: world.department('nj-c001').id }), 400, 'department_not_serving', 'departmentId');
      expectError(await post({ urgency: 'critical' }), 400, 'validation_failed', /urgency/);
      expectError(await post({ note: 'extra' }), 400, 'validation_failed');
      expect((await list('admin')).length).toBe(0);
    });

    it('keeps one rule per category, jurisdiction and urgency: a second is 409 naming the first', async () => {
      const first = (await api.post('admin', '/api/v1/dispatch-rules', body({ urgency: null }))).json<RuleJson>();
      expect(first.urgency).toBeNull();
      const again = expectError(await api.post('admin', '/api/v1/dispatch-rules', body()), 409, 'dispatch_rule_exists');
      expect(again.details).toEqual({ ruleId: first.id });
      // Another urgency is another rule, here for a department inside Najin (the first community's office).
      const emergency = await api.post('admin', '/api/v1/dispatch-rules', body({ urgency: 'emergency', departmentId: world.department('nj-c001').id }));
      expect(emergency.statusCode, emergency.body).toBe(201);
      for (const r of await list('admin')) expect((await remove('admin', r.id)).statusCode).toBe(204);
    });
  });

  describe('a rider’s report while a rule holds', () => {
    const report = async () => {
      const media = [await world.photo('solang')];
      const res = await api.post('solang', '/api/v1/reports', {
        categoryId: world.category('01-081').id,
        description: '紧急!这个地方的路灯线路短路,还能看到火星!',
        lat: world.najinPoint.lat,
        lon: world.najinPoint.lon,
        media,
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json<ReporterJson>();
    };

    it('is answered already sent to municipal works, and reaches the handler’s queue; deleting the rule stops it', async () => {
      const rule = (await api.post('dispatcher', '/api/v1/dispatch-rules', body())).json<RuleJson>();
      const answer = await report();
      expect(answer.status).toBe('dispatched');
      expect(answer.timeline.map((t) => t.action)).toEqual(['report', 'accept', 'file', 'dispatch']);
      expect(answer.timeline.at(-1)!.text).toContain('市政');
      const queue = await api.get('municipal', '/api/v1/cases?status=dispatched');
      expect(queue.json<{ items: CaseJson[] }>().items.map((c) => c.id)).toContain(answer.id);
      const staff = (await api.get('dispatcher', `/api/v1/cases/${answer.id}`)).json<CaseJson>();
      expect(staff.events!.slice(1).map((e) => [e.action, e.data.automatic, e.data.ruleId])).toEqual([
        ['accept', true, rule.id],
        ['file', true, rule.id],
        ['dispatch', true, rule.id],
      ]);

      expect((await remove('dispatcher', rule.id)).statusCode).toBe(204);
      expect((await report()).status).toBe('reported');
    });
  });

  describe('直派 through the action route', () => {
    const newCase = () => world.report('solang');

    it('takes fast-dispatch like any action: the updated case, three events, in the actions open to the dispatcher', async () => {
      const id = await newCase();
      const before = (await api.get('dispatcher', `/api/v1/cases/${id}`)).json<CaseJson>();
      expect(before.availableActions).toContain('fast-dispatch');
      const res = await api.act('dispatcher', id, 'fast-dispatch', { departmentId: world.department('nj-municipal').id, note: '请立即处置' });
      expect(res.statusCode, res.body).toBe(200);
      const view = res.json<CaseJson>();
      expect(view.status).toBe('dispatched');
      expect(view.department?.id).toBe(world.department('nj-municipal').id);
      expect(view.events!.map((e) => e.action)).toEqual(['report', 'accept', 'file', 'dispatch']);
      expect(view.availableActions).not.toContain('fast-dispatch');
      // The rider reads it in plain words.
      const mine = (await api.get('solang', `/api/v1/cases/${id}`)).json<ReporterJson>();
      expect(mine.timeline.map((t) => t.action)).toEqual(['report', 'accept', 'file', 'dispatch']);
    });

    it('refuses a case that is no longer reported with 409 and the usual details, and replays with Idempotency-Key', async () => {
      const id = await newCase();
      const first = await api.act('dispatcher', id, 'fast-dispatch', {}, { 'idempotency-key': 'fast-1' });
      expect(first.statusCode, first.body).toBe(200);
      const replay = await api.act('dispatcher', id, 'fast-dispatch', {}, { 'idempotency-key': 'fast-1' });
      expect(replay.statusCode, replay.body).toBe(200);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.json<CaseJson>().events).toHaveLength(4);
      const again = expectError(await api.act('dispatcher', id, 'fast-dispatch'), 409, 'fast-dispatch_not_allowed_when_dispatched');
      expect(again.details).toEqual({ action: 'fast-dispatch', status: 'dispatched' });
      // Fields it does not take, and callers it is not for.
      const other = await newCase();
      expectError(await api.act('dispatcher', other, 'fast-dispatch', { closureType: 'duplicate' }), 400, 'unexpected_field', 'closureType');
      expectError(await api.act('municipal', other, 'fast-dispatch'), 404, 'case_not_found');
      expectError(await api.act('admin', other, 'fast-dispatch'), 403, 'role_not_allowed');
      expect((await api.get('dispatcher', `/api/v1/cases/${other}`)).json<CaseJson>().status).toBe('reported');
    });
  });
});
