// Live events over real HTTP (GET /api/v1/events, Server-Sent Events): each reader hears, within a moment
// of the fan-out and without asking, the events of the cases they may see and no others; a reconnect with
// Last-Event-ID gets exactly what it missed, in order, none twice; heartbeats keep the stream alive; the
// limits, the refusals and closing the app behave; the token of ?access_token= never reaches the log; on
// PostgreSQL an event fanned out by one process reaches a stream of another through LISTEN/NOTIFY.

import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServices } from '../../src/compose.js';
import { buildApp } from '../../src/http/app.js';
import type { LiveEvent } from '../../src/services/notify/live.js';
import { signalsFor } from '../../src/storage/signals.js';
import { DIALECTS } from '../support/db.js';
import { buildWorld, MemoryMediaStore, PASSWORD, type World } from '../support/world.js';
import { Stream, waitFor } from '../support/sse.js';
import { expectError } from './support.js';

const baseOf = (app: FastifyInstance) => `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

describe.each(DIALECTS)('live events over SSE ($name)', (dialect) => {
  let world: World;
  let base: string;
  const tokens = new Map<string, string>();
  const streams: Stream[] = [];

  const login = async (username: string, app = world.app) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: PASSWORD } });
    expect(res.statusCode).toBe(200);
    return res.json<{ token: string }>().token;
  };
  const token = async (username: string) => {
    if (!tokens.has(username)) tokens.set(username, await login(username));
    return tokens.get(username)!;
  };
  /** A stream as `username`, open and live (past `ready`). */
  const listen = async (username: string, headers: Record<string, string> = {}, at = base, query = '') => {
    const stream = await Stream.open(at, `/api/v1/events${query}`, { authorization: `Bearer ${await token(username)}`, ...headers });
    streams.push(stream);
    expect(stream.response.status).toBe(200);
    return stream;
  };
  const drain = () => world.services.notifyWorker.drain();
  const refOf = async (caseId: string) => (await world.services.ctx.uow.autocommit.cases.find(caseId))!.ref;

  beforeAll(async () => {
    world = await buildWorld(dialect);
    // Only the fan-out's signal can bring an event within the tests' waits: no polling to fall back on.
    world.services.live.options.pollMs = 60_000;
    await world.app.listen({ port: 0, host: '127.0.0.1' });
    base = baseOf(world.app);
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await world?.close();
  });

  it('brings a dispatcher a new report of their jurisdiction within a moment of the fan-out, as an event stream', async () => {
    const stream = await listen('dispatcher');
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.response.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(stream.response.headers.get('x-accel-buffering')).toBe('no');
    expect(stream.response.headers.get('x-content-type-options')).toBe('nosniff');
    // Helmet's headers were set on the socket before the stream took it over.
    expect(stream.response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect((await stream.next()).retry).toBe('3000');
    const { ready } = await stream.untilReady();
    expect(ready).toBe(await world.services.ctx.uow.autocommit.notify.feedHead());

    const caseId = await world.report('solang');
    const fannedOut = Date.now();
    await drain();
    const event = await stream.nextCase(2000);
    expect(Date.now() - fannedOut).toBeLessThan(1500);
    const { id, ...data } = event;
    expect(data).toEqual({ seq: Number(id), caseId, ref: await refOf(caseId), action: 'report', status: expect.any(String), kinds: expect.arrayContaining(['new_report']), at: expect.any(String) });
    expect(Object.keys(data).sort()).toEqual(['action', 'at', 'caseId', 'kinds', 'ref', 'seq', 'status']);
    stream.close();
  });

  it("keeps Najin's cases from the Zhaxi dispatcher, and a rider hears only their own", async () => {
    const zhaxi = await listen('zx-dispatcher');
    const najin = await listen('dispatcher');
    const solang = await listen('solang');
    const admin = await listen('admin');
    await Promise.all([zhaxi.untilReady(), najin.untilReady(), solang.untilReady(), admin.untilReady()]);

    const tenzins = await world.report('tenzin');
    const solangs = await world.report('solang');
    const pemas = await world.report('pema', { lat: world.zhaxiPoint.lat, lon: world.zhaxiPoint.lon });
    await drain();

    // Events come in feed order: the first Zhaxi hears is Pema's, so it heard neither of Najin's before it.
    expect((await zhaxi.nextCase()).caseId).toBe(pemas);
    expect([(await najin.nextCase()).caseId, (await najin.nextCase()).caseId]).toEqual([tenzins, solangs]);
    expect((await solang.nextCase()).caseId).toBe(solangs);
    // An administrator sees everything.
    expect([(await admin.nextCase()).caseId, (await admin.nextCase()).caseId, (await admin.nextCase()).caseId]).toEqual([tenzins, solangs, pemas]);

    // Another report of Solang's: the only thing his stream heard was his own two.
    const again = await world.report('solang');
    await drain();
    expect((await solang.nextCase()).caseId).toBe(again);
    expect(await zhaxi.next((b) => b.event === 'case', 200).catch(() => null)).toBeNull();
    for (const s of [zhaxi, najin, solang, admin]) s.close();
  });

  it('resumes after a reconnect with exactly the events missed, in order, none twice (Last-Event-ID or ?lastEventId=)', async () => {
    const first = await listen('dispatcher');
    await first.untilReady();
    await world.report('solang');
    await drain();
    const seen = await first.nextCase();
    first.close();

    const missed: string[] = [];
    for (let i = 0; i < 3; i++) missed.push(await world.report('solang', { description: `漏看的第${i + 1}个` }));
    await drain();

    const second = await listen('dispatcher', { 'last-event-id': seen.id! });
    const { ready, before } = await second.untilReady();
    const replayed = before.map((b) => ({ id: Number(b.id), ...(JSON.parse(b.data) as LiveEvent) }));
    expect(before.every((b) => b.event === 'case')).toBe(true);
    expect(replayed.map((e) => e.caseId)).toEqual(missed);
    expect(replayed.map((e) => e.id)).toEqual([...replayed.map((e) => e.id)].sort((a, b) => a - b));
    expect(replayed[0]!.id).toBeGreaterThan(Number(seen.id));
    expect(ready).toBe(replayed.at(-1)!.id);

    // Live from there: the next event is the new one, not any of the replayed again.
    const fresh = await world.report('solang');
    await drain();
    const next = await second.nextCase();
    expect(next.caseId).toBe(fresh);
    expect(Number(next.id)).toBeGreaterThan(ready);
    second.close();

    // The same by query parameter, for clients that cannot send the header.
    const third = await listen('dispatcher', {}, base, `?lastEventId=${seen.id}`);
    expect((await third.untilReady()).before.map((b) => (JSON.parse(b.data) as LiveEvent).caseId)).toEqual([...missed, fresh]);
    third.close();
  });

  it('sends reset when the reader is further behind than the replay reaches, or names a number the feed never had', async () => {
    const head = await world.services.ctx.uow.autocommit.notify.feedHead();
    const live = world.services.live.options;
    const limit = live.replayLimit;
    live.replayLimit = 2;
    try {
      const behind = await listen('dispatcher', { 'last-event-id': String(Math.max(0, head - 3)) });
      const { ready, before } = await behind.untilReady();
      expect(before.map((b) => b.event)).toEqual(['reset']);
      expect(JSON.parse(before[0]!.data)).toEqual({ seq: head, reason: 'behind' });
      expect(ready).toBe(head);
      behind.close();
    } finally {
      live.replayLimit = limit;
    }
    const ahead = await listen('dispatcher', { 'last-event-id': String(head + 1000) });
    const { before } = await ahead.untilReady();
    expect(before.map((b) => [b.event, b.id])).toEqual([['reset', String(head)]]);
    expect(JSON.parse(before[0]!.data).reason).toBe('unknown');
    ahead.close();
  });

  it('sends a heartbeat comment on an idle stream', async () => {
    const live = world.services.live.options;
    const every = live.heartbeatMs;
    live.heartbeatMs = 100;
    try {
      const stream = await listen('supervisor');
      await stream.untilReady();
      const started = Date.now();
      expect((await stream.next((b) => b.comment !== undefined, 1500)).comment).toBe('ping');
      expect(Date.now() - started).toBeLessThan(1000);
      stream.close();
    } finally {
      live.heartbeatMs = every;
    }
  });

  it('refuses a malformed Last-Event-ID (400) and a missing or bad token (401) before any stream opens', async () => {
    const auth = { authorization: `Bearer ${await token('dispatcher')}` };
    for (const bad of ['abc', '-1', '1.5', '12 ', '1e3', '9'.repeat(16)]) {
      expectError(await world.app.inject({ url: '/api/v1/events', headers: { ...auth, 'last-event-id': bad } }), 400, 'invalid_last_event_id', 'lastEventId');
    }
    expectError(await world.app.inject({ url: '/api/v1/events?lastEventId=x', headers: auth }), 400, 'invalid_last_event_id');
    expectError(await world.app.inject({ url: '/api/v1/events' }), 401, 'unauthenticated');
    expectError(await world.app.inject({ url: '/api/v1/events?access_token=nope' }), 401, 'invalid_token');
    // The query token is for this route only.
    expectError(await world.app.inject({ url: `/api/v1/me/inbox?access_token=${await token('dispatcher')}` }), 401, 'unauthenticated');
    // (The streams of the tests before may take a moment to be noticed gone.)
    await waitFor(() => world.services.live.stats().streams === 0);
  });

  it('takes the token as ?access_token= for EventSource', async () => {
    const stream = await Stream.open(base, `/api/v1/events?access_token=${await token('municipal')}`);
    streams.push(stream);
    expect(stream.response.status).toBe(200);
    await stream.untilReady();
    stream.close();
  });

  it('refuses the sixth stream of a user with 429 too_many_streams, and frees a slot when a client leaves', async () => {
    const userId = world.users.get('regulator')!.id;
    const username = 'regulator';
    const five: Stream[] = [];
    for (let i = 0; i < 5; i++) five.push(await listen(username));
    await Promise.all(five.map((s) => s.untilReady()));
    const sixth = await fetch(`${base}/api/v1/events`, { headers: { authorization: `Bearer ${await token(username)}` } });
    expect(sixth.status).toBe(429);
    expect(((await sixth.json()) as { error: { code: string; details: unknown } }).error).toMatchObject({ code: 'too_many_streams', details: { limit: 5 } });
    five[0]!.close();
    await waitFor(() => world.services.live.stats(userId).mine === 4);
    const again = await listen(username);
    await again.untilReady();
    for (const s of [...five, again]) s.close();
    await waitFor(() => world.services.live.stats().streams === 0);
  });

  it('drops a subscriber whose client cannot keep up, without holding up the feed', async () => {
    const principal = await world.as('dispatcher');
    let ended: string | undefined;
    world.services.live.subscribe(principal, undefined, () => false, (reason) => (ended = reason));
    await waitFor(() => ended !== undefined);
    expect(ended).toBe('slow');
    expect(world.services.live.stats(principal.user.id).mine).toBe(0);
  });

  it('ends open streams when the app closes, and never logs the ?access_token= value', async () => {
    const lines: string[] = [];
    const app = await buildApp({ database: world.database, services: world.services, logLevel: 'info', logStream: { write: (line) => void lines.push(line) } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const secret = await login('dispatcher', app);
    const stream = await Stream.open(baseOf(app), `/api/v1/events?access_token=${secret}&lastEventId=0`);
    expect(stream.response.status).toBe(200);
    await stream.untilReady().catch(() => undefined);
    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(2000);
    await stream.ended;
    expect(stream.done).toBe(true);
    const log = lines.join('');
    expect(log).toContain('access_token=[redacted]');
    expect(log).toContain('event stream closed');
    expect(log).not.toContain(secret);
  });

  it('prunes the feed to a day (and the newest entries), and a reader resuming from before it is told to reset', async () => {
    const notify = world.services.ctx.uow.autocommit.notify;
    const live = world.services.live;
    const head = await notify.feedHead();
    expect(await live.prune()).toBe(0);
    const keep = live.options.retainEntries;
    live.options.retainEntries = 2;
    try {
      world.clock.advance(25 * 60);
      expect(await live.prune()).toBe(head - 2);
      expect((await notify.feedAfter(0, 10)).map((e) => e.seq)).toEqual([head - 1, head]);
    } finally {
      live.options.retainEntries = keep;
    }
    const stream = await listen('admin', { 'last-event-id': '1' });
    const { ready, before } = await stream.untilReady();
    expect(before.map((b) => [b.event, JSON.parse(b.data)])).toEqual([['reset', { seq: head, reason: 'behind' }]]);
    expect(ready).toBe(head);
    stream.close();
  });

  it.runIf(dialect.name === 'postgres')('brings an event fanned out by another process through LISTEN/NOTIFY', async () => {
    // Two more "processes" on the same database, each with its own LISTEN/NOTIFY signals: one fans out,
    // the other's feed (no polling to fall back on) hears of it.
    const options = { clock: world.clock, mediaStore: new MemoryMediaStore() };
    const writer = buildServices(world.database, { ...options, signals: signalsFor(world.database) });
    const reader = buildServices(world.database, { ...options, signals: signalsFor(world.database) });
    reader.live.options.pollMs = 60_000;
    const heard: string[] = [];
    let ready = false;
    const stop = reader.live.subscribe(await reader.ctx.principal(world.users.get('dispatcher')!), undefined, (m) => {
      if (m.type === 'ready') ready = true;
      if (m.type === 'case') heard.push(m.event.caseId);
    });
    try {
      await waitFor(() => ready);
      // Let the reader's LISTEN connection settle (on connecting it also looks once, which is not what is tested).
      await new Promise((r) => setTimeout(r, 300));
      const caseId = await world.report('solang');
      await writer.notifyWorker.drain();
      await waitFor(() => heard.length > 0, 2500);
      expect(heard).toEqual([caseId]);
    } finally {
      stop();
      await writer.ctx.signals.close();
      await reader.ctx.signals.close();
    }
  });
});
