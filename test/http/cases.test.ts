// Cases over HTTP: listing with filters and paging, reading one case, who may see and act on what,
// workflow errors with their stable codes, idempotent actions and the reader's language.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action, ActionInput } from '../../src/domain/workflow.js';
import { DIALECTS } from '../support/db.js';
import { buildWorld, type World } from '../support/world.js';
import { Api, expectError, expectNot500, type CaseJson, type PageJson } from './support.js';

const T0 = '2025-05-07T13:00:00.000Z';
const at = (minutes: number): Date => new Date(Date.parse(T0) + minutes * 60_000);

async function step(world: World, caseId: string, username: string, action: Action, input: ActionInput = {}): Promise<void> {
  await world.services.actions.act(await world.as(username), caseId, action, input);
}

describe.each(DIALECTS)('cases over HTTP ($name)', (dialect) => {
  describe('listing and reading', () => {
    let world: World;
    let api: Api;
    const ids = { reported: '', accepted: '', dispatched: '', assisted: '', closed: '', zhaxi: '' };

    beforeAll(async () => {
      world = await buildWorld(dialect, T0);
      api = new Api(world);
      const other = world.category('07-999').id;
      const lamp = world.category('01-081').id;
      const urban = world.department('nj-urban').id;

      world.clock.set(at(0));
      ids.reported = await world.report('solang');
      world.clock.set(at(10));
      ids.accepted = await world.report('solang', { categoryId: other, media: [], description: '楼下一直漏水' });
      await step(world, ids.accepted, 'dispatcher', 'accept');
      world.clock.set(at(20));
      ids.dispatched = await world.report('tenzin', { categoryId: lamp, urgency: 'emergency', description: '路灯短路冒火花' });
      for (const action of ['accept', 'file', 'dispatch'] as const) await step(world, ids.dispatched, 'dispatcher', action);
      world.clock.set(at(25));
      ids.assisted = await world.report('tenzin');
      await step(world, ids.assisted, 'dispatcher', 'accept');
      await step(world, ids.assisted, 'dispatcher', 'file');
      await step(world, ids.assisted, 'dispatcher', 'dispatch', { assistingDepartmentIds: [urban] });
      world.clock.set(at(30));
      ids.closed = await world.report('tenzin', { categoryId: other, media: [], description: '重复上报' });
      await step(world, ids.closed, 'dispatcher', 'accept');
      await step(world, ids.closed, 'dispatcher', 'close', { closureType: 'duplicate', reason: '与已有案件重复' });
      world.clock.set(at(40));
      ids.zhaxi = await world.report('pema', { categoryId: other, media: [], ...world.zhaxiPoint });
      // Three hours after the first report: the emergency (30 minutes to make safe) is overdue.
      world.clock.set(at(180));
      await api.loginAll(['dispatcher', 'zx-dispatcher', 'municipal', 'urban', 'admin', 'solang', 'tenzin']);
    });
    afterAll(() => world?.close());

    const list = async (username: string, query = ''): Promise<PageJson<CaseJson>> => {
      const res = await api.get(username, `/api/v1/cases${query}`);
      expect(res.statusCode, res.body.slice(0, 400)).toBe(200);
      return res.json<PageJson<CaseJson>>();
    };
    const idSet = (page: PageJson<CaseJson>) => page.items.map((c) => c.id).sort();
    const najin = () => [ids.reported, ids.accepted, ids.dispatched, ids.assisted, ids.closed].sort();

    it('lists the Najin cases for the Najin dispatcher, newest first, with total/page/pageSize', async () => {
      const page = await list('dispatcher');
      expect(page.total).toBe(5);
      expect(page.page).toBe(1);
      expect(page.pageSize).toBe(20);
      expect(idSet(page)).toEqual(najin());
      const times = page.items.map((c) => Date.parse(c.reportedAt));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      expect(page.items.every((c) => c.events === undefined && Array.isArray(c.clocks) && typeof c.statusText === 'string')).toBe(true);
    });

    it('lists by who is asking: the neighbouring dispatcher, handlers, riders, the admin', async () => {
      expect(idSet(await list('zx-dispatcher'))).toEqual([ids.zhaxi]);
      expect(idSet(await list('municipal'))).toEqual([ids.dispatched, ids.assisted].sort());
      expect(idSet(await list('urban'))).toEqual([ids.assisted]);
      expect(idSet(await list('solang'))).toEqual([ids.reported, ids.accepted].sort());
      expect((await list('admin')).total).toBe(6);
    });

    it('filters by repeated status parameters', async () => {
      expect(idSet(await list('dispatcher', '?status=reported&status=accepted'))).toEqual([ids.reported, ids.accepted].sort());
      expect(idSet(await list('dispatcher', '?status=closed'))).toEqual([ids.closed]);
      expect(idSet(await list('dispatcher', '?status=dispatched'))).toEqual([ids.dispatched, ids.assisted].sort());
      expect((await list('dispatcher', '?status=verified')).total).toBe(0);
    });

    it('filters overdue cases, and the two halves make the whole', async () => {
      const overdue = await list('dispatcher', '?overdue=true');
      const onTime = await list('dispatcher', '?overdue=false');
      expect(idSet(overdue)).toContain(ids.dispatched);
      expect(overdue.items.every((c) => c.overdue)).toBe(true);
      expect(onTime.items.every((c) => !c.overdue)).toBe(true);
      expect(overdue.total + onTime.total).toBe(5);
      expect(idSet(onTime)).toContain(ids.closed);
    });

    it('filters by category, urgency and department', async () => {
      expect(idSet(await list('dispatcher', `?category=${world.category('07-999').id}`))).toEqual([ids.accepted, ids.closed].sort());
      expect(idSet(await list('dispatcher', '?urgency=emergency'))).toEqual([ids.dispatched]);
      expect(idSet(await list('dispatcher', `?department=${world.department('nj-municipal').id}`))).toEqual([ids.dispatched, ids.assisted].sort());
      expect((await list('dispatcher', '?category=no-such-category')).total).toBe(0);
    });

    it('filters by report time with ISO 8601 from (inclusive) and to (exclusive), in any offset', async () => {
      const window = `?from=${at(15).toISOString()}&to=${at(30).toISOString()}`;
      expect(idSet(await list('dispatcher', window))).toEqual([ids.dispatched, ids.assisted].sort());
      // The same window written in Lhasa time (UTC+8).
      const lhasa = `?from=${encodeURIComponent('2025-05-07T21:15:00+08:00')}&to=${encodeURIComponent('2025-05-07T21:30:00+08:00')}`;
      expect(idSet(await list('dispatcher', lhasa))).toEqual([ids.dispatched, ids.assisted].sort());
      expect(idSet(await list('dispatcher', `?from=${at(30).toISOString()}`))).toEqual([ids.closed]);
      expect((await list('dispatcher', `?to=${at(0).toISOString()}`)).total).toBe(0);
    });

    it('pages through the list without gaps or repeats', async () => {
      const seen: string[] = [];
      for (const page of [1, 2, 3]) {
        const res = await list('dispatcher', `?page=${page}&pageSize=2`);
        expect(res).toMatchObject({ total: 5, page, pageSize: 2 });
        expect(res.items.length).toBe(page < 3 ? 2 : 1);
        seen.push(...res.items.map((c) => c.id));
      }
      expect(seen.sort()).toEqual(najin());
      expect((await list('dispatcher', '?page=9&pageSize=2')).items).toEqual([]);
    });

    it.each([
      ['pageSize=500', 'pageSize'],
      ['pageSize=0', 'pageSize'],
      ['page=0', 'page'],
      ['page=-1', 'page'],
      ['page=1.5', 'page'],
      ['page=abc', 'page'],
      ['status=bogus', /^status/],
      ['status=reported&status=bogus', /^status/],
      ['urgency=panic', 'urgency'],
      ['overdue=maybe', 'overdue'],
      ['from=yesterday', 'from'],
      ['to=2025-02-30T00:00:00Z', 'to'],
      ['category=', 'category'],
    ] as const)('rejects ?%s with 400 validation_failed naming the parameter', async (query, field) => {
      expectError(await api.get('dispatcher', `/api/v1/cases?${query}`), 400, 'validation_failed', field);
    });

    // The query schema stops page at no upper bound: (page - 1) * pageSize overflows the SQL OFFSET
    // ("datatype mismatch" in SQLite, "invalid input syntax for type bigint" in PostgreSQL).
    it('does not fail with 500 on an absurdly large page number', async () => {
      const res = await api.get('dispatcher', '/api/v1/cases?page=99999999999999999999');
      expectNot500(res, 'GET /cases?page=1e20');
      const mine = await api.get('solang', '/api/v1/me/reports?page=99999999999999999999');
      expectNot500(mine, 'GET /me/reports?page=1e20');
    });

    // 'date-time' accepts a leap second, which new Date() cannot represent: toISOString() throws in the route.
    it('does not fail with 500 on a leap-second timestamp', async () => {
      const res = await api.get('dispatcher', '/api/v1/cases?from=2016-12-31T23:59:60Z');
      expectNot500(res, 'from=leap second');
      expect([200, 400]).toContain(res.statusCode);
    });

    it('reads one case with its events, clocks and the actions open to the reader', async () => {
      const res = await api.get('dispatcher', `/api/v1/cases/${ids.dispatched}`);
      expect(res.statusCode).toBe(200);
      const c = res.json<CaseJson & { reporter: { name: string; phone: string } }>();
      expect(c.status).toBe('dispatched');
      expect(c.department?.code).toBe('nj-municipal');
      expect(c.events?.map((e) => [e.seq, e.action, e.toStatus])).toEqual([
        [1, 'report', 'reported'],
        [2, 'accept', 'accepted'],
        [3, 'file', 'filed'],
        [4, 'dispatch', 'dispatched'],
      ]);
      const clocks = Object.fromEntries(c.clocks.map((k) => [k.stage, k.state]));
      expect(clocks).toMatchObject({ accept: 'met', dispatch: 'met', sign: expect.any(String), resolve: 'overdue' });
      expect(c.overdue).toBe(true);
      expect(c.reporter).toEqual({ id: world.users.get('tenzin')!.id, name: '丹*', phone: '139****4321' });
      // Dispatched cases wait for the department, not the command centre.
      expect(c.availableActions).not.toContain('dispatch');

      const reported = (await api.get('dispatcher', `/api/v1/cases/${ids.reported}`)).json<CaseJson>();
      expect(reported.availableActions).toEqual(expect.arrayContaining(['accept', 'reject', 'refer']));
      expect((await api.get('municipal', `/api/v1/cases/${ids.dispatched}`)).json<CaseJson>().availableActions).toEqual(
        expect.arrayContaining(['sign', 'return']),
      );
    });

    it("lets a rider read their own case and hides other riders' cases as 404 case_not_found", async () => {
      expect((await api.get('tenzin', `/api/v1/cases/${ids.dispatched}`)).statusCode).toBe(200);
      const hidden = expectError(await api.get('solang', `/api/v1/cases/${ids.dispatched}`), 404, 'case_not_found');
      const missing = expectError(await api.get('solang', '/api/v1/cases/no-such-case'), 404, 'case_not_found');
      // No hint that the hidden id is real.
      expect(hidden.message.replace(ids.dispatched, 'ID')).toBe(missing.message.replace('no-such-case', 'ID'));
    });

    it('hides cases outside the reader’s reach as 404', async () => {
      expectError(await api.get('zx-dispatcher', `/api/v1/cases/${ids.reported}`), 404, 'case_not_found');
      expectError(await api.get('dispatcher', `/api/v1/cases/${ids.zhaxi}`), 404, 'case_not_found');
      expectError(await api.get('urban', `/api/v1/cases/${ids.dispatched}`), 404, 'case_not_found');
    });

    it('rejects a case id over 64 characters with 400 naming id', async () => {
      expectError(await api.get('dispatcher', `/api/v1/cases/${'x'.repeat(65)}`), 400, 'validation_failed', 'id');
    });

    it('speaks English with Accept-Language: en or ?lang=en, Chinese by default', async () => {
      const zh = (await api.get('dispatcher', `/api/v1/cases/${ids.dispatched}`)).json<CaseJson>();
      expect(zh.statusText).toBe('已派遣,等待部门签收');
      expect(zh.category.name).toBe('路灯线路短路/漏电');

      const en = (await api.get('dispatcher', `/api/v1/cases/${ids.dispatched}`, { 'accept-language': 'en-GB,en;q=0.9,zh;q=0.5' })).json<CaseJson>();
      expect(en.statusText).toBe('Sent to the department responsible');
      expect(en.category.name).toBe('Street light short circuit or live wire');

      const query = (await api.get('dispatcher', `/api/v1/cases/${ids.dispatched}?lang=en`)).json<CaseJson>();
      expect(query.statusText).toBe('Sent to the department responsible');
      // ?lang= wins over the header.
      const both = (await api.get('dispatcher', `/api/v1/cases/${ids.dispatched}?lang=en`, { 'accept-language': 'zh-CN' })).json<CaseJson>();
      expect(both.statusText).toBe('Sent to the department responsible');

      const listed = await list('dispatcher', '?lang=en&status=closed');
      expect(listed.items[0]?.statusText).toBe('Closed');
      // Unknown languages fall back to Chinese.
      const unknown = (await api.get('dispatcher', `/api/v1/cases/${ids.closed}`, { 'accept-language': 'fr-FR' })).json<CaseJson>();
      expect(unknown.statusText).toBe('已结案');
    });

    it("lists a rider's own reports at /me/reports with their plain-words timeline", async () => {
      const res = await api.get('tenzin', '/api/v1/me/reports?lang=en');
      expect(res.statusCode).toBe(200);
      const page = res.json<PageJson<{ id: string; statusText: string; timeline: { action: string; text: string }[] }>>();
      expect(page.total).toBe(3);
      const closed = page.items.find((c) => c.id === ids.closed);
      expect(closed?.statusText).toBe('Closed');
      expect(closed?.timeline.map((t) => t.action)).toEqual(['report', 'accept', 'close']);
      expect(closed?.timeline.at(-1)?.text).toContain('a duplicate of an existing case');
      expectError(await api.get('tenzin', '/api/v1/me/reports?pageSize=500'), 400, 'validation_failed', 'pageSize');
    });
  });

  describe('actions', () => {
    let world: World;
    let api: Api;
    let other: string;

    beforeAll(async () => {
      world = await buildWorld(dialect, T0);
      api = new Api(world);
      other = world.category('07-999').id;
      await api.loginAll(['dispatcher', 'zx-dispatcher', 'municipal', 'urban', 'solang', 'tenzin', 'supervisor']);
    });
    afterAll(() => world?.close());

    /** A fresh case by `reporter`, taken through `actions` by the dispatcher (and municipal for handler steps). */
    const caseIn = async (actions: Action[] = [], reporter = 'solang', input: ActionInput = {}): Promise<string> => {
      const id = await world.report(reporter);
      for (const action of actions) {
        const handler = ['sign', 'start', 'resolve', 'return'].includes(action);
        await step(world, id, handler ? 'municipal' : 'dispatcher', action, action === 'dispatch' ? input : {});
      }
      return id;
    };
    const events = async (id: string) => (await api.get('dispatcher', `/api/v1/cases/${id}`)).json<CaseJson>().events ?? [];

    it('takes an action and returns the updated case', async () => {
      const id = await caseIn();
      const res = await api.act('dispatcher', id, 'accept', { note: '已受理' });
      expect(res.statusCode).toBe(200);
      const c = res.json<CaseJson>();
      expect(c.status).toBe('accepted');
      expect(c.events?.at(-1)).toMatchObject({ seq: 2, action: 'accept', fromStatus: 'reported', toStatus: 'accepted', note: '已受理' });
    });

    // The route reads `request.body ?? {}`, so a bodiless action is meant to work; the schema refuses it.
    it('accepts an action sent without any body', async () => {
      const id = await caseIn();
      const res = await world.app.inject({ method: 'POST', url: `/api/v1/cases/${id}/actions/accept`, headers: { authorization: `Bearer ${api.token('dispatcher')}` } });
      expect(res.statusCode, res.body).toBe(200);
    });

    it('refuses a reporter who tries to dispatch: 403 role_not_allowed', async () => {
      const id = await caseIn(['accept', 'file']);
      const error = expectError(await api.act('solang', id, 'dispatch'), 403, 'role_not_allowed');
      expect(error.details).toEqual({ action: 'dispatch', role: 'reporter' });
      // A handler whose department has not been given the case does not see it at all.
      expectError(await api.act('municipal', id, 'dispatch'), 404, 'case_not_found');
    });

    it("answers 404 when a rider acts on another rider's case", async () => {
      const id = await caseIn([], 'tenzin');
      expectError(await api.act('solang', id, 'rate', { score: 5 }), 404, 'case_not_found');
    });

    it('refuses the urban handler signing a case led by municipal works: 403 out_of_scope', async () => {
      // Urban assists, so it sees the case, but only the lead department signs.
      const id = await caseIn(['accept', 'file', 'dispatch'], 'solang', { assistingDepartmentIds: [world.department('nj-urban').id] });
      const error = expectError(await api.act('urban', id, 'sign'), 403, 'out_of_scope');
      expect(error.details).toEqual({ action: 'sign' });
      expect((await api.act('municipal', id, 'sign')).statusCode).toBe(200);
    });

    it('hides a case from a handler outside its handling chain: signing it is 404', async () => {
      const id = await caseIn(['accept', 'file', 'dispatch']);
      expectError(await api.act('urban', id, 'sign'), 404, 'case_not_found');
      expectError(await api.act('zx-dispatcher', id, 'accept'), 404, 'case_not_found');
    });

    it('refuses to dispatch a closed case: 409 dispatch_not_allowed_when_closed with details', async () => {
      const id = await caseIn(['accept']);
      expect((await api.act('dispatcher', id, 'close', { closureType: 'not_responsible', reason: '不属于本辖区' })).statusCode).toBe(200);
      const error = expectError(await api.act('dispatcher', id, 'dispatch'), 409, 'dispatch_not_allowed_when_closed');
      expect(error.details).toEqual({ action: 'dispatch', status: 'closed' });
      expectError(await api.act('dispatcher', id, 'accept'), 409, 'accept_not_allowed_when_closed');
    });

    it('refuses the same action twice: 409 accept_not_allowed_when_accepted', async () => {
      const id = await caseIn(['accept']);
      expectError(await api.act('dispatcher', id, 'accept'), 409, 'accept_not_allowed_when_accepted');
    });

    it('rejects an unknown action name with 400 naming action', async () => {
      const id = await caseIn();
      expectError(await api.act('dispatcher', id, 'teleport'), 400, 'validation_failed', 'action');
      expectError(await api.act('dispatcher', id, 'ACCEPT'), 400, 'validation_failed', 'action');
    });

    it('needs a reason to reject: 400 reason_required naming reason', async () => {
      const id = await caseIn();
      expectError(await api.act('dispatcher', id, 'reject'), 400, 'reason_required', 'reason');
      expectError(await api.act('dispatcher', id, 'reject', { reason: '   ' }), 400, 'reason_required', 'reason');
      expect((await events(id)).length).toBe(1);
      const res = await api.act('dispatcher', id, 'reject', { reason: '照片看不清,无法核实' });
      expect(res.statusCode).toBe(200);
      expect(res.json<CaseJson>().status).toBe('rejected');
    });

    it('validates closure types and the close rules', async () => {
      const id = await caseIn(['accept']);
      expectError(await api.act('dispatcher', id, 'close', { closureType: 'whatever', reason: 'x' }), 400, 'validation_failed', 'closureType');
      expectError(await api.act('dispatcher', id, 'close', { reason: 'x' }), 400, 'closure_type_required', 'closureType');
      expectError(await api.act('dispatcher', id, 'close', { closureType: 'duplicate' }), 400, 'reason_required', 'reason');
      expectError(await api.act('dispatcher', id, 'close', { closureType: 'fixed' }), 409, 'close_fixed_requires_verified');
    });

    it('validates ratings: score 6, 0 and 4.5 are 400 naming score; one rating per closure', async () => {
      const id = await caseIn(['accept']);
      await step(world, id, 'dispatcher', 'close', { closureType: 'no_action_possible', reason: '暂无法处置' });
      for (const score of [6, 0, 4.5, 'five']) {
        expectError(await api.act('solang', id, 'rate', { score }), 400, 'validation_failed', 'score');
      }
      expectError(await api.act('solang', id, 'rate'), 400, 'score_required', 'score');
      expect((await api.act('solang', id, 'rate', { score: 2, unitAtFault: true, comment: '没人来处理' })).statusCode).toBe(200);
      expectError(await api.act('solang', id, 'rate', { score: 5 }), 409, 'already_rated');
      // Dissatisfied with the unit at fault: the reporter may reopen.
      const reopened = await api.act('solang', id, 'reopen', { reason: '问题还在' });
      expect(reopened.statusCode, reopened.body).toBe(200);
      expect(reopened.json<CaseJson>().status).toBe('filed');
    });

    it('validates action references: unknown department, bad minutes, too many media', async () => {
      const id = await caseIn(['accept', 'file']);
      expectError(await api.act('dispatcher', id, 'dispatch', { departmentId: 'no-such-department' }), 400, 'department_not_found', 'departmentId');
      expectError(await api.act('dispatcher', id, 'dispatch', { assistingDepartmentIds: ['nope'] }), 400, 'department_not_found', 'assistingDepartmentIds');
      expectError(await api.act('dispatcher', id, 'dispatch', { media: Array.from({ length: 10 }, (_, i) => `m${i}`) }), 400, 'too_many_media', 'media');
      expectError(await api.act('dispatcher', id, 'dispatch', { urgency: 'panic' }), 400, 'validation_failed', 'urgency');
      expectError(await api.act('dispatcher', id, 'request-extension', { reason: 'x', minutes: 0 }), 400, 'validation_failed', 'minutes');
      expect((await events(id)).map((e) => e.action)).toEqual(['report', 'accept', 'file']);
    });

    it('replays an action retried with the same Idempotency-Key: 200 and only one event', async () => {
      const id = await caseIn();
      const first = await api.act('dispatcher', id, 'accept', { note: '收到' }, { 'idempotency-key': 'accept-once' });
      expect(first.statusCode).toBe(200);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const retry = await api.act('dispatcher', id, 'accept', { note: '收到' }, { 'idempotency-key': 'accept-once' });
      expect(retry.statusCode).toBe(200);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.json<CaseJson>().status).toBe('accepted');
      expect((await events(id)).filter((e) => e.action === 'accept')).toHaveLength(1);
      // The key cannot be reused for something else.
      expectError(await api.act('dispatcher', id, 'file', {}, { 'idempotency-key': 'accept-once' }), 409, 'idempotency_key_reused');
      // Without the key, a second accept is a state conflict.
      expectError(await api.act('dispatcher', id, 'accept', { note: '收到' }), 409, 'accept_not_allowed_when_accepted');
    });

    it('answers actions in English with Accept-Language: en or ?lang=en', async () => {
      const id = await caseIn();
      const viaHeader = await api.act('dispatcher', id, 'accept', {}, { 'accept-language': 'en' });
      expect(viaHeader.json<CaseJson>().statusText).toBe('Accepted');
      const viaQuery = await api.post('dispatcher', `/api/v1/cases/${id}/actions/file?lang=en`, {});
      expect(viaQuery.json<CaseJson>().statusText).toBe('Registered, waiting to be sent to a department');
    });

    // A sign carries no department, yet the event stores whatever departmentId the body held, and the
    // reporter's timeline names that department ("... has taken it on") instead of the one that signed.
    it("refuses fields an action does not use, and tells the reporter which department really signed", async () => {
      const id = await caseIn(['accept', 'file', 'dispatch']);
      const wrong = await api.act('municipal', id, 'sign', { departmentId: world.department('nj-urban').id });
      expect(wrong.statusCode).toBe(400);
      expect(wrong.json()).toMatchObject({ error: { code: 'unexpected_field', field: 'departmentId' } });
      const res = await api.act('municipal', id, 'sign', {});
      expect(res.statusCode).toBe(200);
      const mine = (await api.get('solang', '/api/v1/me/reports?pageSize=100')).json<PageJson<{ id: string; timeline: { action: string; text: string }[] }>>();
      const sign = mine.items.find((c) => c.id === id)?.timeline.find((t) => t.action === 'sign');
      expect(sign?.text).toBe(`${world.department('nj-municipal').names.zh}已签收`);
    });

    it('runs a case through to closed as fixed over HTTP', async () => {
      const id = await world.report('tenzin', { categoryId: other, media: [], description: '小区里一直有人放很大声的音乐' });
      for (const [who, action, body] of [
        ['dispatcher', 'accept', {}],
        ['dispatcher', 'file', {}],
        ['dispatcher', 'dispatch', { departmentId: world.department('nj-municipal').id }],
        ['municipal', 'sign', {}],
        ['municipal', 'start', {}],
        ['municipal', 'resolve', { note: '已劝导' }],
        ['dispatcher', 'verify', {}],
        ['dispatcher', 'close', { closureType: 'fixed' }],
      ] as const) {
        const res = await api.act(who, id, action, body);
        expect(res.statusCode, `${action}: ${res.body.slice(0, 300)}`).toBe(200);
      }
      // The rider reads the result in plain words, and may rate it.
      const done = (await api.get('tenzin', `/api/v1/cases/${id}`)).json<{ status: string; canRate: boolean; canReopen: boolean }>();
      expect(done).toMatchObject({ status: 'closed', canRate: true, canReopen: false });
    });
  });
});
