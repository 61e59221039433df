// The programme's steps reach the people they concern (issue 11, item 2): the rider who applied signed in
// hears of each step of their membership and of their redemptions in their inbox; the platform's station
// hears of its own riders' steps (never of their money); the subdistrict's reviewers and supervisors hear,
// through their subscriptions, of what waits for them, and only in their own jurisdiction; a group's
// channel gets a delivery with a masked name and no phone. Every step is told once, however often the
// fan-out runs.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAJIN_CODE } from '../../src/seed/najin-data.js';
import { act } from '../support/cases.js';
import { DIALECTS } from '../support/db.js';
import { buildWorld, type World } from '../support/world.js';
import { Api, expectError } from '../http/support.js';

describe.each(DIALECTS)('programme notifications ($name)', (dialect) => {
  let world: World;
  let api: Api;

  beforeAll(async () => {
    world = await buildWorld(dialect);
    api = new Api(world);
    await api.loginAll(['dispatcher', 'zx-dispatcher', 'supervisor', 'admin', 'regulator', 'solang', 'tenzin', 'mt-najin', 'elm-najin']);
    const admin = await world.as('admin');
    const najin = world.unit(NAJIN_CODE).id;
    await world.services.notify.subscribe(admin, { kinds: ['member_applied', 'member_recommended'], userId: world.users.get('dispatcher')!.id, jurisdictionId: najin });
    await world.services.notify.subscribe(admin, { kinds: ['redemption_requested'], userId: world.users.get('supervisor')!.id, jurisdictionId: najin });
    // Zhaxi's dispatcher asks for every application, but Najin's members are not theirs to review.
    await world.services.notify.subscribe(admin, { kinds: ['member_applied'], userId: world.users.get('zx-dispatcher')!.id });
  });
  afterAll(() => world?.close());

  const drain = () => world.services.notifyWorker.drain();
  interface Message { kind: string; title: string; body: string; link: string | null; caseId: string | null; data: Record<string, unknown> }
  const inbox = async (username: string) => (await world.services.notify.inbox(await world.as(username), { limit: 200 })).items.reverse() as Message[];
  const kinds = async (username: string, memberId: string) => (await inbox(username)).filter((m) => m.data.memberId === memberId).map((m) => m.kind);
  const step = (who: string, id: string, action: string, body: object = {}) => api.post(who, `/api/v1/members/${id}/actions/${action}`, body);

  it('tells a rider who applied signed in of every step, the station of its rider, and the reviewers of what waits for them', async () => {
    const applied = await api.post('solang', '/api/v1/applications', { name: '索朗', phone: '13812345678', workerType: 'rider', platform: 'meituan', jurisdictionId: world.unit(NAJIN_CODE).id });
    expect(applied.statusCode, applied.body).toBe(201);
    const mine = await api.get('solang', '/api/v1/me/membership');
    expect(mine.statusCode, mine.body).toBe(200);
    const memberId = mine.json<{ memberId: string; status: string }>().memberId;
    expect(mine.json()).toMatchObject({ status: 'applicant', steps: [{ action: 'apply' }] });
    // One live membership per account.
    expectError(await api.post('solang', '/api/v1/applications', { name: '索朗', phone: '13812340000', workerType: 'rider', platform: 'meituan', jurisdictionId: world.unit(NAJIN_CODE).id }), 409, 'already_a_member');

    await drain();
    expect(await kinds('solang', memberId)).toEqual([]); // their own step
    expect(await kinds('dispatcher', memberId)).toEqual(['member_applied']);
    expect(await kinds('mt-najin', memberId)).toEqual(['member_applied']);
    expect(await kinds('elm-najin', memberId)).toEqual([]); // another platform's station
    expect(await kinds('zx-dispatcher', memberId)).toEqual([]); // another subdistrict
    const news = (await inbox('dispatcher')).find((m) => m.data.memberId === memberId)!;
    expect(news.title).toBe('新的网格员报名:索朗(美团)');
    expect(news.caseId).toBeNull();
    expect(news.link).toMatch(new RegExp(`/console/#/members/${memberId}$`));
    expect(news.body).not.toContain('13812345678');

    expect((await step('mt-najin', memberId, 'recommend')).statusCode).toBe(200);
    expect((await step('supervisor', memberId, 'approve', { note: '面谈通过' })).statusCode).toBe(200);
    expect((await step('dispatcher', memberId, 'appoint', { appointedOn: '2025-05-08' })).statusCode).toBe(200);
    await drain();
    await drain();
    expect(await kinds('solang', memberId)).toEqual(['member_recommended', 'member_approved', 'member_appointed']);
    expect(await kinds('mt-najin', memberId)).toEqual(['member_applied', 'member_approved', 'member_appointed']); // not its own recommendation
    expect(await kinds('dispatcher', memberId)).toEqual(['member_applied', 'member_recommended']); // what it subscribed to
    const appointed = (await inbox('solang')).find((m) => m.data.memberId === memberId && m.kind === 'member_appointed')!;
    expect(appointed.title).toBe('您已被聘为流动网格员');
    expect(appointed.body).toMatch(/聘书编号:\S+-2025-\d{3}/);
    expect(appointed.link).toMatch(/\/rider\/#\/membership$/);
    expect((await api.get('solang', '/api/v1/me/membership')).json()).toMatchObject({ status: 'appointed', appointmentNumber: expect.stringMatching(/-2025-/) });
  });

  it('tells an applicant the reason of a rejection in their language, and may be asked again from the same account', async () => {
    const tenzin = world.users.get('tenzin')!;
    await world.database.db.updateTable('users').set({ locale: 'en' }).where('id', '=', tenzin.id).execute();
    expect((await api.post('tenzin', '/api/v1/applications', { name: '丹增', phone: '13987654321', workerType: 'rider', platform: 'eleme', jurisdictionId: world.unit(NAJIN_CODE).id })).statusCode).toBe(201);
    const memberId = (await api.get('tenzin', '/api/v1/me/membership')).json<{ memberId: string }>().memberId;
    expect((await step('dispatcher', memberId, 'reject', { reason: '暂未在纳金街道辖区配送' })).statusCode).toBe(200);
    await drain();
    const rejected = (await inbox('tenzin')).find((m) => m.data.memberId === memberId)!;
    expect(rejected).toMatchObject({ kind: 'member_rejected', title: 'Your application was not accepted', data: { reason: '暂未在纳金街道辖区配送', status: 'rejected' } });
    expect(rejected.body).toContain('Reason: 暂未在纳金街道辖区配送');
    expect((await kinds('elm-najin', memberId))).toEqual(['member_applied', 'member_rejected']);
    // Rejected, the account may apply again; its status is the new application.
    world.clock.advance(11);
    expect((await api.post('tenzin', '/api/v1/applications', { name: '丹增', phone: '13987654321', workerType: 'rider', platform: 'eleme', jurisdictionId: world.unit(NAJIN_CODE).id })).statusCode).toBe(201);
    const again = (await api.get('tenzin', '/api/v1/me/membership')).json<{ memberId: string; status: string }>();
    expect(again.memberId).not.toBe(memberId);
    expect(again.status).toBe('applicant');
  });

  it('refuses an application from a staff account, and from a token that is not live, before storing anything', async () => {
    const before = Number((await world.database.db.selectFrom('members').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const body = { name: '拉巴', phone: '13700009999', workerType: 'rider', platform: 'meituan', jurisdictionId: world.unit(NAJIN_CODE).id };
    expectError(await api.post('dispatcher', '/api/v1/applications', body), 403, 'role_not_allowed');
    const forged = await world.app.inject({ method: 'POST', url: '/api/v1/applications', payload: body, headers: { authorization: 'Bearer not-a-live-token' } });
    expectError(forged, 401, 'invalid_token');
    expect(Number((await world.database.db.selectFrom('members').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)).toBe(before);
    expectError(await api.get('dispatcher', '/api/v1/me/membership'), 404, 'not_a_member');
  });

  it("tells the supervisor of a redemption to approve, the member of each step, and a group's channel with a masked name", async () => {
    const admin = await world.as('admin');
    const { channel } = await world.services.notify.createChannel(admin, { kind: 'webhook', name: '纳金财务群', config: { url: 'http://127.0.0.1:9/hook', secret: 'webhook-secret-0123456789' }, jurisdictionId: world.unit(NAJIN_CODE).id });
    await world.services.notify.subscribe(admin, { kinds: ['redemption_requested'], channelId: channel.id, jurisdictionId: world.unit(NAJIN_CODE).id });
    // Twenty points to redeem: four food-safety reports the regulator verified at level 1 (5 points each).
    for (let i = 0; i < 4; i++) {
      const id = await world.report('solang', { categoryId: world.category('06-091').id, description: '后厨过期食材' });
      for (const [who, action, input] of [['dispatcher', 'accept', {}], ['dispatcher', 'file', {}], ['dispatcher', 'dispatch', { departmentId: world.department('nj-market').id }], ['regulator', 'sign', {}], ['regulator', 'start', {}]] as const) await act(world, who, id, action, input);
      await act(world, 'regulator', id, 'resolve', { note: '已责令整改', media: [await world.photo('regulator')] });
      await act(world, 'regulator', id, 'verify', { level: 1 });
    }
    expect((await api.get('solang', '/api/v1/me/points')).json()).toMatchObject({ balance: 20 });

    const first = await api.post('solang', '/api/v1/me/redemptions', { points: 10 });
    expect(first.statusCode, first.body).toBe(201);
    const second = await api.post('solang', '/api/v1/me/redemptions', { points: 10 });
    const [a, b] = [first.json<{ id: string }>().id, second.json<{ id: string }>().id];
    await drain();
    const supervisorNews = (await inbox('supervisor')).filter((m) => m.kind === 'redemption_requested');
    // One fan-out told of both: their order within it is not theirs to keep.
    expect(supervisorNews.map((m) => m.data.redemptionId).sort()).toEqual([a, b].sort());
    expect(supervisorNews[0]!.title).toBe('积分兑换待审批:索朗 10 积分(200 元)');
    expect((await inbox('solang')).filter((m) => m.kind.startsWith('redemption_'))).toEqual([]); // their own request
    expect((await inbox('mt-najin')).filter((m) => m.kind.startsWith('redemption_'))).toEqual([]); // money is not the station's

    const deliveries = await world.database.db.selectFrom('deliveries').selectAll().where('channel_id', '=', channel.id).orderBy('event_id').execute();
    expect(deliveries.map((d) => [d.kind, d.case_id, d.event_id])).toEqual(
      [`${a}:requested`, `${b}:requested`].sort().map((event) => ['redemption_requested', null, event]),
    );
    const message = JSON.parse(deliveries.find((d) => d.event_id === `${a}:requested`)!.message) as { text: string; ref: string; caseId: null; payload: { member: Record<string, unknown>; redemption: Record<string, unknown> } };
    expect(message.text).toContain('索*');
    expect(message.text).not.toContain('索朗');
    expect(JSON.stringify(message)).not.toContain('13812345678');
    expect(message.payload.redemption).toMatchObject({ id: a, points: 10, yuan: 200 });
    expect(message.payload.member).not.toHaveProperty('name');
    expect(message.ref).toBe(a);

    expect((await api.post('supervisor', `/api/v1/redemptions/${a}/approve`, {})).statusCode).toBe(200);
    expect((await api.post('supervisor', `/api/v1/redemptions/${a}/pay`, { payoutRef: 'WX-20250507-001' })).statusCode).toBe(200);
    expect((await api.post('supervisor', `/api/v1/redemptions/${b}/reject`, { reason: '本月额度已满' })).statusCode).toBe(200);
    // A refused step tells nothing.
    expectError(await api.post('supervisor', `/api/v1/redemptions/${a}/pay`, { payoutRef: 'WX-20250507-002' }), 409);
    await drain();
    await drain();
    const money = (await inbox('solang')).filter((m) => m.kind.startsWith('redemption_'));
    expect(money.map((m) => [m.kind, m.data.redemptionId])).toEqual([
      ['redemption_approved', a],
      ['redemption_paid', a],
      ['redemption_rejected', b],
    ]);
    expect(money[1]!.title).toBe('积分兑换 200 元已发放');
    expect(money[1]!.body).toContain('付款凭证号:WX-20250507-001');
    expect(money[2]!.body).toContain('原因:本月额度已满');
    expect(money[2]!.title).toBe('您的积分兑换未获批准,10 积分已退回');
    expect(money.every((m) => m.link?.endsWith('/rider/#/points'))).toBe(true);
    expect(await world.services.ctx.uow.autocommit.notify.outboxSize()).toBe(0);
  });
});
