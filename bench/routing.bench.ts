// Routing benchmark: point -> deepest jurisdiction unit over a city of 100,000 grids.
//
// The data is synthetic and deterministic. It is a 400 × 250 lattice of slightly irregular quadrilateral
// grids, about 50 m × 50 m each, over a 20 km × 12.5 km area near Lhasa. Each grid has 6-10 vertices, and
// neighbours share their edges vertex for vertex. The grids sit under 100 parent units, blocks of 40 × 25
// grids whose polygons are the blocks' real outlines (about 300 vertices each), under one city.
// The Router (Flatbush index + exact point-in-polygon) is timed against baselines measured in the same run,
// on the same machine and the same points. The Router runs containsPoint's arithmetic over packed typed
// arrays (packedContains), which gives identical answers. The main baseline is a linear scan that runs
// containsPoint itself over every polygon, deepest level first, with no index. The previous Router (bbox pre-check, then a
// scan) is also timed, for reference. The ratios depend far less on the machine than the absolute rates do.
// Everything runs on one core in a plain loop.
//
// Run: see bench/README.md.

import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Router } from '../src/geo/router.js';
import { bboxOf, containsPoint, inBBox, type AreaGeometry, type BBox, type Position } from '../src/geo/polygon.js';
import { LEVELS } from '../src/domain/types.js';
import type { Jurisdiction } from '../src/domain/records.js';
import { mulberry32 } from '../src/seed/prng.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  ratio?: number;
  target?: string;
  pass?: boolean;
}

const COLS = 400;
const ROWS = 250;
const BLOCK_COLS = 40; // 10 × 10 parent blocks
const BLOCK_ROWS = 25;
const LON0 = 91.0;
const LAT0 = 29.6;
const DLON = 0.000517; // ≈ 50 m at 29.6°N
const DLAT = 0.00045; // ≈ 50 m
const ROUTER_POINTS = 200_000;
/** The baselines run on a prefix of the same points: up to this many... */
const BASELINE_POINTS = 2_000;
/** ...or until this much time has passed (the linear scan manages only a few dozen lookups a second). */
const BASELINE_BUDGET_MS = 5_000;
const BASELINE_MIN_POINTS = 100;
const TARGET_RATE = 200_000;
const TARGET_RATIO = 50;

const rng = mulberry32;

/** Deterministic value in [-1, 1) from integer coordinates. */
function hash(...ns: number[]): number {
  let h = 0x811c9dc5;
  for (const n of ns) {
    h = Math.imul(h ^ n, 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
  }
  return (h >>> 0) / 2147483648 - 1;
}

interface City {
  units: Jurisdiction[];
  grids: number;
  vertices: { min: number; max: number; mean: number };
  extent: BBox;
}

/** The synthetic city: one root, 100 parents, 400 × 250 grids. */
export function generateCity(): City {
  // Lattice nodes, jittered by up to 12 % of a cell.
  const node = (i: number, j: number): Position => [LON0 + (i + 0.12 * hash(1, i, j)) * DLON, LAT0 + (j + 0.12 * hash(2, i, j)) * DLAT];
  const nodes: Position[][] = [];
  for (let i = 0; i <= COLS; i++) {
    nodes.push([]);
    for (let j = 0; j <= ROWS; j++) nodes[i]!.push(node(i, j));
  }
  const at = (i: number, j: number): Position => nodes[i]![j]!;
  // Edges are computed once and shared, so neighbours' common vertices are bit-identical.
  // East edges (i,j)->(i+1,j): one interior vertex. North edges (i,j)->(i,j+1): zero, one or two.
  const east: Position[][][] = [];
  const north: Position[][][] = [];
  for (let i = 0; i <= COLS; i++) {
    east.push([]);
    north.push([]);
    for (let j = 0; j <= ROWS; j++) {
      if (i < COLS) {
        const a = at(i, j);
        const b = at(i + 1, j);
        east[i]!.push([a, [(a[0]! + b[0]!) / 2, (a[1]! + b[1]!) / 2 + 0.08 * hash(3, i, j) * DLAT], b]);
      } else east[i]!.push([]);
      if (j < ROWS) {
        const a = at(i, j);
        const b = at(i, j + 1);
        const k = Math.floor(((hash(4, i, j) + 1) / 2) * 3); // 0, 1 or 2
        const pts: Position[] = [a];
        for (let m = 1; m <= k; m++) {
          const t = m / (k + 1);
          pts.push([a[0]! + (b[0]! - a[0]!) * t + 0.08 * hash(5, i, j, m) * DLON, a[1]! + (b[1]! - a[1]!) * t]);
        }
        pts.push(b);
        north[i]!.push(pts);
      } else north[i]!.push([]);
    }
  }
  const eastEdge = (i: number, j: number): Position[] => east[i]![j]!;
  const northEdge = (i: number, j: number): Position[] => north[i]![j]!;

  /** Counter-clockwise closed outline of the cell block [i0, i1) × [j0, j1). */
  function outline(i0: number, j0: number, i1: number, j1: number): Position[] {
    const ring: Position[] = [];
    for (let i = i0; i < i1; i++) ring.push(...eastEdge(i, j0).slice(0, -1));
    for (let j = j0; j < j1; j++) ring.push(...northEdge(i1, j).slice(0, -1));
    for (let i = i1 - 1; i >= i0; i--) ring.push(...[...eastEdge(i, j1)].reverse().slice(0, -1));
    for (let j = j1 - 1; j >= j0; j--) ring.push(...[...northEdge(i0, j)].reverse().slice(0, -1));
    ring.push(ring[0]!);
    return ring;
  }

  const unit = (code: string, level: Jurisdiction['level'], parent: Jurisdiction | null, geometry: AreaGeometry): Jurisdiction => ({
    id: code,
    code,
    level,
    parentId: parent?.id ?? null,
    path: `${parent?.path ?? ''}/${code}`,
    names: { zh: code, en: code, bo: code },
    geometry,
  });
  const rect = (b: BBox): AreaGeometry => ({
    type: 'Polygon',
    coordinates: [
      [
        [b.minLon, b.minLat],
        [b.maxLon, b.minLat],
        [b.maxLon, b.maxLat],
        [b.minLon, b.maxLat],
        [b.minLon, b.minLat],
      ],
    ],
  });

  const extent: BBox = { minLon: LON0, minLat: LAT0, maxLon: LON0 + COLS * DLON, maxLat: LAT0 + ROWS * DLAT };
  const city = unit('540100', 'city', null, rect({ minLon: LON0 - 0.01, minLat: LAT0 - 0.01, maxLon: extent.maxLon + 0.01, maxLat: extent.maxLat + 0.01 }));
  const units: Jurisdiction[] = [city];
  let vMin = Infinity;
  let vMax = 0;
  let vSum = 0;
  for (let bi = 0; bi < COLS / BLOCK_COLS; bi++) {
    for (let bj = 0; bj < ROWS / BLOCK_ROWS; bj++) {
      const i0 = bi * BLOCK_COLS;
      const j0 = bj * BLOCK_ROWS;
      const parentCode = `540100${String(bj * 10 + bi).padStart(3, '0')}`;
      const parent = unit(parentCode, 'community', city, { type: 'Polygon', coordinates: [outline(i0, j0, i0 + BLOCK_COLS, j0 + BLOCK_ROWS)] });
      units.push(parent);
      let seq = 0;
      for (let j = j0; j < j0 + BLOCK_ROWS; j++) {
        for (let i = i0; i < i0 + BLOCK_COLS; i++) {
          const ring = outline(i, j, i + 1, j + 1);
          const n = ring.length - 1;
          vMin = Math.min(vMin, n);
          vMax = Math.max(vMax, n);
          vSum += n;
          units.push(unit(`${parentCode}${String(++seq).padStart(4, '0')}`, 'grid', parent, { type: 'Polygon', coordinates: [ring] }));
        }
      }
    }
  }
  const grids = COLS * ROWS;
  return { units, grids, vertices: { min: vMin, max: vMax, mean: vSum / grids }, extent };
}

function randomPoints(n: number, extent: BBox, seed: number): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(n * 2);
  for (let k = 0; k < n; k++) {
    out[2 * k] = extent.minLon + r() * (extent.maxLon - extent.minLon);
    out[2 * k + 1] = extent.minLat + r() * (extent.maxLat - extent.minLat);
  }
  return out;
}

/** Units in the order the Router breaks ties in: deepest level first, then lowest code. */
function rankOrder(units: Jurisdiction[]): Jurisdiction[] {
  const depth = (u: Jurisdiction) => LEVELS.indexOf(u.level);
  return units.filter((u) => u.geometry).sort((a, b) => depth(b) - depth(a) || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

/** The baseline: the same exact test over every polygon in rank order, no index and no bbox pre-check. */
function linearScan(ranked: Jurisdiction[]): (lon: number, lat: number) => Jurisdiction | undefined {
  return (lon, lat) => {
    for (const u of ranked) if (containsPoint(u.geometry!, lon, lat)) return u;
    return undefined;
  };
}

/** For reference only: the previous Router (bbox pre-check, then the exact test, over every unit). */
function bboxScan(ranked: Jurisdiction[]): (lon: number, lat: number) => Jurisdiction | undefined {
  const boxes = ranked.map((u) => ({ u, b: bboxOf(u.geometry!) }));
  return (lon, lat) => {
    for (const { u, b } of boxes) if (inBBox(b, lon, lat) && containsPoint(u.geometry!, lon, lat)) return u;
    return undefined;
  };
}

type Lookup = (lon: number, lat: number) => Jurisdiction | undefined;

/** Lookups per second of `fn` over `n` points; the sink keeps the work from being optimised away. */
function rate(fn: Lookup, pts: Float64Array, n: number): { perSecond: number; sink: number } {
  let sink = 0;
  const t0 = performance.now();
  for (let k = 0; k < n; k++) sink += fn(pts[2 * k]!, pts[2 * k + 1]!)?.code.length ?? 0;
  const ms = performance.now() - t0;
  return { perSecond: (n / ms) * 1000, sink };
}

/** A slow baseline over a prefix of the points, within a time budget; returns its answers too. */
function budgetedRate(fn: Lookup, pts: Float64Array): { perSecond: number; points: number; answers: (string | undefined)[] } {
  const answers: (string | undefined)[] = [];
  const t0 = performance.now();
  let ms = 0;
  for (let k = 0; k < BASELINE_POINTS && (k < BASELINE_MIN_POINTS || ms < BASELINE_BUDGET_MS); k++) {
    answers.push(fn(pts[2 * k]!, pts[2 * k + 1]!)?.id);
    ms = performance.now() - t0;
  }
  return { perSecond: (answers.length / ms) * 1000, points: answers.length, answers };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

export async function run(log: (line: string) => void = () => {}): Promise<BenchResult[]> {
  const city = generateCity();
  log(
    `routing: ${city.units.length.toLocaleString('en')} units (${city.grids.toLocaleString('en')} grids of ${city.vertices.min}-${city.vertices.max} vertices, mean ${city.vertices.mean.toFixed(1)}; 100 parents; 1 city)`,
  );

  // Geometry reaches the Router through JSON (the repository's fromJson), so give it the same memory layout.
  const units = city.units.map((u) => ({ ...u, geometry: JSON.parse(JSON.stringify(u.geometry)) as AreaGeometry }));
  const t0 = performance.now();
  const router = new Router(units);
  const buildMs = performance.now() - t0;

  const pts = randomPoints(ROUTER_POINTS, city.extent, 42);
  const deepest = (lon: number, lat: number) => router.deepest(lon, lat);
  const locate = (lon: number, lat: number) => router.locate(lon, lat)?.unit;

  // Warm up (JIT), then take the median of 5 passes over the 200,000 points.
  rate(deepest, pts, 50_000);
  rate(locate, pts, 20_000);
  const deepestRates: number[] = [];
  const locateRates: number[] = [];
  let sink = 0;
  for (let pass = 0; pass < 5; pass++) {
    const d = rate(deepest, pts, ROUTER_POINTS);
    deepestRates.push(d.perSecond);
    sink += d.sink;
  }
  for (let pass = 0; pass < 3; pass++) {
    const l = rate(locate, pts, ROUTER_POINTS);
    locateRates.push(l.perSecond);
    sink += l.sink;
  }
  const routerRate = median(deepestRates);
  const locateRate = median(locateRates);

  // Baselines on a prefix of the same points (they are 100-10,000x slower; rates are per second either way).
  const ranked = rankOrder(units);
  const linear = linearScan(ranked);
  const previous = bboxScan(ranked);
  rate(linear, pts, 20);
  rate(previous, pts, 200);
  const lin = budgetedRate(linear, pts);
  const prev = budgetedRate(previous, pts);
  // Same answers, or the comparison means nothing.
  for (const b of [lin, prev]) {
    b.answers.forEach((want, k) => {
      const got = router.deepest(pts[2 * k]!, pts[2 * k + 1]!)?.id;
      if (got !== want) throw new Error(`router and a baseline disagree at point ${k}: ${got} vs ${want}`);
    });
  }
  const linearRate = lin.perSecond;
  const previousRate = prev.perSecond;
  log(`baselines: linear scan over ${lin.points.toLocaleString('en')} points, previous Router over ${prev.points.toLocaleString('en')} points; all answers agree with the router`);
  if (sink < 0) log('unreachable');

  const linearName = 'linear containsPoint scan (no index)';
  const ratio = routerRate / linearRate;
  return [
    { name: 'router build (100,101 units)', value: buildMs, unit: 'ms' },
    { name: 'router.deepest', value: routerRate, unit: 'lookups/s', target: `>= ${TARGET_RATE.toLocaleString('en')} lookups/s`, pass: routerRate >= TARGET_RATE },
    { name: linearName, value: linearRate, unit: 'lookups/s' },
    {
      name: 'router.deepest vs linear scan',
      value: routerRate,
      unit: 'lookups/s',
      baseline: { name: linearName, value: linearRate },
      ratio,
      target: `>= ${TARGET_RATIO}x`,
      pass: ratio >= TARGET_RATIO,
    },
    {
      name: 'router.deepest vs previous Router (bbox scan)',
      value: routerRate,
      unit: 'lookups/s',
      baseline: { name: 'previous Router (bbox pre-check scan)', value: previousRate },
      ratio: routerRate / previousRate,
    },
    { name: 'router.locate (20 m border, neighbours)', value: locateRate, unit: 'lookups/s' },
  ];
}

function fmt(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString('en');
  return n.toFixed(n >= 10 ? 1 : 2);
}

export function formatTable(results: BenchResult[]): string {
  const rows = [
    ['benchmark', 'value', 'unit', 'baseline', 'ratio', 'target', 'result'],
    ...results.map((r) => [
      r.name,
      fmt(r.value),
      r.unit,
      r.baseline ? `${fmt(r.baseline.value)} (${r.baseline.name})` : '',
      r.ratio === undefined ? '' : `${fmt(r.ratio)}x`,
      r.target ?? '',
      r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL',
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 1 || c === 4 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/**
 * Run a benchmark module when it is the program (`node dist-bench/bench/x.bench.js`): print its table and
 * the time taken, and exit 1 if a target is missed. Imported by bench/run.ts, it does nothing.
 */
export async function runIfMain(moduleUrl: string, run: (log: (line: string) => void) => Promise<BenchResult[]>): Promise<void> {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  const t0 = performance.now();
  const results = await run((line) => console.log(line));
  console.log(formatTable(results));
  console.log(`${((performance.now() - t0) / 1000).toFixed(0)} s`);
  if (results.some((r) => r.pass === false)) process.exitCode = 1;
}

await runIfMain(import.meta.url, run);
