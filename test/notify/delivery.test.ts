// The delivery worker against local servers that behave like the real ones: a webhook receiver that is
// down for a while still gets every message once it is back (exactly once after de-duplication by the
// delivery id); a message that keeps failing is dead-lettered and an admin redelivers it; a WeCom robot is
// held to 20 messages a minute by queueing; a refused key marks the robot broken and tells the admins; a
// DingTalk robot is signed; email goes over real SMTP; a process that dies mid-send leaves its claim to
// expire and be taken again; secrets never come back in full.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelSender } from '../../src/notify/channel.js';
import { sendersFrom } from '../../src/notify/index.js';
import { DEFAULT_DELIVERY, DeliveryWorker } from '../../src/services/notify/deliver.js';
import { NAJIN_CODE, ZHAXI_CODE } from '../../src/seed/najin-data.js';
import { DIALECTS } from '../support/db.js';
import { act } from '../support/cases.js';
import { FakeClock, startFakeDingtalk, startFakeSmtp, startFakeWebhook, startFakeWecom, type FakeDingtalk, type FakeSmtp, type FakeWebhookReceiver, type FakeWecom } from '../support/fake-robots.js';
import { PASSWORD, buildWorld, type World } from '../support/world.js';

const T = '2025-05-07T13:00:00.000Z';
const SECRET = 'webhook-secret-0123456789abcdef';

describe.each(DIALECTS)('delivering notifications ($name)', (dialect) => {
  let world: World;
  let fakeClock: FakeClock;
  let hook: FakeWebhookReceiver;
  let wecom: FakeWecom;
  let dingtalk: FakeDingtalk;
  let smtp: FakeSmtp;
  let adminToken: string;
  let najin: string;

  beforeAll(async () => {
    fakeClock = new FakeClock(Date.parse(T));
    [hook, wecom, dingtalk, smtp] = await Promise.all([startFakeWebhook(SECRET, fakeClock), startFakeWecom(fakeClock), startFakeDingtalk(fakeClock), startFakeSmtp()]);
    world = await buildWorld(dialect, T, {
      notify: {
        publicUrl: 'https://gridline.najin.example',
        senders: sendersFrom({ wecomUrl: wecom.origin, dingtalkUrl: dingtalk.origin, smtpUrl: smtp.url(), smtpFrom: 'gridline@najin.example' }),
        delivery: { timeoutMs: 500, backoffMs: 60_000, backoffMaxMs: 3_600_000, random: () => 0.5, maxAttempts: { webhook: 4, wecom: 4, dingtalk: 4, email: 4 } },
      },
    });
    najin = world.unit(NAJIN_CODE).id;
    const login = await world.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: PASSWORD } });
    adminToken = login.json<{ token: string }>().token;
  });
  afterAll(async () => {
    await world?.close();
    await Promise.all([hook?.stop(), wecom?.close(), dingtalk?.close(), smtp?.close()]);
  });

  const api = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    world.app.inject({ method, url: `/api/v1${url}`, payload, headers: { authorization: `Bearer ${adminToken}` } });
  /** Move both clocks (Gridline's and the fakes') by minutes. */
  const advance = (minutes: number) => {
    world.clock.advance(minutes);
    fakeClock.set(world.clock.now().getTime());
  };
  const drain = () => world.services.notifyWorker.drain();
  const channel = async (body: object) => {
    const res = await api('POST', '/admin/channels', body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ channel: { id: string; config: Record<string, unknown> }; secret?: string }>();
  };
  const subscribe = async (channelId: string, kinds: string[]) => expect((await api('POST', '/subscriptions', { kinds, channelId, jurisdictionId: najin })).statusCode).toBe(201);
  const rubbish = (username = 'solang') => world.report(username, { categoryId: world.category('01-002').id, description: '垃圾桶满了' });

  it('keeps every message while a webhook receiver is down and delivers each once it is back; past the maximum it is dead-lettered and can be redelivered', async () => {
    const { channel: hookChannel } = await channel({ kind: 'webhook', name: 'city integration', config: { url: hook.url, secret: SECRET } });
    await subscribe(hookChannel.id, ['new_report']);
    await hook.down('unavailable');
    const ids = [await rubbish(), await rubbish('tenzin'), await rubbish()];
    const first = await drain();
    expect(first).toMatchObject({ delivered: 0, retried: 3, dead: 0 });
    // Backoff: nothing is due until a minute has passed (60 s, with half of it jittered).
    advance(0.5);
    expect((await drain()).claimed).toBe(0);
    advance(1);
    expect(await drain()).toMatchObject({ retried: 3 });
    await hook.down('refused');
    advance(2);
    expect(await drain()).toMatchObject({ retried: 3 });
    await hook.up();
    advance(5);
    expect(await drain()).toMatchObject({ delivered: 3 });
    const forCases = (list: typeof hook.accepted) => list.filter((r) => ids.includes((r.json as { case: { id: string } }).case.id));
    const accepted = forCases(hook.accepted);
    expect(accepted).toHaveLength(3);
    const byDelivery = new Set(accepted.map((r) => r.headers['x-gridline-delivery']));
    expect(byDelivery.size).toBe(3);
    expect(accepted.every((r) => r.headers['x-gridline-event'] === 'new_report' && r.verified)).toBe(true);
    // Every attempt carried the same delivery id: the 503s were answered to the same three ids.
    const attempted = new Set(hook.received.filter((r) => ids.includes((r.json as { case?: { id: string } })?.case?.id ?? '')).map((r) => r.headers['x-gridline-delivery']));
    expect(attempted).toEqual(byDelivery);

    // A receiver that never comes back: four attempts, then the dead-letter list with the last error.
    await hook.down('unavailable');
    const lost = await rubbish();
    for (let i = 0; i < 4; i++) {
      await drain();
      advance(30);
    }
    const dead = await api('GET', '/admin/deliveries?status=dead');
    expect(dead.statusCode).toBe(200);
    const letter = dead.json<{ items: { id: string; caseId: string; attempts: number; lastError: string; status: string }[]; dead: number }>().items.find((d) => d.caseId === lost)!;
    expect(letter).toMatchObject({ status: 'dead', attempts: 4 });
    expect(letter.lastError).toMatch(/503/);
    expect(letter.lastError).toMatch(/gave up after 4 attempts/);
    expect((await api('GET', `/admin/deliveries/${letter.id}`)).json<{ message: { deliveryId: string } }>().message.deliveryId).toBe(letter.id);
    await hook.up();
    const again = await api('POST', '/admin/deliveries/redeliver', { ids: [letter.id] });
    expect(again.json()).toEqual({ redelivered: 1 });
    await drain();
    const delivered = forCases(hook.accepted).length + hook.accepted.filter((r) => (r.json as { case: { id: string } }).case.id === lost).length;
    expect(delivered).toBe(4);
    expect((await api('GET', `/admin/deliveries/${letter.id}`)).json<{ status: string }>().status).toBe('delivered');
    await api('DELETE', `/subscriptions/${(await api('GET', '/subscriptions')).json<{ items: { id: string; channelId: string }[] }>().items.find((s) => s.channelId === hookChannel.id)!.id}`);
  });

  it('holds a WeCom robot to 20 messages a minute by queueing, and marks it broken when its key is refused', async () => {
    const key = wecom.addRobot();
    const { channel: robot } = await channel({ kind: 'wecom', name: '纳金小哥群', config: { key }, jurisdictionId: najin, group: true });
    expect(robot.config.key).toBe(`****${key.slice(-4)}`);
    const before = wecom.messages.length;
    for (let i = 0; i < 25; i++) await rubbish(i % 2 ? 'solang' : 'tenzin');
    const run = await drain();
    expect(run.delivered).toBe(20);
    expect(wecom.messages.length - before).toBe(20);
    // The five left wait for the next minute: held, not failed, no attempt counted.
    const pending = await api('GET', `/admin/deliveries?status=pending&channelId=${robot.id}`);
    expect(pending.json<{ items: { attempts: number }[] }>().items.map((d) => d.attempts)).toEqual([0, 0, 0, 0, 0]);
    advance(1.1);
    expect((await drain()).delivered).toBe(5);
    const sent = wecom.messages.slice(before) as unknown as { body: { msgtype: string; markdown?: { content: string } } }[];
    expect(sent.every((m) => m.body.msgtype === 'markdown' && m.body.markdown!.content.includes('https://gridline.najin.example/console/#/cases/'))).toBe(true);

    // The robot is removed from its group: the key is refused, the robot is marked broken, admins hear.
    wecom.removeRobot(key);
    advance(1.1);
    await rubbish();
    await rubbish();
    await drain();
    const broken = (await api('GET', `/admin/channels/${robot.id}`)).json<{ status: string; statusReason: string }>();
    expect(broken.status).toBe('broken');
    expect(broken.statusReason).toMatch(/93000/);
    const adminInbox = (await world.services.notify.inbox(await world.as('admin'), { limit: 10 })).items;
    expect(adminInbox[0]).toMatchObject({ kind: 'channel_broken', caseId: null });
    expect(adminInbox[0]!.title).toContain('纳金小哥群');
    // The next message waits while the robot is broken; a new key and a redelivery send both.
    const newKey = wecom.addRobot();
    const fixed = await api('PATCH', `/admin/channels/${robot.id}`, { config: { key: newKey }, status: 'active' });
    expect(fixed.json<{ status: string }>().status).toBe('active');
    expect((await api('POST', '/admin/deliveries/redeliver', { all: true, channelId: robot.id })).json()).toEqual({ redelivered: 1 });
    const mark = wecom.messages.length;
    await drain();
    expect(wecom.messages.length - mark).toBe(2);
  });

  it('mentions the duty officers on an emergency, signed for DingTalk and as WeCom text', async () => {
    const ding = dingtalk.addRobot();
    const key = wecom.addRobot();
    const mobiles = ['13800000001', '13800000002'];
    const { channel: dt } = await channel({ kind: 'dingtalk', name: 'duty DingTalk', config: { accessToken: ding.accessToken, secret: ding.secret }, mentionMobiles: mobiles, jurisdictionId: najin });
    const { channel: wc } = await channel({ kind: 'wecom', name: 'duty WeCom', config: { key }, mentionMobiles: mobiles, jurisdictionId: najin });
    expect(JSON.stringify(dt.config)).not.toContain(ding.secret!);
    await subscribe(dt.id, ['emergency']);
    await subscribe(wc.id, ['emergency']);
    advance(2);
    const [d0, w0] = [dingtalk.messages.length, wecom.messages.length];
    const id = await world.report('solang', { urgency: 'emergency', description: '路灯短路冒火花' });
    await drain();
    const dtMessage = dingtalk.messages.slice(d0).filter((m) => m.robot === ding.accessToken) as unknown as { body: { at: { atMobiles: string[] }; markdown: { text: string } } }[];
    expect(dtMessage).toHaveLength(1);
    expect(dtMessage[0]!.body.at.atMobiles).toEqual(mobiles);
    expect(dtMessage[0]!.body.markdown.text).toContain('@13800000001');
    const wcMessage = wecom.messages.slice(w0).filter((m) => m.robot === key) as unknown as { body: { msgtype: string; text: { content: string; mentioned_mobile_list: string[] } } }[];
    expect(wcMessage.map((m) => m.body.msgtype)).toEqual(['text']);
    expect(wcMessage[0]!.body.text.mentioned_mobile_list).toEqual(mobiles);
    expect(wcMessage[0]!.body.text.content).toContain('【紧急】');
    expect(wcMessage[0]!.body.text.content).toContain(`/console/#/cases/${id}`);
  });

  it('emails a list over SMTP, and a process that dies mid-send leaves its claim to expire and be taken again', async () => {
    const { channel: mail } = await channel({ kind: 'email', name: 'district office', config: { to: ['office@najin.example'] }, jurisdictionId: najin });
    await subscribe(mail.id, ['closed']);
    const id = await rubbish();
    await act(world, 'dispatcher', id, 'accept');
    await act(world, 'dispatcher', id, 'close', { closureType: 'no_action_possible', reason: '已自行清理' });
    await world.services.notifyWorker.fanout.drain();
    // Another process claims the email and is killed before it sends: its lease holds for a while...
    const store = world.services.ctx.uow.autocommit.notify;
    const now = world.clock.now();
    const stolen = await store.claimDeliveries('killed-process', now.toISOString(), new Date(now.getTime() + 120_000).toISOString(), 100);
    expect(stolen.filter((d) => d.channelId === mail.id)).toHaveLength(1);
    for (const d of stolen.filter((x) => x.channelId !== mail.id)) await store.finishDelivery(d.id, 'killed-process', {});
    const before = smtp.messages.length;
    await drain();
    expect(smtp.messages.length).toBe(before);
    // ...then it expires, and this process sends it.
    advance(3);
    await drain();
    expect(smtp.messages.length).toBe(before + 1);
    const sent = smtp.messages.at(-1)!;
    expect(sent.rcptTo).toEqual(['office@najin.example']);
    expect(sent.subject).toContain('已结案');
    expect(sent.headers.get('x-gridline-delivery')).toBe(stolen.find((d) => d.channelId === mail.id)!.id);
    // The killed process's late answer cannot overwrite what this one stored.
    expect(await store.finishDelivery(stolen.find((d) => d.channelId === mail.id)!.id, 'killed-process', { status: 'dead' })).toBe(false);
  });

  it('refuses bad channel settings with the field, and never answers a secret in full', async () => {
    const refused = async (body: object) => {
      const res = await api('POST', '/admin/channels', body);
      expect(res.statusCode).toBe(400);
      return res.json<{ error: { code: string; field: string } }>().error;
    };
    expect(await refused({ kind: 'webhook', name: 'x', config: { url: 'ftp://example.org/hook' } })).toMatchObject({ code: 'invalid_webhook_url', field: 'config.url' });
    expect(await refused({ kind: 'wecom', name: 'x', config: { key: 'not-a-key' } })).toMatchObject({ code: 'invalid_robot_key', field: 'config.key' });
    expect(await refused({ kind: 'dingtalk', name: 'x', config: { accessToken: 'abc', secret: 'SECxyz' } })).toMatchObject({ code: 'invalid_robot_key' });
    expect(await refused({ kind: 'pager', name: 'x', config: {} })).toMatchObject({ field: 'kind' });
    expect(await refused({ kind: 'webhook', name: 'x', config: { url: hook.url }, mentionMobiles: ['call me'] })).toMatchObject({ code: 'invalid_mobile', field: 'mentionMobiles' });
    const made = await channel({ kind: 'webhook', name: 'generated secret', config: { url: hook.url } });
    expect(made.secret).toMatch(/^[0-9a-f]{64}$/);
    const listed = (await api('GET', '/admin/channels')).body;
    expect(listed).not.toContain(made.secret!);
    expect(listed).not.toContain(SECRET);
    expect((await api('GET', `/admin/channels/${made.channel.id}`)).body).not.toContain(made.secret!);
  });

  it('lets only admins see deliveries, and dispatchers keep channels of their own jurisdiction only', async () => {
    const login = async (username: string) => (await world.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: PASSWORD } })).json<{ token: string }>().token;
    const as = (token: string, method: 'GET' | 'POST', url: string, payload?: object) => world.app.inject({ method, url: `/api/v1${url}`, payload, headers: { authorization: `Bearer ${token}` } });
    const dispatcher = await login('dispatcher');
    const rider = await login('solang');
    expect((await as(dispatcher, 'GET', '/admin/deliveries')).statusCode).toBe(403);
    expect((await as(rider, 'GET', '/admin/channels')).statusCode).toBe(403);
    expect((await as(rider, 'POST', '/subscriptions', { kinds: ['closed'], userId: 'x' })).statusCode).toBe(403);
    const zhaxi = world.unit(ZHAXI_CODE);
    const outside = await as(dispatcher, 'POST', '/admin/channels', { kind: 'webhook', name: 'x', config: { url: hook.url }, jurisdictionId: zhaxi.id });
    expect(outside.statusCode).toBe(403);
    const mine = await as(dispatcher, 'POST', '/admin/channels', { kind: 'webhook', name: 'mine', config: { url: hook.url }, jurisdictionId: najin });
    expect(mine.statusCode).toBe(201);
    const seen = (await as(dispatcher, 'GET', '/admin/channels')).json<{ items: { jurisdictionId: string }[] }>().items;
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((c) => c.jurisdictionId === najin)).toBe(true);
  });
});

describe.each(DIALECTS)('a claim that runs short ($name)', (dialect) => {
  it('sends only what its lease still covers and hands the rest back, so that no other process sends it too', async () => {
    const world = await buildWorld(dialect, T);
    try {
      const sent: string[] = [];
      // A slow receiver: each send takes 600 ms of the world's clock.
      const slow: ChannelSender = {
        kind: 'webhook',
        send: async (_target, message) => {
          sent.push(message.deliveryId);
          world.clock.set(new Date(world.clock.now().getTime() + 600));
          return { ok: true };
        },
      };
      const worker = new DeliveryWorker(world.services.ctx, new Map([['webhook', slow]]), { ...DEFAULT_DELIVERY, owner: 'short-lease', leaseMs: 1500, timeoutMs: 500 });
      const admin = await world.as('admin');
      const { channel } = await world.services.notify.createChannel(admin, { kind: 'webhook', name: 'slow receiver', config: { url: 'http://127.0.0.1:9/hook', secret: SECRET } });
      await world.services.notify.subscribe(admin, { kinds: ['new_report'], channelId: channel.id, jurisdictionId: world.unit(NAJIN_CODE).id });
      for (let i = 0; i < 4; i++) await world.report('solang', { categoryId: world.category('01-002').id, description: `慢 ${i}` });
      await world.services.notifyWorker.fanout.drain();
      // Claimed at t (lease to t+1500): sends at t and t+600; at t+1200 only 300 ms of the claim are left, under a send's 500.
      expect(await worker.run()).toMatchObject({ claimed: 4, delivered: 2, held: 2 });
      const rows = await world.database.db.selectFrom('deliveries').select(['status', 'attempts', 'lease_owner']).where('channel_id', '=', channel.id).execute();
      expect(rows.filter((r) => r.status === 'pending').map((r) => [r.attempts, r.lease_owner])).toEqual([
        [0, null],
        [0, null],
      ]);
      expect(await worker.run()).toMatchObject({ claimed: 2, delivered: 2, held: 0 });
      expect(new Set(sent).size).toBe(4);
      expect(sent).toHaveLength(4);
    } finally {
      await world.close();
    }
  });
});
