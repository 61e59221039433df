// Local stand-ins for the outside services the notification channels talk to, for tests: fake WeCom and
// DingTalk robot APIs (node:http on 127.0.0.1, a random port) that check keys, tokens and DingTalk's
// signatures as the real ones do, allow 20 messages a minute per robot on a clock the test moves, answer
// with the real APIs' error codes and record every message they accept; a webhook receiver that checks
// signatures with verifyWebhookSignature, as a real receiver would; and a real SMTP server (smtp-server,
// AUTH PLAIN and LOGIN) that records the messages it gets, parsed enough to read their headers and parts.
// Every HTTP fake can be told to misbehave: answer a status, hang, drop the connection, answer slowly, send
// a never-ending body, or be down (connection refused).

import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerAuthentication, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { verifyWebhookSignature } from '../../src/notify/webhook.js';

/** A clock the test moves by hand; the fakes read the time from it (rate windows, timestamp checks). */
export class FakeClock {
  private ms: number;
  constructor(start: number = Date.now()) {
    this.ms = start;
  }
  now(): number {
    return this.ms;
  }
  date(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
}

/** One request as a fake got it. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What a fake answers when nothing is wrong. */
export interface FakeAnswer {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

/** A way to misbehave. */
export type Trouble =
  /** Answer this instead. */
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** Read the request and never answer. */
  | { kind: 'hang' }
  /** Drop the connection without an answer. */
  | { kind: 'close' }
  /** Answer as usual, after a while. */
  | { kind: 'slow'; delayMs: number }
  /** Answer 200 with a body that never ends, as fast as the client reads. */
  | { kind: 'huge' }
  /** Answer 200 and then one byte every 20 ms, forever. */
  | { kind: 'trickle' };

const MAX_REQUEST_BYTES = 1024 * 1024;

/** The HTTP part every fake shares: the server, the record of requests, troubles, stopping and restarting. */
export abstract class FakeHttpServer {
  private server: http.Server;
  private port = 0;
  private trouble: { trouble: Trouble; left: number } | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Every request, whatever was answered. */
  readonly requests: RecordedRequest[] = [];

  constructor(protected readonly clock: FakeClock) {
    this.server = this.makeServer();
  }

  /** `http://127.0.0.1:<port>`. */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Whether it listens now (not between `stop` and `start`). */
  get listening(): boolean {
    return this.server.listening;
  }

  /** Starts listening (on a random port the first time, on the same one after `stop`). */
  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Stops listening and drops every connection: connections are refused until `start` again. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
    this.server = this.makeServer();
  }

  /** Misbehaves this way for the next `times` requests (every one by default), instead of any earlier trouble. */
  misbehave(trouble: Trouble, times = Infinity): void {
    this.trouble = { trouble, left: times };
  }

  /** Behaves again. */
  recover(): void {
    this.trouble = undefined;
  }

  /** The answer when nothing is wrong. */
  protected abstract answer(request: RecordedRequest): FakeAnswer;

  private makeServer(): http.Server {
    const server = http.createServer((req, res) => this.onRequest(req, res));
    server.keepAliveTimeout = 2000;
    return server;
  }

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const request: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      this.requests.push(request);
      const trouble = this.trouble;
      if (trouble && trouble.left > 0) {
        trouble.left -= 1;
        if (trouble.left <= 0) this.trouble = undefined;
        this.misbehaveOn(trouble.trouble, request, res);
        return;
      }
      this.reply(res, this.answer(request));
    });
  }

  private reply(res: ServerResponse, answer: FakeAnswer): void {
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers });
    res.end(answer.body);
  }

  private misbehaveOn(trouble: Trouble, request: RecordedRequest, res: ServerResponse): void {
    switch (trouble.kind) {
      case 'status':
        this.reply(res, { status: trouble.status, body: trouble.body ?? '', ...(trouble.headers ? { headers: trouble.headers } : {}) });
        return;
      case 'hang':
        return;
      case 'close':
        res.socket?.destroy();
        return;
      case 'slow':
        this.later(trouble.delayMs, () => {
          if (!res.destroyed) this.reply(res, this.answer(request));
        });
        return;
      case 'huge': {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"errcode":0,"errmsg":"');
        const chunk = Buffer.alloc(16 * 1024, 'x');
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk));
        };
        res.on('drain', pump);
        pump();
        return;
      }
      case 'trickle': {
        res.writeHead(200, { 'content-type': 'application/json' });
        const tick = (): void => {
          if (res.destroyed) return;
          res.write(' ');
          this.later(20, tick);
        };
        tick();
        return;
      }
    }
  }

  /** Stops for good. */
  async close(): Promise<void> {
    await this.stop();
  }
}

const json = (status: number, value: unknown): FakeAnswer => ({ status, body: JSON.stringify(value) });
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isStringList = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** Accepted messages of one robot within the last minute, and whether one more is allowed. */
class RateWindow {
  private readonly sent: number[] = [];
  constructor(private readonly perMinute: number) {}
  allow(now: number): boolean {
    while (this.sent.length > 0 && this.sent[0]! <= now - 60_000) this.sent.shift();
    return this.sent.length < this.perMinute;
  }
  note(now: number): void {
    this.sent.push(now);
  }
}

/** A message a fake robot accepted. */
export interface RobotMessage {
  /** The robot's key (WeCom) or access token (DingTalk). */
  robot: string;
  body: Record<string, unknown>;
  at: number;
}

/** The WeCom group robot API: POST /cgi-bin/webhook/send?key=KEY. */
export class FakeWecom extends FakeHttpServer {
  private readonly robots = new Map<string, RateWindow>();
  /** The messages accepted, in order. */
  readonly messages: RobotMessage[] = [];

  /** Adds a robot; returns its key (a UUID, as WeCom's are). */
  addRobot(key: string = randomUUID()): string {
    this.robots.set(key, new RateWindow(20));
    return key;
  }

  /** Removes a robot from its group: its key is then refused (93000). */
  removeRobot(key: string): void {
    this.robots.delete(key);
  }

  protected answer(request: RecordedRequest): FakeAnswer {
    if (request.method !== 'POST' || request.path !== '/cgi-bin/webhook/send') return { status: 404, body: 'Not Found' };
    const key = request.query.get('key') ?? '';
    const robot = this.robots.get(key);
    if (!robot) return json(200, { errcode: 93000, errmsg: 'invalid webhook url, hint: [1700000000_fake], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=93000' });
    const body = parseJson(request.body);
    if (!isRecord(body)) return json(200, { errcode: 40035, errmsg: 'invalid args, hint: [fake]' });
    const problem = wecomProblem(body);
    if (problem) return json(200, problem);
    const now = this.clock.now();
    if (!robot.allow(now)) return json(200, { errcode: 45009, errmsg: 'api freq out of limit, hint: [fake]' });
    robot.note(now);
    this.messages.push({ robot: key, body, at: now });
    return json(200, { errcode: 0, errmsg: 'ok' });
  }
}

/** What WeCom says about a malformed message, or undefined for a good one. */
function wecomProblem(body: Record<string, unknown>): { errcode: number; errmsg: string } | undefined {
  if (body.msgtype === 'text') {
    const text = body.text;
    if (!isRecord(text) || typeof text.content !== 'string' || text.content === '') return { errcode: 44004, errmsg: 'empty content' };
    if (bytes(text.content) > 2048) return { errcode: 45002, errmsg: 'content size out of limit' };
    if (text.mentioned_mobile_list !== undefined && !isStringList(text.mentioned_mobile_list)) return { errcode: 40058, errmsg: 'invalid mentioned_mobile_list' };
    return undefined;
  }
  if (body.msgtype === 'markdown') {
    const markdown = body.markdown;
    if (!isRecord(markdown) || typeof markdown.content !== 'string' || markdown.content === '') return { errcode: 44004, errmsg: 'empty content' };
    if (bytes(markdown.content) > 4096) return { errcode: 45002, errmsg: 'content size out of limit' };
    return undefined;
  }
  return { errcode: 40008, errmsg: 'invalid message type' };
}

/** A fake DingTalk robot's credentials and security settings. */
export interface DingtalkRobot {
  accessToken: string;
  /** The 加签 secret (SEC...), or null for a robot without signing. */
  secret: string | null;
  /** 自定义关键词: a message must contain one of them (none: no keyword check). */
  keywords: string[];
}

/** The DingTalk group robot API: POST /robot/send?access_token=T&timestamp=TS&sign=S. */
export class FakeDingtalk extends FakeHttpServer {
  private readonly robots = new Map<string, { robot: DingtalkRobot; rate: RateWindow }>();
  /** The messages accepted, in order. */
  readonly messages: RobotMessage[] = [];

  /** Adds a robot (signed by default); returns its token and secret. */
  addRobot(options: { signed?: boolean; keywords?: string[] } = {}): DingtalkRobot {
    const robot: DingtalkRobot = {
      accessToken: randomBytes(32).toString('hex'),
      secret: options.signed === false ? null : `SEC${randomBytes(32).toString('hex')}`,
      keywords: options.keywords ?? [],
    };
    this.robots.set(robot.accessToken, { robot, rate: new RateWindow(20) });
    return robot;
  }

  removeRobot(accessToken: string): void {
    this.robots.delete(accessToken);
  }

  protected answer(request: RecordedRequest): FakeAnswer {
    if (request.method !== 'POST' || request.path !== '/robot/send') return { status: 404, body: 'Not Found' };
    const token = request.query.get('access_token') ?? '';
    const entry = this.robots.get(token);
    if (!entry) return json(200, { errcode: 300001, errmsg: 'token is not exist' });
    const { robot, rate } = entry;
    const now = this.clock.now();
    if (robot.secret) {
      const timestamp = request.query.get('timestamp') ?? '';
      // URLSearchParams decodes %2B to '+' and a bare '+' to ' ': a sign that was not URL-encoded fails here, as it does at DingTalk.
      const sign = request.query.get('sign') ?? '';
      if (!/^\d+$/.test(timestamp) || Math.abs(now - Number(timestamp)) > 3_600_000) {
        return json(200, { errcode: 310000, errmsg: 'invalid timestamp, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]' });
      }
      const expected = createHmac('sha256', robot.secret).update(`${timestamp}\n${robot.secret}`).digest('base64');
      if (sign !== expected) return json(200, { errcode: 310000, errmsg: 'sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]' });
    }
    const body = parseJson(request.body);
    if (!isRecord(body)) return json(200, { errcode: 40035, errmsg: '缺少参数 json' });
    const content = dingtalkContent(body);
    if (content === undefined) return json(200, { errcode: 40035, errmsg: '缺少参数 json' });
    if (robot.keywords.length > 0 && !robot.keywords.some((k) => content.includes(k))) {
      return json(200, { errcode: 310000, errmsg: '关键词不匹配 (keywords not in content), more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]' });
    }
    if (!rate.allow(now)) return json(200, { errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' });
    rate.note(now);
    this.messages.push({ robot: token, body, at: now });
    return json(200, { errcode: 0, errmsg: 'ok' });
  }
}

/** The text of a well-formed DingTalk message (for the keyword check), or undefined for a malformed one. */
function dingtalkContent(body: Record<string, unknown>): string | undefined {
  const at = body.at;
  if (at !== undefined && (!isRecord(at) || (at.atMobiles !== undefined && !isStringList(at.atMobiles)) || (at.isAtAll !== undefined && typeof at.isAtAll !== 'boolean'))) return undefined;
  if (body.msgtype === 'text') {
    const text = body.text;
    return isRecord(text) && typeof text.content === 'string' && text.content !== '' ? text.content : undefined;
  }
  if (body.msgtype === 'markdown') {
    const md = body.markdown;
    if (!isRecord(md) || typeof md.title !== 'string' || md.title === '' || typeof md.text !== 'string' || md.text === '') return undefined;
    return `${md.title}\n${md.text}`;
  }
  return undefined;
}

/** One webhook as the receiver got it. */
export interface ReceivedWebhook {
  body: string;
  json: unknown;
  headers: IncomingHttpHeaders;
  /** Whether verifyWebhookSignature accepted it (the receiver answers 401 otherwise). */
  verified: boolean;
}

/** A webhook receiver at /hook that checks signatures as a receiver would (200 when good, 401 when not). */
export class FakeWebhookReceiver extends FakeHttpServer {
  /** Every webhook that reached the receiver, verified or not. */
  readonly received: ReceivedWebhook[] = [];

  constructor(
    clock: FakeClock,
    readonly secret: string,
  ) {
    super(clock);
  }

  /** The receiver's URL. */
  get url(): string {
    return `${this.origin}/hook`;
  }

  /** The webhooks the receiver accepted. */
  get accepted(): ReceivedWebhook[] {
    return this.received.filter((r) => r.verified);
  }

  /** Down for a while: 'refused' stops listening (connections refused); 'unavailable' answers 503. `up()` ends it. */
  async down(how: 'refused' | 'unavailable', retryAfter?: string): Promise<void> {
    if (how === 'refused') await this.stop();
    else this.misbehave({ kind: 'status', status: 503, body: 'Service Unavailable', ...(retryAfter ? { headers: { 'retry-after': retryAfter } } : {}) });
  }

  async up(): Promise<void> {
    this.recover();
    if (!this.listening) await this.start();
  }

  protected answer(request: RecordedRequest): FakeAnswer {
    if (request.method !== 'POST' || request.path !== '/hook') return { status: 404, body: 'Not Found' };
    const h = request.headers;
    const verified = verifyWebhookSignature(this.secret, h['x-gridline-timestamp'], request.body, h['x-gridline-signature'], Math.floor(this.clock.now() / 1000));
    this.received.push({ body: request.body, json: parseJson(request.body), headers: h, verified });
    return verified ? json(200, { ok: true }) : { status: 401, body: 'bad signature' };
  }
}

/** A fake WeCom API, listening. */
export async function startFakeWecom(clock: FakeClock = new FakeClock()): Promise<FakeWecom> {
  return new FakeWecom(clock).start();
}

/** A fake DingTalk API, listening. */
export async function startFakeDingtalk(clock: FakeClock = new FakeClock()): Promise<FakeDingtalk> {
  return new FakeDingtalk(clock).start();
}

/** A webhook receiver with this secret, listening. */
export async function startFakeWebhook(secret: string, clock: FakeClock = new FakeClock()): Promise<FakeWebhookReceiver> {
  return new FakeWebhookReceiver(clock, secret).start();
}

// ---- SMTP ----

/** A message the SMTP server accepted. */
export interface SmtpMessage {
  /** The envelope's sender and recipients. */
  mailFrom: string;
  rcptTo: string[];
  /** Who logged in, and how (PLAIN or LOGIN). */
  user: string | undefined;
  authMethod: string | undefined;
  raw: string;
  /** The top-level headers, names in lower case, values unfolded and their encoded words decoded. */
  headers: Map<string, string>;
  subject: string;
  /** The text/plain and text/html parts, decoded (empty when absent). */
  text: string;
  html: string;
}

/** How the SMTP server misbehaves: 451 after DATA (temporary), 550 to every recipient (permanent), 535 to every login, or no answer after DATA. */
export type SmtpTrouble = 'temp' | 'permanent' | 'auth' | 'hang';

/** A real SMTP server (smtp-server) on 127.0.0.1 that wants AUTH PLAIN or LOGIN (no TLS) and records what it gets. */
export class FakeSmtp {
  readonly messages: SmtpMessage[] = [];
  /** Every login attempt: method and user. */
  readonly logins: { method: string; user: string | undefined; ok: boolean }[] = [];
  /** How many connections were opened. */
  connections = 0;
  private trouble: SmtpTrouble | undefined;
  private readonly server: SMTPServer;
  private port = 0;

  constructor(
    readonly user = 'gridline-mailer',
    readonly password = 'pa$$: w0rd/with@odd&chars',
  ) {
    this.server = new SMTPServer({
      name: 'fake-smtp.test',
      authMethods: ['PLAIN', 'LOGIN'],
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      disableReverseLookup: true,
      logger: false,
      closeTimeout: 50,
      socketTimeout: 10_000,
      onConnect: (_session, callback) => {
        this.connections += 1;
        callback();
      },
      onAuth: (auth, session, callback) => this.onAuth(auth, session, callback),
      onRcptTo: (address, session, callback) => this.onRcptTo(address, session, callback),
      onData: (stream, session, callback) => this.onData(stream, session, callback),
    });
    this.server.on('error', () => undefined);
  }

  /** `smtp://user:password@127.0.0.1:port` (percent-encoded), with other credentials if given. */
  url(user: string = this.user, password: string = this.password): string {
    return `smtp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${this.port}`;
  }

  get address(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.port };
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  /** Misbehaves this way until `recover()`. */
  misbehave(trouble: SmtpTrouble): void {
    this.trouble = trouble;
  }

  recover(): void {
    this.trouble = undefined;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onAuth(auth: SMTPServerAuthentication, _session: SMTPServerSession, callback: (err: Error | null | undefined, response?: { user?: unknown }) => void): void {
    const ok = this.trouble !== 'auth' && auth.username === this.user && auth.password === this.password;
    this.logins.push({ method: auth.method, user: auth.username, ok });
    if (!ok) return callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
    callback(null, { user: auth.username });
  }

  private onRcptTo(_address: SMTPServerAddress, _session: SMTPServerSession, callback: (err?: Error | null) => void): void {
    if (this.trouble === 'permanent') return callback(Object.assign(new Error('5.1.1 Mailbox unavailable'), { responseCode: 550 }));
    callback();
  }

  private onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null, message?: string) => void): void {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      if (this.trouble === 'hang') return;
      if (this.trouble === 'temp') return callback(Object.assign(new Error('4.3.0 Try again later'), { responseCode: 451 }));
      const raw = Buffer.concat(chunks).toString('utf8');
      const parsed = parseMime(raw);
      const mailFrom = session.envelope.mailFrom;
      const user = typeof session.user === 'string' ? session.user : undefined;
      this.messages.push({
        mailFrom: mailFrom ? mailFrom.address : '',
        rcptTo: session.envelope.rcptTo.map((r) => r.address),
        user,
        authMethod: this.logins.filter((l) => l.ok && l.user === user).at(-1)?.method,
        raw,
        headers: parsed.headers,
        subject: parsed.headers.get('subject') ?? '',
        text: parsed.text,
        html: parsed.html,
      });
      callback(null, 'Queued as fake');
    });
  }
}

/** A fake SMTP server, listening. */
export async function startFakeSmtp(): Promise<FakeSmtp> {
  return new FakeSmtp().start();
}

// A small MIME reader: enough for the messages nodemailer writes (headers, encoded words, multipart parts,
// base64 and quoted-printable bodies in UTF-8).

function decodeWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, text: string) =>
      enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : decodeQuotedPrintable(text.replace(/_/g, ' ')),
    );
}

function decodeQuotedPrintable(s: string): string {
  const cleaned = s.replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < cleaned.length; i++) {
    const c = cleaned[i]!;
    const hex = cleaned.slice(i + 1, i + 3);
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      out.push(parseInt(hex, 16));
      i += 2;
    } else {
      out.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(out).toString('utf8');
}

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, decodeWords(line.slice(colon + 1).trim()));
  }
  return headers;
}

function parseMime(raw: string): { headers: Map<string, string>; text: string; html: string } {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = parseHeaders(split < 0 ? raw : raw.slice(0, split));
  const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const found = { text: '', html: '' };
  collectParts(headers, body, found);
  return { headers, ...found };
}

function collectParts(headers: Map<string, string>, body: string, found: { text: string; html: string }): void {
  const type = (headers.get('content-type') ?? 'text/plain').toLowerCase();
  const boundary = /boundary="?([^";]+)"?/i.exec(headers.get('content-type') ?? '')?.[1];
  if (type.startsWith('multipart/') && boundary) {
    for (const part of body.split(`--${boundary}`).slice(1)) {
      if (part.startsWith('--')) break;
      const p = part.replace(/^\r?\n/, '');
      const split = p.search(/\r?\n\r?\n/);
      if (split < 0) continue;
      collectParts(parseHeaders(p.slice(0, split)), p.slice(split).replace(/^\r?\n\r?\n/, '').replace(/\r?\n$/, ''), found);
    }
    return;
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const decoded = encoding === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8') : encoding === 'quoted-printable' ? decodeQuotedPrintable(body) : body;
  if (type.startsWith('text/html')) found.html ||= decoded;
  else if (type.startsWith('text/plain')) found.text ||= decoded;
}
