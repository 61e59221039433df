// Grid workers over HTTP (issue 11, items 1, 2 and 6): an open application with its status link, the
// three-layer recruitment (application, employer recommendation, subdistrict review) and the appointment
// with its account and printable certificate; suspension, reinstatement and retirement; every step an
// event in order; phones masked where the full number is not needed; refusals with a code and the field,
// and nothing stored by a refused request.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAJIN_CODE, ZHAXI_CODE } from '../../src/seed/najin-data.js';
import { DIALECTS } from '../support/db.js';
import { buildWorld, type World } from '../support/world.js';
import { Api, expectError } from './support.js';

interface StatusJson {
  name: string;
  status: string;
  reason: string | null;
  appointmentNumber: string | null;
  steps: { action: string; status: string }[];
}
interface MemberJson {
  id: string;
  name: string;
  phone: string;
  status: string;
  statusReason: string | null;
  userId: string | null;
  appointmentNumber: string | null;
  events: { seq: number; action: string; fromStatus: string | null; toStatus: string; actorRole: string; data: Record<string, unknown> }[];
  availableActions: string[];
}

describe.each(DIALECTS)('grid workers: applications and recruitment ($name)', (dialect) => {
  let world: World;
  let api: Api;
  let najin: string;

  beforeAll(async () => {
    world = await buildWorld(dialect);
    api = new Api(world);
    await api.loginAll(['dispatcher', 'zx-dispatcher', 'supervisor', 'municipal', 'admin', 'solang']);
    najin = world.unit(NAJIN_CODE).id;
  });
  afterAll(() => world?.close());

  let phoneCounter = 0;
  const application = (overrides: Record<string, unknown> = {}) => ({
    name: '次仁多吉',
    phone: `1391234${String(5000 + ++phoneCounter).padStart(4, '0')}`,
    workerType: 'rider',
    platform: 'meituan',
    station: '美团纳金站',
    roles: ['grid_worker', 'food_safety_guardian'],
    jurisdictionId: najin,
    ...overrides,
  });
  const apply = async (body: object) => {
    const res = await api.post(null, '/api/v1/applications', body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ token: string; statusUrl: string; status: StatusJson }>();
  };
  const step = (who: string, id: string, action: string, body: object = {}) => api.post(who, `/api/v1/members/${id}/actions/${action}`, body);
  const memberIdOf = async (phone: string) => (await world.database.db.selectFrom('members').select('id').where('phone', '=', phone).executeTakeFirstOrThrow()).id;
  const count = async (table: 'members' | 'member_events' | 'users') => Number((await world.database.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  it('lists the worker types and platforms an application chooses from, without an account', async () => {
    const res = await api.get(null, '/api/v1/programme/options');
    expect(res.statusCode).toBe(200);
    const body = res.json<{ workerTypes: { code: string }[]; platforms: { code: string; names: { zh: string } }[] }>();
    expect(body.workerTypes.map((o) => o.code)).toEqual(['rider', 'courier']);
    expect(body.platforms.map((o) => o.names.zh)).toContain('美团');
  });

  it('takes an application without an account and answers a status link that shows it', async () => {
    const body = application({ phone: '+86 139-1234-0001' });
    const answer = await apply(body);
    expect(answer.statusUrl).toBe(`/api/v1/applications/${answer.token}`);
    expect(answer.status).toMatchObject({ name: '次仁多吉', status: 'applicant', reason: null, steps: [{ action: 'apply', status: 'applicant' }] });
    const status = await api.get(null, answer.statusUrl);
    expect(status.statusCode).toBe(200);
    expect(status.headers['cache-control']).toBe('no-store');
    expect(status.json<StatusJson>().status).toBe('applicant');
    // The phone is kept in full (normalized), never shown to the link.
    expect(status.body).not.toContain('13912340001');
    const stored = await world.database.db.selectFrom('members').select(['phone', 'status_token_hash']).where('phone', '=', '13912340001').executeTakeFirstOrThrow();
    expect(stored.status_token_hash).not.toContain(answer.token);
    expectError(await api.get(null, '/api/v1/applications/not-a-real-link-at-all-0123456789'), 404, 'application_not_found');
  });

  it('refuses a bad application with the field and stores nothing', async () => {
    const before = [await count('members'), await count('member_events')];
    expectError(await api.post(null, '/api/v1/applications', application({ phone: '12345' })), 400, 'invalid_phone', 'phone');
    expectError(await api.post(null, '/api/v1/applications', application({ phone: '1381234567x' })), 400, 'invalid_phone', 'phone');
    expectError(await api.post(null, '/api/v1/applications', application({ platform: 'uber' })), 400, 'unknown_platform', 'platform');
    expectError(await api.post(null, '/api/v1/applications', application({ workerType: 'pilot' })), 400, 'unknown_worker_type', 'workerType');
    expectError(await api.post(null, '/api/v1/applications', application({ jurisdictionId: 'no-such-unit' })), 400, 'jurisdiction_not_found', 'jurisdictionId');
    const grid = (await world.services.ctx.uow.autocommit.reference.jurisdictions()).find((u) => u.level === 'grid')!;
    expectError(await api.post(null, '/api/v1/applications', application({ jurisdictionId: grid.id })), 400, 'not_a_subdistrict', 'jurisdictionId');
    expectError(await api.post(null, '/api/v1/applications', application({ name: '   ' })), 400, 'name_required', 'name');
    expectError(await api.post(null, '/api/v1/applications', application({ roles: ['boss'] })), 400);
    // A phone that already applied: 409 naming the field, the first application unchanged.
    const first = application();
    await apply(first);
    const before2 = [await count('members'), await count('member_events')];
    expectError(await api.post(null, '/api/v1/applications', { ...first, name: '别人' }), 409, 'phone_already_applied', 'phone');
    expect([await count('members'), await count('member_events')]).toEqual(before2);
    expect(before2).toEqual([before[0]! + 1, before[1]! + 1]);
  });

  it('recruits in three layers: application, recommendation, review, then appointment with an account and a certificate', async () => {
    const body = application({ name: '索朗旺姆' });
    const { statusUrl } = await apply(body);
    const id = await memberIdOf(body.phone as string);

    // The dispatcher of Najin sees the applicant: the list masks the phone, the detail shows it in full.
    const list = await api.get('dispatcher', '/api/v1/members?status=applicant');
    expect(list.statusCode).toBe(200);
    const listed = list.json<{ items: MemberJson[] }>().items.find((m) => m.id === id)!;
    expect(listed.phone).toMatch(/^139\*{4}\d{4}$/);
    const detail = (await api.get('dispatcher', `/api/v1/members/${id}`)).json<MemberJson>();
    expect(detail.phone).toBe(body.phone);
    expect(detail.availableActions).toEqual(['recommend', 'reject']);

    // Out of order: 409 with the status; without the recommender: 400 naming the field.
    expectError(await step('dispatcher', id, 'approve'), 409, 'approve_not_allowed_when_applicant');
    expectError(await step('dispatcher', id, 'recommend', {}), 400, 'recommender_required', 'recommender');
    expectError(await step('dispatcher', id, 'recommend', { recommender: '王站长', reason: 'x' }), 400, 'unexpected_field', 'reason');

    expect((await step('dispatcher', id, 'recommend', { recommender: '美团纳金站 王站长', station: '美团纳金站' })).statusCode).toBe(200);
    expect((await step('supervisor', id, 'approve', { note: '熟悉辖区，服务意识强' })).statusCode).toBe(200);
    expect((await api.get(null, statusUrl)).json<StatusJson>().status).toBe('approved');

    // The appointment needs the account the member reports with.
    expectError(await step('dispatcher', id, 'appoint', { appointedOn: '2025-05-08' }), 400, 'account_required', 'userId');
    expectError(await step('dispatcher', id, 'appoint', { appointedOn: '2025-02-30', username: 'sonam-wangmo' }), 400, 'invalid_date', 'appointedOn');
    expectError(await step('dispatcher', id, 'appoint', { appointedOn: '2025-05-08', userId: world.users.get('municipal')!.id }), 400, 'not_a_reporter', 'userId');
    const appointed = await step('dispatcher', id, 'appoint', { appointedOn: '2025-05-08', username: 'sonam-wangmo' });
    expect(appointed.statusCode, appointed.body).toBe(200);
    const { member, account } = appointed.json<{ member: MemberJson; account: { username: string; password: string } }>();
    expect(member.status).toBe('appointed');
    expect(member.appointmentNumber).toBe(`${NAJIN_CODE}-2025-001`);
    expect(member.events.map((e) => [e.seq, e.action, e.fromStatus, e.toStatus])).toEqual([
      [1, 'apply', null, 'applicant'],
      [2, 'recommend', 'applicant', 'recommended'],
      [3, 'approve', 'recommended', 'approved'],
      [4, 'appoint', 'approved', 'appointed'],
    ]);
    expect(member.events[1]!.data).toMatchObject({ recommender: '美团纳金站 王站长' });
    // The new account reports: a reporter of Najin, with the password shown once.
    expect(account.username).toBe('sonam-wangmo');
    const login = await world.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: account.username, password: account.password } });
    expect(login.statusCode).toBe(200);
    expect(login.json<{ user: { role: string; id: string } }>().user).toMatchObject({ role: 'reporter', id: member.userId });
    expect((await api.get(null, statusUrl)).json<StatusJson>()).toMatchObject({ status: 'appointed', appointmentNumber: `${NAJIN_CODE}-2025-001` });

    // The certificate: zh-CN, printable, the programme, the name, the number and the date.
    const cert = await api.get('dispatcher', `/api/v1/members/${id}/certificate`);
    expect(cert.statusCode).toBe(200);
    expect(cert.headers['content-type']).toMatch(/^text\/html/);
    expect(cert.headers['content-security-policy']).toContain("style-src 'unsafe-inline'");
    expect(cert.body).toContain('<html lang="zh-CN">');
    for (const text of ['聘书', '索朗旺姆', '流动网格员、舌尖守护者', `${NAJIN_CODE}-2025-001`, '2025年5月8日', '@page']) expect(cert.body).toContain(text);

    // The next appointment of the year gets the next number.
    const second = application({ name: '<script>alert(1)</script>' });
    await apply(second);
    const secondId = await memberIdOf(second.phone as string);
    await step('dispatcher', secondId, 'recommend', { recommender: '饿了么 李站长' });
    await step('dispatcher', secondId, 'approve');
    const two = await step('dispatcher', secondId, 'appoint', { appointedOn: '2025-05-09', userId: world.users.get('tenzin')!.id });
    expect(two.statusCode, two.body).toBe(200);
    expect(two.json<{ member: MemberJson; account?: unknown }>()).toMatchObject({ member: { appointmentNumber: `${NAJIN_CODE}-2025-002`, userId: world.users.get('tenzin')!.id } });
    expect(two.json<{ account?: unknown }>().account).toBeUndefined();
    const escaped = (await api.get('dispatcher', `/api/v1/members/${secondId}/certificate`)).body;
    expect(escaped).not.toContain('<script>');
    expect(escaped).toContain('&lt;script&gt;');
    // An account belongs to one member.
    const third = application();
    await apply(third);
    const thirdId = await memberIdOf(third.phone as string);
    await step('dispatcher', thirdId, 'recommend', { recommender: '顺丰 张经理' });
    await step('dispatcher', thirdId, 'approve');
    expectError(await step('dispatcher', thirdId, 'appoint', { appointedOn: '2025-05-10', userId: world.users.get('tenzin')!.id }), 409, 'account_linked');
    expect((await api.get('dispatcher', `/api/v1/members/${thirdId}`)).json<MemberJson>().status).toBe('approved');
  });

  it('rejects with a reason the applicant sees; suspends, reinstates and retires with reasons; a retired phone may apply again', async () => {
    const body = application();
    const { statusUrl } = await apply(body);
    const id = await memberIdOf(body.phone as string);
    expectError(await step('dispatcher', id, 'reject', {}), 400, 'reason_required', 'reason');
    expect((await step('dispatcher', id, 'reject', { reason: '暂不在本辖区配送' })).statusCode).toBe(200);
    expect((await api.get(null, statusUrl)).json<StatusJson>()).toMatchObject({ status: 'rejected', reason: '暂不在本辖区配送' });
    expectError(await step('dispatcher', id, 'recommend', { recommender: 'x' }), 409, 'recommend_not_allowed_when_rejected');

    const again = await apply({ ...body, name: '次仁多吉' });
    const next = (await world.database.db.selectFrom('members').select('id').where('phone', '=', body.phone as string).where('status', '=', 'applicant').executeTakeFirstOrThrow()).id;
    expect(next).not.toBe(id);
    expect(again.status.status).toBe('applicant');
    await step('dispatcher', next, 'recommend', { recommender: '美团 王站长' });
    await step('dispatcher', next, 'approve');
    await step('dispatcher', next, 'appoint', { appointedOn: '2025-06-01', username: `rider-${next.slice(-6)}` });
    expectError(await step('dispatcher', next, 'suspend'), 400, 'reason_required', 'reason');
    expect((await step('supervisor', next, 'suspend', { reason: '连续三个月未上报' })).statusCode).toBe(200);
    expectError(await api.get('dispatcher', `/api/v1/members/${next}/certificate`), 409, 'not_appointed');
    expect((await step('supervisor', next, 'reinstate', { note: '已恢复' })).json<{ member: MemberJson }>().member).toMatchObject({ status: 'appointed', statusReason: null });
    const retired = (await step('admin', next, 'retire', { reason: '离开配送行业' })).json<{ member: MemberJson }>().member;
    expect(retired.status).toBe('retired');
    expect(retired.events.map((e) => e.action)).toEqual(['apply', 'recommend', 'approve', 'appoint', 'suspend', 'reinstate', 'retire']);
    expect(retired.availableActions).toEqual([]);
    expect((await apply({ ...body })).status.status).toBe('applicant');
  });

  it('keeps members to the staff of their subdistrict: other roles 403 before the body is read, other subdistricts out of scope', async () => {
    const body = application();
    await apply(body);
    const id = await memberIdOf(body.phone as string);
    expectError(await api.get('municipal', '/api/v1/members'), 403, 'role_not_allowed');
    expectError(await api.get('solang', `/api/v1/members/${id}`), 403, 'role_not_allowed');
    expectError(await step('municipal', id, 'recommend', { recommender: 'x' }), 403, 'role_not_allowed');
    expectError(await api.get(null, '/api/v1/members'), 401, 'unauthenticated');
    expectError(await api.get('zx-dispatcher', `/api/v1/members/${id}`), 403, 'out_of_scope');
    expectError(await step('zx-dispatcher', id, 'recommend', { recommender: 'x' }), 403, 'out_of_scope');
    const zhaxiList = (await api.get('zx-dispatcher', '/api/v1/members')).json<{ items: MemberJson[] }>().items;
    expect(zhaxiList.every((m) => m.id !== id)).toBe(true);
    // Zhaxi's own applicant is theirs.
    const theirs = application({ jurisdictionId: world.unit(ZHAXI_CODE).id });
    await apply(theirs);
    expect((await api.get('zx-dispatcher', '/api/v1/members')).json<{ items: MemberJson[] }>().items.map((m) => m.name)).toContain('次仁多吉');
    // The admin sees everyone, paged.
    const page = (await api.get('admin', '/api/v1/members?limit=2')).json<{ items: MemberJson[]; next: string | null }>();
    expect(page.items).toHaveLength(2);
    const rest = (await api.get('admin', `/api/v1/members?limit=200&before=${page.next}`)).json<{ items: MemberJson[] }>();
    expect(rest.items.map((m) => m.id)).not.toContain(page.items[0]!.id);
    expectError(await api.get('dispatcher', '/api/v1/members/nope'), 404);
  });


  it("lets a platform's station (an employer account) see and recommend its own riders, and nothing else", async () => {
    // An admin opens the station's account; a platform and an area are required, and only for an employer.
    const station = { username: 'mt-test', password: 'station-pass-1', displayName: '美团纳金站 扎西', role: 'employer', platform: 'meituan', station: '美团纳金站', jurisdictionId: najin };
    expectError(await api.post('admin', '/api/v1/admin/users', { ...station, platform: undefined }), 400, 'platform_required', 'platform');
    expectError(await api.post('admin', '/api/v1/admin/users', { ...station, platform: 'didi' }), 400, 'unknown_platform', 'platform');
    expectError(await api.post('admin', '/api/v1/admin/users', { ...station, jurisdictionId: undefined }), 400, 'jurisdiction_required', 'jurisdictionId');
    expectError(await api.post('admin', '/api/v1/admin/users', { ...station, username: 'disp-x', role: 'dispatcher' }), 400, 'not_an_employer', 'platform');
    const created = await api.post('admin', '/api/v1/admin/users', station);
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ role: 'employer', platform: 'meituan', station: '美团纳金站' });
    await api.login('mt-test', 'station-pass-1');

    world.clock.advance(11); // past the open form's rate-limit window the tests above used up
    const ours = application({ station: undefined });
    const theirs = application({ platform: 'eleme' });
    const elsewhere = application({ jurisdictionId: world.unit(ZHAXI_CODE).id });
    for (const body of [ours, theirs, elsewhere]) await apply(body);
    const [oursId, theirsId, elsewhereId] = (await Promise.all([ours, theirs, elsewhere].map((b) => memberIdOf(b.phone as string)))) as [string, string, string];

    // The station lists only Meituan's riders of its area, phones masked.
    const list = (await api.get('mt-test', '/api/v1/members?limit=200')).json<{ items: (MemberJson & { platform: string })[] }>().items;
    expect(list.map((m) => m.id)).toContain(oursId);
    expect(list.map((m) => m.id)).not.toContain(theirsId);
    expect(list.map((m) => m.id)).not.toContain(elsewhereId);
    expect(list.every((m) => m.platform === 'meituan' && /^\d{3}\*{4}\d{4}$/.test(m.phone))).toBe(true);
    expect((await api.get('mt-test', '/api/v1/members?platform=eleme')).json<{ items: unknown[] }>().items).toEqual([]);
    expectError(await api.get('mt-test', `/api/v1/members/${theirsId}`), 404, 'member_not_found');
    expectError(await api.get('mt-test', `/api/v1/members/${elsewhereId}`), 403, 'out_of_scope');

    // It recommends in its own name; the review and everything after stay with the subdistrict.
    const detail = (await api.get('mt-test', `/api/v1/members/${oursId}`)).json<MemberJson>();
    expect(detail.phone).toMatch(/^\d{3}\*{4}\d{4}$/);
    expect(detail.availableActions).toEqual(['recommend']);
    expectError(await step('mt-test', theirsId, 'recommend'), 404, 'member_not_found');
    const recommended = await step('mt-test', oursId, 'recommend', { note: '跑单两年，熟悉纳金路' });
    expect(recommended.statusCode, recommended.body).toBe(200);
    const event = recommended.json<{ member: MemberJson }>().member.events.at(-1)!;
    expect(event).toMatchObject({ action: 'recommend', actorRole: 'employer', data: { recommender: '美团纳金站 扎西', station: '美团纳金站', platform: 'meituan', note: '跑单两年，熟悉纳金路' } });
    expect(recommended.json<{ member: MemberJson }>().member.availableActions).toEqual([]);
    expectError(await step('mt-test', oursId, 'approve'), 403, 'role_not_allowed');
    expect((await step('dispatcher', oursId, 'approve', { note: '面谈通过' })).statusCode).toBe(200);

    // Cases, media and the programme's money are not a station's business.
    expectError(await api.get('mt-test', '/api/v1/cases'), 403, 'role_not_allowed');
    expectError(await api.get('mt-test', '/api/v1/redemptions'), 403, 'role_not_allowed');
  });

  it('lets an admin add a platform (couriers join next) and take one off the form, never deleting it', async () => {
    // Past the open form's rate-limit window (THROTTLE_PUBLIC_WRITE: 20 in 10 minutes per address) that the tests above used up.
    world.clock.advance(11);
    const put = (who: string, code: string, body: object) => api.call(who, 'PUT', `/api/v1/admin/programme/options/platform/${code}`, body);
    expectError(await put('dispatcher', 'yto', { names: { zh: '圆通速递', en: 'YTO Express' } }), 403, 'role_not_allowed');
    expectError(await put('admin', 'YTO!', { names: { zh: '圆通速递', en: 'YTO Express' } }), 400);
    expectError(await put('admin', 'yto', { names: { zh: '', en: 'YTO Express' } }), 400, 'name_required', 'names.zh');
    const added = await put('admin', 'yto', { names: { zh: '圆通速递', en: 'YTO Express' } });
    expect(added.statusCode, added.body).toBe(200);
    expect((await api.get(null, '/api/v1/programme/options')).json<{ platforms: { code: string }[] }>().platforms.map((p) => p.code)).toContain('yto');
    await apply(application({ platform: 'yto', workerType: 'courier' }));
    expect((await put('admin', 'yto', { names: { zh: '圆通速递', en: 'YTO Express' }, active: false })).statusCode).toBe(200);
    expect((await api.get(null, '/api/v1/programme/options')).json<{ platforms: { code: string }[] }>().platforms.map((p) => p.code)).not.toContain('yto');
    expectError(await api.post(null, '/api/v1/applications', application({ platform: 'yto' })), 400, 'unknown_platform', 'platform');
  });
});
