// The seed story, end to end through the HTTP API: on 7 May 2025 at 21:00 a rider reports a street
// light short-circuiting with sparks; it is made safe and closed within 30 minutes, and the rider sees
// every step and rates it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPhoto } from '../../src/seed/demo.js';
import { NAJIN_CODE } from '../../src/seed/najin-data.js';
import { DIALECTS } from '../support/db.js';
import { PASSWORD, buildWorld, type World } from '../support/world.js';

describe.each(DIALECTS)('the Najin street-light story ($name)', (dialect) => {
  let world: World;
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    // 21:00 in Lhasa (UTC+8).
    world = await buildWorld(dialect, '2025-05-07T13:00:00.000Z');
    for (const username of ['solang', 'dispatcher', 'municipal', 'admin']) {
      const res = await world.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: PASSWORD } });
      expect(res.statusCode).toBe(200);
      tokens.set(username, res.json<{ token: string }>().token);
    }
  });
  afterAll(() => world?.close());

  const call = async (username: string, method: 'GET' | 'POST', url: string, payload?: object, headers: Record<string, string> = {}) =>
    world.app.inject({ method, url, payload, headers: { authorization: `Bearer ${tokens.get(username)}`, ...headers } });

  const upload = async (username: string, label: string) => {
    const res = await world.app.inject({
      method: 'POST',
      url: '/api/v1/media',
      payload: demoPhoto(label),
      headers: { authorization: `Bearer ${tokens.get(username)}`, 'content-type': 'image/jpeg' },
    });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string }>().id;
  };

  it('is reported, dispatched, signed, fixed with an after-photo, verified and closed within 30 minutes; the rider sees each step and rates it', async () => {
    // Who hears what: the duty dispatcher hears emergencies in Najin, municipal works what is sent to it.
    const najin = world.unit(NAJIN_CODE).id;
    for (const subscription of [
      { kinds: ['emergency'], userId: world.users.get('dispatcher')!.id, jurisdictionId: najin },
      { kinds: ['dispatched'], userId: world.users.get('municipal')!.id, departmentId: world.department('nj-municipal').id },
    ]) {
      expect((await call('admin', 'POST', '/api/v1/subscriptions', subscription)).statusCode).toBe(201);
    }
    const inbox = async (username: string) => {
      await world.services.notifyWorker.drain();
      const res = await call(username, 'GET', '/api/v1/me/inbox?limit=50');
      expect(res.statusCode).toBe(200);
      return res.json<{ unread: number; items: { kind: string; title: string; body: string; caseId: string; link: string }[] }>();
    };
    const reportedAt = world.clock.now().getTime();
    const before = await upload('solang', 'sparks at the lamp post');
    const report = {
      categoryId: world.category('01-081').id,
      description: '紧急!这个地方的路灯线路短路,还能看到火星!',
      lat: world.najinPoint.lat,
      lon: world.najinPoint.lon,
      address: '纳金路6号骑手驿站旁',
      urgency: 'emergency',
      media: [before],
    };
    const created = await call('solang', 'POST', '/api/v1/reports', report, { 'idempotency-key': 'solang-2025-05-07-lamp' });
    expect(created.statusCode).toBe(201);
    const caseId = created.json<{ id: string }>().id;

    // Patchy signal: the phone sends the same report again. Same case, nothing duplicated.
    const retry = await call('solang', 'POST', '/api/v1/reports', report, { 'idempotency-key': 'solang-2025-05-07-lamp' });
    expect(retry.statusCode).toBe(200);
    expect(retry.json<{ id: string }>().id).toBe(caseId);
    const mine = await call('solang', 'GET', '/api/v1/me/reports');
    expect(mine.json<{ total: number }>().total).toBe(1);

    // The duty dispatcher's inbox has the emergency at once (the worker ran; no one polled the case list).
    const duty = await inbox('dispatcher');
    expect(duty.items.map((m) => m.kind)).toEqual(['emergency']);
    expect(duty.items[0]!.title).toContain('【紧急】');
    expect(duty.items[0]!.body).toContain('纳金路6号骑手驿站旁');

    // The command centre sees it at once, routed to municipal works, with the emergency clocks running.
    const seen = (await call('dispatcher', 'GET', `/api/v1/cases/${caseId}`)).json<{
      routedDepartment: { code: string };
      clocks: { stage: string; dueAt: string; state: string }[];
      reporter: { name: string; phone: string };
    }>();
    expect(seen.routedDepartment.code).toBe('nj-municipal');
    expect(seen.reporter).toEqual({ id: expect.any(String), name: '索*', phone: '138****5678' });
    const resolveDue = seen.clocks.find((c) => c.stage === 'accept');
    expect(resolveDue?.state).toBe('running');

    const act = async (username: string, minute: number, action: string, body: object = {}) => {
      world.clock.set(new Date(reportedAt + minute * 60_000));
      const res = await call(username, 'POST', `/api/v1/cases/${caseId}/actions/${action}`, body);
      expect(res.statusCode, `${action}: ${res.body}`).toBe(200);
      return res.json<{ status: string; clocks: { stage: string; state: string; dueAt: string }[] }>();
    };
    await act('dispatcher', 2, 'accept');
    await act('dispatcher', 3, 'file');
    const dispatched = await act('dispatcher', 4, 'dispatch');
    expect(dispatched.status).toBe('dispatched');
    // Made safe within 30 minutes of the report: the resolve clock is due at 21:30.
    expect(dispatched.clocks.find((c) => c.stage === 'resolve')?.dueAt).toBe('2025-05-07T13:30:00.000Z');
    const handler = await inbox('municipal');
    expect(handler.items.map((m) => m.kind)).toEqual(['dispatched']);
    // Sign within 5 minutes: an emergency's deadline, in the message that reaches the handler.
    expect(handler.items[0]!.body).toContain('签收时限:剩余 5分钟');
    await act('municipal', 6, 'sign');
    await act('municipal', 7, 'start');

    // Resolving without the after-photo this category demands is refused, and nothing changes.
    world.clock.set(new Date(reportedAt + 22 * 60_000));
    const noPhoto = await call('municipal', 'POST', `/api/v1/cases/${caseId}/actions/resolve`, { note: '已断电并更换线路' });
    expect(noPhoto.statusCode).toBe(400);
    expect(noPhoto.json()).toMatchObject({ error: { code: 'after_photo_required', field: 'media' } });

    const after = await upload('municipal', 'lamp rewired');
    const resolved = await act('municipal', 24, 'resolve', { note: '已断电并更换线路,隐患消除', media: [after] });
    expect(resolved.clocks.find((c) => c.stage === 'resolve')?.state).toBe('met');
    await act('dispatcher', 27, 'verify', { note: '现场核查,路灯正常' });
    const closed = await act('dispatcher', 29, 'close', { closureType: 'fixed' });
    expect(closed.status).toBe('closed');

    const full = (await call('dispatcher', 'GET', `/api/v1/cases/${caseId}`)).json<{
      reportedAt: string;
      closedAt: string;
      clocks: { stage: string; state: string }[];
      events: { seq: number; action: string; toStatus: string }[];
    }>();
    expect(Date.parse(full.closedAt) - Date.parse(full.reportedAt)).toBeLessThan(30 * 60_000);
    expect(full.clocks.filter((c) => c.stage !== 'accept').map((c) => [c.stage, c.state])).toEqual(
      expect.arrayContaining([
        ['dispatch', 'met'],
        ['sign', 'met'],
        ['resolve', 'met'],
        ['verify', 'met'],
        ['close', 'met'],
      ]),
    );
    expect(full.events.map((e) => e.action)).toEqual(['report', 'accept', 'file', 'dispatch', 'sign', 'start', 'resolve', 'verify', 'close']);
    expect(full.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);

    // The rider's view: every step in plain words, the after-photo, and the rating step.
    const view = (await call('solang', 'GET', '/api/v1/me/reports')).json<{
      items: { status: string; statusText: string; canRate: boolean; timeline: { action: string; text: string; evidence: string[] }[] }[];
    }>().items[0]!;
    expect(view.statusText).toBe('已结案');
    expect(view.canRate).toBe(true);
    expect(view.timeline.map((t) => t.text)).toEqual([
      '您的上报已收到',
      '街道指挥中心已受理',
      '已立案',
      '已派遣至纳金街道市政维护站',
      '纳金街道市政维护站已签收',
      '已开始处置',
      '已处置:已断电并更换线路,隐患消除',
      '现场核查通过',
      '已结案:问题已解决,欢迎评价',
    ]);
    expect(view.timeline.find((t) => t.action === 'resolve')?.evidence).toEqual([after]);

    // The rider's inbox: every step they were promised, once each, in order, with a link back to the report.
    const riderInbox = await inbox('solang');
    expect(riderInbox.items.map((m) => m.kind).reverse()).toEqual(['receipt', 'accepted', 'dispatched', 'resolved', 'closed', 'rate_request']);
    expect(riderInbox.unread).toBe(6);
    expect(riderInbox.items.every((m) => m.caseId === caseId && m.link.endsWith(`/rider/#/reports/${caseId}`))).toBe(true);
    expect(riderInbox.items.find((m) => m.kind === 'dispatched')!.title).toContain('纳金街道市政维护站');
    const read = await call('solang', 'POST', '/api/v1/me/inbox/read', { all: true });
    expect(read.json()).toEqual({ marked: 6, unread: 0 });

    const rated = await call('solang', 'POST', `/api/v1/cases/${caseId}/actions/rate`, { score: 5, comment: '不到30分钟就修好了' });
    expect(rated.statusCode).toBe(200);
    const afterRating = (await call('solang', 'GET', '/api/v1/me/reports?lang=en')).json<{
      items: { rating: { score: number }; canRate: boolean; timeline: { text: string }[] }[];
    }>().items[0]!;
    expect(afterRating.rating.score).toBe(5);
    expect(afterRating.canRate).toBe(false);
    expect(afterRating.timeline.at(-1)?.text).toBe('Your rating: 5 stars');
  });
});
