// The HTTP channel senders (WeCom and DingTalk group robots, generic webhooks) against local fakes that
// behave like the real services: the exact JSON bodies the APIs want, urgent mentions, DingTalk's signature,
// the services' rate limits and error codes, and what a failing or misbehaving server comes out as (retry,
// rate_limited, rejected, failed), with no secret ever in an error text.

import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelSender, ChannelTarget, OutgoingMessage, SendOutcome } from '../../src/notify/channel.js';
import { DingtalkSender, dingtalkSign } from '../../src/notify/dingtalk.js';
import { WECOM_MARKDOWN_MAX_BYTES, WecomSender } from '../../src/notify/wecom.js';
import { signWebhook, verifyWebhookSignature, webhookBody, WebhookSender } from '../../src/notify/webhook.js';
import { FakeClock, startFakeDingtalk, startFakeWebhook, startFakeWecom, type FakeDingtalk, type FakeWebhookReceiver, type FakeWecom } from '../support/fake-robots.js';
import { expectNoSecrets, LINK, message, target, timed, urgentMessage } from './support.js';

const clock = new FakeClock(Date.parse('2024-06-11T09:30:05.000Z'));
const opts = (over: { timeoutMs?: number; now?: Date } = {}) => ({ timeoutMs: over.timeoutMs ?? 2000, now: over.now ?? clock.date() });

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Sends, and checks that the outcome's error holds none of the target's secrets. */
async function send(sender: ChannelSender, t: ChannelTarget, m: OutgoingMessage, o = opts(), extraSecrets: string[] = []): Promise<SendOutcome> {
  const outcome = await sender.send(t, m, o);
  const secrets = [...Object.values(t.config).filter((v): v is string => typeof v === 'string' && v.length >= 8 && !v.startsWith('http')), ...extraSecrets];
  expectNoSecrets(outcome, secrets);
  return outcome;
}

describe('WeCom group robot', () => {
  let wecom: FakeWecom;
  let sender: WecomSender;
  let key: string;
  let t: ChannelTarget;

  beforeAll(async () => {
    wecom = await startFakeWecom(clock);
    sender = new WecomSender(`${wecom.origin}/`);
  });
  afterAll(async () => {
    await wecom?.close();
  });
  beforeEach(() => {
    wecom.recover();
    key = wecom.addRobot();
    t = target('wecom', { key });
  });

  it('sends markdown, exactly as the API wants it', async () => {
    const m = message();
    expect(await send(sender, t, m)).toEqual({ ok: true });
    const request = wecom.requests.at(-1)!;
    expect(request.query.get('key')).toBe(key);
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toStrictEqual({ msgtype: 'markdown', markdown: { content: m.markdown } });
    expect(wecom.messages.at(-1)).toMatchObject({ robot: key, body: { msgtype: 'markdown', markdown: { content: m.markdown } } });
  });

  it('adds the link when the markdown lacks it', async () => {
    const m = message({ markdown: '**新案件已派发**' });
    expect(await send(sender, t, m)).toEqual({ ok: true });
    expect(wecom.messages.at(-1)!.body).toStrictEqual({ msgtype: 'markdown', markdown: { content: `**新案件已派发**\n\n[GL-20240611-0007](${LINK})` } });
  });

  it('sends an urgent message as text mentioning the mobiles', async () => {
    const m = urgentMessage();
    expect(await send(sender, t, m)).toEqual({ ok: true });
    expect(wecom.messages.at(-1)!.body).toStrictEqual({ msgtype: 'text', text: { content: m.text, mentioned_mobile_list: ['13800138000', '13900139000'] } });
  });

  it('cuts markdown over 4096 bytes and keeps the link', async () => {
    const m = message({ markdown: `**长**\n${'占道经营'.repeat(600)}`, link: LINK });
    expect(await send(sender, t, m)).toEqual({ ok: true });
    const content = (wecom.messages.at(-1)!.body.markdown as { content: string }).content;
    expect(Buffer.byteLength(content)).toBeLessThanOrEqual(WECOM_MARKDOWN_MAX_BYTES);
    expect(content.endsWith(`…\n[GL-20240611-0007](${LINK})`)).toBe(true);
  });

  it('is rate limited after 20 messages a minute (45009), and not once the minute is over', async () => {
    for (let i = 0; i < 20; i++) expect(await send(sender, t, message())).toEqual({ ok: true });
    const limited = await send(sender, t, message());
    expect(limited).toMatchObject({ ok: false, outcome: 'rate_limited', retryAfterMs: 60_000 });
    expect(limited.ok || limited.error).toContain('45009');
    clock.advance(60_001);
    expect(await send(sender, t, message())).toEqual({ ok: true });
  });

  it('is rejected for a wrong or removed key (93000), without the key in the error', async () => {
    const wrong = await send(sender, target('wecom', { key: '2b9d6f0e-1111-4c2a-9f3e-5a5a5a5aa5aa' }), message());
    expect(wrong).toMatchObject({ ok: false, outcome: 'rejected' });
    expect(wrong.ok || wrong.error).toMatch(/93000/);
    wecom.removeRobot(key);
    expect(await send(sender, t, message())).toMatchObject({ ok: false, outcome: 'rejected' });
    expect(await send(sender, target('wecom', {}), message())).toMatchObject({ ok: false, outcome: 'rejected' });
  });

  it('retries on a 5xx, WeCom being busy (-1), a dropped connection, or nobody listening', async () => {
    wecom.misbehave({ kind: 'status', status: 502, body: '<html>Bad Gateway</html>' }, 1);
    const bad = await send(sender, t, message());
    expect(bad).toMatchObject({ ok: false, outcome: 'retry' });
    expect(bad.ok || bad.error).toContain('HTTP 502');
    expect(bad.ok || bad.error).not.toContain('?');
    wecom.misbehave({ kind: 'status', status: 200, body: '{"errcode":-1,"errmsg":"system busy"}' }, 1);
    expect(await send(sender, t, message())).toMatchObject({ ok: false, outcome: 'retry' });
    wecom.misbehave({ kind: 'close' }, 1);
    expect(await send(sender, t, message())).toMatchObject({ ok: false, outcome: 'retry' });
    const nobody = new WecomSender(`http://127.0.0.1:${await closedPort()}`);
    const refused = await send(nobody, t, message());
    expect(refused).toMatchObject({ ok: false, outcome: 'retry' });
    expect(refused.ok || refused.error).toMatch(/ECONNREFUSED/);
    expect(await send(sender, t, message())).toEqual({ ok: true });
  });

  it('gives up at the timeout on a server that hangs, answers too slowly, or trickles its body', async () => {
    for (const trouble of [{ kind: 'hang' }, { kind: 'slow', delayMs: 1000 }, { kind: 'trickle' }] as const) {
      wecom.misbehave(trouble, 1);
      const { value, ms } = await timed(send(sender, t, message(), opts({ timeoutMs: 200 })));
      expect(value).toMatchObject({ ok: false, outcome: 'retry' });
      expect(value.ok || value.error).toContain('timed out after 200 ms');
      expect(ms).toBeLessThan(1000);
    }
    wecom.misbehave({ kind: 'slow', delayMs: 50 }, 1);
    expect(await send(sender, t, message(), opts({ timeoutMs: 1000 }))).toEqual({ ok: true });
  });

  it('reads no more than 64 KiB of a never-ending answer', async () => {
    wecom.misbehave({ kind: 'huge' }, 1);
    const { value, ms } = await timed(send(sender, t, message(), opts({ timeoutMs: 5000 })));
    expect(value).toMatchObject({ ok: false, outcome: 'retry' });
    expect(value.ok || value.error).toContain('cut');
    expect(value.ok || value.error.length).toBeLessThan(500);
    expect(ms).toBeLessThan(2000);
  });

  it('takes a 429 as rate_limited (with Retry-After), a 403 as rejected and a redirect as failed', async () => {
    wecom.misbehave({ kind: 'status', status: 429, headers: { 'retry-after': '30' } }, 1);
    expect(await send(sender, t, message())).toEqual(expect.objectContaining({ outcome: 'rate_limited', retryAfterMs: 30_000 }));
    wecom.misbehave({ kind: 'status', status: 403, body: 'Forbidden' }, 1);
    expect(await send(sender, t, message())).toMatchObject({ ok: false, outcome: 'rejected' });
    wecom.misbehave({ kind: 'status', status: 302, headers: { location: `https://elsewhere.example/send?key=${key}` } }, 1);
    const redirected = await send(sender, t, message());
    expect(redirected).toMatchObject({ ok: false, outcome: 'failed' });
    expect(redirected.ok || redirected.error).toContain('https://elsewhere.example/send');
    expect(wecom.messages.length).toBeGreaterThan(0);
  });

  it('fails a message WeCom refuses as malformed', async () => {
    expect(await send(sender, t, message({ markdown: '' , link: null }))).toMatchObject({ ok: false, outcome: 'failed' });
  });
});

describe('DingTalk group robot', () => {
  let dingtalk: FakeDingtalk;
  let sender: DingtalkSender;

  beforeAll(async () => {
    dingtalk = await startFakeDingtalk(clock);
    sender = new DingtalkSender(dingtalk.origin);
  });
  afterAll(async () => {
    await dingtalk?.close();
  });
  beforeEach(() => dingtalk.recover());

  const robot = (options: { keywords?: string[] } = {}) => {
    const r = dingtalk.addRobot(options);
    return { robot: r, t: target('dingtalk', { accessToken: r.accessToken, secret: r.secret! }) };
  };

  it('signs the request (the fake checks it) and sends markdown, exactly as the API wants it', async () => {
    const { robot: r, t } = robot();
    const m = message();
    const now = clock.date();
    expect(await send(sender, t, m, opts({ now }))).toEqual({ ok: true });
    const request = dingtalk.requests.at(-1)!;
    expect(request.query.get('access_token')).toBe(r.accessToken);
    expect(request.query.get('timestamp')).toBe(String(now.getTime()));
    expect(request.query.get('sign')).toBe(dingtalkSign(r.secret!, now.getTime()));
    expect(JSON.parse(request.body)).toStrictEqual({ msgtype: 'markdown', markdown: { title: m.title, text: m.markdown }, at: { atMobiles: [], isAtAll: false } });
    expect(dingtalk.messages.at(-1)!.robot).toBe(r.accessToken);
  });

  it('mentions the mobiles of an urgent message in `at` and in the text', async () => {
    const { t } = robot();
    const m = urgentMessage();
    expect(await send(sender, t, m)).toEqual({ ok: true });
    expect(dingtalk.messages.at(-1)!.body).toStrictEqual({
      msgtype: 'markdown',
      markdown: { title: m.title, text: `${m.markdown}\n\n@13800138000 @13900139000` },
      at: { atMobiles: ['13800138000', '13900139000'], isAtAll: false },
    });
  });

  it('is rejected with a wrong secret or a timestamp over an hour off (310000), without the secret in the error', async () => {
    const { robot: r } = robot();
    const wrong = `SEC${'ab'.repeat(32)}`;
    const t = target('dingtalk', { accessToken: r.accessToken, secret: wrong });
    const refused = await send(sender, t, message(), opts(), [dingtalkSign(wrong, clock.now())]);
    expect(refused).toMatchObject({ ok: false, outcome: 'rejected' });
    expect(refused.ok || refused.error).toContain('310000');
    const right = target('dingtalk', { accessToken: r.accessToken, secret: r.secret! });
    expect(await send(sender, right, message(), opts({ now: new Date(clock.now() - 3_601_000) }))).toMatchObject({ ok: false, outcome: 'rejected' });
    expect(await send(sender, right, message(), opts({ now: new Date(clock.now() - 3_500_000) }))).toEqual({ ok: true });
    expect(dingtalk.messages.filter((x) => x.robot === r.accessToken)).toHaveLength(1);
  });

  it('is rejected for an unknown token (300001) and when a keyword is missing (310000)', async () => {
    const { t } = robot();
    const unknown = await send(sender, target('dingtalk', { accessToken: 'f'.repeat(64), secret: t.config.secret }), message());
    expect(unknown).toMatchObject({ ok: false, outcome: 'rejected' });
    expect(unknown.ok || unknown.error).toContain('300001');
    const { t: strict } = robot({ keywords: ['网格'] });
    expect(await send(sender, strict, message())).toMatchObject({ ok: false, outcome: 'rejected' });
    expect(await send(sender, strict, message({ title: '网格通知' }))).toEqual({ ok: true });
  });

  it('is rate limited after 20 messages a minute (130101)', async () => {
    const { t } = robot();
    for (let i = 0; i < 20; i++) expect(await send(sender, t, message())).toEqual({ ok: true });
    const limited = await send(sender, t, message());
    expect(limited).toMatchObject({ ok: false, outcome: 'rate_limited', retryAfterMs: 60_000 });
    expect(limited.ok || limited.error).toContain('130101');
    clock.advance(61_000);
    expect(await send(sender, t, message())).toEqual({ ok: true });
  });

  it('retries on a 5xx, a dropped connection and a hang', async () => {
    const { t } = robot();
    dingtalk.misbehave({ kind: 'status', status: 503 }, 1);
    expect(await send(sender, t, message())).toMatchObject({ ok: false, outcome: 'retry' });
    dingtalk.misbehave({ kind: 'close' }, 1);
    expect(await send(sender, t, message())).toMatchObject({ ok: false, outcome: 'retry' });
    dingtalk.misbehave({ kind: 'hang' }, 1);
    expect(await send(sender, t, message(), opts({ timeoutMs: 200 }))).toMatchObject({ ok: false, outcome: 'retry' });
    dingtalk.misbehave({ kind: 'huge' }, 1);
    expect(await send(sender, t, message())).toMatchObject({ ok: false, outcome: 'retry' });
    expect(await send(sender, t, message())).toEqual({ ok: true });
  });
});

describe('generic webhook', () => {
  const secret = 'whsec-4f9a1c7e2b8d4a6f9e3c1b5d7a9f2e4c';
  let receiver: FakeWebhookReceiver;
  const sender = new WebhookSender();
  let t: ChannelTarget;
  const nowS = () => Math.floor(clock.now() / 1000);

  beforeAll(async () => {
    receiver = await startFakeWebhook(secret, clock);
    t = target('webhook', { url: receiver.url, secret });
  });
  afterAll(async () => {
    await receiver?.close();
  });
  beforeEach(() => receiver.recover());

  it('posts the documented body and headers, signed so the receiver verifies it', async () => {
    const m = message();
    const now = clock.date();
    expect(await send(sender, t, m, opts({ now }))).toEqual({ ok: true });
    const got = receiver.received.at(-1)!;
    expect(got.verified).toBe(true);
    expect(got.body).toBe(webhookBody(m));
    expect(got.json).toStrictEqual({
      deliveryId: m.deliveryId,
      type: 'dispatched',
      createdAt: m.createdAt,
      case: { id: m.caseId, ref: m.ref },
      title: m.title,
      text: m.text,
      link: LINK,
      urgent: false,
      data: m.payload,
    });
    const ts = String(Math.floor(now.getTime() / 1000));
    expect(got.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Gridline-Webhook/1',
      'x-gridline-delivery': m.deliveryId,
      'x-gridline-event': 'dispatched',
      'x-gridline-timestamp': ts,
      'x-gridline-signature': signWebhook(secret, ts, got.body),
    });
    expect(got.headers['x-gridline-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it('verifyWebhookSignature: right only for the right secret, body and a timestamp within 5 minutes either way', () => {
    const body = webhookBody(message());
    const ts = String(nowS());
    const sig = signWebhook(secret, ts, body);
    expect(verifyWebhookSignature(secret, ts, body, sig, nowS())).toBe(true);
    expect(verifyWebhookSignature(secret, ts, Buffer.from(body), sig, nowS())).toBe(true);
    expect(verifyWebhookSignature(secret, ts, `${body} `, sig, nowS())).toBe(false);
    expect(verifyWebhookSignature(`${secret}x`, ts, body, sig, nowS())).toBe(false);
    expect(verifyWebhookSignature(secret, String(nowS() + 1), body, sig, nowS())).toBe(false);
    expect(verifyWebhookSignature(secret, ts, body, sig, nowS() + 300)).toBe(true);
    expect(verifyWebhookSignature(secret, ts, body, sig, nowS() + 301)).toBe(false);
    expect(verifyWebhookSignature(secret, ts, body, sig, nowS() - 301)).toBe(false);
    expect(verifyWebhookSignature(secret, ts, body, sig.toUpperCase().replace('SHA256=', 'sha256='), nowS())).toBe(true);
    for (const bad of [undefined, '', 'sha256=', sig.slice(0, -2), `sha1=${sig.slice(7)}`, `${sig}00`, [sig]]) {
      expect(verifyWebhookSignature(secret, ts, body, bad, nowS())).toBe(false);
    }
    for (const badTs of [undefined, '', `${ts}.5`, `-${ts}`, ' 1', [ts]]) {
      expect(verifyWebhookSignature(secret, badTs, body, sig, nowS())).toBe(false);
    }
  });

  it('is refused by the receiver when signed too long ago (401: failed)', async () => {
    const old = await send(sender, t, message(), opts({ now: new Date(clock.now() - 10 * 60_000) }));
    expect(old).toMatchObject({ ok: false, outcome: 'failed' });
    expect(old.ok || old.error).toContain('HTTP 401');
    expect(receiver.received.at(-1)!.verified).toBe(false);
  });

  it('takes a 429 as rate_limited with Retry-After in seconds or as a date', async () => {
    receiver.misbehave({ kind: 'status', status: 429, headers: { 'retry-after': '7' } }, 1);
    expect(await send(sender, t, message())).toEqual({ ok: false, outcome: 'rate_limited', error: expect.stringContaining('HTTP 429'), retryAfterMs: 7000 });
    const now = new Date(Math.floor(clock.now() / 1000) * 1000);
    receiver.misbehave({ kind: 'status', status: 429, headers: { 'retry-after': new Date(now.getTime() + 90_000).toUTCString() } }, 1);
    expect(await send(sender, t, message(), opts({ now }))).toMatchObject({ outcome: 'rate_limited', retryAfterMs: 90_000 });
    receiver.misbehave({ kind: 'status', status: 429 }, 1);
    const bare = await send(sender, t, message());
    expect(bare).toMatchObject({ outcome: 'rate_limited' });
    expect(bare).not.toHaveProperty('retryAfterMs');
  });

  it('retries while the receiver is down (refused, or 503 with Retry-After), and delivers once it is up', async () => {
    await receiver.down('refused');
    const refused = await send(sender, t, message());
    expect(refused).toMatchObject({ ok: false, outcome: 'retry' });
    expect(refused.ok || refused.error).toContain('ECONNREFUSED');
    await receiver.up();
    await receiver.down('unavailable', '120');
    expect(await send(sender, t, message())).toMatchObject({ ok: false, outcome: 'retry', retryAfterMs: 120_000 });
    await receiver.up();
    const before = receiver.accepted.length;
    expect(await send(sender, t, message())).toEqual({ ok: true });
    expect(receiver.accepted.length).toBe(before + 1);
  });

  it('retries on a hang (at the timeout) and a dropped connection; a never-ending 2xx body is still success', async () => {
    receiver.misbehave({ kind: 'hang' }, 1);
    const { value, ms } = await timed(send(sender, t, message(), opts({ timeoutMs: 200 })));
    expect(value).toMatchObject({ ok: false, outcome: 'retry' });
    expect(ms).toBeLessThan(1000);
    receiver.misbehave({ kind: 'close' }, 1);
    expect(await send(sender, t, message())).toMatchObject({ ok: false, outcome: 'retry' });
    receiver.misbehave({ kind: 'huge' }, 1);
    const huge = await timed(send(sender, t, message(), opts({ timeoutMs: 5000 })));
    expect(huge.value).toEqual({ ok: true });
    expect(huge.ms).toBeLessThan(2000);
  });

  it('takes 410 as rejected, other 4xx (401, 404) and redirects as failed', async () => {
    receiver.misbehave({ kind: 'status', status: 410, body: 'gone' }, 1);
    expect(await send(sender, t, message())).toMatchObject({ ok: false, outcome: 'rejected' });
    for (const status of [400, 401, 403, 404, 422]) {
      receiver.misbehave({ kind: 'status', status }, 1);
      expect(await send(sender, t, message())).toMatchObject({ ok: false, outcome: 'failed' });
    }
    receiver.misbehave({ kind: 'status', status: 301, headers: { location: '/moved?token=abcdefgh12345678' } }, 1);
    const moved = await send(sender, t, message(), opts(), ['abcdefgh12345678']);
    expect(moved).toMatchObject({ ok: false, outcome: 'failed' });
    expect(moved.ok || moved.error).toContain(`${receiver.origin}/moved`);
  });

  it('never shows the URL query, the secret or the signature in an error', async () => {
    const token = 'tok_9f8e7d6c5b4a39281706';
    const withQuery = target('webhook', { url: `${receiver.url}?token=${token}`, secret });
    receiver.misbehave({ kind: 'status', status: 500, body: `echo ${token} ${secret}` }, 1);
    const outcome = await send(sender, withQuery, message(), opts(), [token]);
    expect(outcome).toMatchObject({ ok: false, outcome: 'retry' });
    expect(outcome.ok || outcome.error).toContain('****');
    const sent = receiver.requests.at(-1)!;
    expect(outcome.ok || outcome.error).not.toContain(String(sent.headers['x-gridline-signature']).slice(7));
    expect(await send(sender, target('webhook', { url: receiver.url }), message())).toMatchObject({ ok: false, outcome: 'rejected' });
  });
});
