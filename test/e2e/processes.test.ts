// Several Gridline processes on one PostgreSQL database (issue 10, item 6), as a deployment runs them: real
// `gridline serve` child processes, a local webhook receiver, and the test between them.
//
//   A  serves the API and runs the workers;
//   B  serves the API only (WORKERS=off) and holds a dispatcher's live event stream;
//   C, D  start after A is killed, both with workers, and share what is left.
//
// Cases are reported through A and B and fast-dispatched through B; the receiver holds its first requests
// unanswered, A is killed with SIGKILL while it holds claimed deliveries, and then: every delivery the
// outbox planned reaches the receiver (exactly once after de-duplication by X-Gridline-Delivery, at least
// once before it), none is left pending, leased or dead; the stream on B saw every case event, including
// those fanned out by A and by C or D (LISTEN/NOTIFY); and the riders' inboxes hold their receipts.
//
// PostgreSQL only: on SQLite one process does it all (TEST_DATABASE_URL unset: skipped).

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAJIN_CODE } from '../../src/seed/najin-data.js';
import type { LiveEvent } from '../../src/services/notify/live.js';
import { DIALECTS } from '../support/db.js';
import { Stream, waitFor } from '../support/sse.js';
import { buildWorld, PASSWORD, type World } from '../support/world.js';

const postgres = DIALECTS.find((d) => d.name === 'postgres');

/** One `gridline serve` child: its pid, its base URL, what it printed. */
interface Child {
  name: string;
  process: ChildProcess;
  base: string;
  output: string[];
}

/** A webhook receiver like a customer's: records every request; while `holding`, answers none of them. */
class Receiver {
  readonly received: { delivery: string; event: string; body: string }[] = [];
  readonly held: ServerResponse[] = [];
  holding = false;
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ delivery: String(req.headers['x-gridline-delivery']), event: String(req.headers['x-gridline-event']), body: Buffer.concat(chunks).toString('utf8') });
        if (this.holding) this.held.push(res);
        else res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** Answer what was held, and everything from now on. */
  release(): void {
    this.holding = false;
    for (const res of this.held.splice(0)) if (!res.destroyed) res.writeHead(200).end('ok');
  }

  async stop(): Promise<void> {
    this.release();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

const freePort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
};

describe.skipIf(!postgres)('several Gridline processes on one PostgreSQL database', () => {
  let world: World;
  let receiver: Receiver;
  let hookUrl: string;
  let mediaDir: string;
  const children: Child[] = [];

  async function startChild(name: string, env: Record<string, string>): Promise<Child> {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      env: {
        ...process.env,
        DATABASE_URL: postgres!.url,
        DATABASE_SCHEMA: world.database.postgres!.schema!,
        HOST: '127.0.0.1',
        PORT: String(port),
        MEDIA_DIR: mediaDir,
        LOG_LEVEL: 'warn',
        SWEEP_INTERVAL_MS: '0',
        NOTIFY_POLL_MS: '200',
        NOTIFY_TIMEOUT_MS: '1000',
        NOTIFY_LEASE_MS: '2500',
        NOTIFY_BACKOFF_MS: '200',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const c: Child = { name, process: child, base: `http://127.0.0.1:${port}`, output: [] };
    children.push(c);
    child.stdout!.on('data', (d: Buffer) => c.output.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => c.output.push(d.toString()));
    await waitFor(() => c.output.join('').includes('Gridline is serving') || child.exitCode !== null, 30_000);
    if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}:\n${c.output.join('')}`);
    return c;
  }

  async function call<T>(c: Child, method: string, url: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: T }> {
    const res = await fetch(`${c.base}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : undefined) as T };
  }

  async function login(c: Child, username: string): Promise<string> {
    const res = await fetch(`${c.base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { token: string }).token;
  }

  const channelDeliveries = async (channelId: string) =>
    world.database.db.selectFrom('deliveries').select(['id', 'status', 'lease_owner', 'attempts', 'event_id']).where('channel_id', '=', channelId).execute();

  beforeAll(async () => {
    world = await buildWorld(postgres!, new Date().toISOString());
    receiver = new Receiver();
    hookUrl = await receiver.start();
    mediaDir = mkdtempSync(path.join(tmpdir(), 'gridline-processes-'));
  }, 60_000);

  afterAll(async () => {
    for (const c of children) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
    await receiver?.stop();
    await world?.close();
    if (mediaDir) rmSync(mediaDir, { recursive: true, force: true });
  });

  it('shares the work, survives a SIGKILL mid-delivery with nothing stuck, and streams events across processes', async () => {
    const a = await startChild('A', { WORKERS: 'on' });
    const b = await startChild('B', { WORKERS: 'off' });
    expect(b.output.join('')).toContain('API only');
    const admin = await login(a, 'admin');
    const dispatcher = await login(b, 'dispatcher');
    const riders = { solang: await login(a, 'solang'), tenzin: await login(b, 'tenzin') };

    // The subdistrict's webhook hears new reports and dispatches in Najin.
    const najin = world.unit(NAJIN_CODE).id;
    const created = await call<{ channel: { id: string } }>(a, 'POST', '/api/v1/admin/channels', admin, { kind: 'webhook', name: '纳金街道 系统对接', config: { url: hookUrl, secret: 'a-webhook-secret-of-32-characters!' }, jurisdictionId: najin });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const channelId = created.json.channel.id;
    const subscribed = await call(a, 'POST', '/api/v1/subscriptions', admin, { kinds: ['new_report', 'dispatched'], channelId, jurisdictionId: najin });
    expect(subscribed.status, JSON.stringify(subscribed.json)).toBe(201);

    // The dispatcher's live stream on B (an API-only process: every event it hears was fanned out elsewhere).
    const stream = await Stream.open(b.base, '/api/v1/events', { authorization: `Bearer ${dispatcher}` });
    expect(stream.response.status).toBe(200);
    await stream.untilReady();

    // Hold the receiver's answers, then report through both processes.
    receiver.holding = true;
    const other = world.category('07-999').id;
    const cases: string[] = [];
    const report = async (via: Child, who: keyof typeof riders, n: number) => {
      const res = await call<{ id: string }>(via, 'POST', '/api/v1/reports', riders[who], { categoryId: other, description: `两个进程 ${n}`, lat: 29.6489, lon: 91.1548, media: [] }, { 'idempotency-key': `processes-${n}` });
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      cases.push(res.json.id);
    };
    for (let n = 0; n < 6; n++) await report(n % 2 ? b : a, n % 2 ? 'tenzin' : 'solang', n);

    // A claims a batch and sends its first message, which the receiver holds: kill A there.
    await waitFor(() => receiver.held.length > 0, 10_000);
    const leasedByA = async () => (await channelDeliveries(channelId)).filter((d) => d.status === 'pending' && d.lease_owner?.startsWith(`gridline-${a.process.pid}-`)).length;
    expect(await leasedByA()).toBeGreaterThan(0);
    a.process.kill('SIGKILL');
    await new Promise<void>((resolve) => (a.process.exitCode !== null || a.process.signalCode !== null ? resolve() : a.process.once('exit', () => resolve())));
    expect(a.process.signalCode).toBe('SIGKILL');
    // Its claims stay until their lease runs out: nobody else may send them yet.
    expect(await leasedByA()).toBeGreaterThan(0);
    receiver.release();

    // Two worker processes take over; more work arrives through B and them while they share it.
    const c = await startChild('C', { WORKERS: 'on' });
    const d = await startChild('D', { WORKERS: 'on' });
    for (let n = 6; n < 10; n++) await report([b, c, d][n % 3]!, n % 2 ? 'tenzin' : 'solang', n);
    for (const id of cases.slice(0, 5)) {
      const res = await call(b, 'POST', `/api/v1/cases/${id}/actions/fast-dispatch`, dispatcher, { departmentId: world.department('nj-municipal').id, note: '直派' }, { 'idempotency-key': `processes-dispatch-${id}` });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
    }

    // Every planned delivery arrives; none stays pending, leased or dead.
    const expected = cases.length + 5;
    await waitFor(() => new Set(receiver.received.map((r) => r.delivery)).size >= expected, 20_000);
    let rows = await channelDeliveries(channelId);
    for (let i = 0; i < 100 && rows.some((r) => r.status !== 'delivered'); i++) {
      await new Promise((r) => setTimeout(r, 200));
      rows = await channelDeliveries(channelId);
    }
    expect(rows.length, 'one delivery per report and per dispatch').toBe(expected);
    expect(rows.filter((r) => r.status !== 'delivered' || r.lease_owner !== null)).toEqual([]);
    const unique = new Set(receiver.received.map((r) => r.delivery));
    expect([...unique].sort()).toEqual(rows.map((r) => r.id).sort());
    // At least once: the message A was sending when it died came again (same delivery id), from C or D.
    expect(receiver.received.length).toBeGreaterThan(unique.size);
    const events = receiver.received.filter((r, i, all) => all.findIndex((x) => x.delivery === r.delivery) === i).map((r) => r.event);
    expect(events.filter((e) => e === 'new_report')).toHaveLength(cases.length);
    expect(events.filter((e) => e === 'dispatched')).toHaveLength(5);

    // The stream on B heard every case event: 10 reports, and accept, file and dispatch of five cases.
    const heard: LiveEvent[] = [];
    while (heard.length < cases.length + 15) heard.push(await stream.nextCase(10_000));
    stream.close();
    expect(heard.filter((e) => e.action === 'report').map((e) => e.caseId).sort()).toEqual([...cases].sort());
    expect(heard.filter((e) => e.action === 'dispatch').map((e) => e.caseId).sort()).toEqual(cases.slice(0, 5).sort());
    expect(heard.map((e) => e.seq)).toEqual([...heard.map((e) => e.seq)].sort((x, y) => x - y));

    // The riders heard their receipts in the inbox, read through any process.
    const inbox = await call<{ items: { kind: string; caseId: string }[] }>(c, 'GET', '/api/v1/me/inbox?limit=100', riders.solang);
    const mine = cases.filter((_, n) => n % 2 === 0);
    expect(inbox.json.items.filter((m) => m.kind === 'receipt').map((m) => m.caseId).sort()).toEqual([...mine].sort());

    // Nothing left in the outbox.
    const outbox = await world.database.db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(outbox.n)).toBe(0);
  }, 120_000);
});
