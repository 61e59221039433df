// Email over SMTP (nodemailer, one pooled transport per sender): the notification's title as the subject,
// its text (and the case's link) as the text part, and an HTML part rendered from its markdown in a small,
// safe way (everything escaped; paragraphs, line breaks, quotes, **bold** and http(s) links only). The
// Message-ID is `<deliveryId@gridline>` and an X-Gridline-Delivery header carries the delivery's id, so
// receivers can de-duplicate retries. nodemailer's logger and debug output are off: nothing logs the
// password. Also the config checker and masker of the channel.

import nodemailer, { type NodemailerError, type SMTPPoolOptions, type SMTPPoolSentMessageInfo, type Transporter } from 'nodemailer';
import type { ChannelSender, ChannelTarget, ConfigCheck, OutgoingMessage, SendOptions, SendOutcome } from './channel.js';
import { configField, markdownWithLink, snippet, textWithLink, withoutSecrets, type SendFailure } from './http-send.js';

export const EMAIL_MAX_RECIPIENTS = 20;

export interface EmailSenderOptions {
  /**
   * `smtp://user:pass@host:port` (STARTTLS when the server offers it) or `smtps://...` (TLS from the start);
   * the user and password percent-encoded. Query parameters are nodemailer's options (`?requireTLS=true`,
   * `?tls.servername=...`), except `logger` and `debug`, which are always off.
   */
  url: string;
  /** The From address: `Gridline <noreply@example.org>` or a bare address. */
  from: string;
}

/** Sends email through one SMTP server, over a pool of reused connections; `close()` ends them. */
export class EmailSender implements ChannelSender {
  readonly kind = 'email' as const;
  private readonly transport: Transporter<SMTPPoolSentMessageInfo, SMTPPoolOptions>;
  private readonly from: string;
  /** The password (and the AUTH PLAIN token made of it), never shown in an error. */
  private readonly secrets: string[];

  /** Throws (without the password in the message) for a URL that is not smtp:// or smtps://, or a missing From. */
  constructor(options: EmailSenderOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new Error('EmailSender: the SMTP URL is not a URL (expected smtp://user:password@host:port or smtps://...)');
    }
    if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
      throw new Error(`EmailSender: the SMTP URL must start with smtp:// or smtps://, not ${url.protocol}//`);
    }
    if (!url.hostname) throw new Error('EmailSender: the SMTP URL has no host');
    if (!options.from?.trim()) throw new Error('EmailSender: a From address is needed');
    this.from = options.from.trim();
    const user = safeDecode(url.username);
    const password = safeDecode(url.password);
    this.secrets = password ? [password, Buffer.from(`\u0000${user}\u0000${password}`).toString('base64')] : [];
    // Logging cannot be turned back on through the URL.
    let connection = options.url;
    const noisy = [...url.searchParams.keys()].filter((k) => /^(logger|debug|transactionlog)$/i.test(k));
    if (noisy.length > 0) {
      for (const k of noisy) url.searchParams.delete(k);
      connection = url.href;
    }
    this.transport = nodemailer.createTransport({
      url: connection,
      pool: true,
      maxConnections: 2,
      // A dropped connection fails the send (the delivery worker decides about trying again).
      maxRequeues: 0,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 60_000,
      logger: false,
      debug: false,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  async send(target: ChannelTarget, message: OutgoingMessage, options: SendOptions): Promise<SendOutcome> {
    const to = recipientsOf(target.config.to);
    if (!to.ok) return { ok: false, outcome: 'rejected', error: 'the email channel has no valid recipients: set them in the channel settings' };
    const signal = AbortSignal.timeout(options.timeoutMs);
    try {
      await this.transport.sendMail({
        from: this.from,
        to: to.addresses,
        subject: message.title.replace(/\s+/g, ' ').trim(),
        text: textWithLink(message.text, message.link),
        html: renderEmailHtml(markdownWithLink(message.markdown, message.ref, message.link)),
        messageId: `<${message.deliveryId.replace(/[^A-Za-z0-9._-]/g, '-')}@gridline>`,
        headers: { 'X-Gridline-Delivery': message.deliveryId.replace(/[^\x21-\x7e]/g, '_') },
        date: options.now,
        priority: message.urgent ? 'high' : 'normal',
        signal,
      });
      return { ok: true };
    } catch (err) {
      return withoutSecrets(smtpFailure(err, signal.aborted, options.timeoutMs), this.secrets);
    }
  }

  /** Closes the pool's connections (a message being sent is finished first). */
  close(): void {
    this.transport.close();
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const AUTH_CODES = new Set([530, 534, 535]);
const PERMANENT_CODES = new Set(['EENVELOPE', 'EMESSAGE', 'EMAXRECIPIENTS', 'ECONFIG', 'EFILEACCESS', 'EURLACCESS', 'ESTREAM']);

/**
 * A failed SMTP send as an outcome: a timeout, a connection or TLS error or a 4xx reply (and 503) is
 * `retry`; a refused login (535, 534, 530, or no credentials for a server that wants them) `rejected`;
 * another 5xx reply or a message nodemailer cannot build `failed`.
 */
function smtpFailure(err: unknown, timedOut: boolean, timeoutMs: number): SendFailure {
  const e: NodemailerError = err instanceof Error ? err : new Error(String(err));
  if (timedOut || e.code === 'EABORT') return { ok: false, outcome: 'retry', error: `SMTP: the send timed out after ${timeoutMs} ms` };
  const rc = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const said = rc !== undefined ? `SMTP server answered ${snippet(e.response ?? e.message)}` : `SMTP ${e.code ?? 'error'}: ${snippet(e.message)}`;
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH' || (rc !== undefined && AUTH_CODES.has(rc))) {
    return { ok: false, outcome: 'rejected', error: `${said}: the SMTP server refused Gridline's login; fix the SMTP user and password in the server's settings` };
  }
  if (rc !== undefined) {
    const permanent = e.permanent ?? (rc >= 500 && rc !== 503);
    return permanent ? { ok: false, outcome: 'failed', error: said } : { ok: false, outcome: 'retry', error: said };
  }
  if (e.code && PERMANENT_CODES.has(e.code)) return { ok: false, outcome: 'failed', error: said };
  return { ok: false, outcome: 'retry', error: said };
}

// ---- the HTML part ----

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const LINK = /^!?\[((?:\\.|[^\]\\])*)\]\((https?:\/\/[^\s()]+)\)/;
const BARE_URL = /^https?:\/\/[^\s<>"'()[\]]+/;

/** One line's inline markdown: `\x` escapes, **bold**, [label](http(s) url) (images become links), bare URLs. */
function renderInline(line: string): string {
  let out = '';
  let bold = false;
  for (let i = 0; i < line.length; ) {
    const rest = line.slice(i);
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length && /[!-/:-@[-`{-~]/.test(line[i + 1]!)) {
      out += escapeHtml(line[i + 1]!);
      i += 2;
    } else if (rest.startsWith('**')) {
      out += bold ? '</strong>' : '<strong>';
      bold = !bold;
      i += 2;
    } else if (LINK.test(rest)) {
      const m = LINK.exec(rest)!;
      const url = m[2]!;
      const label = m[1]!.replace(/\\([!-/:-@[-`{-~])/g, '$1') || url;
      out += `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>`;
      i += m[0].length;
    } else if (BARE_URL.test(rest) && (i === 0 || !/[A-Za-z0-9]/.test(line[i - 1]!))) {
      const url = BARE_URL.exec(rest)![0].replace(/[.,;:!?]+$/, '');
      out += `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`;
      i += url.length;
    } else {
      out += escapeHtml(c);
      i += 1;
    }
  }
  return bold ? `${out}</strong>` : out;
}

/**
 * A minimal, safe HTML rendering of a notification's markdown: every character of the text escaped;
 * blank lines separate paragraphs, other line breaks stay; `> ` lines make a quote, `# ` headings are bold;
 * **bold**, `[label](url)` (http and https only) and bare URLs; WeCom's `<font color>` tags are dropped.
 */
export function renderEmailHtml(markdown: string): string {
  const blocks: { quote: boolean; lines: string[] }[] = [];
  let current: { quote: boolean; lines: string[] } | undefined;
  for (const raw of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.replace(/(?<!\\)<\/?font\b[^>]*>/gi, '');
    if (line.trim() === '') {
      current = undefined;
      continue;
    }
    const quote = /^\s*>/.test(line);
    let content = quote ? line.replace(/^\s*>\s?/, '') : line;
    const heading = /^\s*#{1,6}\s+/.exec(content);
    content = heading ? `<strong>${renderInline(content.slice(heading[0].length))}</strong>` : renderInline(content);
    if (!current || current.quote !== quote) {
      current = { quote, lines: [] };
      blocks.push(current);
    }
    current.lines.push(content);
  }
  const body = blocks
    .map((b) => (b.quote ? `<blockquote style="margin:0 0 1em;padding-left:0.8em;border-left:3px solid #ccc">${b.lines.join('<br>\n')}</blockquote>` : `<p>${b.lines.join('<br>\n')}</p>`))
    .join('\n');
  return `<!doctype html>\n<html><head><meta charset="utf-8"></head><body style="font-family:sans-serif;line-height:1.5">\n${body}\n</body></html>\n`;
}

// ---- config ----

const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^(?!-)[\p{L}\p{N}-]{1,63}(?<!-)$/u;

/** A syntactically plausible address: local@domain, the domain with a dot and a top level of 2+ letters (or xn--). */
function plausibleAddress(address: string): boolean {
  if (address.length > 254) return false;
  const at = address.lastIndexOf('@');
  if (at <= 0) return false;
  const local = address.slice(0, at);
  const labels = address.slice(at + 1).split('.');
  const top = labels[labels.length - 1]!;
  return local.length <= 64 && LOCAL.test(local) && labels.length >= 2 && labels.every((l) => LABEL.test(l)) && (/^\p{L}{2,}$/u.test(top) || /^xn--[a-z0-9-]+$/i.test(top));
}

/** The recipients of a config value: a list of addresses, or one string of them separated by commas, semicolons or spaces. */
function recipientsOf(value: unknown): { ok: true; addresses: string[] } | { ok: false; bad?: string; count?: number } {
  const items = typeof value === 'string' ? value.split(/[\s,;]+/) : Array.isArray(value) ? value : undefined;
  if (!items) return { ok: false };
  const addresses: string[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    if (typeof item !== 'string') return { ok: false, bad: String(item) };
    const address = item.trim();
    if (address === '') continue;
    if (!plausibleAddress(address)) return { ok: false, bad: address };
    if (seen.has(address.toLowerCase())) continue;
    seen.add(address.toLowerCase());
    addresses.push(address);
  }
  if (addresses.length === 0 || addresses.length > EMAIL_MAX_RECIPIENTS) return { ok: false, count: addresses.length };
  return { ok: true, addresses };
}

/**
 * Checks an email channel's config: `{ to }`, 1 to 20 addresses (a list, or one string separated by commas,
 * semicolons or spaces; repeats dropped). Stores `{ to: string[] }`.
 */
export function checkEmailConfig(input: unknown): ConfigCheck {
  const to = recipientsOf(configField(input, 'to'));
  if (to.ok) return { ok: true, config: { to: to.addresses } };
  const message =
    to.bad !== undefined
      ? `"${snippet(to.bad, 80)}" is not an email address. Give 1 to ${EMAIL_MAX_RECIPIENTS} addresses such as duty@example.org.`
      : to.count !== undefined && to.count > EMAIL_MAX_RECIPIENTS
        ? `At most ${EMAIL_MAX_RECIPIENTS} addresses, not ${to.count}: use a mailing list address for a larger group.`
        : `Give 1 to ${EMAIL_MAX_RECIPIENTS} email addresses to send to, such as duty@example.org.`;
  return { ok: false, field: 'config.to', code: 'invalid_email', message };
}

/** The config for the admin API (it holds no secret): the recipients. */
export function maskEmailConfig(config: Record<string, unknown>): Record<string, unknown> {
  const to = recipientsOf(config.to);
  return { to: to.ok ? to.addresses : [] };
}
