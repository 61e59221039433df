// The email sender against a real SMTP session (smtp-server on 127.0.0.1, AUTH PLAIN and LOGIN): what
// arrives (subject, text, the HTML part, Message-ID and X-Gridline-Delivery for de-duplication), one pooled
// connection reused, and SMTP's temporary, permanent and login failures mapped to retry, failed and
// rejected, with the password never in an error text. Also the HTML rendering of the markdown.

import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SendOutcome } from '../../src/notify/channel.js';
import { EmailSender, renderEmailHtml } from '../../src/notify/email.js';
import { startFakeSmtp, type FakeSmtp } from '../support/fake-robots.js';
import { expectNoSecrets, LINK, message, target, timed, urgentMessage } from './support.js';

const FROM = 'Gridline <noreply@gridline.example.org>';
const now = new Date('2024-06-11T09:30:05.000Z');
const opts = (timeoutMs = 3000) => ({ timeoutMs, now });
const to = target('email', { to: ['duty@city.example', 'chief@city.example'] });

describe('email over SMTP', () => {
  let smtp: FakeSmtp;
  let sender: EmailSender;
  const senders: EmailSender[] = [];
  const make = (url: string): EmailSender => {
    const s = new EmailSender({ url, from: FROM });
    senders.push(s);
    return s;
  };
  const secrets = () => [smtp.password, encodeURIComponent(smtp.password), Buffer.from(smtp.password).toString('base64')];
  const send = async (s: EmailSender, m = message(), o = opts()): Promise<SendOutcome> => {
    const outcome = await s.send(to, m, o);
    expectNoSecrets(outcome, secrets());
    return outcome;
  };

  beforeAll(async () => {
    smtp = await startFakeSmtp();
    sender = make(smtp.url());
  });
  afterAll(async () => {
    for (const s of senders) s.close();
    await smtp?.close();
  });
  beforeEach(() => smtp.recover());

  it('delivers through a real SMTP session with AUTH PLAIN, with the headers receivers de-duplicate on', async () => {
    const m = message();
    expect(await send(sender, m)).toEqual({ ok: true });
    const got = smtp.messages.at(-1)!;
    expect(got.user).toBe(smtp.user);
    expect(got.authMethod).toBe('PLAIN');
    expect(got.mailFrom).toBe('noreply@gridline.example.org');
    expect(got.rcptTo).toEqual(['duty@city.example', 'chief@city.example']);
    expect(got.subject).toBe(m.title);
    expect(got.headers.get('message-id')).toBe(`<${m.deliveryId}@gridline>`);
    expect(got.headers.get('x-gridline-delivery')).toBe(m.deliveryId);
    expect(got.headers.get('to')).toContain('duty@city.example');
    expect(got.headers.get('date')).toBe(now.toUTCString().replace('GMT', '+0000'));
    expect(got.text.replace(/\r\n/g, '\n').trim()).toBe(m.text);
    expect(got.html).toContain('<strong>新案件已派发：占道经营</strong>');
    expect(got.html).toContain(`<a href="${LINK}">查看案件</a>`);
    expect(got.html).toContain('<blockquote');
  });

  it('adds the link to the text and HTML when the message lacks it, and marks an urgent one high priority', async () => {
    const m = urgentMessage({ text: '紧急：井盖缺失', markdown: '**紧急：井盖缺失**' });
    expect(await send(sender, m)).toEqual({ ok: true });
    const got = smtp.messages.at(-1)!;
    expect(got.text.replace(/\r\n/g, '\n').trim()).toBe(`紧急：井盖缺失\n${LINK}`);
    expect(got.html).toContain(`<a href="${LINK}">GL-20240611-0007</a>`);
    expect(got.headers.get('x-priority')).toMatch(/^1/);
  });

  it('logs in with AUTH LOGIN when asked to, and reuses one pooled connection', async () => {
    const login = make(`${smtp.url()}?authMethod=LOGIN`);
    const before = smtp.connections;
    for (let i = 0; i < 3; i++) expect(await send(login)).toEqual({ ok: true });
    expect(smtp.connections - before).toBe(1);
    expect(smtp.messages.at(-1)!.authMethod).toBe('LOGIN');
  });

  it('retries on a 451, fails on a 550, and is rejected when the login is refused (535)', async () => {
    smtp.misbehave('temp');
    const temp = await send(sender);
    expect(temp).toMatchObject({ ok: false, outcome: 'retry' });
    expect(temp.ok || temp.error).toContain('451');
    smtp.misbehave('permanent');
    const permanent = await send(sender);
    expect(permanent).toMatchObject({ ok: false, outcome: 'failed' });
    expect(permanent.ok || permanent.error).toContain('550');
    smtp.recover();
    const wrong = make(smtp.url(smtp.user, `${smtp.password}-wrong`));
    const refused = await wrong.send(to, message(), opts());
    expectNoSecrets(refused, [...secrets(), `${smtp.password}-wrong`, encodeURIComponent(`${smtp.password}-wrong`)]);
    expect(refused).toMatchObject({ ok: false, outcome: 'rejected' });
    expect(refused.ok || refused.error).toContain('535');
    smtp.misbehave('auth');
    expect(await send(make(smtp.url()))).toMatchObject({ ok: false, outcome: 'rejected' });
    smtp.recover();
    expect(await send(sender)).toEqual({ ok: true });
  });

  it('retries when the server cannot be reached or stops answering (at the timeout)', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const nobody = make(`smtp://${encodeURIComponent(smtp.user)}:${encodeURIComponent(smtp.password)}@127.0.0.1:${port}`);
    const refused = await send(nobody);
    expect(refused).toMatchObject({ ok: false, outcome: 'retry' });
    expect(refused.ok || refused.error).toContain('ECONNREFUSED');
    smtp.misbehave('hang');
    const hanging = make(smtp.url());
    const { value, ms } = await timed(send(hanging, message(), opts(300)));
    expect(value).toMatchObject({ ok: false, outcome: 'retry' });
    expect(value.ok || value.error).toContain('timed out after 300 ms');
    expect(ms).toBeLessThan(1500);
  });

  it('is rejected without recipients, and refuses a URL that is not SMTP (without the password)', async () => {
    expect(await sender.send(target('email', { to: [] }), message(), opts())).toMatchObject({ ok: false, outcome: 'rejected' });
    expect(() => new EmailSender({ url: 'http://user:hunter2hunter2@mail.example', from: FROM })).toThrow(/smtp:\/\//);
    expect(() => new EmailSender({ url: 'smtp//user:hunter2hunter2@mail.example', from: FROM })).toThrow(/^(?!.*hunter2).*not a URL/);
    expect(() => new EmailSender({ url: smtp.url(), from: ' ' })).toThrow(/From/);
  });
});

describe('renderEmailHtml', () => {
  it('escapes everything, keeps paragraphs and line breaks, bold, quotes and http(s) links', () => {
    const html = renderEmailHtml('# 标题\n**粗** <script>alert(1)</script> & "q"\n> 引用 \\*不粗\\*\n\n[打开](https://x.example/a?b=1&c=2) https://y.example/p.\n[坏](javascript:alert(1)) ![](https://img.example/p.jpg)');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;q&#34;');
    expect(html).toContain('<p><strong>标题</strong><br>\n<strong>粗</strong>');
    expect(html).toContain('<blockquote style="margin:0 0 1em;padding-left:0.8em;border-left:3px solid #ccc">引用 *不粗*</blockquote>');
    expect(html).toContain('<a href="https://x.example/a?b=1&#38;c=2">打开</a>');
    expect(html).toContain('<a href="https://y.example/p">https://y.example/p</a>.');
    expect(html).not.toContain('href="javascript');
    expect(html).toContain('<a href="https://img.example/p.jpg">https://img.example/p.jpg</a>');
  });

  it('drops WeCom font tags but keeps escaped ones as text, and closes an unclosed bold', () => {
    const html = renderEmailHtml('<font color="warning">警告</font> \\<font\\> **open');
    expect(html).toContain('<p>警告 &#60;font&#62; <strong>open</strong></p>');
  });
});
