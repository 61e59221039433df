// What the HTTP senders (WeCom and DingTalk group robots, generic webhooks) share: one POST under a deadline
// that covers the whole exchange, body included, that never follows a redirect and reads at most 64 KiB of
// the answer (the rest is cut off, so a huge or never-ending body can neither hang a send nor fill memory);
// the classification of HTTP statuses and of the robots' `{ errcode, errmsg }` answers into SendOutcomes;
// error texts that show a URL without its query string and never a secret; and the few helpers the
// channels' messages and config checkers have in common (the case's link, byte limits, masking).

import type { SendOutcome } from './channel.js';

/** The most of an answer's body that is read; the rest is cut off (and the connection dropped). */
export const MAX_ANSWER_BYTES = 64 * 1024;
/** A Retry-After further away than this is taken as this (a day). */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/** Any outcome but success. */
export type SendFailure = Exclude<SendOutcome, { ok: true }>;

/** One POST. The URL may carry secrets in its query string (a robot's key): errors never show the query. */
export interface PostRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The deadline of the whole exchange: connecting, sending, the answer's headers and its body. */
  timeoutMs: number;
}

/** An HTTP answer, whatever its status; its body read up to MAX_ANSWER_BYTES. */
export interface HttpAnswer {
  status: number;
  statusText: string;
  headers: Headers;
  /** The body as UTF-8 text, cut at MAX_ANSWER_BYTES. */
  body: string;
  /** True when the body was longer than MAX_ANSWER_BYTES and was cut. */
  truncated: boolean;
  /** The request's URL as `describeUrl` shows it: no credentials, no query string. */
  url: string;
  /** `POST <url>`, for error texts. */
  what: string;
}

/** A URL for an error text: origin and path only, without credentials, query string or fragment. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(an invalid URL)';
  }
}

/** The code of a network error (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, ...) from fetch's error or its causes. */
function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code) return code;
  }
  return undefined;
}

/** Reads a body up to `limit` bytes, then cancels the rest. Rejects when the request's signal fires. */
async function readBounded(body: ReadableStream<Uint8Array> | null, limit: number): Promise<{ text: string; truncated: boolean }> {
  if (!body) return { text: '', truncated: false };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let truncated = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (total + value.byteLength > limit) {
        chunks.push(value.subarray(0, limit - total));
        truncated = true;
        break;
      }
      chunks.push(value);
      total += value.byteLength;
    }
  } finally {
    // Whatever ended the reading (the limit, the deadline, a reset), nothing more is wanted from this body.
    if (truncated) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  return { text: new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks)), truncated };
}

/**
 * Sends one POST and reads its answer. Resolves to the answer, whatever its status (see `statusFailure`),
 * or to a failure when no answer came: `retry` for a timeout, a refused or reset connection or a network
 * error; `failed` for a request that cannot even be made (an invalid URL or header).
 */
export async function post(request: PostRequest): Promise<HttpAnswer | SendFailure> {
  let url: URL;
  let headers: Headers;
  try {
    url = new URL(request.url);
    headers = new Headers(request.headers);
  } catch {
    return { ok: false, outcome: 'failed', error: `the request to ${describeUrl(request.url)} could not be made (an invalid URL or header)` };
  }
  const shown = describeUrl(request.url);
  const what = `POST ${shown}`;
  const signal = AbortSignal.timeout(request.timeoutMs);
  try {
    const res = await fetch(url, { method: 'POST', headers, body: request.body, redirect: 'manual', signal });
    const { text, truncated } = await readBounded(res.body, MAX_ANSWER_BYTES);
    return { status: res.status, statusText: res.statusText, headers: res.headers, body: text, truncated, url: shown, what };
  } catch (err) {
    if (signal.aborted) return { ok: false, outcome: 'retry', error: `${what} timed out after ${request.timeoutMs} ms` };
    const code = networkCode(err);
    const why = code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' ? 'the connection was closed or reset' : 'connection error';
    return { ok: false, outcome: 'retry', error: `${what} failed: ${code ? `${why} (${code})` : 'network error'}` };
  }
}

/** Up to 200 characters of a body for an error text, on one line. */
export function snippet(body: string, max = 200): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** A Retry-After header (delay seconds or an HTTP date) as milliseconds from `now`; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null | undefined, now: Date): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now.getTime()), MAX_RETRY_AFTER_MS);
}

/**
 * What a non-2xx status means, or null for a 2xx (the caller reads the body). A redirect is `failed` (they
 * are not followed: the configured address must be the final one); 429 is `rate_limited`; 408 and 5xx are
 * `retry`, both with Retry-After as retryAfterMs when present; a status in `rejectedStatuses` is `rejected`
 * (the channel is broken until an admin fixes it); any other 4xx is `failed`.
 */
export function statusFailure(answer: HttpAnswer, now: Date, rejectedStatuses: readonly number[]): SendFailure | null {
  const s = answer.status;
  if (s >= 200 && s < 300) return null;
  const body = snippet(answer.body);
  const said = `${answer.what} answered HTTP ${s}${answer.statusText ? ` ${answer.statusText}` : ''}${body ? `: ${body}` : ''}`;
  const after = retryAfterMs(answer.headers.get('retry-after'), now);
  const later = after === undefined ? {} : { retryAfterMs: after };
  if (s >= 300 && s < 400) {
    const location = answer.headers.get('location');
    let to = '';
    try {
      if (location) to = ` to ${describeUrl(new URL(location, answer.url).href)}`;
    } catch {
      to = '';
    }
    return { ok: false, outcome: 'failed', error: `${answer.what} answered a redirect (HTTP ${s}${to}); redirects are not followed: configure the final address` };
  }
  if (s === 429) return { ok: false, outcome: 'rate_limited', error: said, ...later };
  if (s >= 500 || s === 408) return { ok: false, outcome: 'retry', error: said, ...later };
  if (rejectedStatuses.includes(s)) return { ok: false, outcome: 'rejected', error: said };
  return { ok: false, outcome: 'failed', error: said };
}

/** How a robot API's error codes are read (WeCom and DingTalk answer HTTP 200 with `{ errcode, errmsg }`). */
export interface RobotCodes {
  /** For error texts: 'WeCom', 'DingTalk'. */
  service: string;
  rateLimited: readonly number[];
  rejected: readonly number[];
  /** Codes for a passing trouble on the service's side (system busy). */
  retry: readonly number[];
  /** What a code means for an admin, appended to the error text. */
  hints: Readonly<Record<number, string>>;
  /** The robot's rate window: a rate-limited send is worth trying again after it. */
  rateWindowMs: number;
}

/**
 * A robot API's answer as an outcome. HTTP statuses first (401 and 403 are `rejected`); then the JSON body:
 * errcode 0 is success, the listed codes are `rate_limited` (retryAfterMs: the rate window), `rejected` or
 * `retry`, and any other code is `failed` (the message itself was refused). A 2xx whose body is not such
 * JSON (cut at 64 KiB, an HTML page of a proxy) is `retry`: whether the robot got the message is unknown.
 */
export function robotOutcome(answer: HttpAnswer, now: Date, codes: RobotCodes): SendOutcome {
  const failure = statusFailure(answer, now, [401, 403]);
  if (failure) return failure;
  let parsed: unknown;
  try {
    parsed = answer.truncated ? undefined : JSON.parse(answer.body);
  } catch {
    parsed = undefined;
  }
  const errcode = parsed && typeof parsed === 'object' ? (parsed as { errcode?: unknown }).errcode : undefined;
  if (typeof errcode !== 'number') {
    const cut = answer.truncated ? ` (longer than ${MAX_ANSWER_BYTES / 1024} KiB, cut)` : '';
    return { ok: false, outcome: 'retry', error: `${answer.what} answered HTTP ${answer.status} with a body that is not a ${codes.service} robot answer${cut}: ${snippet(answer.body, 120)}` };
  }
  if (errcode === 0) return { ok: true };
  const errmsg = (parsed as { errmsg?: unknown }).errmsg;
  const hint = codes.hints[errcode];
  const error = `${codes.service} answered errcode ${errcode}${typeof errmsg === 'string' && errmsg ? ` (${snippet(errmsg, 160)})` : ''}${hint ? `: ${hint}` : ''}`;
  if (codes.rateLimited.includes(errcode)) return { ok: false, outcome: 'rate_limited', error, retryAfterMs: codes.rateWindowMs };
  if (codes.rejected.includes(errcode)) return { ok: false, outcome: 'rejected', error };
  if (codes.retry.includes(errcode)) return { ok: false, outcome: 'retry', error };
  return { ok: false, outcome: 'failed', error };
}

/**
 * The outcome with every secret (and its URL-encoded and base64 forms) replaced by `****` in its error text:
 * the last guard, whatever a server echoed back.
 */
export function withoutSecrets(outcome: SendOutcome, secrets: readonly (string | undefined)[]): SendOutcome {
  if (outcome.ok) return outcome;
  let error = outcome.error;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')])) {
      error = error.split(form).join('****');
    }
  }
  return error === outcome.error ? outcome : { ...outcome, error };
}

// ---- messages ----

/** The UTF-8 length of a string. */
export const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

/** The text with the case's link on a line of its own at the end, unless the text has it already. */
export function textWithLink(text: string, link: string | null): string {
  return link && !text.includes(link) ? `${text}\n${link}` : text;
}

/** The markdown with a `[ref](link)` line at the end, unless the markdown has the link already. */
export function markdownWithLink(markdown: string, ref: string, link: string | null): string {
  return link && !markdown.includes(link) ? `${markdown}\n\n${linkLine(ref, link)}` : markdown;
}

const linkLine = (ref: string, link: string): string => `[${ref.replace(/[[\]\\]/g, '\\$&')}](${link})`;

/**
 * The content cut to at most `maxBytes` UTF-8 bytes (at a character boundary, with '…'); when it had to be
 * cut and there is a link, the link is put back at the end (`markdown`: as a `[ref](link)` line).
 */
export function fitBytes(content: string, maxBytes: number, link: { ref: string; url: string | null; markdown: boolean }): string {
  if (byteLength(content) <= maxBytes) return content;
  const tail = link.url ? (link.markdown ? `\n${linkLine(link.ref, link.url)}` : `\n${link.url}`) : '';
  let room = maxBytes - byteLength(tail) - byteLength('…');
  let head = '';
  for (const ch of content) {
    const n = byteLength(ch);
    if (n > room) break;
    head += ch;
    room -= n;
  }
  return `${head}…${tail}`;
}

// ---- config checkers and maskers ----

/** A field of an admin's config input, or undefined when the input is not an object. */
export function configField(input: unknown, name: string): unknown {
  return input !== null && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>)[name] : undefined;
}

/** A secret for the admin API: `****` and its last 4 characters (only `****` for a short or missing one). */
export function maskSecret(value: unknown): string {
  return typeof value === 'string' && value.length >= 12 ? `****${value.slice(-4)}` : '****';
}

/** Where a robot's webhook address carries its credential: https://HOST/PATH?PARAM=<credential>. */
export interface RobotAddress {
  host: string;
  path: string;
  param: string;
}

/**
 * The credential (a WeCom key, a DingTalk access token) in what an admin pasted: the bare credential, or the
 * robot's whole webhook address at `address`; null for anything else. `pattern` is the credential's shape.
 */
export function robotCredentialOf(input: string, pattern: RegExp, address: RobotAddress): string | null {
  const s = input.trim();
  if (pattern.test(s)) return s;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.hostname !== address.host || url.pathname !== address.path) return null;
  const credential = url.searchParams.get(address.param)?.trim() ?? '';
  return pattern.test(credential) ? credential : null;
}
