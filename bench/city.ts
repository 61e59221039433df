// A synthetic Lhasa for the map and duplicate benchmarks: the Najin reference data (real seedReference)
// plus N cases (default 1,000,000) spread over about 29.60-29.70 N, 91.00-91.25 E, densest around the old
// town, with a year of report times, statuses that follow a case's age, and every NOT NULL column filled.
//
// Cases are placed exactly as ReportService.report places them (the real Router and place(), the real
// routeDepartment per category and unit), but written straight to the cases table in multi-row INSERTs
// inside transactions. The case_cells counts are accumulated in memory the way adjustCells would have
// produced them (one row per level, cell, handling unit, status and category; levels 0-3) and inserted at
// the end. The secondary indexes the migrations create on cases are dropped before the load and re-created
// from their own saved DDL afterwards, so queries run against exactly the migrated index set. PostgreSQL is
// then VACUUM ANALYZEd (what autovacuum does to a freshly loaded table); SQLite is left as the app leaves it
// (Gridline never runs ANALYZE).
//
// Knobs: BENCH_CASES (default 1000000), BENCH_DIALECTS (default sqlite,postgres), BENCH_DATABASE_URL (else
// TEST_DATABASE_URL) for PostgreSQL, which runs in a fresh schema dropped afterwards.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import { CASE_STATUSES, type CaseStatus, type Channel, type Urgency } from '../src/domain/types.js';
import { CELL_LEVELS, cellOf } from '../src/geo/cells.js';
import { MemoryMediaStore } from '../src/media/memory.js';
import { ManualClock } from '../src/ports.js';
import { CATEGORIES, NAJIN_CODE, STAFF } from '../src/seed/najin-data.js';
import { seedReference } from '../src/seed/demo.js';
import { handlingUnit } from '../src/services/cases/shared.js';
import type { Principal } from '../src/services/context.js';
import { buildServices, type WiredServices } from '../src/compose.js';
import { place } from '../src/services/placement.js';
import { routeDepartment } from '../src/services/routing.js';
import { connect, migrate, type Database, type DialectName } from '../src/storage/db.js';
import { newId } from '../src/domain/ids.js';
import type { BenchResult } from './routing.bench.js';
import type { Category, Jurisdiction } from '../src/domain/records.js';
import type { CaseCellTable, CaseTable, UserTable } from '../src/storage/schema.js';
import { mulberry32 } from '../src/seed/prng.js';

export const EXTENT = { minLat: 29.6, maxLat: 29.7, minLon: 91.0, maxLon: 91.25 };
/** The present moment of the synthetic city; reports span the year before it. */
export const NOW = new Date('2025-06-02T04:00:00.000Z');
const SPAN_DAYS = 365;
export const OPEN_STATUSES: CaseStatus[] = CASE_STATUSES.filter((s) => s !== 'closed' && s !== 'rejected' && s !== 'merged');

export interface DialectTarget {
  name: DialectName;
  url: string;
}

/** The dialects to run, from BENCH_DIALECTS and the database URLs. PostgreSQL needs a URL. */
export function benchDialects(log: (line: string) => void): DialectTarget[] {
  const wanted = (process.env.BENCH_DIALECTS ?? 'sqlite,postgres').split(',').map((s) => s.trim()).filter(Boolean);
  const out: DialectTarget[] = [];
  for (const name of wanted) {
    if (name === 'sqlite') out.push({ name: 'sqlite', url: 'file' });
    else if (name === 'postgres') {
      const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
      if (url) out.push({ name: 'postgres', url });
      else log('postgres: skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/test)');
    } else log(`BENCH_DIALECTS: unknown dialect "${name}" ignored`);
  }
  return out;
}

export const benchCases = (): number => {
  const n = Number(process.env.BENCH_CASES ?? 1_000_000);
  if (!Number.isInteger(n) || n < 1000) throw new Error(`BENCH_CASES must be a whole number >= 1000, not ${process.env.BENCH_CASES}`);
  return n;
};

export const rng = mulberry32;

/** A version-7 UUID like newId's (time-ordered), from the PRNG: crypto per row would dominate the build. */
function uuid7(ms: number, seq: number, rand: () => number): string {
  const hex = (n: number, width: number) => Math.floor(n).toString(16).padStart(width, '0');
  const time = hex(ms, 12);
  const tail = hex(rand() * 0x1000000, 6) + hex(rand() * 0x1000000, 6);
  return `${time.slice(0, 8)}-${time.slice(8)}-7${hex(seq & 0xfff, 3)}-${hex(0x8000 | (rand() * 0x4000), 4)}-${tail}`;
}

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

function weighted<T>(rand: () => number, items: readonly (readonly [T, number])[]): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let r = rand() * total;
  for (const [item, w] of items) {
    r -= w;
    if (r < 0) return item;
  }
  return items[items.length - 1]![0];
}

/** Neighbourhood centres: the old town (Barkhor), Najin, Zhaxi, the west, the railway side, Tibet University... */
const HOTSPOTS: [lat: number, lon: number, weight: number][] = [
  [29.6535, 91.1325, 3],
  [29.6489, 91.1650, 3],
  [29.6520, 91.1400, 2],
  [29.6600, 91.1000, 2],
  [29.6470, 91.0600, 1],
  [29.6420, 91.1900, 2],
  [29.6660, 91.1200, 1],
  [29.6300, 91.0800, 1],
  [29.6380, 91.2200, 1],
  [29.6560, 91.1750, 2],
];

/** A point of the synthetic city: 45% around the centre, 30% in neighbourhoods, 25% anywhere. */
export function cityPoint(rand: () => number): { lat: number; lon: number } {
  for (;;) {
    const u = rand();
    let lat: number;
    let lon: number;
    if (u < 0.45) {
      lat = 29.652 + gaussian(rand) * 0.012;
      lon = 91.13 + gaussian(rand) * 0.03;
    } else if (u < 0.75) {
      const [hl, hn] = weighted(rand, HOTSPOTS.map(([a, b, w]) => [[a, b] as const, w] as const));
      lat = hl + gaussian(rand) * 0.004;
      lon = hn + gaussian(rand) * 0.005;
    } else {
      lat = EXTENT.minLat + rand() * (EXTENT.maxLat - EXTENT.minLat);
      lon = EXTENT.minLon + rand() * (EXTENT.maxLon - EXTENT.minLon);
    }
    if (lat > EXTENT.minLat && lat < EXTENT.maxLat && lon > EXTENT.minLon && lon < EXTENT.maxLon) return { lat, lon };
  }
}

/** An open case reported inside the duplicate window: the duplicate benchmark asks near these. */
export interface OpenCase {
  lat: number;
  lon: number;
  categoryId: string;
}

export interface City {
  dialect: DialectName;
  /** SQLite file, or the PostgreSQL URL (with `schema`). */
  url: string;
  schema: string | null;
  database: Database;
  services: WiredServices;
  clock: ManualClock;
  admin: Principal;
  dispatcher: Principal;
  rider: Principal;
  categories: Category[];
  units: Jurisdiction[];
  najinId: string;
  /** Najin and every unit below it (the cases a Najin dispatcher's clusters count). */
  najinUnitIds: string[];
  najinBox: { minLat: number; maxLat: number; minLon: number; maxLon: number };
  /** Recent open cases (for duplicate query points). */
  recentOpen: OpenCase[];
  /** A sample of case ids (for the primary-key lookup baseline). */
  sampleIds: string[];
  cases: number;
  cellRows: number;
  buildMs: number;
  loadMs: number;
  indexMs: number;
  close(): Promise<void>;
}

// Every column of cases, in insert order; the check below fails to compile if a column is missing.
const CASE_COLUMNS = [
  'id', 'ref', 'status', 'category_id', 'urgency', 'description', 'lat', 'lon', 'orig_lat', 'orig_lon', 'orig_coord_sys', 'address',
  'grid_id', 'jurisdiction_id', 'origin_jurisdiction_id', 'routed_department_id', 'department_id', 'assisting_department_ids',
  'assignee_id', 'reporter_id', 'channel', 'media_ids', 'closure_type', 'rating_score', 'rating_unit_at_fault', 'pending_extension',
  'reported_at', 'updated_at', 'closed_at', 'version', 'near_border', 'border_unit_ids', 'outside_area', 'suggested_jurisdiction_id',
  'master_case_id', 'cy', 'cx',
] as const satisfies readonly (keyof CaseTable)[];
const allCaseColumns: [Exclude<keyof CaseTable, (typeof CASE_COLUMNS)[number]>] extends [never] ? true : never = true;
const CELL_COLUMNS = ['level', 'cy', 'cx', 'unit_id', 'origin_unit_id', 'status', 'category_id', 'n', 'sum_lat', 'sum_lon'] as const satisfies readonly (keyof CaseCellTable)[];
const allCellColumns: [Exclude<keyof CaseCellTable, (typeof CELL_COLUMNS)[number]>] extends [never] ? true : never = true;
void allCaseColumns;
void allCellColumns;

type Value = string | number | null;

/** Writes rows in multi-row INSERT batches; dialect-specific. */
interface Loader {
  insert(table: 'cases' | 'case_cells', columns: readonly string[], rows: Value[][]): Promise<void>;
  begin(): Promise<void>;
  commit(): Promise<void>;
  exec(statement: string): Promise<void>;
  /** Secondary (non-constraint) index DDL of a table. */
  indexes(table: string): Promise<{ name: string; ddl: string }[]>;
  finish(): Promise<void>;
}

function placeholders(columns: number, rows: number, dollar: boolean): string {
  const out: string[] = [];
  let k = 0;
  for (let r = 0; r < rows; r++) {
    const row: string[] = [];
    for (let c = 0; c < columns; c++) row.push(dollar ? `$${++k}` : '?');
    out.push(`(${row.join(',')})`);
  }
  return out.join(',');
}

function sqliteLoader(file: string): Loader {
  const raw = new SQLite(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = OFF');
  raw.pragma('cache_size = -262144');
  const statements = new Map<string, SQLite.Statement>();
  return {
    async insert(table, columns, rows) {
      const key = `${table}/${rows.length}`;
      let stmt = statements.get(key);
      if (!stmt) {
        stmt = raw.prepare(`INSERT INTO ${table} (${columns.join(',')}) VALUES ${placeholders(columns.length, rows.length, false)}`);
        statements.set(key, stmt);
      }
      stmt.run(rows.flat());
    },
    async begin() {
      raw.exec('BEGIN');
    },
    async commit() {
      raw.exec('COMMIT');
    },
    async exec(statement) {
      raw.exec(statement);
    },
    async indexes(table) {
      const rows = raw.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL`).all(table) as { name: string; sql: string }[];
      return rows.map((r) => ({ name: r.name, ddl: r.sql }));
    },
    async finish() {
      raw.pragma('wal_checkpoint(TRUNCATE)');
      raw.close();
    },
  };
}

async function postgresLoader(url: string, schema: string): Promise<Loader> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  await client.query(`SET synchronous_commit = off`);
  await client.query(`SET maintenance_work_mem = '256MB'`);
  const names = new Set<string>();
  return {
    async insert(table, columns, rows) {
      const name = `bench_${table}_${rows.length}`;
      const text = `INSERT INTO ${table} (${columns.join(',')}) VALUES ${placeholders(columns.length, rows.length, true)}`;
      names.add(name);
      await client.query({ name, text, values: rows.flat() });
    },
    async begin() {
      await client.query('BEGIN');
    },
    async commit() {
      await client.query('COMMIT');
    },
    async exec(statement) {
      await client.query(statement);
    },
    async indexes(table) {
      const { rows } = await client.query<{ name: string; ddl: string }>(
        `SELECT i.indexname AS name, i.indexdef AS ddl FROM pg_indexes i
          WHERE i.schemaname = current_schema() AND i.tablename = $1
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()))`,
        [table],
      );
      return rows;
    },
    async finish() {
      await client.end();
    },
  };
}

/** Which status a case of this age has now (age in days). */
function statusFor(rand: () => number, ageDays: number): CaseStatus {
  const open = rand() < 0.85 * Math.exp(-ageDays / 4) + 0.015;
  if (!open) return weighted<CaseStatus>(rand, [['closed', 88], ['rejected', 6], ['merged', 6]]);
  if (ageDays < 0.5) return weighted<CaseStatus>(rand, [['reported', 40], ['accepted', 20], ['filed', 15], ['dispatched', 15], ['signed', 5], ['handling', 5]]);
  if (ageDays < 3) {
    return weighted<CaseStatus>(rand, [['reported', 5], ['accepted', 5], ['filed', 8], ['dispatched', 15], ['returned', 3], ['signed', 15], ['handling', 35], ['resolved', 10], ['verified', 4]]);
  }
  return weighted<CaseStatus>(rand, [['dispatched', 5], ['returned', 5], ['signed', 10], ['handling', 40], ['resolved', 10], ['verified', 5], ['joint_meeting', 25]]);
}

/** Roughly how many events a case in this status has had (its version). */
const VERSION: Record<CaseStatus, number> = {
  reported: 1, rejected: 2, accepted: 2, filed: 3, dispatched: 4, returned: 5, signed: 5, handling: 6,
  resolved: 7, verified: 8, closed: 9, joint_meeting: 4, merged: 3,
};
const WITH_DEPARTMENT = new Set<CaseStatus>(['dispatched', 'signed', 'handling', 'resolved', 'verified', 'closed']);

export async function buildCity(target: DialectTarget, count: number, log: (line: string) => void): Promise<City> {
  const t0 = performance.now();
  let database: Database;
  let cleanup: () => Promise<void>;
  let loader: Loader;
  let url: string;
  let schema: string | null = null;
  if (target.name === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gridline-bench-'));
    const file = path.join(dir, 'city.sqlite');
    url = file;
    database = connect(file);
    await migrate(database);
    loader = sqliteLoader(file);
    cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
    log(`sqlite: building ${count.toLocaleString('en')} cases in ${file}`);
  } else {
    const pgSchema = `bench_${randomBytes(6).toString('hex')}`;
    schema = pgSchema;
    url = target.url;
    const admin = new pg.Client({ connectionString: target.url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${pgSchema}`);
    await admin.end();
    database = connect(target.url, { schema: pgSchema, poolSize: 5 });
    cleanup = async () => {
      const client = new pg.Client({ connectionString: target.url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${pgSchema} CASCADE`);
      await client.end();
    };
    try {
      await migrate(database);
      loader = await postgresLoader(target.url, pgSchema);
    } catch (error) {
      await database.close();
      await cleanup();
      throw error;
    }
    log(`postgres: building ${count.toLocaleString('en')} cases in schema ${pgSchema}`);
  }
  const close = async () => {
    await database.close();
    await cleanup();
  };
  try {
    const city = await fill(target.name, database, loader, count, log, t0);
    return { ...city, url, schema, close };
  } catch (error) {
    await loader.finish().catch(() => {});
    await close();
    throw error;
  }
}

async function fill(
  dialect: DialectName,
  database: Database,
  loader: Loader,
  count: number,
  log: (line: string) => void,
  t0: number,
): Promise<Omit<City, 'url' | 'schema' | 'close'>> {
  const clock = new ManualClock(NOW);
  const services = buildServices(database, { clock, mediaStore: new MemoryMediaStore() });
  const startIso = new Date(NOW.getTime() - SPAN_DAYS * 86_400_000).toISOString();
  await seedReference(database, startIso);
  services.ctx.invalidate();
  const reference = services.ctx.uow.autocommit.reference;
  const [units, departments, categories] = await Promise.all([reference.jurisdictions(), reference.departments(), reference.categories()]);
  const router = await services.ctx.routing();
  const unitByCode = (code: string) => units.find((u) => u.code === code) ?? fail(`no unit ${code}`);
  const najin = unitByCode(NAJIN_CODE);

  // Staff through the real service (dispatcher and admin as in the demo), plus one rider for reports.
  const staffUser = async (username: string) => {
    const s = STAFF.find((x) => x.username === username) ?? fail(`no staff ${username}`);
    const user = await services.auth.addUser({
      username: s.username,
      password: 'bench-password',
      displayName: s.displayName,
      role: s.role,
      departmentId: s.departmentCode ? (departments.find((d) => d.code === s.departmentCode)?.id ?? null) : null,
      jurisdictionId: unitByCode(s.jurisdictionCode).id,
    });
    return services.ctx.principal(user);
  };
  const dispatcher = await staffUser('dispatcher');
  const admin = await staffUser('admin');
  const rider = await services.ctx.principal(
    await services.auth.addUser({ username: 'bench-rider', password: 'bench-password', displayName: '索朗', role: 'reporter', jurisdictionId: najin.id }),
  );

  // Reporters of the synthetic cases: 40 Najin riders and 400 members of the public (no home unit).
  const reporters: { id: string; home: string | null }[] = [];
  const userRows: UserTable[] = [];
  for (let i = 0; i < 440; i++) {
    const id = newId(Date.parse(startIso));
    const home = i < 40 ? najin.id : null;
    reporters.push({ id, home });
    userRows.push({
      id,
      username: i < 40 ? `bench-rider-${i}` : `bench-public-${i}`,
      password_hash: 'x',
      display_name: i < 40 ? `骑手${i}` : `市民${i}`,
      phone: null,
      role: 'reporter',
      department_id: null,
      jurisdiction_id: home,
      locale: 'zh-CN',
      active: 1,
      created_at: startIso,
      platform: null,
      station: null,
    });
  }
  await database.db.insertInto('users').values(userRows).execute();

  // Category frequencies: a few very common (garbage, vendors, manholes), a long tail.
  const rand = rng(20250602);
  const catWeights = categories.map((c, i) => [c, 1 / Math.pow(1 + ((i * 7) % categories.length), 0.9)] as const);
  const descriptions = new Map(categories.map((c) => [c.id, CATEGORIES.find((s) => s.code === c.code)?.sampleDescriptions ?? ['问题']]));
  const routed = new Map<string, string | null>();
  const routeOf = async (category: Category, jurisdictionId: string): Promise<string | null> => {
    const key = `${category.id}|${jurisdictionId}`;
    if (!routed.has(key)) routed.set(key, (await routeDepartment(services.ctx.uow.autocommit, category, router.chain(jurisdictionId)))?.id ?? null);
    return routed.get(key) ?? null;
  };

  const cells = new Map<string, CaseCellTable>();
  const counters = new Map<string, number>();
  const recentOpen: OpenCase[] = [];
  const sampleIds: string[] = [];
  const recentIds: string[] = [];
  const since = NOW.getTime() - 7 * 86_400_000;
  const spanMs = SPAN_DAYS * 86_400_000;
  const start = NOW.getTime() - spanMs;
  const batchSize = dialect === 'sqlite' ? 800 : 1000; // SQLite allows 32,766 bound values per statement
  const txRows = 100_000;

  // Load without the secondary indexes; re-create them from their own DDL afterwards.
  const caseIndexes = await loader.indexes('cases');
  for (const ix of caseIndexes) await loader.exec(`DROP INDEX ${ix.name}`);

  const tLoad = performance.now();
  let batch: Value[][] = [];
  await loader.begin();
  for (let i = 0; i < count; i++) {
    // Report times: evenly through the year, oldest first (as real data arrives), with jitter.
    const reportedMs = Math.floor(start + ((i + rand()) * spanMs) / count);
    const ageDays = (NOW.getTime() - reportedMs) / 86_400_000;
    const reportedAt = new Date(reportedMs).toISOString();
    const { lat, lon } = cityPoint(rand);
    const category = weighted(rand, catWeights);
    const reporter = rand() < 0.15 ? reporters[Math.floor(rand() * 40)]! : reporters[40 + Math.floor(rand() * 400)]!;
    const placement = place(router, { lat, lon }, reporter.home);
    const status = statusFor(rand, ageDays);
    const routedDept = await routeOf(category, placement.jurisdictionId);
    const closureType =
      status === 'closed' ? weighted(rand, [['fixed', 80], ['not_responsible', 8], ['duplicate', 7], ['no_action_possible', 5]] as const) : null;
    const closedMs = status === 'closed' || status === 'rejected' || status === 'merged' ? Math.min(reportedMs + (0.05 + rand() * 8) * 86_400_000, NOW.getTime() - 60_000) : null;
    const updatedMs = closedMs ?? Math.min(reportedMs + rand() * Math.min(ageDays, 5) * 86_400_000, NOW.getTime() - 1000);
    const rated = closureType === 'fixed' && rand() < 0.5;
    const score = rated ? weighted(rand, [[5, 70], [4, 20], [3, 5], [2, 3], [1, 2]] as const) : null;
    const day = reportedAt.slice(0, 10).replace(/-/g, '');
    const n = (counters.get(day) ?? 0) + 1;
    counters.set(day, n);
    const id = uuid7(reportedMs, i, rand);
    const urgency: Urgency = weighted<Urgency>(rand, [[category.defaultUrgency, 94], ['urgent', 5], ['emergency', 1]]);
    const channel: Channel = weighted<Channel>(rand, [['app', 75], ['wechat', 10], ['web', 5], ['phone', 8], ['api', 2]]);
    const texts = descriptions.get(category.id)!;
    const { cy, cx } = cellOf(lat, lon);
    const row: CaseTable = {
      id,
      ref: `${day}-${String(n).padStart(4, '0')}`,
      status,
      category_id: category.id,
      urgency,
      description: texts[Math.floor(rand() * texts.length)]!,
      lat,
      lon,
      orig_lat: lat,
      orig_lon: lon,
      orig_coord_sys: 'wgs84',
      address: rand() < 0.5 ? null : `拉萨市城关区${Math.floor(rand() * 200)}号附近`,
      grid_id: placement.gridId,
      jurisdiction_id: placement.jurisdictionId,
      origin_jurisdiction_id: placement.originJurisdictionId,
      routed_department_id: routedDept,
      department_id: WITH_DEPARTMENT.has(status) && closureType !== 'not_responsible' ? routedDept : null,
      assisting_department_ids: '[]',
      assignee_id: null,
      reporter_id: reporter.id,
      channel,
      media_ids: `["${uuid7(reportedMs, i + 1, rand)}"]`,
      closure_type: closureType,
      rating_score: score,
      rating_unit_at_fault: score === null ? null : score <= 2 ? 1 : 0,
      pending_extension: null,
      reported_at: reportedAt,
      updated_at: new Date(updatedMs).toISOString(),
      closed_at: closedMs === null ? null : new Date(closedMs).toISOString(),
      version: VERSION[status],
      near_border: placement.nearBorder ? 1 : 0,
      border_unit_ids: JSON.stringify(placement.borderUnitIds),
      outside_area: placement.outsideArea ? 1 : 0,
      suggested_jurisdiction_id: placement.suggestedJurisdictionId,
      master_case_id: status === 'merged' && recentIds.length > 0 ? recentIds[Math.floor(rand() * recentIds.length)]! : null,
      cy,
      cx,
    };
    batch.push(CASE_COLUMNS.map((c) => row[c]));

    // The cell counts adjustCells would hold for this case (its current status, handling and origin units).
    const unitId = handlingUnit(router, placement.jurisdictionId);
    const originUnitId = handlingUnit(router, placement.originJurisdictionId);
    for (let level = 0; level < CELL_LEVELS; level++) {
      const c = cellOf(lat, lon, level);
      const key = `${level}/${c.cy}/${c.cx}/${unitId}/${originUnitId}/${status}/${category.id}`;
      let cell = cells.get(key);
      if (!cell) {
        cell = { level, cy: c.cy, cx: c.cx, unit_id: unitId, origin_unit_id: originUnitId, status, category_id: category.id, n: 0, sum_lat: 0, sum_lon: 0 };
        cells.set(key, cell);
      }
      cell.n += 1;
      cell.sum_lat += lat;
      cell.sum_lon += lon;
    }

    if (reportedMs >= since && OPEN_STATUSES.includes(status)) recentOpen.push({ lat, lon, categoryId: category.id });
    if (i % 97 === 0) sampleIds.push(id);
    if (recentIds.length < 500) recentIds.push(id);
    else recentIds[i % 500] = id;

    if (batch.length === batchSize) {
      await loader.insert('cases', CASE_COLUMNS, batch);
      batch = [];
    }
    if ((i + 1) % txRows === 0) {
      await loader.commit();
      await loader.begin();
    }
    if ((i + 1) % 250_000 === 0) log(`  ${(i + 1).toLocaleString('en')} cases (${((performance.now() - tLoad) / 1000).toFixed(1)} s)`);
  }
  if (batch.length > 0) await loader.insert('cases', CASE_COLUMNS, batch);
  await loader.commit();

  // The cell counts, and the ref counters so later reports number on from here.
  const cellRows = [...cells.values()].map((c) => CELL_COLUMNS.map((k) => c[k]));
  await loader.begin();
  for (let k = 0; k < cellRows.length; k += batchSize) await loader.insert('case_cells', CELL_COLUMNS, cellRows.slice(k, k + batchSize));
  await loader.commit();
  await database.db.insertInto('counters').values([...counters].map(([day, value]) => ({ name: `case_ref:${day}`, value }))).execute();
  const loadMs = performance.now() - tLoad;

  const tIndex = performance.now();
  for (const ix of caseIndexes) await loader.exec(ix.ddl);
  if (dialect === 'postgres') await loader.exec('VACUUM ANALYZE');
  await loader.finish();
  const indexMs = performance.now() - tIndex;

  const stored = await database.db.selectFrom('cases').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  if (Number(stored.n) !== count) throw new Error(`expected ${count} cases, found ${stored.n}`);
  const storedCells = await sql<{ n: number }>`select count(*) as n from case_cells`.execute(database.db);
  const buildMs = performance.now() - t0;
  log(
    `${dialect}: ${count.toLocaleString('en')} cases, ${cells.size.toLocaleString('en')} case_cells rows (${storedCells.rows[0]?.n}), ` +
      `${recentOpen.length.toLocaleString('en')} open in the last 7 days; load ${(loadMs / 1000).toFixed(1)} s, indexes ${(indexMs / 1000).toFixed(1)} s, build ${(buildMs / 1000).toFixed(1)} s`,
  );

  const najinIds = units.filter((u) => u.path === najin.path || u.path.startsWith(`${najin.path}/`)).map((u) => u.id);
  const box = najin.geometry ? najinBoxOf(najin) : { minLat: 29.634, maxLat: 29.671, minLon: 91.15, maxLon: 91.2 };
  return {
    dialect,
    database,
    services,
    clock,
    admin,
    dispatcher,
    rider,
    categories,
    units,
    najinId: najin.id,
    najinUnitIds: najinIds,
    najinBox: box,
    recentOpen,
    sampleIds,
    cases: count,
    cellRows: cells.size,
    buildMs,
    loadMs,
    indexMs,
  };
}

function najinBoxOf(u: Jurisdiction): { minLat: number; maxLat: number; minLon: number; maxLon: number } {
  const g = u.geometry!;
  const rings = g.type === 'Polygon' ? g.coordinates : g.coordinates.flat();
  const pts = rings.flat();
  const lons = pts.map((p) => p[0]!);
  const lats = pts.map((p) => p[1]!);
  return { minLat: Math.min(...lats), maxLat: Math.max(...lats), minLon: Math.min(...lons), maxLon: Math.max(...lons) };
}

function fail(message: string): never {
  throw new Error(message);
}

// ---- shared timing helpers ----------------------------------------------------------------------

export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/** Time an async call in milliseconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

/** The build of a city as result rows (reported, not judged). */
export function buildRows(city: City): BenchResult[] {
  return [
    { name: `city build ${city.dialect}: ${city.cases.toLocaleString('en')} cases, ${city.cellRows.toLocaleString('en')} case_cells rows`, value: city.buildMs / 1000, unit: 's' },
    { name: `city build ${city.dialect}: bulk load (no secondary indexes)`, value: city.loadMs / 1000, unit: 's' },
    { name: `city build ${city.dialect}: re-create indexes${city.dialect === 'postgres' ? ' + VACUUM ANALYZE' : ''}`, value: city.indexMs / 1000, unit: 's' },
  ];
}

/** Build one city per dialect (BENCH_DIALECTS, BENCH_CASES) and run the benchmarks on it, in order; the build's rows first. */
export async function onEachCity(log: (line: string) => void, ...benches: ((city: City, log: (line: string) => void) => Promise<BenchResult[]>)[]): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const target of benchDialects(log)) {
    const city = await buildCity(target, benchCases(), log);
    try {
      results.push(...buildRows(city));
      for (const bench of benches) results.push(...(await bench(city, log)));
    } finally {
      await city.close();
    }
  }
  return results;
}
