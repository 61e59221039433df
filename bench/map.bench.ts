// Map query benchmark: MapService.cases over a 1,000,000-case synthetic Lhasa (bench/city.ts), on SQLite
// and PostgreSQL, as the Najin dispatcher and as the admin, for random 1280 × 800 px viewports at zooms 11,
// 13 and 14 (0.01° clusters from case_cells), 16 and 18 (street level: points from cases, or 0.001°
// clusters when the box holds more than MAX_POINTS matching cases), with a mix of filters (40% none, 30%
// open statuses, 20% one category, 10% both). The dispatcher's viewports are centred in Najin, the admin's
// where cases are. In this dense city nearly every zoom-16 box holds more than MAX_POINTS cases and is
// answered with clusters (only a few filtered ones get points); zoom-18 boxes (1/16 the area) get a mix of
// points and clusters, so the point path is timed too. Each configuration times up to 200 queries through
// the service after a warm-up (fewer only if it runs out of its time budget: then the row's n says so) and
// counts the answers by mode (the log line gives the mix; a row's name does when the modes are mixed). p50
// and p95 are compared with the naive query a developer would write for the same answer, timed in the same
// run on the same viewports: for clusters, count(*)/avg(lat)/avg(lon) FROM cases GROUP BY the level's cell
// (cy / 10^k, cx / 10^k) over the same cell range and filters; for points, SELECT * FROM cases over the
// lat/lon box with the same visibility and filters, newest first, LIMIT 2001. The baseline runs on a prefix
// of each mode's viewports; when the modes are mixed, each baseline time stands for its mode's share of our
// answers (weighted percentiles), so both sides describe the same mix. Both answers must agree (same case
// counts) or the benchmark throws. Target: p95 < 50 ms. For these latencies the ratio is baseline / ours
// (above 1: ours is faster), as the routing ratio (ours / baseline in lookups per second) is.
//
// Run: see bench/README.md (npm run bench; BENCH_DIALECTS, BENCH_CASES, BENCH_DATABASE_URL).

import { sql, type RawBuilder } from 'kysely';
import type { CaseStatus } from '../src/domain/types.js';
import { CELL_DEGREES, FINEST, cellRange } from '../src/geo/cells.js';
import type { Principal } from '../src/services/context.js';
import { MAX_POINTS, type MapQuery } from '../src/services/map.service.js';
import { toCase } from '../src/storage/case.mappers.js';
import { onEachCity, cityPoint, OPEN_STATUSES, percentile, rng, timed, type City } from './city.js';
import { runIfMain, type BenchResult } from './routing.bench.js';

export const ZOOMS = [11, 13, 14, 16, 18] as const;
const VIEWPORT = { width: 1280, height: 800 };
const QUERIES = 200;
const WARMUP = 5;
/** Per configuration: stop early after this long (but not before MIN_QUERIES), so a slow build still ends. */
const BUDGET_MS = 15_000;
const MIN_QUERIES = 40;
/**
 * The naive baseline runs on a prefix of the same viewports (of each answer mode): up to all of them, or
 * until this much time passed (split evenly between the modes), but at least BASELINE_MIN of each mode.
 */
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
  // A case counts for the Najin dispatcher when Najin handles it or it was first reported there (referred
  // away): the same cases the list and the point view show.
  if (role === 'dispatcher') filters.push(sql`(jurisdiction_id in ${inList(city.najinUnitIds)} or origin_jurisdiction_id in ${inList(city.najinUnitIds)})`);
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
/** An answer's mode as the row names say it: "points", or "clusters L3 (0.001°)" (short: "clusters L3"). */
const modeName = (a: Answer, short = false): string =>
  a.mode === 'clusters' && a.level !== null ? `clusters L${a.level}${short ? '' : ` (${CELL_DEGREES[a.level]}°)`}` : a.mode;

/** Samples with weights: the smallest sample whose cumulative weight reaches p% (nearest rank, as percentile). */
export function weightedPercentile(samples: { value: number; weight: number }[], p: number): number {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a.value - b.value);
  const total = s.reduce((sum, x) => sum + x.weight, 0);
  let cum = 0;
  for (const x of s) {
    cum += x.weight;
    if (cum >= (p / 100) * total * (1 - 1e-12)) return x.value;
  }
  return s[s.length - 1]!.value;
}

/** One mode's share of a configuration: which of our answers had it, and the baseline times on a prefix of them. */
interface ModeRun {
  name: string;
  short: string;
  indices: number[];
  base: number[];
}

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

      // Our answers by mode, most frequent first.
      const byMode = new Map<string, ModeRun>();
      for (const [k, answer] of ours.answers.entries()) {
        const name = modeName(answer);
        let run = byMode.get(name);
        if (!run) byMode.set(name, (run = { name, short: modeName(answer, true), indices: [], base: [] }));
        run.indices.push(k);
      }
      const modes = [...byMode.values()].sort((a, b) => b.indices.length - a.indices.length);
      const mixed = modes.length > 1;

      // Baseline, per mode, on a prefix of the viewports we answered in that mode; the answers must agree.
      let mismatches = 0;
      for (const run of modes) {
        const t0 = performance.now();
        for (const k of run.indices) {
          if (run.base.length >= BASELINE_MIN && performance.now() - t0 > BASELINE_BUDGET_MS / modes.length) break;
          const q = qs[WARMUP + k]!;
          const answer = ours.answers[k]!;
          const want = answer.cases;
          // At street level a dense box is answered with the finest clusters: compare with those then.
          if (answer.mode === 'clusters' && answer.level !== null) {
            const level = answer.level;
            const { ms, value } = await timed(() => naiveClusters(city, role, q, level));
            run.base.push(ms);
            if (value.reduce((s, c) => s + c.count, 0) !== want) mismatches++;
          } else {
            const { ms, value } = await timed(() => naivePoints(city, role, q));
            run.base.push(ms);
            if (Math.min(value, MAX_POINTS) !== want) mismatches++;
          }
        }
      }
      // Each baseline time stands for its mode's share of our answers, so the baseline has our mix.
      const weighted = modes.flatMap((run) => run.base.map((value) => ({ value, weight: run.indices.length / run.base.length })));
      const baseCount = modes.reduce((s, run) => s + run.base.length, 0);

      const p50 = percentile(ours.ms, 50);
      const p95 = percentile(ours.ms, 95);
      const b50 = weightedPercentile(weighted, 50);
      const b95 = weightedPercentile(weighted, 95);
      const mix = modes.map((run) => `${run.short} ×${run.indices.length}`).join(', ');
      const name = `${configName(city, role, zoom)} ${mixed ? mix : modes[0]!.name}`;
      const items = ours.answers.reduce((s, a) => s + a.items, 0) / ours.answers.length;
      if (mismatches > 0) throw new Error(`${name}: ${mismatches} of ${baseCount} answers differ from the naive baseline's case counts`);
      const perMode = (run: ModeRun): string => {
        const ms = run.indices.map((k) => ours.ms[k]!);
        return `${run.name} ×${run.indices.length} p50 ${fmtMs(percentile(ms, 50))} p95 ${fmtMs(percentile(ms, 95))} ms (baseline ${run.base.length} p50 ${fmtMs(percentile(run.base, 50))} p95 ${fmtMs(percentile(run.base, 95))} ms)`;
      };
      log(
        `${configName(city, role, zoom)}: ${ours.ms.length} queries p50 ${fmtMs(p50)} ms p95 ${fmtMs(p95)} ms max ${fmtMs(Math.max(...ours.ms))} ms; ` +
          `modes: ${modes.map(perMode).join('; ')}; ` +
          `mean ${Math.round(items)} items, ${ours.answers.filter((a) => a.truncated).length} truncated; ` +
          `baseline ${baseCount} queries${mixed ? ' (weighted to the mix)' : ''} p50 ${fmtMs(b50)} p95 ${fmtMs(b95)} ms; answers agree`,
      );
      const baseName = (run: ModeRun): string => (run.name === 'points' ? 'naive lat/lon box on cases' : 'naive GROUP BY cell on cases');
      const baselineName = mixed ? `naive per answer: ${modes.map((run) => `${run.short === 'points' ? 'lat/lon box' : 'GROUP BY cell'} ×${run.base.length}`).join(', ')}; mix-weighted` : baseName(modes[0]!);
      const n = `n=${ours.ms.length}/${mixed ? modes.map((run) => run.base.length).join('+') : baseCount}`;
      results.push({ name: `${name} p50 (${n})`, value: p50, unit: 'ms', baseline: { name: baselineName, value: b50 }, ratio: b50 / p50 });
      results.push({
        name: `${name} p95 (${n})`,
        value: p95,
        unit: 'ms',
        baseline: { name: baselineName, value: b95 },
        ratio: b95 / p95,
        target: `p95 < ${TARGET_P95_MS} ms`,
        pass: p95 < TARGET_P95_MS,
      });
    }
  }
  return results;
}

/** The map benchmark alone, on a city per dialect. */
export const run = (log: (line: string) => void = () => {}): Promise<BenchResult[]> => onEachCity(log, benchMap);

await runIfMain(import.meta.url, run);
