// Notification benchmark, per dialect: outbox delivery throughput to a local webhook receiver, and the lag
// from a state change (a report committed) to the receiver having its webhook.
//
// - Throughput: N reports are stored with no worker running (N outbox entries waiting), then one worker
//   fans them out and sends them; messages/s from its start to the receiver having all N (after
//   de-duplication by delivery id). Baseline, same run, same receiver: a bare loop posting the same N
//   signed bodies with the same sender at the same concurrency, nothing read or written in the database.
// - Lag: with the worker running, reports arrive at a steady rate; for each, the time from report()
//   resolving (its commit) to the receiver's arrival of its webhook: p50 and p99.
//
// Knobs: BENCH_DIALECTS, BENCH_DATABASE_URL (as npm run bench), BENCH_NOTIFY_N (default 2000),
// BENCH_NOTIFY_RATE (reports/s for the lag run, default 50), BENCH_NOTIFY_SECONDS (default 10).

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { buildServices, type WiredServices } from '../src/compose.js';
import { MemoryMediaStore } from '../src/media/memory.js';
import type { OutgoingMessage } from '../src/notify/channel.js';
import { verifyWebhookSignature, WebhookSender } from '../src/notify/webhook.js';
import { seedDemo } from '../src/seed/demo.js';
import { NAJIN_CODE } from '../src/seed/najin-data.js';
import { connect, migrate, type Database } from '../src/storage/db.js';
import { signalsFor } from '../src/storage/signals.js';
import { benchDialects, percentile, type DialectTarget } from './city.js';
import { runIfMain, type BenchResult } from './routing.bench.js';

const SECRET = randomBytes(24).toString('hex');
const CONCURRENCY = 8;

/** A receiver as an integrator would write one: verify, de-duplicate by delivery id, answer 200. */
async function receiver(): Promise<{ url: string; seen: Map<string, { at: number; caseId: string }>; byCase: Map<string, number>; close(): Promise<void> }> {
  const seen = new Map<string, { at: number; caseId: string }>();
  const byCase = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (!verifyWebhookSignature(SECRET, req.headers['x-gridline-timestamp'], body, req.headers['x-gridline-signature'], Math.floor(Date.now() / 1000))) {
        res.writeHead(401).end();
        return;
      }
      const id = String(req.headers['x-gridline-delivery']);
      if (!seen.has(id)) {
        const caseId = (JSON.parse(body) as { case: { id: string } }).case.id;
        const at = performance.now();
        seen.set(id, { at, caseId });
        if (!byCase.has(caseId)) byCase.set(caseId, at);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hook`, seen, byCase, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function open(target: DialectTarget): Promise<{ database: Database; close(): Promise<void> }> {
  if (target.name === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gridline-notify-'));
    const database = connect(path.join(dir, 'notify.sqlite'));
    await migrate(database);
    return { database, close: async () => (await database.close(), fs.rmSync(dir, { recursive: true, force: true })) };
  }
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: target.url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const database = connect(target.url, { schema, poolSize: 10 });
  await migrate(database);
  return {
    database,
    close: async () => {
      await database.close();
      const client = new pg.Client({ connectionString: target.url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

async function dialect(target: DialectTarget, log: (line: string) => void): Promise<BenchResult[]> {
  const n = Number(process.env.BENCH_NOTIFY_N ?? 2000);
  const rate = Number(process.env.BENCH_NOTIFY_RATE ?? 50);
  const seconds = Number(process.env.BENCH_NOTIFY_SECONDS ?? 10);
  const { database, close } = await open(target);
  const hook = await receiver();
  const signals = signalsFor(database);
  const mediaStore = new MemoryMediaStore();
  try {
    await seedDemo(database, { password: 'bench-password', cases: 0, mediaStore });
    const services: WiredServices = buildServices(database, {
      mediaStore,
      signals,
      throttle: { report: { limit: 0, windowS: 60 } },
      notify: { senders: new Map([['webhook', new WebhookSender()]]), pollMs: 200, delivery: { concurrency: CONCURRENCY, batch: 200 } },
    });
    const reference = services.ctx.uow.autocommit.reference;
    const najin = (await reference.jurisdictions()).find((u) => u.code === NAJIN_CODE)!;
    // 其他 (other): a report without a photo, so the run times notifications rather than media.
    const category = (await reference.categories()).find((c) => c.code === '07-999')!;
    const admin = await services.ctx.principal((await services.ctx.uow.autocommit.users.byUsername('admin'))!);
    const riders = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => services.ctx.principal((await services.ctx.uow.autocommit.users.byUsername(`rider${String(i + 1).padStart(2, '0')}`))!)),
    );
    const { channel } = await services.notify.createChannel(admin, { kind: 'webhook', name: 'bench receiver', config: { url: hook.url, secret: SECRET } });
    await services.notify.subscribe(admin, { kinds: ['new_report'], channelId: channel.id, jurisdictionId: najin.id });
    let k = 0;
    const report = async () => {
      const i = k++;
      const { caseId } = await services.reports.report(riders[i % riders.length]!, {
        categoryId: category.id,
        description: `垃圾桶满了 ${i}`,
        lat: 29.6489 + (i % 100) * 0.00002,
        lon: 91.1548 + Math.floor(i / 100) * 0.00002,
      });
      return caseId;
    };

    // Throughput: N waiting in the outbox, then one worker.
    for (let i = 0; i < n; i += 50) await Promise.all(Array.from({ length: Math.min(50, n - i) }, report));
    const t0 = performance.now();
    services.notifyWorker.start();
    while (hook.seen.size < n) await new Promise((r) => setTimeout(r, 5));
    const workerMs = performance.now() - t0;
    const perS = (n * 1000) / workerMs;

    // Baseline: the same bodies, posted by a bare loop with the same sender and concurrency.
    const deliveries = await services.ctx.uow.autocommit.notify.deliveries({ status: 'delivered', limit: n });
    const bodies = deliveries.map((d) => ({ ...(d.message as unknown as OutgoingMessage), deliveryId: `bare-${d.id}` }));
    const sender = new WebhookSender();
    const target = { id: channel.id, kind: 'webhook' as const, name: 'bare', config: { url: hook.url, secret: SECRET } };
    const b0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < bodies.length; i = next++) {
          const outcome = await sender.send(target, bodies[i]!, { timeoutMs: 10_000, now: new Date() });
          if (!outcome.ok) throw new Error(`bare post failed: ${outcome.error}`);
        }
      }),
    );
    const bareMs = performance.now() - b0;
    const barePerS = (bodies.length * 1000) / bareMs;
    log(`${database.dialect}: ${n} webhooks in ${workerMs.toFixed(0)} ms through the outbox (${perS.toFixed(0)}/s); bare loop ${barePerS.toFixed(0)}/s`);

    // Lag: steady reports with the worker running.
    const committed = new Map<string, number>();
    const total = Math.round(rate * seconds);
    const l0 = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = l0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(report().then((id) => void committed.set(id, performance.now())));
    }
    await Promise.all(pending);
    const deadline = performance.now() + 30_000;
    while ([...committed.keys()].some((id) => !hook.byCase.has(id)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const lags = [...committed].filter(([id]) => hook.byCase.has(id)).map(([id, at]) => hook.byCase.get(id)! - at);
    const missing = committed.size - lags.length;
    const p50 = percentile(lags, 50);
    const p99 = percentile(lags, 99);
    log(`${database.dialect}: lag from commit to webhook at ${rate} reports/s over ${seconds} s: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...lags).toFixed(1)} ms${missing ? `, ${missing} NOT RECEIVED` : ''}`);
    await services.notifyWorker.stop();
    const name = database.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL';
    return [
      { name: `${name} outbox → webhook throughput`, value: Math.round(perS), unit: 'msg/s', baseline: { name: 'bare loop posting the same bodies', value: Math.round(barePerS) }, ratio: perS / barePerS },
      { name: `${name} state change → webhook lag p50`, value: Number(p50.toFixed(1)), unit: 'ms' },
      { name: `${name} state change → webhook lag p99`, value: Number(p99.toFixed(1)), unit: 'ms', ...(missing ? { target: 'every message received', pass: false } : {}) },
    ];
  } finally {
    await signals.close();
    await hook.close();
    await close();
  }
}

export async function run(log: (line: string) => void): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const target of benchDialects(log)) out.push(...(await dialect(target, log)));
  return out;
}

await runIfMain(import.meta.url, run);
