// Generic webhooks: each notification POSTed as JSON to an admin's URL, signed with the channel's secret so
// the receiver can tell it came from Gridline and is fresh. The body, its headers and the answers' meaning
// are documented in docs/notify-channels.md; `verifyWebhookSignature` is the receiver's check, written to be
// copied (it needs node:crypto only). Also the config checker and masker of the channel.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ChannelSender, ChannelTarget, ConfigCheck, OutgoingMessage, SendOptions, SendOutcome } from './channel.js';
import { configField, maskSecret, post, statusFailure, withoutSecrets } from './http-send.js';

/** How far a signature's timestamp may be from the receiver's clock, either way (5 minutes). */
export const WEBHOOK_TOLERANCE_S = 300;
export const WEBHOOK_URL_MAX = 2048;
export const WEBHOOK_SECRET_MIN = 16;
export const WEBHOOK_SECRET_MAX = 256;

/** The JSON body of a webhook, in this key order. */
export interface WebhookBody {
  /** Stable across every attempt of one delivery: de-duplicate on it. */
  deliveryId: string;
  /** The notification kind (`dispatched`, `emergency`, ...), also in the x-gridline-event header. */
  type: string;
  /** When the notification was created (ISO 8601). */
  createdAt: string;
  /** The case it tells of; null for news of a member or a redemption (see data.kind). */
  case: { id: string; ref: string } | null;
  title: string;
  text: string;
  link: string | null;
  urgent: boolean;
  /** The structured notification, whole. */
  data: Record<string, unknown>;
}

/** The body of one message, as the exact string that is signed and sent. */
export function webhookBody(message: OutgoingMessage): string {
  const body: WebhookBody = {
    deliveryId: message.deliveryId,
    type: message.eventType,
    createdAt: message.createdAt,
    case: message.caseId ? { id: message.caseId, ref: message.ref } : null,
    title: message.title,
    text: message.text,
    link: message.link,
    urgent: message.urgent,
    data: message.payload,
  };
  return JSON.stringify(body);
}

/** The x-gridline-signature value: `sha256=` and the hex HMAC-SHA256, keyed with the secret, of `${timestamp}.${body}`. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(body, 'utf8').digest('hex')}`;
}

/**
 * The receiver's check of a webhook: true when `signatureHeader` (x-gridline-signature) is the HMAC of
 * `${timestampHeader}.${body}` under `secret` and the timestamp (x-gridline-timestamp, unix seconds) is at
 * most `toleranceS` from `nowSeconds`, in the past or the future. `body` must be the raw body as received,
 * before any JSON parsing. The signatures are compared in constant time.
 */
export function verifyWebhookSignature(
  secret: string,
  timestampHeader: string | string[] | null | undefined,
  body: string | Buffer,
  signatureHeader: string | string[] | null | undefined,
  nowSeconds: number,
  toleranceS = WEBHOOK_TOLERANCE_S,
): boolean {
  if (typeof timestampHeader !== 'string' || !/^\d{1,12}$/.test(timestampHeader)) return false;
  if (Math.abs(nowSeconds - Number(timestampHeader)) > toleranceS) return false;
  if (typeof signatureHeader !== 'string' || !/^sha256=[0-9a-f]{64}$/i.test(signatureHeader)) return false;
  const expected = createHmac('sha256', secret).update(`${timestampHeader}.`, 'utf8').update(body).digest();
  return timingSafeEqual(Buffer.from(signatureHeader.slice('sha256='.length), 'hex'), expected);
}

/** A header value of printable ASCII only (anything else would make the request invalid). */
const headerValue = (s: string): string => s.replace(/[^\x21-\x7e]/g, '_');

/**
 * Sends webhooks. A 2xx answer is success (its body is not read further); 429 is `rate_limited` and 5xx or
 * 408 `retry`, with Retry-After as retryAfterMs; 410 Gone is `rejected` (the endpoint was removed); any
 * other 4xx (401 and 403 included) is `failed`, as is a redirect.
 */
export class WebhookSender implements ChannelSender {
  readonly kind = 'webhook' as const;

  async send(target: ChannelTarget, message: OutgoingMessage, options: SendOptions): Promise<SendOutcome> {
    const { url, secret } = target.config;
    if (typeof url !== 'string' || url === '' || typeof secret !== 'string' || secret === '') {
      return { ok: false, outcome: 'rejected', error: 'the webhook channel has no URL or secret: set them in the channel settings' };
    }
    const body = webhookBody(message);
    const timestamp = String(Math.floor(options.now.getTime() / 1000));
    const signature = signWebhook(secret, timestamp, body);
    const answer = await post({
      url,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Gridline-Webhook/1',
        'x-gridline-delivery': headerValue(message.deliveryId),
        'x-gridline-event': headerValue(message.eventType),
        'x-gridline-timestamp': timestamp,
        'x-gridline-signature': signature,
      },
      body,
      timeoutMs: options.timeoutMs,
    });
    const secrets = [secret, signature, signature.slice('sha256='.length), ...urlSecrets(url)];
    if ('outcome' in answer) return withoutSecrets(answer, secrets);
    const failure = statusFailure(answer, options.now, [410]);
    if (failure?.outcome === 'rejected') failure.error += ': the endpoint is gone; set the channel\'s URL again';
    return withoutSecrets(failure ?? { ok: true }, secrets);
  }
}

/** The password and query values of a URL (never shown in an error). */
function urlSecrets(url: string): string[] {
  try {
    const u = new URL(url);
    return [decodeURIComponent(u.password), ...[...u.searchParams.values()]].filter((s) => s.length >= 4);
  } catch {
    return [];
  }
}

/**
 * Checks a webhook channel's config: `{ url, secret? }`. The URL: http: or https:, with a host, at most
 * 2048 characters. The secret: 16 to 256 characters without control characters; when none is given, a
 * random one (32 bytes, hex) is made here and returned in the config (the API shows it once). Stores
 * `{ url, secret }`.
 */
export function checkWebhookConfig(input: unknown): ConfigCheck {
  const rawUrl = configField(input, 'url');
  const url = typeof rawUrl === 'string' ? rawUrl.trim() : '';
  let parsed: URL | undefined;
  try {
    // The host must be written out (WHATWG URL would read `https:///x` as the host x) and nothing may be blank.
    parsed = url.length <= WEBHOOK_URL_MAX && /^https?:\/\/[^/?#\s]+(?:[/?#]\S*)?$/i.test(url) ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.hostname === '') {
    return {
      ok: false,
      field: 'config.url',
      code: 'invalid_webhook_url',
      message: `The webhook URL must be a full http:// or https:// address with a host name, at most ${WEBHOOK_URL_MAX} characters (for example https://example.org/gridline-hook).`,
    };
  }
  const rawSecret = configField(input, 'secret');
  if (rawSecret === undefined || rawSecret === null || rawSecret === '') {
    return { ok: true, config: { url, secret: randomBytes(32).toString('hex') } };
  }
  // eslint-disable-next-line no-control-regex
  if (typeof rawSecret !== 'string' || rawSecret.length < WEBHOOK_SECRET_MIN || rawSecret.length > WEBHOOK_SECRET_MAX || /[\x00-\x1f\x7f]/.test(rawSecret)) {
    return {
      ok: false,
      field: 'config.secret',
      code: 'invalid_webhook_secret',
      message: `The webhook secret must be ${WEBHOOK_SECRET_MIN} to ${WEBHOOK_SECRET_MAX} characters without line breaks or other control characters; leave it empty to have a random one made.`,
    };
  }
  return { ok: true, config: { url, secret: rawSecret } };
}

/** The URL for the admin API: its password and query values masked; the scheme, host and path shown. */
function maskUrl(value: unknown): string {
  if (typeof value !== 'string') return '';
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return '****';
  }
  const user = u.username ? `${u.username}${u.password ? ':****' : ''}@` : '';
  const query = [...u.searchParams].map(([k, v]) => `${encodeURIComponent(k)}=${v === '' ? '' : maskSecret(v)}`).join('&');
  return `${u.protocol}//${user}${u.host}${u.pathname}${query ? `?${query}` : ''}`;
}

/** The config for the admin API: the secret masked (`****` and its last 4 characters), the URL's query values too. */
export function maskWebhookConfig(config: Record<string, unknown>): Record<string, unknown> {
  return { url: maskUrl(config.url), secret: maskSecret(config.secret) };
}
