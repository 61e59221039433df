// The channels' config checkers (good and bad inputs, as the admin API gets them) and maskers, the
// dispatch on the kind, and the senders made from the deployment's settings.

import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import {
  checkChannelConfig,
  checkDingtalkConfig,
  checkEmailConfig,
  checkWebhookConfig,
  checkWecomConfig,
  closeSenders,
  DingtalkSender,
  EmailSender,
  maskChannelConfig,
  sendersFrom,
  WebhookSender,
  WecomSender,
  type ConfigCheck,
} from '../../src/notify/index.js';

const KEY = '693a91f6-7aaa-4bc4-97a0-0ec2a1fa5aaa';
const TOKEN = 'c1d2e3f4'.repeat(8);
const SECRET = `SEC${'0123456789abcdef'.repeat(4)}`;

const refused = (check: ConfigCheck, field: string, code: string) => {
  expect(check).toMatchObject({ ok: false, field, code });
  if (!check.ok) expect(check.message.length).toBeGreaterThan(30);
};

describe('WeCom config', () => {
  it('takes the bare key (any case) or the whole webhook address', () => {
    expect(checkWecomConfig({ key: KEY })).toEqual({ ok: true, config: { key: KEY } });
    expect(checkWecomConfig({ key: ` ${KEY.toUpperCase()}\n` })).toEqual({ ok: true, config: { key: KEY.toUpperCase() } });
    expect(checkWecomConfig({ key: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${KEY}` })).toEqual({ ok: true, config: { key: KEY } });
  });

  it('refuses anything else on config.key', () => {
    for (const input of [
      {},
      null,
      'a string',
      { key: 42 },
      { key: '' },
      { key: KEY.slice(1) },
      { key: `${KEY}0` },
      { key: `http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${KEY}` },
      { key: `https://evil.example/cgi-bin/webhook/send?key=${KEY}` },
      { key: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=nope' },
    ]) {
      refused(checkWecomConfig(input), 'config.key', 'invalid_robot_key');
    }
  });

  it('masks the key', () => {
    expect(maskChannelConfig('wecom', { key: KEY })).toEqual({ key: '****5aaa' });
  });
});

describe('DingTalk config', () => {
  it('takes the token (or the robot address) and the SEC secret', () => {
    expect(checkDingtalkConfig({ accessToken: TOKEN, secret: SECRET })).toEqual({ ok: true, config: { accessToken: TOKEN, secret: SECRET } });
    expect(checkDingtalkConfig({ accessToken: `https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}`, secret: ` ${SECRET} ` })).toEqual({
      ok: true,
      config: { accessToken: TOKEN, secret: SECRET },
    });
  });

  it('refuses a bad token on config.accessToken and a bad secret on config.secret', () => {
    for (const accessToken of [undefined, '', TOKEN.slice(2), `${TOKEN}g`, `https://oapi.dingtalk.com/robot/send?access_token=abc`, `https://example.org/robot/send?access_token=${TOKEN}`]) {
      refused(checkDingtalkConfig({ accessToken, secret: SECRET }), 'config.accessToken', 'invalid_robot_key');
    }
    for (const secret of [undefined, '', SECRET.slice(3), `sec${SECRET.slice(3)}`, `${SECRET}0`, 123]) {
      refused(checkDingtalkConfig({ accessToken: TOKEN, secret }), 'config.secret', 'invalid_robot_key');
    }
  });

  it('masks the token and the secret', () => {
    expect(maskChannelConfig('dingtalk', { accessToken: TOKEN, secret: SECRET })).toEqual({ accessToken: '****e3f4', secret: '****cdef' });
  });
});

describe('webhook config', () => {
  it('takes an http(s) URL and a secret, or makes a random secret', () => {
    expect(checkWebhookConfig({ url: 'https://hooks.example.org/gridline', secret: 'a-secret-of-16ch' })).toEqual({
      ok: true,
      config: { url: 'https://hooks.example.org/gridline', secret: 'a-secret-of-16ch' },
    });
    const made = checkWebhookConfig({ url: 'http://10.0.0.5:8080/in' });
    expect(made.ok && made.config.secret).toMatch(/^[0-9a-f]{64}$/);
    const again = checkWebhookConfig({ url: 'http://10.0.0.5:8080/in', secret: '' });
    expect(again.ok && again.config.secret).not.toBe(made.ok && made.config.secret);
  });

  it('refuses other URLs on config.url and bad secrets on config.secret', () => {
    for (const url of [undefined, '', 'ftp://files.example/x', 'javascript:alert(1)', 'mailto:a@b.example', 'http://', 'https:///nohost', 'hooks.example.org/x', `https://a.example/${'x'.repeat(2040)}`]) {
      refused(checkWebhookConfig({ url, secret: 'a-secret-of-16ch' }), 'config.url', 'invalid_webhook_url');
    }
    for (const secret of ['short', 'x'.repeat(257), 'sixteen-chars-\nx', 42]) {
      refused(checkWebhookConfig({ url: 'https://hooks.example.org/x', secret }), 'config.secret', 'invalid_webhook_secret');
    }
    expect(checkWebhookConfig({ url: `https://a.example/${'x'.repeat(2048 - 'https://a.example/'.length)}`, secret: 'x'.repeat(256) }).ok).toBe(true);
  });

  it('masks the secret and the query values of the URL', () => {
    expect(maskChannelConfig('webhook', { url: 'https://bob:pw123456@hooks.example.org/in?token=abcdef123456789&v=', secret: '0123456789abcdefwxyz' })).toEqual({
      url: 'https://bob:****@hooks.example.org/in?token=****6789&v=',
      secret: '****wxyz',
    });
  });
});

describe('email config', () => {
  it('takes 1 to 20 addresses, as a list or one string, dropping repeats', () => {
    expect(checkEmailConfig({ to: ['duty@city.example', 'Chief.Officer+grid@sub.city.example'] })).toEqual({
      ok: true,
      config: { to: ['duty@city.example', 'Chief.Officer+grid@sub.city.example'] },
    });
    expect(checkEmailConfig({ to: 'a@x.example, b@x.example; A@X.example\nc@城市.中国' })).toEqual({ ok: true, config: { to: ['a@x.example', 'b@x.example', 'c@城市.中国'] } });
    expect(checkEmailConfig({ to: Array.from({ length: 20 }, (_, i) => `u${i}@x.example`) }).ok).toBe(true);
  });

  it('refuses none, more than 20, or an implausible address on config.to', () => {
    for (const to of [undefined, [], '', ' , ', Array.from({ length: 21 }, (_, i) => `u${i}@x.example`), ['a@x.example', 'not-an-address'], ['a@localhost'], ['a@@x.example'], ['.a@x.example'], ['a b@x.example'], [42], ['a@-x.example']]) {
      refused(checkEmailConfig({ to }), 'config.to', 'invalid_email');
    }
  });

  it('has nothing to mask', () => {
    expect(maskChannelConfig('email', { to: ['duty@city.example'] })).toEqual({ to: ['duty@city.example'] });
  });
});

describe('dispatch on the kind and the senders', () => {
  it('checks by kind, refusing an unknown kind', () => {
    expect(checkChannelConfig('wecom', { key: KEY }).ok).toBe(true);
    expect(checkChannelConfig('email', { to: 'x' })).toMatchObject({ ok: false, code: 'invalid_email' });
    expect(checkChannelConfig('sms', {})).toMatchObject({ ok: false, field: 'kind', code: 'invalid_channel_kind' });
  });

  it('keeps only the known fields when masking', () => {
    expect(maskChannelConfig('wecom', { key: KEY, extra: 'x' })).toEqual({ key: '****5aaa' });
    expect(maskChannelConfig('webhook', {})).toEqual({ url: '', secret: '****' });
  });

  it('makes one sender per kind, email only with an SMTP URL (and a From)', () => {
    const without = sendersFrom({});
    expect([...without.keys()].sort()).toEqual(['dingtalk', 'webhook', 'wecom']);
    expect(without.get('wecom')).toBeInstanceOf(WecomSender);
    expect(without.get('dingtalk')).toBeInstanceOf(DingtalkSender);
    expect(without.get('webhook')).toBeInstanceOf(WebhookSender);
    const all = sendersFrom({ wecomUrl: 'http://127.0.0.1:1', dingtalkUrl: 'http://127.0.0.1:2', smtpUrl: 'smtp://u:p@127.0.0.1:2525', smtpFrom: 'noreply@x.example' });
    expect(all.get('email')).toBeInstanceOf(EmailSender);
    for (const [kind, sender] of all) expect(sender.kind).toBe(kind);
    closeSenders(all);
    expect(() => sendersFrom({ smtpUrl: 'smtp://u:p@127.0.0.1:2525' })).toThrow(/From/);
    expect(() => sendersFrom({ smtpUrl: 'https://u:hunter2hunter2@mail.example', smtpFrom: 'a@x.example' })).toThrow(/^(?!.*hunter2)/);
  });
});

describe('the deployment settings for several processes', () => {
  it('reads WORKERS, DATABASE_SCHEMA and NOTIFY_LEASE_MS, refusing values that would break a deployment', () => {
    const defaults = loadConfig({});
    expect(defaults.workers).toBe(true);
    expect(defaults.databaseSchema).toBeUndefined();
    expect(defaults.notify.leaseMs).toBeGreaterThanOrEqual(defaults.notify.timeoutMs * 2);
    const api = loadConfig({ WORKERS: 'off', DATABASE_SCHEMA: 'gridline_lhasa', NOTIFY_TIMEOUT_MS: '1000', NOTIFY_LEASE_MS: '2500' });
    expect([api.workers, api.databaseSchema, api.notify.leaseMs]).toEqual([false, 'gridline_lhasa', 2500]);
    expect(() => loadConfig({ DATABASE_SCHEMA: 'public; drop table cases' })).toThrow(/DATABASE_SCHEMA/);
    // A claim that can run out while its send is still within its time limit would let a second process send it too.
    expect(() => loadConfig({ NOTIFY_TIMEOUT_MS: '10000', NOTIFY_LEASE_MS: '15000' })).toThrow(/NOTIFY_LEASE_MS .* twice NOTIFY_TIMEOUT_MS/);
    expect(() => loadConfig({ WORKERS: 'sometimes' })).toThrow(/WORKERS/);
  });
});
