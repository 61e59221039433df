// Map query benchmark: MapService.cases over a 1,000,000-case synthetic Lhasa (bench/city.ts), on SQLite
// and PostgreSQL, as the Najin dispatcher and as the admin, for random 1280 × 800 px viewports at zooms 11,
// 13 and 14 (clusters from case_cells) and 16 (points from cases), with a mix of filters (40% none, 30% open
// statuses, 20% one category, 10% both). The dispatcher's viewports are centred in Najin, the admin's where
// cases are. Each configuration times up to 200 queries through the service after a warm-up (fewer only if
// it runs out of its time budget: then the row's n says so). p50 and p95 are compared with the naive query
// a developer would write, timed in the same run on a prefix of the same viewports: for clusters,
// count(*)/avg(lat)/avg(lon) FROM cases GROUP BY the level's cell (cy / 10^k, cx / 10^k) over the same cell
// range and filters; for points, SELECT * FROM cases over the lat/lon box with the same visibility and
// filters, newest first, LIMIT 2001. Both answers must agree (same case counts) or the benchmark throws.
// Target: p95 < 50 ms. For these latencies the ratio is baseline / ours (above 1: ours is faster), as the
// routing ratio (ours / baseline in lookups per second) is.
//
// With BENCH_TRIALS=1 a second pass times a proposed fix, re-implemented here without touching src: see
// trialMap below and bench/README.md.
//
// Run: see bench/README.md (npm run bench; BENCH_DIALECTS, BENCH_CASES, BENCH_DATABASE_URL, BENCH_TRIALS).

import { pathToFileURL } from 'node:url';
import { Kysely, PostgresDialect, sql, type RawBuilder } from 'kysely';
import pg from 'pg';
import type { CaseStatus } from '../src/domain/types.js';
import { CELL_DEGREES, FINEST, cellRange } from '../src/geo/cells.js';
import type { Principal } from '../src/services/context.js';
import { levelForZoom, MAX_POINTS, type MapQuery } from '../src/services/map.service.js';
import { CaseRepository, toCase } from '../src/storage/case.repository.js';
import { likePrefix } from '../src/storage/dialect.js';
import { ReferenceRepository } from '../src/storage/reference.repository.js';
import type { CaseTable, DB } from '../src/storage/schema.js';
import { benchCases, benchDialects, buildCity, cityPoint, OPEN_STATUSES, percentile, rng, timed, type City } from './city.js';
import { formatTable, type BenchResult } from './routing.bench.js';

export const ZOOMS = [11, 13, 14, 16] as const;
const VIEWPORT = { width: 1280, height: 800 };
const QUERIES = 200;
const WARMUP = 5;
/** Per configuration: stop early after this long (but not before MIN_QUERIES), so a slow build still ends. */
const BUDGET_MS = 15_000;
const MIN_QUERIES = 40;
/** The naive baseline runs on a prefix of the same viewports: up to QUERIES, or until this much time passed. */
const BASELINE_BUDGET_MS = 3_000;
const BASELINE_MIN = 10;
export const TARGET_P95_MS = 50;

type Role = 'dispatcher' | 'admin';
const ROLES: Role[] = ['dispatcher', 'admin'];

/** A viewport of VIEWPORT pixels at a zoom (Web Mercator, 256 px tiles), centred on a point. */
export function viewport(lat: number, lon: number, zoom: number): { minLat: number; maxLat: number; minLon: number; maxLon: number } {
  const degPerPx = 360 / (256 * 2 ** zoom);
  const halfLon = (VIEWPORT.width * degPerPx) / 2;
  const halfLat = ((VIEWPORT.height * degPerPx) / 2) * Math.cos((lat * Math.PI) / 180);
  return { minLat: lat - halfLat, maxLat: lat + halfLat, minLon: lon - halfLon, maxLon: lon + halfLon };
}

function queries(city: City, role: Role, zoom: number): MapQuery[] {
  const rand = rng(1000 * (ROLES.indexOf(role) + 1) + zoom);
  const out: MapQuery[] = [];
  for (let i = 0; i < QUERIES + WARMUP; i++) {
    // The dispatcher looks at Najin; the admin wherever cases are.
    const centre =
      role === 'dispatcher'
        ? { lat: city.najinBox.minLat + rand() * (city.najinBox.maxLat - city.najinBox.minLat), lon: city.najinBox.minLon + rand() * (city.najinBox.maxLon - city.najinBox.minLon) }
        : cityPoint(rand);
    const q: MapQuery = { ...viewport(centre.lat, centre.lon, zoom), zoom };
    const f = rand();
    const category = city.categories[Math.floor(rand() * city.categories.length)]!;
    if (f >= 0.4 && f < 0.7) q.status = OPEN_STATUSES;
    else if (f >= 0.7 && f < 0.9) q.categoryId = category.id;
    else if (f >= 0.9) {
      q.status = OPEN_STATUSES;
      q.categoryId = category.id;
    }
    out.push(q);
  }
  return out;
}

const inList = (values: readonly string[]): RawBuilder<unknown> => sql`(${sql.join(values.map((v) => sql`${v}`))})`;

/** The naive cluster query: aggregate the cases themselves, grouped by the level's cell. */
async function naiveClusters(city: City, role: Role, q: MapQuery, level: number): Promise<{ count: number; lat: number; lon: number }[]> {
  const div = 10 ** (FINEST - level);
  const r = cellRange(q.minLat, q.minLon, q.maxLat, q.maxLon, level);
  const filters: RawBuilder<unknown>[] = [
    sql`cy >= ${r.y0 * div}`,
    sql`cy <= ${(r.y1 + 1) * div - 1}`,
    sql`cx >= ${r.x0 * div}`,
    sql`cx <= ${(r.x1 + 1) * div - 1}`,
  ];
  // A case counts for the Najin dispatcher when its handling unit is Najin: its unit lies in Najin.
  if (role === 'dispatcher') filters.push(sql`jurisdiction_id in ${inList(city.najinUnitIds)}`);
  if (q.status?.length) filters.push(sql`status in ${inList(q.status)}`);
  if (q.categoryId) filters.push(sql`category_id = ${q.categoryId}`);
  const d = sql.raw(String(div));
  const { rows } = await sql<{ gy: number; gx: number; n: number | string; lat: number | string; lon: number | string }>`
    select cy / ${d} as gy, cx / ${d} as gx, count(*) as n, avg(lat) as lat, avg(lon) as lon
    from cases where ${sql.join(filters, sql` and `)}
    group by 1, 2`.execute(city.database.db);
  return rows.map((row) => ({ count: Number(row.n), lat: Number(row.lat), lon: Number(row.lon) }));
}

/** The naive point query: the cases in the lat/lon box the reader may see, newest first. */
async function naivePoints(city: City, role: Role, q: MapQuery): Promise<number> {
  let query = city.database.db
    .selectFrom('cases')
    .selectAll()
    .where('lat', '>=', q.minLat)
    .where('lat', '<=', q.maxLat)
    .where('lon', '>=', q.minLon)
    .where('lon', '<=', q.maxLon);
  if (role === 'dispatcher') query = query.where((eb) => eb.or([eb('jurisdiction_id', 'in', city.najinUnitIds), eb('origin_jurisdiction_id', 'in', city.najinUnitIds)]));
  if (q.status?.length) query = query.where('status', 'in', q.status as CaseStatus[]);
  if (q.categoryId) query = query.where('category_id', '=', q.categoryId);
  const rows = await query.orderBy('reported_at', 'desc').limit(MAX_POINTS + 1).execute();
  return rows.map(toCase).length;
}

const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(ms >= 10 ? 1 : 2));

/** What a timed answer tells us: its mode and level, how many items, how many cases they stand for. */
interface Answer {
  mode: string;
  level: number | null;
  items: number;
  cases: number;
  truncated: boolean;
}

interface Timing {
  ms: number[];
  answers: Answer[];
}

/** Time up to QUERIES answers after a warm-up, within the budget. */
async function timeAnswers(qs: MapQuery[], answer: (q: MapQuery) => Promise<Answer>): Promise<Timing> {
  for (const q of qs.slice(0, WARMUP)) await answer(q);
  const ms: number[] = [];
  const answers: Answer[] = [];
  const t0 = performance.now();
  for (const q of qs.slice(WARMUP)) {
    if (ms.length >= MIN_QUERIES && performance.now() - t0 > BUDGET_MS) break;
    const r = await timed(() => answer(q));
    ms.push(r.ms);
    answers.push(r.value);
  }
  return { ms, answers };
}

const configName = (city: City, role: Role, zoom: number): string => `map ${city.dialect} ${role} z${zoom}`;
const modeName = (a: Answer | undefined): string =>
  !a ? '' : a.mode === 'clusters' && a.level !== null ? `clusters L${a.level} (${CELL_DEGREES[a.level]}°)` : a.mode;

/** The map benchmark on one built city. */
export async function benchMap(city: City, log: (line: string) => void = () => {}): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const role of ROLES) {
    const principal: Principal = role === 'dispatcher' ? city.dispatcher : city.admin;
    for (const zoom of ZOOMS) {
      const qs = queries(city, role, zoom);
      const ours = await timeAnswers(qs, async (q) => {
        const a = await city.services.map.cases(principal, q);
        return {
          mode: a.mode,
          level: a.level,
          items: a.items.length,
          cases: a.items.reduce((s, it) => s + (it.type === 'cluster' ? it.count : 1), 0),
          truncated: a.truncated,
        };
      });
      const mode = ours.answers[0]?.mode ?? '';
      const level = levelForZoom(zoom);

      // Baseline on a prefix of the same viewports; the answers must agree.
      const base: number[] = [];
      let mismatches = 0;
      const t0 = performance.now();
      for (const [k, q] of qs.slice(WARMUP).entries()) {
        if (k >= ours.ms.length || (k >= BASELINE_MIN && performance.now() - t0 > BASELINE_BUDGET_MS)) break;
        const want = ours.answers[k]!.cases;
        if (mode === 'clusters' && level !== null) {
          const { ms, value } = await timed(() => naiveClusters(city, role, q, level));
          base.push(ms);
          if (value.reduce((s, c) => s + c.count, 0) !== want) mismatches++;
        } else {
          const { ms, value } = await timed(() => naivePoints(city, role, q));
          base.push(ms);
          if (Math.min(value, MAX_POINTS) !== want) mismatches++;
        }
      }
      const p50 = percentile(ours.ms, 50);
      const p95 = percentile(ours.ms, 95);
      const b50 = percentile(base, 50);
      const b95 = percentile(base, 95);
      const name = `${configName(city, role, zoom)} ${modeName(ours.answers[0])}`;
      const items = ours.answers.reduce((s, a) => s + a.items, 0) / ours.answers.length;
      if (mismatches > 0) throw new Error(`${name}: ${mismatches} of ${base.length} answers differ from the naive baseline's case counts`);
      log(
        `${name}: ${ours.ms.length} queries p50 ${fmtMs(p50)} ms p95 ${fmtMs(p95)} ms max ${fmtMs(Math.max(...ours.ms))} ms; ` +
          `mean ${Math.round(items)} items, ${ours.answers.filter((a) => a.truncated).length} truncated; ` +
          `baseline ${base.length} queries p50 ${fmtMs(b50)} p95 ${fmtMs(b95)} ms; answers agree`,
      );
      const baseName = mode === 'clusters' ? 'naive GROUP BY cell on cases' : 'naive lat/lon box on cases';
      const n = `n=${ours.ms.length}/${base.length}`;
      results.push({ name: `${name} p50 (${n})`, value: p50, unit: 'ms', baseline: { name: baseName, value: b50 }, ratio: b50 / p50 });
      results.push({
        name: `${name} p95 (${n})`,
        value: p95,
        unit: 'ms',
        baseline: { name: baseName, value: b95 },
        ratio: b95 / p95,
        target: `p95 < ${TARGET_P95_MS} ms`,
        pass: p95 < TARGET_P95_MS,
      });
    }
  }
  return results;
}

// ---- trial: a proposed fix, measured without touching src (BENCH_TRIALS=1) -----------------------------
//
// 1. levelForZoom one step coarser below zoom 15: level 2 (0.01°) for zooms 10-14, level 3 (0.001°) only at
//    zoom 15. Level 3 at zooms 13-14 means 6-12 px per cluster and 6,000-20,000 clusters per viewport,
//    aggregated from 150,000-290,000 case_cells rows per query.
// 2. Street level (zoom >= 16): count first from the level-3 case_cells of the box (same units and filters);
//    more than MAX_POINTS matching cases, or (with filters) more than TRIAL_POINTS_BOX_MAX cases in the box
//    in all -> answer those level-3 clusters instead of 2,000 truncated points; otherwise fetch the points
//    with the cell range as `cy IN (y0 .. y1) AND cx BETWEEN x0 AND x1`, so both dialects seek cases_cell per
//    row of cells instead of scanning every cell of the cy range across the whole city (SQLite: INDEXED BY
//    cases_cell, see below).
// 3. A covering index for the cluster sums: SQLite's case_cells PK index lacks n/sum_lat/sum_lon, so every
//    row costs a table lookup; PostgreSQL: an INCLUDE index allows index-only scans.
// 4. PostgreSQL: jit = off for the pool (JIT compiles the bigger map queries for hundreds of milliseconds).

export function proposedLevel(zoom: number): number | null {
  if (zoom <= 6) return 0;
  if (zoom <= 9) return 1;
  if (zoom <= 14) return 2;
  if (zoom <= 15) return 3;
  return null;
}

/** A Kysely on the city's database as the proposed fix would connect (PostgreSQL: jit off). */
export function trialDb(city: City): { db: Kysely<DB>; close(): Promise<void> } {
  if (city.dialect === 'sqlite') return { db: city.database.db, close: async () => {} };
  const pool = new pg.Pool({ connectionString: city.url, max: 5, options: `-c search_path=${city.schema} -c jit=off` });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return { db, close: () => db.destroy() };
}

/** The cell range of a box as the list of its rows and the span of its columns. */
export function cellRows(minLat: number, minLon: number, maxLat: number, maxLon: number): { cys: number[]; x0: number; x1: number } {
  const r = cellRange(minLat, minLon, maxLat, maxLon, FINEST);
  const cys: number[] = [];
  for (let y = r.y0; y <= r.y1; y++) cys.push(y);
  return { cys, x0: r.x0, x1: r.x1 };
}

/** Street level shows points only when the box holds at most this many cases in all (whatever the filters). */
export const TRIAL_POINTS_BOX_MAX = 10_000;

async function trialCases(city: City, db: Kysely<DB>, role: Role, q: MapQuery): Promise<Answer> {
  const repo = new CaseRepository(db);
  // As MapService.clusterUnits: the dispatcher's subdistricts (read from the database, as the service does).
  const units = role === 'dispatcher' ? (await new ReferenceRepository(db).jurisdictions()).filter((u) => u.id === city.najinId).map((u) => u.id) : null;
  const level = proposedLevel(q.zoom) ?? FINEST;
  const range = cellRange(q.minLat, q.minLon, q.maxLat, q.maxLon, level);
  const cells = await repo.clusters({ level, ...range, unitIds: units, status: q.status, categoryId: q.categoryId });
  const total = cells.reduce((s, c) => s + c.n, 0);
  const clusters = (): Answer => ({ mode: 'clusters', level, items: cells.length, cases: total, truncated: false });
  if (proposedLevel(q.zoom) !== null || total > MAX_POINTS) return clusters();
  // Few matches, but a filtered view of a dense box would still read every case in it: bound that too.
  if (q.status?.length || q.categoryId) {
    const all = await repo.clusters({ level, ...range, unitIds: units });
    if (all.reduce((s, c) => s + c.n, 0) > TRIAL_POINTS_BOX_MAX) return clusters();
  }
  const { cys, x0, x1 } = cellRows(q.minLat, q.minLon, q.maxLat, q.maxLon);
  const filters: RawBuilder<unknown>[] = [
    sql`cases.cy in (${sql.join(cys)})`,
    sql`cases.cx >= ${x0}`,
    sql`cases.cx <= ${x1}`,
    sql`cases.lat >= ${q.minLat}`,
    sql`cases.lat <= ${q.maxLat}`,
    sql`cases.lon >= ${q.minLon}`,
    sql`cases.lon <= ${q.maxLon}`,
  ];
  if (role === 'dispatcher') {
    // The repository's jurisdiction visibility, unchanged.
    const path = city.units.find((u) => u.id === city.najinId)!.path;
    const inUnit = (column: string) =>
      sql`exists (select j.id from jurisdictions as j where j.id = ${sql.ref(column)} and (j.path = ${path} or j.path like ${likePrefix(`${path}/`)}))`;
    filters.push(sql`(${inUnit('cases.jurisdiction_id')} or ${inUnit('cases.origin_jurisdiction_id')})`);
  }
  if (q.status?.length) filters.push(sql`cases.status in ${inList(q.status)}`);
  if (q.categoryId) filters.push(sql`cases.category_id = ${q.categoryId}`);
  // SQLite has no statistics (Gridline never runs ANALYZE), so its planner prefers the one-column
  // category_id/status indexes (an equality) over 16 rows of cases_cell and scans the whole city: pin it.
  const from = city.dialect === 'sqlite' ? sql`cases indexed by cases_cell` : sql`cases`;
  const { rows } = await sql<CaseTable>`select cases.* from ${from} where ${sql.join(filters, sql` and `)} order by cases.reported_at desc limit ${MAX_POINTS + 1}`.execute(db);
  const points = rows.map(toCase);
  return { mode: 'points', level: null, items: Math.min(points.length, MAX_POINTS), cases: Math.min(points.length, MAX_POINTS), truncated: points.length > MAX_POINTS };
}

/** The covering index of the trial (created on the bench database only). */
export async function trialIndexes(city: City, db: Kysely<DB>): Promise<void> {
  if (city.dialect === 'sqlite') {
    await sql`create index if not exists case_cells_cover on case_cells (level, cy, cx, unit_id, status, category_id, n, sum_lat, sum_lon)`.execute(db);
  } else {
    await sql`create index if not exists case_cells_cover on case_cells (level, cy, cx) include (unit_id, status, category_id, n, sum_lat, sum_lon)`.execute(db);
    await sql`vacuum analyze case_cells`.execute(db);
  }
}

/** The proposed fix on the same viewports; the baseline of each row is the current service's figure. */
export async function trialMap(city: City, current: BenchResult[], log: (line: string) => void = () => {}): Promise<BenchResult[]> {
  const { db, close } = trialDb(city);
  const results: BenchResult[] = [];
  try {
    await trialIndexes(city, db);
    for (const role of ROLES) {
      for (const zoom of ZOOMS) {
        const qs = queries(city, role, zoom);
        const t = await timeAnswers(qs, (q) => trialCases(city, db, role, q));
        const modes = new Map<string, number>();
        for (const a of t.answers) modes.set(modeName(a), (modes.get(modeName(a)) ?? 0) + 1);
        const mix = [...modes].map(([m, k]) => `${m} ×${k}`).join(', ');
        const p50 = percentile(t.ms, 50);
        const p95 = percentile(t.ms, 95);
        const prefix = configName(city, role, zoom);
        const now = (suffix: string) => current.find((r) => r.name.startsWith(prefix) && r.name.includes(` ${suffix} (`));
        const items = t.answers.reduce((s, a) => s + a.items, 0) / t.answers.length;
        log(`trial ${prefix}: ${t.ms.length} queries p50 ${fmtMs(p50)} ms p95 ${fmtMs(p95)} ms max ${fmtMs(Math.max(...t.ms))} ms; ${mix}; mean ${Math.round(items)} items`);
        const base50 = now('p50');
        const base95 = now('p95');
        const label = `trial ${prefix} ${modes.size === 1 ? [...modes.keys()][0] : 'points/clusters'}`;
        results.push({ name: `${label} p50 (n=${t.ms.length})`, value: p50, unit: 'ms', ...(base50 ? { baseline: { name: 'current service', value: base50.value }, ratio: base50.value / p50 } : {}) });
        results.push({
          name: `${label} p95 (n=${t.ms.length})`,
          value: p95,
          unit: 'ms',
          ...(base95 ? { baseline: { name: 'current service', value: base95.value }, ratio: base95.value / p95 } : {}),
          target: `p95 < ${TARGET_P95_MS} ms`,
          pass: p95 < TARGET_P95_MS,
        });
      }
    }
  } finally {
    await close();
  }
  return results;
}

export const trialsWanted = (): boolean => process.env.BENCH_TRIALS === '1';

/** The build of a city as result rows (reported, not judged). */
export function buildRows(city: City): BenchResult[] {
  return [
    { name: `city build ${city.dialect}: ${city.cases.toLocaleString('en')} cases, ${city.cellRows.toLocaleString('en')} case_cells rows`, value: city.buildMs / 1000, unit: 's' },
    { name: `city build ${city.dialect}: bulk load (no secondary indexes)`, value: city.loadMs / 1000, unit: 's' },
    { name: `city build ${city.dialect}: re-create indexes${city.dialect === 'postgres' ? ' + VACUUM ANALYZE' : ''}`, value: city.indexMs / 1000, unit: 's' },
  ];
}

export async function run(log: (line: string) => void = () => {}): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const target of benchDialects(log)) {
    const city = await buildCity(target, benchCases(), log);
    try {
      const map = await benchMap(city, log);
      results.push(...buildRows(city), ...map);
      if (trialsWanted()) results.push(...(await trialMap(city, map, log)));
    } finally {
      await city.close();
    }
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await run((line) => console.log(line));
  console.log(formatTable(results));
  if (results.some((r) => r.pass === false)) process.exitCode = 1;
}
