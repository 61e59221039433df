// Intake benchmark: how many reports a second the real server takes (`POST /api/v1/reports`), against a
// bare Fastify 5 route that only parses and echoes the same JSON, in the same run, on SQLite and PostgreSQL.
//
// Per dialect: a fresh database (a temporary SQLite file; a fresh PostgreSQL schema, dropped afterwards)
// migrated and demo-seeded by the CLI (`gridline seed --demo`, DEMO_PASSWORD set), then the real server
// (`gridline serve` as compiled into dist-bench) in a child process, with a report rate limit far above the
// load (THROTTLE_REPORT) so the limit is still checked but never refuses. The 40 demo riders log in and
// upload one photo each. Every request is a valid report at a point inside Najin's grids, in a rider's name
// with the rider's photo and its own Idempotency-Key. From this process:
//
// 1. warm-up: autocannon, 50 connections, 3 s;
// 2. the bare route (this module run as `--echo-server`, a child process of its own): POST /echo with the
//    same headers and bodies, autocannon, 50 connections, 10 s;
// 3. POST /api/v1/reports, the same;
// 4. autocannon's overallRate 500 (which sends each second's share as a burst: see `steady`), 10 s;
// 5. a steady, evenly spaced, open-loop 500 requests/s for 10 s (`steady`): the fixed-rate target's p99.
//
// Requests a run's end cuts off in flight are sent again with their keys (the server answers the case it
// made, or makes it), then every 2xx must name a case of its own and the cases created must be exactly
// those, or the benchmark throws. The server's CPU per report comes from /proc/<pid>/stat (on PostgreSQL
// also its backends', found by application_name), the bare route's likewise. Then the server stops and the
// same database is opened in this process with Kysely's query log: POST /reports through app.inject,
// one at a time, counts the SQL statements per report (distinct texts, and their time).
//
// Run: see bench/README.md.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import SQLite from 'better-sqlite3';
import Fastify from 'fastify';
import pg from 'pg';
import type { LogEvent } from 'kysely';
import type { Jurisdiction } from '../src/domain/records.js';
import { Router } from '../src/geo/router.js';
import { buildApp } from '../src/http/app.js';
import { demoPhoto } from '../src/seed/demo.js';
import { CATEGORIES, JURISDICTIONS, NAJIN_CODE } from '../src/seed/najin-data.js';
import { mulberry32 } from '../src/seed/prng.js';
import { buildServices } from '../src/compose.js';
import { connect } from '../src/storage/db.js';
import { benchDialects, type DialectTarget } from './city.js';
import { CLI, cli, freePort } from './processes.js';
import { runIfMain, type BenchResult } from './routing.bench.js';

/** Seconds per measured run (bare route, reports, each fixed-rate run). */
const RUN_S = 10;
const WARMUP_S = 3;
const CONNECTIONS = 50;
const FIXED_RATE = 500;
const RIDERS = 40;
/** Demo cases seeded before the run (the demo's default is 320; fewer keeps the seed short). */
const SEED_CASES = 120;
/** Reports counted statement by statement in this process, after a warm-up. */
const COUNTED = 40;
const PASSWORD = 'bench-intake-password';
/** Far above the load: the rule is still checked on every report (one statement), it never refuses. */
const THROTTLE_REPORT = '100000000/1h';
const APP_NAME = 'gridline-intake-bench';
export const TARGET_RATIO = { sqlite: 0.4, postgres: 0.25 } as const;
export const TARGET_FIXED_P99_MS = 50;

const SELF = fileURLToPath(import.meta.url);

type Log = (line: string) => void;

// ---- the bare route ---------------------------------------------------------------------------------------

/** `node intake.bench.js --echo-server PORT`: a bare Fastify 5 route that parses the JSON body and echoes it. */
async function echoServer(port: number): Promise<void> {
  const app = Fastify({ logger: false });
  app.post('/echo', async (request) => request.body);
  await app.listen({ host: '127.0.0.1', port });
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

// ---- processes --------------------------------------------------------------------------------------------

async function waitFor(check: () => Promise<boolean>, child: ChildProcess, what: string, stderr: () => string): Promise<void> {
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}): ${stderr().trim()}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up within 30 s: ${stderr().trim()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Children and temp dirs to remove if the process ends before a finally block runs. */
const leftovers = new Set<{ children: ChildProcess[]; dir: string }>();
process.once('exit', () => {
  for (const l of leftovers) {
    for (const c of l.children) c.kill('SIGKILL');
    fs.rmSync(l.dir, { recursive: true, force: true });
  }
});

function spawnChild(args: string[], env: NodeJS.ProcessEnv, leftover: { children: ChildProcess[] }): { child: ChildProcess; stderr: () => string; stdout: () => string } {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  leftover.children.push(child);
  let err = '';
  let out = '';
  child.stderr!.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4000)));
  child.stdout!.on('data', (chunk: Buffer) => (out = (out + chunk.toString()).slice(-4000)));
  return { child, stderr: () => err, stdout: () => out };
}

/** User + system CPU of a process so far, in ms (from /proc/<pid>/stat); 0 once it is gone. */
function cpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
/** USER_HZ: 100 on every Linux build that matters here. */
const CLOCK_TICKS = 100;

// ---- the load ---------------------------------------------------------------------------------------------

interface Rider {
  token: string;
  photoId: string;
}

interface Body {
  categoryId: string;
  description: string;
  lat: number;
  lon: number;
  media: string[];
}

/** Points well inside Najin's grids (deterministic), from the seed's own polygons. */
function najinPoints(n: number): { lat: number; lon: number }[] {
  const byCode = new Map(JURISDICTIONS.map((j) => [j.code, j]));
  const pathOf = (code: string): string => {
    const j = byCode.get(code)!;
    return `${j.parentCode ? pathOf(j.parentCode) : ''}/${code}`;
  };
  const units: Jurisdiction[] = JURISDICTIONS.map((j) => ({ id: j.code, code: j.code, level: j.level, parentId: j.parentCode, path: pathOf(j.code), names: j.names, geometry: j.geometry }));
  const router = new Router(units);
  const najin = router.unit(NAJIN_CODE)!;
  const ring = najin.geometry!.type === 'Polygon' ? najin.geometry!.coordinates.flat() : najin.geometry!.coordinates.flat(2);
  const lons = ring.map((p) => p[0]!);
  const lats = ring.map((p) => p[1]!);
  const box = { minLon: Math.min(...lons), maxLon: Math.max(...lons), minLat: Math.min(...lats), maxLat: Math.max(...lats) };
  const rand = mulberry32(8);
  const out: { lat: number; lon: number }[] = [];
  for (let tries = 0; out.length < n && tries < n * 1000; tries++) {
    const lat = box.minLat + rand() * (box.maxLat - box.minLat);
    const lon = box.minLon + rand() * (box.maxLon - box.minLon);
    const at = router.locate(lon, lat);
    if (at && at.unit.level === 'grid' && at.unit.path.startsWith(`${najin.path}/`) && !at.nearBorder) out.push({ lat, lon });
  }
  if (out.length < n) throw new Error(`found only ${out.length} points inside Najin's grids`);
  return out;
}

/** Bodies to cycle through: a category, its sample text, a point inside Najin (the photo is the rider's). */
function bodies(categoryIds: Map<string, string>, n: number): Omit<Body, 'media'>[] {
  const points = najinPoints(n);
  const rand = mulberry32(9);
  return points.map((p) => {
    const c = CATEGORIES[Math.floor(rand() * CATEGORIES.length)]!;
    return { categoryId: categoryIds.get(c.code)!, description: c.sampleDescriptions[Math.floor(rand() * c.sampleDescriptions.length)]!, lat: p.lat, lon: p.lon };
  });
}

interface Load {
  rate: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statuses: string;
  durationS: number;
}

/** Every report sent, by Idempotency-Key, and the case each 2xx answer named (its Location). */
interface Ledger {
  sent: Map<string, { rider: Rider; body: Body }>;
  answered: Map<string, string>;
}

const newLedger = (): Ledger => ({ sent: new Map(), answered: new Map() });
let keyCounter = 0;

/**
 * One autocannon run: every request a rider's report with its own Idempotency-Key. autocannon's context is
 * per request here (one request definition, no pipelining), so a response is matched to its key.
 */
async function fire(url: string, riders: Rider[], pool: Omit<Body, 'media'>[], ledger: Ledger, opts: { seconds: number; connections: number; overallRate?: number }): Promise<Load> {
  const run = randomBytes(4).toString('hex');
  const result = await autocannon({
    url,
    connections: opts.connections,
    duration: opts.seconds,
    ...(opts.overallRate ? { overallRate: opts.overallRate } : {}),
    timeout: 30,
    requests: [
      {
        method: 'POST',
        setupRequest: (request, context) => {
          const i = keyCounter++;
          const rider = riders[i % riders.length]!;
          const body: Body = { ...pool[i % pool.length]!, media: [rider.photoId] };
          const key = `bench-${run}-${i}`;
          ledger.sent.set(key, { rider, body });
          (context as { key?: string }).key = key;
          return {
            ...request,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${rider.token}`, 'idempotency-key': key },
            body: JSON.stringify(body),
          };
        },
        onResponse: (status, _body, context, headers) => {
          const key = (context as { key?: string }).key;
          if (key && status >= 200 && status < 300) ledger.answered.set(key, String((headers as Record<string, unknown>).location ?? ''));
        },
      },
    ],
  });
  const statuses = Object.entries(result.statusCodeStats ?? {})
    .map(([code, s]) => `${code}×${s.count ?? 0}`)
    .join(' ');
  return {
    rate: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
    durationS: result.duration,
  };
}

/** Settle what a run cut off, then let the server's last work drain before the next run. */
async function quiet(url: string, ledger: Ledger): Promise<number> {
  const resent = await settle(url, ledger);
  await new Promise((r) => setTimeout(r, 500));
  return resent;
}

/**
 * autocannon stops at its deadline with up to one request per connection still in flight, which the server
 * may complete unanswered. Send each of those again with its key: the server answers the case it made (200,
 * replayed) or makes it now (201), so every case in the database has a 2xx answer to match.
 */
async function settle(url: string, ledger: Ledger): Promise<number> {
  let resent = 0;
  for (const [key, { rider, body }] of ledger.sent) {
    if (ledger.answered.has(key)) continue;
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${rider.token}`, 'idempotency-key': key }, body: JSON.stringify(body) });
    if (r.status !== 200 && r.status !== 201) throw new Error(`resending ${key} answered ${r.status}: ${(await r.text()).slice(0, 300)}`);
    await r.arrayBuffer();
    ledger.answered.set(key, r.headers.get('location') ?? '');
    resent++;
  }
  return resent;
}

/**
 * An open-loop load at a fixed rate: a request every 1/rate s, evenly spaced, each on a keep-alive
 * connection of its own as needed, whether or not earlier ones were answered; latency is counted from when a
 * request was due, so a stalled server shows as latency (no coordinated omission). autocannon's overallRate
 * is not that: each connection sends its share of a second back to back when the second starts, so 500/s
 * arrives as a burst of 500 at 50 connections every second, and p99 measures how long a burst takes.
 */
async function steady(url: string, riders: Rider[], pool: Omit<Body, 'media'>[], ledger: Ledger, rate: number, seconds: number): Promise<Load> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const target = new URL(url);
  const run = randomBytes(4).toString('hex');
  const latencies: number[] = [];
  /** Per 250 ms of due time: the slowest answer (BENCH_VERBOSE=1 prints the slowest windows). */
  const windows = new Map<number, number>();
  const statuses = new Map<number, number>();
  let errors = 0;
  const inFlight = new Set<Promise<void>>();
  const send = (due: number) => {
    const i = keyCounter++;
    const rider = riders[i % riders.length]!;
    const body: Body = { ...pool[i % pool.length]!, media: [rider.photoId] };
    const key = `steady-${run}-${i}`;
    ledger.sent.set(key, { rider, body });
    const payload = JSON.stringify(body);
    const done = new Promise<void>((resolve) => {
      const request = http.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${rider.token}`, 'idempotency-key': key },
        },
        (response) => {
          response.resume();
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            if (status >= 200 && status < 300) {
              const latency = performance.now() - due;
              latencies.push(latency);
              const w = Math.floor((due - t0) / 250);
              windows.set(w, Math.max(windows.get(w) ?? 0, latency));
              ledger.answered.set(key, String(response.headers.location ?? ''));
            }
            resolve();
          });
        },
      );
      request.on('error', () => {
        errors++;
        resolve();
      });
      request.end(payload);
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };
  const t0 = performance.now();
  const total = Math.round(rate * seconds);
  let sent = 0;
  let saturated = false;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      // Everything due by now goes out now, each timed from its own due moment.
      while (sent < total && t0 + (sent * 1000) / rate <= now) send(t0 + (sent++ * 1000) / rate);
      // A second's worth unanswered: the server is not keeping up, and waiting longer only grows the queue.
      saturated = inFlight.size >= rate;
      if (sent < total && !saturated) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await Promise.all(inFlight);
  agent.destroy();
  if (process.env.BENCH_VERBOSE) {
    const slowest = [...windows].sort((a, b) => b[1] - a[1]).slice(0, 12);
    console.error(`steady: slowest 250-ms windows (due at s: max ms): ${slowest.map(([w, ms]) => `${(w / 4).toFixed(2)}: ${ms.toFixed(0)}`).join(', ')}`);
  }
  const durationS = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil(q * latencies.length) - 1))] ?? NaN;
  const ok = latencies.length;
  return {
    rate: ok / durationS,
    p50: Math.round(at(0.5) * 10) / 10,
    p99: Math.round(at(0.99) * 10) / 10,
    ok,
    non2xx: sent - ok - errors,
    errors,
    timeouts: 0,
    statuses: [...statuses].map(([code, n]) => `${code}×${n}`).join(' ') + (saturated ? `; stopped after ${sent} of ${total}: ${rate} unanswered at once` : ''),
    durationS,
  };
}

const fmtLoad = (l: Load): string =>
  `${l.rate.toFixed(0)} req/s (${l.ok} 2xx in ${l.durationS.toFixed(1)} s; ${l.statuses || 'no answers'}${l.errors ? `; ${l.errors} errors, ${l.timeouts} timeouts` : ''}), p50 ${l.p50} ms, p99 ${l.p99} ms`;

// ---- per dialect ------------------------------------------------------------------------------------------

interface Place {
  /** DATABASE_URL for the CLI and the server. */
  serverUrl: string;
  /** How this process opens the same database. */
  url: string;
  schema?: string;
  /** The newest report time so far (the seed's cases end there). */
  lastReportedAt(): Promise<string>;
  /** Ids of the cases reported after a time. */
  casesAfter(iso: string): Promise<string[]>;
  /** CPU so far (ms) of the server's PostgreSQL backends; 0 on SQLite. */
  backendCpuMs(): Promise<number>;
  drop(): Promise<void>;
}

async function sqlitePlace(dir: string): Promise<Place> {
  const file = path.join(dir, 'gridline.db');
  const read = <T>(query: (raw: SQLite.Database) => T): T => {
    const raw = new SQLite(file, { readonly: true });
    try {
      return query(raw);
    } finally {
      raw.close();
    }
  };
  return {
    serverUrl: `sqlite:${file}`,
    url: file,
    lastReportedAt: async () => read((raw) => (raw.prepare('SELECT max(reported_at) AS at FROM cases').get() as { at: string | null }).at ?? ''),
    casesAfter: async (iso) => read((raw) => (raw.prepare('SELECT id FROM cases WHERE reported_at > ?').all(iso) as { id: string }[]).map((r) => r.id)),
    backendCpuMs: async () => 0,
    drop: async () => {},
  };
}

async function postgresPlace(url: string): Promise<Place> {
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  // The connection string's options replace connect()'s own (pg gives the URL precedence): keep jit=off.
  const server = new URL(url);
  server.searchParams.set('options', `-c jit=off -c search_path=${schema}`);
  server.searchParams.set('application_name', APP_NAME);
  const pids = new Set<number>();
  return {
    serverUrl: server.toString(),
    url,
    schema,
    lastReportedAt: async () => (await admin.query<{ at: string | null }>(`SELECT max(reported_at) AS at FROM ${schema}.cases`)).rows[0]!.at ?? '',
    casesAfter: async (iso) => (await admin.query<{ id: string }>(`SELECT id FROM ${schema}.cases WHERE reported_at > $1`, [iso])).rows.map((r) => r.id),
    async backendCpuMs() {
      const rows = (await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, [APP_NAME])).rows;
      for (const r of rows) pids.add(r.pid);
      let sum = 0;
      for (const pid of pids) sum += cpuMs(pid);
      return sum;
    },
    async drop() {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}

async function json<T>(response: Response, what: string): Promise<T> {
  if (!response.ok) throw new Error(`${what} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  return (await response.json()) as T;
}

interface StatementCount {
  perReport: number;
  distinct: number;
  sqlMs: number;
  top: string;
}

/** POST /reports in this process with Kysely's query log: statements per report, distinct texts, their time. */
async function countStatements(place: Place, dir: string, riders: Rider[], pool: Omit<Body, 'media'>[]): Promise<StatementCount> {
  let counting = false;
  const seen: { sql: string; ms: number }[] = [];
  const log = (event: LogEvent) => {
    if (counting) seen.push({ sql: event.query.sql, ms: event.queryDurationMillis });
  };
  const database = connect(place.url, { schema: place.schema, poolSize: 10, log });
  try {
    const services = buildServices(database, { mediaStoreUrl: `local:${path.join(dir, 'media')}`, throttle: { report: { limit: 100_000_000, windowS: 3600 } } });
    const app = await buildApp({ database, services });
    const report = async (i: number) => {
      const rider = riders[i % riders.length]!;
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/reports',
        headers: { authorization: `Bearer ${rider.token}`, 'idempotency-key': `count-${i}-${randomBytes(4).toString('hex')}` },
        payload: { ...pool[i % pool.length]!, media: [rider.photoId] },
      });
      if (r.statusCode !== 201) throw new Error(`POST /reports answered ${r.statusCode}: ${r.body.slice(0, 300)}`);
    };
    for (let i = 0; i < 10; i++) await report(i);
    counting = true;
    for (let i = 0; i < COUNTED; i++) await report(1000 + i);
    counting = false;
    await app.close();
    const bySql = new Map<string, { n: number; ms: number }>();
    for (const s of seen) {
      const entry = bySql.get(s.sql) ?? { n: 0, ms: 0 };
      entry.n++;
      entry.ms += s.ms;
      bySql.set(s.sql, entry);
    }
    // The statements that took the most time; BENCH_VERBOSE=1 lists every one.
    const top = [...bySql]
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, process.env.BENCH_VERBOSE ? bySql.size : 3)
      .map(([q, e]) => `${(e.n / COUNTED).toFixed(1)}× ${(e.ms / COUNTED).toFixed(3)} ms ${q.slice(0, process.env.BENCH_VERBOSE ? 160 : 60)}`)
      .join(process.env.BENCH_VERBOSE ? '\n  ' : ' | ');
    return { perReport: seen.length / COUNTED, distinct: bySql.size, sqlMs: seen.reduce((s, x) => s + x.ms, 0) / COUNTED, top };
  } finally {
    await database.close();
  }
}

async function benchIntake(target: DialectTarget, log: Log): Promise<BenchResult[]> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: compile with \`npx tsc -p tsconfig.bench.json\` first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gridline-bench-intake-'));
  const leftover = { children: [] as ChildProcess[], dir };
  leftovers.add(leftover);
  const place = target.name === 'sqlite' ? await sqlitePlace(dir) : await postgresPlace(target.url);
  try {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(MEDIA_|EVIDENCE_|THROTTLE_|DATABASE_URL$|PORT$|HOST$|LOG_LEVEL$|SWEEP_|DEMO_PASSWORD$)/.test(k)) env[k] = v;
    Object.assign(env, {
      DATABASE_URL: place.serverUrl,
      MEDIA_STORE: `local:${path.join(dir, 'media')}`,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'silent',
      SWEEP_INTERVAL_MS: '0',
      DEMO_PASSWORD: PASSWORD,
      THROTTLE_REPORT,
      MALLOC_ARENA_MAX: '2',
    });
    const t0 = performance.now();
    await cli(['seed', '--demo', '--cases', String(SEED_CASES)], { ...env, LOG_LEVEL: 'silent' }, 180_000);
    log(`intake ${target.name}: demo seeded (${SEED_CASES} cases) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // BENCH_CPU_PROF=DIR: the server writes a V8 CPU profile there when it stops (inspect with DevTools).
    // BENCH_SERVER_FLAGS: more Node flags for the server (say --trace-gc); BENCH_SERVER_OUT=FILE keeps what it prints.
    const profile = process.env.BENCH_CPU_PROF ? [`--cpu-prof`, `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`] : [];
    const flags = (process.env.BENCH_SERVER_FLAGS ?? '').split(/\s+/).filter(Boolean);
    const server = spawnChild([...profile, ...flags, CLI, 'serve'], env, leftover);
    if (process.env.BENCH_SERVER_OUT) {
      const out = fs.createWriteStream(process.env.BENCH_SERVER_OUT);
      server.child.stdout!.pipe(out);
      server.child.stderr!.pipe(out);
    }
    const base = `http://127.0.0.1:${port}`;
    await waitFor(() => fetch(`${base}/healthz`).then((r) => r.ok), server.child, 'the server', server.stderr);

    const riders: Rider[] = [];
    for (let i = 1; i <= RIDERS; i++) {
      const username = `rider${String(i).padStart(2, '0')}`;
      const login = await json<{ token: string }>(
        await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) }),
        `login ${username}`,
      );
      const photo = await json<{ id: string }>(
        await fetch(`${base}/api/v1/media`, { method: 'POST', headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${login.token}` }, body: demoPhoto(`intake bench ${username} ${Date.now()}`) }),
        `upload for ${username}`,
      );
      riders.push({ token: login.token, photoId: photo.id });
    }
    const categories = await json<{ items: { id: string; code: string }[] }>(await fetch(`${base}/api/v1/categories`, { headers: { authorization: `Bearer ${riders[0]!.token}` } }), 'categories');
    const pool = bodies(new Map(categories.items.map((c) => [c.code, c.id])), 500);

    const seededUntil = await place.lastReportedAt();
    const reports = `${base}/api/v1/reports`;
    const ledger = newLedger();
    const warm = await fire(reports, riders, pool, ledger, { seconds: WARMUP_S, connections: CONNECTIONS });
    // Each run starts on an idle server: the one before may have left requests in flight.
    let resent = await quiet(reports, ledger);
    log(`intake ${target.name}: warm-up ${fmtLoad(warm)}`);

    // The bare route in a process of its own, measured with the same bodies and headers.
    const echoPort = await freePort();
    const echo = spawnChild([SELF, '--echo-server', String(echoPort)], env, leftover);
    await waitFor(async () => echo.stdout().includes('ready'), echo.child, 'the echo server', echo.stderr);
    const echoCpu0 = cpuMs(echo.child.pid!);
    const bare = await fire(`http://127.0.0.1:${echoPort}/echo`, riders, pool, newLedger(), { seconds: RUN_S, connections: CONNECTIONS });
    const bareCpu = (cpuMs(echo.child.pid!) - echoCpu0) / Math.max(1, bare.ok);
    await stopChild(echo.child);
    log(`intake ${target.name}: bare Fastify echo ${fmtLoad(bare)}; its CPU ${bareCpu.toFixed(3)} ms/request`);

    const cpu0 = cpuMs(server.child.pid!);
    const db0 = await place.backendCpuMs();
    const full = await fire(reports, riders, pool, ledger, { seconds: RUN_S, connections: CONNECTIONS });
    const cpuPerReport = (cpuMs(server.child.pid!) - cpu0) / Math.max(1, full.ok);
    const dbPerReport = ((await place.backendCpuMs()) - db0) / Math.max(1, full.ok);
    resent += await quiet(reports, ledger);
    log(
      `intake ${target.name}: POST /reports ${fmtLoad(full)}; ${((100 * full.rate) / bare.rate).toFixed(1)}% of the bare route; ` +
        `server CPU ${cpuPerReport.toFixed(2)} ms/report${target.name === 'postgres' ? `, PostgreSQL backends ${dbPerReport.toFixed(2)} ms/report` : ''}`,
    );

    const bursts = await fire(reports, riders, pool, ledger, { seconds: RUN_S, connections: CONNECTIONS, overallRate: FIXED_RATE });
    log(`intake ${target.name}: POST /reports, autocannon overallRate ${FIXED_RATE} (a burst of ${FIXED_RATE} at ${CONNECTIONS} connections each second): ${fmtLoad(bursts)}`);
    resent += await quiet(reports, ledger);
    const fixed = await steady(reports, riders, pool, ledger, FIXED_RATE, RUN_S);
    log(`intake ${target.name}: POST /reports at a steady ${FIXED_RATE}/s (evenly spaced, open loop): ${fmtLoad(fixed)}`);
    resent += await quiet(reports, ledger);
    await stopChild(server.child);

    // Every 2xx named a case of its own, and every case created has its 2xx.
    const created = new Set(await place.casesAfter(seededUntil));
    const named = new Set([...ledger.answered.values()].map((location) => location.replace('/api/v1/cases/', '')));
    const unmatched = [...named].filter((id) => !created.has(id));
    if (named.size !== ledger.answered.size || created.size !== named.size || unmatched.length > 0) {
      throw new Error(`intake ${target.name}: ${created.size} cases were created for ${ledger.answered.size} keys answered 2xx naming ${named.size} cases (${unmatched.length} not found)`);
    }
    log(`intake ${target.name}: ${created.size} cases created = ${ledger.answered.size} reports answered 2xx, each naming its own case (${resent} cut off in flight at a run's end, sent again with their keys)`);

    const counted = await countStatements(place, dir, riders, pool);
    log(`intake ${target.name}: ${counted.perReport.toFixed(1)} SQL statements per report (${counted.distinct} distinct), ${counted.sqlMs.toFixed(2)} ms in them; slowest: ${counted.top}`);

    const d = target.name;
    const ratio = full.rate / bare.rate;
    const targetRatio = TARGET_RATIO[d];
    const bareName = 'bare Fastify echo route';
    const keeps = fixed.rate >= FIXED_RATE * 0.95;
    return [
      {
        name: `intake ${d} POST /reports, -c ${CONNECTIONS}, ${RUN_S} s (n=${full.ok})`,
        value: full.rate,
        unit: 'req/s',
        baseline: { name: bareName, value: bare.rate },
        ratio,
        target: `>= ${targetRatio}x of the bare route`,
        pass: ratio >= targetRatio,
      },
      { name: `intake ${d} POST /reports p50, -c ${CONNECTIONS}`, value: full.p50, unit: 'ms', baseline: { name: bareName, value: bare.p50 }, ratio: bare.p50 / Math.max(full.p50, 0.001) },
      { name: `intake ${d} POST /reports p99, -c ${CONNECTIONS}`, value: full.p99, unit: 'ms', baseline: { name: bareName, value: bare.p99 }, ratio: bare.p99 / Math.max(full.p99, 0.001) },
      { name: `intake ${d} POST /reports, autocannon overallRate ${FIXED_RATE} (1-s bursts) p99 (achieved ${bursts.rate.toFixed(0)}/s)`, value: bursts.p99, unit: 'ms' },
      { name: `intake ${d} POST /reports at a steady ${FIXED_RATE}/s p50 (achieved ${fixed.rate.toFixed(0)}/s)`, value: fixed.p50, unit: 'ms' },
      {
        name: `intake ${d} POST /reports at a steady ${FIXED_RATE}/s p99 (achieved ${fixed.rate.toFixed(0)}/s)`,
        value: fixed.p99,
        unit: 'ms',
        target: `p99 < ${TARGET_FIXED_P99_MS} ms at ${FIXED_RATE}/s`,
        pass: keeps && fixed.p99 < TARGET_FIXED_P99_MS,
      },
      { name: `intake ${d} server CPU per report`, value: cpuPerReport, unit: 'ms', baseline: { name: 'the bare route per request', value: bareCpu }, ratio: bareCpu / cpuPerReport },
      ...(d === 'postgres' ? [{ name: `intake ${d} PostgreSQL backend CPU per report`, value: dbPerReport, unit: 'ms' }] : []),
      { name: `intake ${d} SQL statements per report (${counted.distinct} distinct)`, value: counted.perReport, unit: 'statements' },
      { name: `intake ${d} time in SQL statements per report (Kysely log)`, value: counted.sqlMs, unit: 'ms' },
    ];
  } finally {
    for (const c of leftover.children) await stopChild(c);
    await place.drop().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
    leftovers.delete(leftover);
  }
}

/** The intake benchmark on each dialect (BENCH_DIALECTS; PostgreSQL needs BENCH_DATABASE_URL or TEST_DATABASE_URL). */
export async function run(log: Log = () => {}): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const target of benchDialects(log)) results.push(...(await benchIntake(target, log)));
  return results;
}

if (process.argv[2] === '--echo-server') await echoServer(Number(process.argv[3]));
else await runIfMain(import.meta.url, run);
