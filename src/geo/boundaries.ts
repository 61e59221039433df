// Boundary-file validation: the pure core of `gridline import boundaries FILE.geojson` and the admin API.
//
// planBoundaryImport reads a GeoJSON FeatureCollection (or one Feature) of jurisdiction units, checks it
// against itself and the units already stored, and returns either the units to write (parents first) or
// every problem found, worded for the GIS clerk who has to fix the file. Any problem rejects the file.
//
// Checks, in order:
//   1. file:      JSON, GeoJSON FeatureCollection / Feature, WGS-84 (a `crs` naming anything else is refused)
//   2. feature:   a Feature whose geometry is a Polygon or MultiPolygon
//   3. properties: code, level, parent_code, name_zh (name_en / name_bo default to name_zh)
//   4. codes:     unique in the file; a stored code keeps its level
//   5. parents:   exist (file or stored), exactly one level up; only the top level may have no parent
//   6. rings:     numbers in range, >= 4 positions, closed, <= 180° of longitude, not self-intersecting,
//                 not flat; holes inside their shell and apart from each other; MultiPolygon parts apart
//   7. siblings (only among units whose own geometry passed 6):
//                 overlaps between units with the same parent, gaps the children leave in their parent,
//                 children sticking out of their parent. Areas are geodesic (area.ts) on the results of
//                 polygon-clipping, with a tolerance (default 1 m²) for floating-point slivers.
//
// Numbering in messages: `feature N` is the 0-based index in the file's `features` array (the same number
// as BoundaryProblem.feature); rings and parts are counted from 1, ring 1 being the outer ring.
// Coordinates in messages are "lon, lat" in degrees.

import polygonClipping from 'polygon-clipping';
import type { MultiPolygon as ClipMultiPolygon, Pair, Polygon as ClipPolygon } from 'polygon-clipping';
import { LEVELS, type JurisdictionLevel } from '../domain/types.js';
import { geodesicAreaM2, ringAreaM2 } from './area.js';
import type { AreaGeometry, Position } from './polygon.js';

// ---------------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------------

/** The `properties` of one feature in a boundary file. */
export interface BoundaryFeatureProps {
  code: string;
  level: JurisdictionLevel;
  parent_code: string | null;
  name_zh: string;
  name_en?: string;
  name_bo?: string;
}

/** A unit already stored. `geometry: null` units take part in the parent checks only. */
export interface ExistingUnit {
  code: string;
  level: JurisdictionLevel;
  parentCode: string | null;
  geometry: AreaGeometry | null;
}

export interface ImportUnit {
  code: string;
  level: JurisdictionLevel;
  parentCode: string | null;
  names: { zh: string; en: string; bo: string };
  /** As in the file, with positions cut to [lon, lat] (any altitude dropped). */
  geometry: AreaGeometry;
  areaM2: number;
  /** A unit with this code already exists. */
  replaces: boolean;
}

export type ProblemKind =
  | 'not_geojson'
  | 'bad_feature'
  | 'bad_properties'
  | 'duplicate_code'
  | 'unknown_parent'
  | 'wrong_parent_level'
  | 'unclosed_ring'
  | 'too_few_points'
  | 'bad_coordinate'
  | 'antimeridian'
  | 'self_intersection'
  | 'hole_outside_shell'
  | 'overlap'
  | 'gap'
  | 'outside_parent'
  | 'empty_area';

export interface BoundaryProblem {
  /** 0-based index in the file's features, null for file-level problems (and gaps in a stored parent). */
  feature: number | null;
  code: string | null;
  /** Plain words a GIS clerk can act on, e.g. 'ring 1 of feature 3 (540102013001002) crosses itself at 91.1532, 29.6485'. */
  reason: string;
  kind: ProblemKind;
  /** overlap / gap / outside_parent: the area at fault, m². */
  areaM2?: number;
  /** The other unit's code: the overlapping sibling, or the parent. */
  other?: string;
}

/** problems non-empty => reject the whole file. */
export interface BoundaryPlan {
  units: ImportUnit[];
  problems: BoundaryProblem[];
}

export interface BoundaryImportOptions {
  /** Overlaps, gaps and overhangs up to this many m² are floating-point noise, not problems. Default 1. */
  toleranceM2?: number;
  /**
   * Levels whose units must be covered completely by their children (checked when the file brings at
   * least one child). Default ['subdistrict', 'community']: inside a subdistrict the grid system must be
   * complete (网格全覆盖), but Gridline commonly serves only some subdistricts of a district and some
   * districts of a city, so a district or city need not be covered by the children it has on the platform.
   */
  gapCheckLevels?: readonly JurisdictionLevel[];
}

export const DEFAULT_GAP_CHECK_LEVELS: readonly JurisdictionLevel[] = ['subdistrict', 'community'];

// ---------------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------------

type Pt = [number, number];
type Ring = Pt[];

interface Box {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const levelIndex = (level: JurisdictionLevel): number => LEVELS.indexOf(level);
const isLevel = (v: unknown): v is JurisdictionLevel => typeof v === 'string' && (LEVELS as readonly string[]).includes(v);

/** Degrees for messages: up to 6 decimals (~0.1 m), trailing zeros dropped. */
function deg(n: number): string {
  const s = n.toFixed(6).replace(/\.?0+$/, '');
  return s === '-0' ? '0' : s;
}
const at = (p: readonly number[]): string => `${deg(p[0]!)}, ${deg(p[1]!)}`;

/** '12,345 m²' (1 decimal below 10 m²). */
function m2(area: number): string {
  if (area < 10) return `${area.toFixed(1)} m²`;
  return `${String(Math.round(area)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')} m²`;
}

function show(v: unknown): string {
  if (v === undefined) return 'missing';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function boxOfRing(ring: readonly Pt[], into?: Box): Box {
  const b = into ?? { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
  for (const [x, y] of ring) {
    if (x < b.minX) b.minX = x;
    if (x > b.maxX) b.maxX = x;
    if (y < b.minY) b.minY = y;
    if (y > b.maxY) b.maxY = y;
  }
  return b;
}

const boxesMeet = (a: Box, b: Box): boolean => a.minX <= b.maxX && b.minX <= a.maxX && a.minY <= b.maxY && b.minY <= a.maxY;

function polygonsOf(g: AreaGeometry): Position[][][] {
  return g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
}

function boxOfGeometry(g: AreaGeometry): Box {
  const b: Box = { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
  for (const poly of polygonsOf(g)) boxOfRing((poly[0] ?? []) as Pt[], b);
  return b;
}

// ---------------------------------------------------------------------------------------------------
// Planar segment geometry (lon/lat treated as plane coordinates: fine for rings under 180° wide)
// ---------------------------------------------------------------------------------------------------

const orient = (a: Pt, b: Pt, c: Pt): number => (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
const sign = (v: number): -1 | 0 | 1 => (v > 0 ? 1 : v < 0 ? -1 : 0);
const samePt = (a: Pt, b: Pt): boolean => a[0] === b[0] && a[1] === b[1];

/** p (known collinear with a-b) lies within the segment's bounding box. */
const within = (p: Pt, a: Pt, b: Pt): boolean =>
  p[0] >= Math.min(a[0], b[0]) && p[0] <= Math.max(a[0], b[0]) && p[1] >= Math.min(a[1], b[1]) && p[1] <= Math.max(a[1], b[1]);

type Contact =
  | { kind: 'cross'; at: Pt } //   the interiors cross at one point
  | { kind: 'touch'; at: Pt } //   they meet at one point that is an endpoint of at least one of them
  | { kind: 'overlap'; at: Pt }; // collinear, sharing a stretch of positive length (at = its midpoint)

/** How segments p1-p2 and q1-q2 meet, or null if they do not. Exact orientation signs in doubles. */
function contact(p1: Pt, p2: Pt, q1: Pt, q2: Pt): Contact | null {
  const d1 = sign(orient(q1, q2, p1));
  const d2 = sign(orient(q1, q2, p2));
  const d3 = sign(orient(p1, p2, q1));
  const d4 = sign(orient(p1, p2, q2));
  if (d1 * d2 < 0 && d3 * d4 < 0) {
    const o1 = orient(q1, q2, p1);
    const t = o1 / (o1 - orient(q1, q2, p2));
    return { kind: 'cross', at: [p1[0] + t * (p2[0] - p1[0]), p1[1] + t * (p2[1] - p1[1])] };
  }
  if (d1 === 0 && d2 === 0 && d3 === 0 && d4 === 0) {
    // Collinear: project on the dominant axis and intersect the intervals.
    const axis = Math.abs(p2[0] - p1[0]) + Math.abs(q2[0] - q1[0]) >= Math.abs(p2[1] - p1[1]) + Math.abs(q2[1] - q1[1]) ? 0 : 1;
    const [pa, pb] = p1[axis] <= p2[axis] ? [p1, p2] : [p2, p1];
    const [qa, qb] = q1[axis] <= q2[axis] ? [q1, q2] : [q2, q1];
    const lo = pa[axis] >= qa[axis] ? pa : qa;
    const hi = pb[axis] <= qb[axis] ? pb : qb;
    if (lo[axis] > hi[axis]) return null;
    if (lo[axis] === hi[axis]) return { kind: 'touch', at: lo };
    return { kind: 'overlap', at: [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2] };
  }
  if (d1 === 0 && within(p1, q1, q2)) return { kind: 'touch', at: p1 };
  if (d2 === 0 && within(p2, q1, q2)) return { kind: 'touch', at: p2 };
  if (d3 === 0 && within(q1, p1, p2)) return { kind: 'touch', at: q1 };
  if (d4 === 0 && within(q2, p1, p2)) return { kind: 'touch', at: q2 };
  return null;
}

interface Edge {
  ring: number;
  /** index of the edge in its ring: from vertex i to vertex i+1 (mod n) */
  i: number;
  a: Pt;
  b: Pt;
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
}

/**
 * Every pair of edges (from the given open rings) whose bounding boxes meet, handed to `visit`, which
 * returns false to stop. Sweep along x: edges sorted by their west end, with an active list of edges
 * still reaching east of the sweep line. O(n log n + n·k) where k is the number of edges the sweep line
 * crosses at a time (about √n for a compact ring of n vertices); O(n²) only in pathological rings made
 * of long east-west edges. A 10,000-vertex boundary takes milliseconds.
 */
function sweepEdgePairs(rings: readonly Ring[], visit: (e: Edge, f: Edge) => boolean): void {
  const edges: Edge[] = [];
  rings.forEach((ring, r) => {
    const n = ring.length;
    for (let i = 0; i < n; i++) {
      const a = ring[i]!;
      const b = ring[(i + 1) % n]!;
      edges.push({
        ring: r,
        i,
        a,
        b,
        minX: Math.min(a[0], b[0]),
        maxX: Math.max(a[0], b[0]),
        minY: Math.min(a[1], b[1]),
        maxY: Math.max(a[1], b[1]),
      });
    }
  });
  edges.sort((e, f) => e.minX - f.minX);
  let active: Edge[] = [];
  for (const e of edges) {
    active = active.filter((f) => f.maxX >= e.minX);
    for (const f of active) {
      if (f.maxY < e.minY || f.minY > e.maxY) continue;
      if (!visit(f, e)) return;
    }
    active.push(e);
  }
}

/** 1 inside, 0 on the boundary, -1 outside (even-odd; the ring is open). */
function ringSide(ring: readonly Pt[], p: Pt): -1 | 0 | 1 {
  let inside = false;
  const n = ring.length;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const a = ring[i]!;
    const b = ring[j]!;
    if (orient(a, b, p) === 0 && within(p, a, b)) return 0;
    if (a[1] > p[1] !== b[1] > p[1] && p[0] < ((b[0] - a[0]) * (p[1] - a[1])) / (b[1] - a[1]) + a[0]) inside = !inside;
  }
  return inside ? 1 : -1;
}

/** All vertices on one line (relative to the ring's size; 1e-9 of its length is micrometres). */
function isFlat(ring: readonly Pt[]): boolean {
  const o = ring[0]!;
  let far = o;
  let farD = 0;
  for (const p of ring) {
    const d = (p[0] - o[0]) ** 2 + (p[1] - o[1]) ** 2;
    if (d > farD) {
      farD = d;
      far = p;
    }
  }
  if (farD === 0) return true;
  return ring.every((p) => Math.abs(orient(o, far, p)) <= 1e-9 * farD);
}

// ---------------------------------------------------------------------------------------------------
// polygon-clipping glue
// ---------------------------------------------------------------------------------------------------

function toClip(g: AreaGeometry): ClipMultiPolygon {
  return polygonsOf(g).map((poly): ClipPolygon => poly.map((ring) => ring.map((p): Pair => [p[0]!, p[1]!])));
}

const clipArea = (m: ClipMultiPolygon): number => geodesicAreaM2({ type: 'MultiPolygon', coordinates: m });

/**
 * A point to show for a clipping result: inside its biggest piece. Scan the piece along the parallel
 * through the middle of its box and take the middle of the widest stretch inside it (a centroid can fall
 * in a hole or outside an L-shaped piece).
 */
function whereIs(m: ClipMultiPolygon): string {
  let best: ClipPolygon | undefined;
  let bestArea = -1;
  for (const poly of m) {
    const a = ringAreaM2(poly[0] ?? []);
    if (a > bestArea) {
      bestArea = a;
      best = poly;
    }
  }
  if (!best || !best[0] || best[0].length === 0) return '?';
  const box = boxOfRing(best[0]);
  const y = (box.minY + box.maxY) / 2;
  const xs: number[] = [];
  for (const ring of best) {
    for (let i = 0; i + 1 < ring.length; i++) {
      const [ax, ay] = ring[i]!;
      const [bx, by] = ring[i + 1]!;
      if (ay > y !== by > y) xs.push(ax + ((y - ay) * (bx - ax)) / (by - ay));
    }
  }
  xs.sort((a, b) => a - b);
  let bestX = (box.minX + box.maxX) / 2;
  let width = -1;
  for (let i = 0; i + 1 < xs.length; i += 2) {
    const w = xs[i + 1]! - xs[i]!;
    if (w > width) {
      width = w;
      bestX = (xs[i]! + xs[i + 1]!) / 2;
    }
  }
  return at([bestX, y]);
}

const pieces = (m: ClipMultiPolygon): string => (m.length > 1 ? ` in ${m.length} pieces, the biggest` : '');

// ---------------------------------------------------------------------------------------------------
// Per-feature parsing
// ---------------------------------------------------------------------------------------------------

interface Parsed {
  index: number;
  /** the code if it is a usable string, for messages and lookups */
  code: string | null;
  label: string;
  props: {
    code: string;
    level: JurisdictionLevel;
    parentCode: string | null;
    names: { zh: string; en: string; bo: string };
  } | null;
  /** the level, when it alone is valid (for parent checks) */
  level: JurisdictionLevel | null;
  /** normalised geometry when the structure and coordinates are readable */
  geometry: AreaGeometry | null;
  /** geometry passed every per-feature check: fit for sibling checks */
  geometryOk: boolean;
  duplicate: boolean;
  /** parent_code as written, when it reads as a code (even if other properties are bad) */
  parentHint: string | null;
  /** the parent checks passed: the feature joins its siblings for the geometric checks */
  parentOk: boolean;
}

const CODE_RE = /^[0-9A-Za-z][0-9A-Za-z._-]*$/;

function parseProps(
  index: number,
  raw: unknown,
  problems: BoundaryProblem[],
): { props: Parsed['props']; code: string | null; level: JurisdictionLevel | null; parentCode: string | null } {
  const where = `feature ${index}`;
  if (!isRecord(raw)) {
    problems.push({ feature: index, code: null, kind: 'bad_properties', reason: `${where} has no properties; it needs code, level, parent_code and name_zh` });
    return { props: null, code: null, level: null, parentCode: null };
  }
  let ok = true;
  const bad = (reason: string, code: string | null): void => {
    ok = false;
    problems.push({ feature: index, code, kind: 'bad_properties', reason });
  };

  let code: string | null = null;
  const rawCode = raw['code'];
  if (typeof rawCode === 'string' && CODE_RE.test(rawCode)) code = rawCode;
  else if (typeof rawCode === 'number')
    bad(`${where}: code ${rawCode} is a number; store codes as text (numbers lose leading zeros), e.g. "${rawCode}"`, String(rawCode));
  else if (typeof rawCode === 'string' && rawCode.trim() === '') bad(`${where} has an empty code`, null);
  else if (typeof rawCode === 'string') bad(`${where}: code ${show(rawCode)} may only contain letters, digits, '.', '_' and '-' (no spaces)`, null);
  else bad(`${where} has no code (property "code")`, null);
  const label = code === null ? where : `${where} (${code})`;

  let level: JurisdictionLevel | null = null;
  const rawLevel = raw['level'];
  if (isLevel(rawLevel)) level = rawLevel;
  else bad(`${label}: level is ${show(rawLevel)}; it must be one of ${LEVELS.join(', ')}`, code);

  let parentCode: string | null = null;
  const rawParent = raw['parent_code'];
  if (rawParent === undefined || rawParent === null || (typeof rawParent === 'string' && rawParent.trim() === '')) parentCode = null;
  else if (typeof rawParent === 'string' && CODE_RE.test(rawParent)) parentCode = rawParent;
  else if (typeof rawParent === 'number')
    bad(`${label}: parent_code ${rawParent} is a number; store codes as text, e.g. "${rawParent}"`, code);
  else bad(`${label}: parent_code ${show(rawParent)} is not a code`, code);

  const name = (key: string, required: boolean): string | null => {
    const v = raw[key];
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
    if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) {
      if (required) bad(`${label} has no ${key} (the Chinese name)`, code);
      return null;
    }
    bad(`${label}: ${key} ${show(v)} is not text`, code);
    return null;
  };
  const zh = name('name_zh', true);
  const en = name('name_en', false);
  const bo = name('name_bo', false);

  if (!ok || code === null || level === null || zh === null) return { props: null, code, level, parentCode };
  return { props: { code, level, parentCode, names: { zh, en: en ?? zh, bo: bo ?? zh } }, code, level, parentCode };
}

/**
 * Read the geometry's structure and coordinates, then check each ring and polygon. Returns the
 * normalised geometry (positions cut to [lon, lat]) when every coordinate is readable, and whether all
 * the per-feature geometry checks passed.
 */
function parseGeometry(
  index: number,
  label: string,
  code: string | null,
  raw: unknown,
  toleranceM2: number,
  problems: BoundaryProblem[],
): { geometry: AreaGeometry | null; ok: boolean } {
  const fail = (kind: ProblemKind, reason: string): void => {
    problems.push({ feature: index, code, kind, reason });
  };
  if (!isRecord(raw)) {
    fail('bad_feature', `${label} has no geometry; it needs a Polygon or MultiPolygon`);
    return { geometry: null, ok: false };
  }
  const type = raw['type'];
  if (type !== 'Polygon' && type !== 'MultiPolygon') {
    fail('bad_feature', `${label} is a ${show(type)}; only Polygon and MultiPolygon boundaries can be imported`);
    return { geometry: null, ok: false };
  }
  const coords = raw['coordinates'];
  const multi = type === 'MultiPolygon';
  const rawPolys: unknown[] = multi ? (Array.isArray(coords) ? coords : []) : [coords];
  if (!Array.isArray(coords) || coords.length === 0) {
    fail('bad_feature', `${label}: its ${type} has no coordinates`);
    return { geometry: null, ok: false };
  }

  const ringName = (p: number, r: number): string =>
    `ring ${r + 1}${r > 0 ? ' (a hole)' : ''}${multi ? ` of part ${p + 1}` : ''} of ${label}`;

  let readable = true;
  let ok = true;
  const polys: Ring[][] = [];
  rawPolys.forEach((rawPoly, p) => {
    if (!Array.isArray(rawPoly) || rawPoly.length === 0) {
      fail('bad_feature', `${multi ? `part ${p + 1} of ` : ''}${label} has no rings`);
      readable = false;
      return;
    }
    const rings: Ring[] = [];
    rawPoly.forEach((rawRing, r) => {
      if (!Array.isArray(rawRing)) {
        fail('bad_feature', `${ringName(p, r)} is not a list of positions`);
        readable = false;
        return;
      }
      const ring: Ring = [];
      let firstBad: string | null = null;
      let badCount = 0;
      rawRing.forEach((pos, k) => {
        let why: string | null = null;
        if (!Array.isArray(pos) || pos.length < 2) why = `is ${show(pos)}, not a [lon, lat] pair`;
        else {
          const [lon, lat] = pos as unknown[];
          if (typeof lon !== 'number' || typeof lat !== 'number' || !Number.isFinite(lon) || !Number.isFinite(lat))
            why = `is ${show(lon)}, ${show(lat)}: both must be numbers`;
          else if (lon < -180 || lon > 180 || lat < -90 || lat > 90)
            why =
              `is ${lon}, ${lat}: longitude must be within -180..180 and latitude within -90..90` +
              (Math.abs(lon) > 1000 || Math.abs(lat) > 1000 ? ' (the file looks projected, in metres; export it as WGS-84, EPSG:4326)' : '');
          else ring.push([lon, lat]);
        }
        if (why !== null) {
          badCount++;
          firstBad ??= `position ${k + 1} of ${ringName(p, r)} ${why}`;
        }
      });
      if (firstBad !== null) {
        fail('bad_coordinate', badCount > 1 ? `${firstBad} (and ${badCount - 1} more bad positions in that ring)` : firstBad);
        readable = false;
        return;
      }
      rings.push(ring);
    });
    polys.push(rings);
  });
  if (!readable) return { geometry: null, ok: false };

  const geometry: AreaGeometry = multi ? { type: 'MultiPolygon', coordinates: polys } : { type: 'Polygon', coordinates: polys[0]! };

  // Per-ring checks. `open` holds the ring without its closing position and without repeated
  // consecutive positions (a doubled vertex is harmless); null for a ring that failed.
  const openRings: (Ring | null)[][] = polys.map((rings, p) =>
    rings.map((ring, r): Ring | null => {
      const name = ringName(p, r);
      if (ring.length < 4) {
        fail('too_few_points', `${name} has ${ring.length} position${ring.length === 1 ? '' : 's'}; a ring needs at least 4 (3 corners, then the first corner repeated to close it)`);
        return null;
      }
      const first = ring[0]!;
      const last = ring[ring.length - 1]!;
      if (!samePt(first, last)) {
        fail('unclosed_ring', `${name} is not closed: it starts at ${at(first)} but ends at ${at(last)}; repeat the first position at the end`);
        return null;
      }
      const open: Ring = [];
      for (const q of ring.slice(0, -1)) if (open.length === 0 || !samePt(open[open.length - 1]!, q)) open.push(q);
      while (open.length > 1 && samePt(open[0]!, open[open.length - 1]!)) open.pop();
      if (open.length < 3) {
        fail('too_few_points', `${name} has only ${open.length} distinct corner${open.length === 1 ? '' : 's'}; a ring needs at least 3`);
        return null;
      }
      const box = boxOfRing(open);
      if (box.maxX - box.minX > 180) {
        fail(
          'antimeridian',
          `${name} spans ${deg(box.maxX - box.minX)}° of longitude (${deg(box.minX)} to ${deg(box.maxX)}); boundaries crossing the 180° meridian are not supported — split the unit there or check for swapped or mistyped longitudes`,
        );
        return null;
      }
      if (isFlat(open)) {
        fail('empty_area', `${name} has no area: all its corners lie on one line`);
        return null;
      }
      const crossings = selfIntersections(open);
      if (crossings.length > 0) {
        const [firstX, ...more] = crossings;
        const extra = more.length > 0 ? ` (and at ${more.length} more place${more.length === 1 ? '' : 's'}, e.g. ${at(more[0]!)})` : '';
        fail('self_intersection', `${name} crosses itself at ${at(firstX!)}${extra}`);
        return null;
      }
      return open;
    }),
  );
  if (openRings.some((rings) => rings.some((r) => r === null))) return { geometry, ok: false };

  // Per-polygon checks: holes inside the shell and apart from each other, something left after the holes.
  const good = openRings as Ring[][];
  good.forEach((rings, p) => {
    const [shell, ...holes] = rings as [Ring, ...Ring[]];
    const part = multi ? `part ${p + 1} of ${label}` : label;

    // Hole vs shell and hole vs hole crossings, from one sweep over all the polygon's edges.
    const reported = new Set<string>();
    sweepEdgePairs(rings, (e, f) => {
      if (e.ring === f.ring) return true;
      const c = contact(e.a, e.b, f.a, f.b);
      if (c === null || c.kind === 'touch') return true; // rings may touch at single points
      const [lo, hi] = e.ring < f.ring ? [e.ring, f.ring] : [f.ring, e.ring];
      const key = `${lo},${hi}`;
      if (reported.has(key)) return true;
      reported.add(key);
      const how = c.kind === 'cross' ? `crosses ring ${lo + 1} at ${at(c.at)}` : `runs along ring ${lo + 1} near ${at(c.at)}`;
      if (lo === 0) {
        ok = false;
        fail('hole_outside_shell', `ring ${hi + 1} (a hole) of ${part} ${how}; a hole must lie inside its outer ring (ring 1)`);
      } else {
        ok = false;
        fail('self_intersection', `ring ${hi + 1} (a hole) of ${part} ${how} (another hole); holes must not overlap`);
      }
      return true;
    });

    holes.forEach((hole, h) => {
      const r = h + 1;
      if (reported.has(`0,${r}`)) return;
      // No crossings, so the hole is either inside or outside the shell: one vertex (or, if all its
      // vertices sit on the shell, one edge midpoint) decides.
      const probe = [...hole, ...hole.map((a, i): Pt => { const b = hole[(i + 1) % hole.length]!; return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2]; })];
      const outside = probe.find((q) => ringSide(shell, q) < 0);
      if (outside) {
        ok = false;
        fail('hole_outside_shell', `ring ${r + 1} (a hole) of ${part} lies outside its outer ring (ring 1), e.g. at ${at(outside)}; a hole must lie inside it`);
      }
    });
    for (let h = 0; h < holes.length; h++) {
      for (let k = 0; k < holes.length; k++) {
        if (h === k || reported.has(`${Math.min(h, k) + 1},${Math.max(h, k) + 1}`)) continue;
        const inner = holes[h]!;
        const outer = holes[k]!;
        const probe = inner.find((q) => ringSide(outer, q) !== 0);
        if (probe && ringSide(outer, probe) > 0) {
          ok = false;
          fail('self_intersection', `ring ${h + 2} (a hole) of ${part} lies inside ring ${k + 2} (another hole), e.g. at ${at(probe)}; holes must not overlap`);
        }
      }
    }

    const area = ringAreaM2(shell) - holes.reduce((s, hole) => s + ringAreaM2(hole), 0);
    if (ok && area <= 1e-6) {
      ok = false;
      fail('empty_area', `${part} has no area left once its holes are cut out (${m2(Math.max(0, area))})`);
    }
  });

  // MultiPolygon parts must not overlap each other (sharing an edge or a corner is fine).
  if (ok && multi && good.length > 1) {
    const clips = good.map((rings): ClipPolygon => rings.map((ring) => [...ring, ring[0]!]));
    const boxes = good.map((rings) => boxOfRing(rings[0]!));
    for (let i = 0; i < good.length; i++) {
      for (let j = i + 1; j < good.length; j++) {
        if (!boxesMeet(boxes[i]!, boxes[j]!)) continue;
        let inter: ClipMultiPolygon;
        try {
          inter = polygonClipping.intersection(clips[i]!, clips[j]!);
        } catch (e) {
          ok = false;
          fail('self_intersection', `could not compare parts ${i + 1} and ${j + 1} of ${label} (geometry engine: ${engineError(e)}); check them for tiny slivers or near-duplicate corners`);
          continue;
        }
        const area = clipArea(inter);
        if (area > toleranceM2) {
          ok = false;
          fail('self_intersection', `parts ${i + 1} and ${j + 1} of ${label} overlap by ${m2(area)}${pieces(inter)} around ${whereIs(inter)}; merge them or cut one back`);
        }
      }
    }
  }
  return { geometry, ok };
}

/**
 * Where a ring (open, no repeated consecutive vertices) meets itself: non-adjacent edges touching or
 * crossing, or adjacent edges folding back over each other. At most 50 points.
 */
function selfIntersections(ring: Ring): Pt[] {
  const n = ring.length;
  const found: Pt[] = [];
  sweepEdgePairs([ring], (e, f) => {
    const d = Math.abs(e.i - f.i);
    const adjacent = d === 1 || d === n - 1;
    const c = contact(e.a, e.b, f.a, f.b);
    if (c === null) return true;
    if (adjacent) {
      if (c.kind === 'overlap') found.push(c.at); // a spike: the ring doubles back on itself
    } else found.push(c.at);
    return found.length < 50;
  });
  found.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return found.filter((p, i) => i === 0 || Math.abs(p[0] - found[i - 1]![0]) > 1e-9 || Math.abs(p[1] - found[i - 1]![1]) > 1e-9);
}

const engineError = (e: unknown): string => (e instanceof Error ? e.message : String(e));

// ---------------------------------------------------------------------------------------------------
// The plan
// ---------------------------------------------------------------------------------------------------

const ACCEPTED_CRS = /(^|[^0-9])(4326|4490|CRS84)$/i;

function readFeatures(input: unknown, problems: BoundaryProblem[]): unknown[] | null {
  const file = (kind: ProblemKind, reason: string): null => {
    problems.push({ feature: null, code: null, kind, reason });
    return null;
  };
  let doc = input;
  if (typeof doc === 'string') {
    try {
      doc = JSON.parse(doc) as unknown;
    } catch {
      return file('not_geojson', 'the file is not JSON, so it cannot be GeoJSON; export the boundaries from your GIS as GeoJSON (WGS-84, EPSG:4326)');
    }
  }
  if (!isRecord(doc)) return file('not_geojson', `the file is not a GeoJSON object (found ${Array.isArray(doc) ? 'a list' : show(doc)}); it must be a FeatureCollection`);
  const crs = doc['crs'];
  if (isRecord(crs) && isRecord(crs['properties']) && typeof crs['properties']['name'] === 'string') {
    const name = crs['properties']['name'];
    if (!ACCEPTED_CRS.test(name.trim()))
      return file('not_geojson', `the file says its coordinates are in ${name}; export it as WGS-84 longitude/latitude (EPSG:4326)`);
  }
  const type = doc['type'];
  if (type === 'Feature') return [doc];
  if (type === 'Polygon' || type === 'MultiPolygon')
    return file('not_geojson', `the file is a bare ${type} with no properties; wrap it in a Feature with code, level, parent_code and name_zh`);
  if (type !== 'FeatureCollection') return file('not_geojson', `the file's "type" is ${show(type)}; a boundary file must be a GeoJSON FeatureCollection`);
  const features = doc['features'];
  if (!Array.isArray(features)) return file('not_geojson', 'the FeatureCollection has no "features" list');
  if (features.length === 0) return file('not_geojson', 'the FeatureCollection has no features');
  return features;
}

interface Member {
  code: string;
  geometry: AreaGeometry | null;
  /** file index, or null for a stored unit */
  feature: number | null;
  box: Box | null;
}

const whoIs = (m: Member): string => (m.feature === null ? `${m.code} (already stored)` : `${m.code} (feature ${m.feature})`);

/** Check a boundary file against itself and the stored units. See the file comment for the rules. */
export function planBoundaryImport(input: unknown, existing: ExistingUnit[], options: BoundaryImportOptions = {}): BoundaryPlan {
  const toleranceM2 = options.toleranceM2 ?? 1;
  const gapLevels = new Set(options.gapCheckLevels ?? DEFAULT_GAP_CHECK_LEVELS);
  const problems: BoundaryProblem[] = [];
  const features = readFeatures(input, problems);
  if (features === null) return { units: [], problems };

  const stored = new Map<string, ExistingUnit>();
  for (const u of existing) if (!stored.has(u.code)) stored.set(u.code, u);

  // 1. Features, properties, geometry.
  const parsed: Parsed[] = features.map((raw, index): Parsed => {
    if (!isRecord(raw) || raw['type'] !== 'Feature') {
      problems.push({ feature: index, code: null, kind: 'bad_feature', reason: `feature ${index} is ${isRecord(raw) ? `a ${show(raw['type'])}` : show(raw)}, not a GeoJSON Feature` });
      return { index, code: null, label: `feature ${index}`, props: null, level: null, geometry: null, geometryOk: false, duplicate: false, parentHint: null, parentOk: false };
    }
    const { props, code, level, parentCode } = parseProps(index, raw['properties'], problems);
    const label = code === null ? `feature ${index}` : `feature ${index} (${code})`;
    const { geometry, ok } = parseGeometry(index, label, code, raw['geometry'], toleranceM2, problems);
    return { index, code, label, props, level, geometry, geometryOk: ok, duplicate: false, parentHint: parentCode, parentOk: true };
  });

  // 2. Codes: unique in the file; a stored code keeps its level.
  const byCode = new Map<string, Parsed>();
  for (const f of parsed) {
    if (f.code === null) continue;
    const first = byCode.get(f.code);
    if (first) {
      f.duplicate = true;
      problems.push({
        feature: f.index,
        code: f.code,
        kind: 'duplicate_code',
        reason: `${f.label} repeats code ${f.code}, already used by feature ${first.index}; each unit must appear once`,
        other: f.code,
      });
      continue;
    }
    byCode.set(f.code, f);
    const old = stored.get(f.code);
    if (old && f.level !== null && old.level !== f.level)
      problems.push({
        feature: f.index,
        code: f.code,
        kind: 'bad_properties',
        reason: `${f.label} is given as a ${f.level}, but ${f.code} is already stored as a ${old.level}; a code cannot change level (use a new code)`,
      });
  }
  const inFile = (code: string): boolean => byCode.has(code);

  // 3. Parents.
  let topIndex = Infinity;
  for (const f of parsed) if (f.level !== null) topIndex = Math.min(topIndex, levelIndex(f.level));
  for (const u of existing) if (!inFile(u.code)) topIndex = Math.min(topIndex, levelIndex(u.level));
  for (const f of parsed) {
    if (f.duplicate || f.props === null) continue;
    const { level, parentCode } = f.props;
    const li = levelIndex(level);
    const wanted = li > 0 ? LEVELS[li - 1]! : null;
    if (parentCode === null) {
      if (li > topIndex) {
        f.parentOk = false;
        problems.push({
          feature: f.index,
          code: f.code,
          kind: 'bad_properties',
          reason: `${f.label} has no parent_code; a ${level} needs its ${wanted} as parent (only the top level, ${LEVELS[topIndex]}, may have none)`,
        });
      }
      continue;
    }
    if (wanted === null) {
      f.parentOk = false;
      problems.push({
        feature: f.index,
        code: f.code,
        kind: 'wrong_parent_level',
        reason: `${f.label} is a city, the top level, but has parent_code ${parentCode}; leave parent_code empty`,
        other: parentCode,
      });
      continue;
    }
    const fileParent = byCode.get(parentCode);
    const parentLevel = fileParent ? fileParent.level : (stored.get(parentCode)?.level ?? null);
    if (!fileParent && !stored.has(parentCode)) {
      f.parentOk = false;
      problems.push({
        feature: f.index,
        code: f.code,
        kind: 'unknown_parent',
        reason: `${f.label}: parent_code ${parentCode} matches no feature in this file and no stored unit`,
        other: parentCode,
      });
    } else if (parentLevel !== null && parentLevel !== wanted) {
      f.parentOk = false;
      problems.push({
        feature: f.index,
        code: f.code,
        kind: 'wrong_parent_level',
        reason: `${f.label} is a ${level}, so its parent must be a ${wanted}, but ${parentCode} is a ${parentLevel}`,
        other: parentCode,
      });
    }
  }

  // 4. Siblings after the import: the file's units plus the stored units the file does not replace.
  const fileMember = (f: Parsed): Member => ({
    code: f.code!,
    geometry: f.geometryOk ? f.geometry : null,
    feature: f.index,
    box: f.geometryOk && f.geometry ? boxOfGeometry(f.geometry) : null,
  });
  const storedMember = (u: ExistingUnit): Member => ({ code: u.code, geometry: u.geometry, feature: null, box: u.geometry ? boxOfGeometry(u.geometry) : null });
  const groups = new Map<string | null, Member[]>();
  const push = (key: string | null, m: Member): void => {
    const g = groups.get(key);
    if (g) g.push(m);
    else groups.set(key, [m]);
  };
  const usable = parsed.filter((f) => !f.duplicate && f.props !== null);
  // Parents that some unusable feature (repeated code, bad properties, bad parent) may have been meant
  // for: their children's coverage is unknown, so their gap check is skipped.
  const uncertain = new Set<string>();
  for (const f of parsed) {
    if (!f.duplicate && f.props !== null && f.parentOk) push(f.props.parentCode, fileMember(f));
    else if (f.parentHint !== null) uncertain.add(f.parentHint);
  }
  for (const u of stored.values()) if (!inFile(u.code)) push(u.parentCode, storedMember(u));

  /** The parent as it will be after the import; geometry null when unknown or invalid. */
  const parentOf = (code: string): Member | null => {
    const f = byCode.get(code);
    if (f) return f.duplicate || f.code === null ? null : fileMember(f);
    const u = stored.get(code);
    return u ? storedMember(u) : null;
  };

  const clip = <T>(run: () => T, onError: (e: unknown) => void): T | null => {
    try {
      return run();
    } catch (e) {
      onError(e);
      return null;
    }
  };
  for (const [parentCode, members] of groups) {
    const withShape = members.filter((m) => m.geometry !== null);
    const clips = new Map(withShape.map((m) => [m.code, toClip(m.geometry!)]));

    // 4a. Overlaps between siblings (pairs with at least one unit from the file). Sweep on x to skip
    // pairs whose boxes cannot meet.
    const sorted = [...withShape].sort((a, b) => a.box!.minX - b.box!.minX);
    for (let i = 0; i < sorted.length; i++) {
      const a = sorted[i]!;
      for (let j = i + 1; j < sorted.length; j++) {
        const b = sorted[j]!;
        if (b.box!.minX > a.box!.maxX) break;
        if (a.feature === null && b.feature === null) continue;
        if (!boxesMeet(a.box!, b.box!)) continue;
        const [first, second] = a.feature === null || (b.feature !== null && b.feature < a.feature) ? [b, a] : [a, b];
        const inter = clip(
          () => polygonClipping.intersection(clips.get(first.code)!, clips.get(second.code)!),
          (e) =>
            problems.push({
              feature: first.feature,
              code: first.code,
              kind: 'overlap',
              reason: `could not compare ${whoIs(first)} with ${whoIs(second)} (geometry engine: ${engineError(e)}); check both shapes for tiny slivers or near-duplicate corners`,
              other: second.code,
            }),
        );
        if (inter === null) continue;
        const area = clipArea(inter);
        if (area > toleranceM2)
          problems.push({
            feature: first.feature,
            code: first.code,
            kind: 'overlap',
            reason: `${whoIs(first)} overlaps its sibling ${whoIs(second)} by ${m2(area)}${pieces(inter)} around ${whereIs(inter)}`,
            areaM2: area,
            other: second.code,
          });
      }
    }

    if (parentCode === null) continue;
    const parent = parentOf(parentCode);
    if (parent === null || parent.geometry === null) continue;
    const parentClip = toClip(parent.geometry);
    const parentLevel = byCode.get(parentCode)?.level ?? stored.get(parentCode)?.level ?? null;

    // 4b. Children sticking out of their parent (children from the file, or any child of a parent from the file).
    for (const m of withShape) {
      if (m.feature === null && parent.feature === null) continue;
      const out = clip(
        () => polygonClipping.difference(clips.get(m.code)!, parentClip),
        (e) =>
          problems.push({
            feature: m.feature ?? parent.feature,
            code: m.code,
            kind: 'outside_parent',
            reason: `could not compare ${whoIs(m)} with its parent ${whoIs(parent)} (geometry engine: ${engineError(e)})`,
            other: parent.code,
          }),
      );
      if (out === null) continue;
      const area = clipArea(out);
      if (area > toleranceM2)
        problems.push({
          feature: m.feature ?? parent.feature,
          code: m.code,
          kind: 'outside_parent',
          reason: `${whoIs(m)} sticks out of its parent ${whoIs(parent)} by ${m2(area)}${pieces(out)} around ${whereIs(out)}`,
          areaM2: area,
          other: parent.code,
        });
    }

    // 4c. Gaps: the children must cover the parent (only levels in gapCheckLevels, only when the file
    // brings at least one child, only when every child's shape is known and valid).
    if (parentLevel === null || !gapLevels.has(parentLevel)) continue;
    if (!members.some((m) => m.feature !== null) || uncertain.has(parentCode)) continue;
    if (withShape.length !== members.length) continue;
    const gap = clip(
      () => polygonClipping.difference(parentClip, ...withShape.map((m) => clips.get(m.code)!)),
      (e) =>
        problems.push({
          feature: parent.feature,
          code: parent.code,
          kind: 'gap',
          reason: `could not check that the children of ${whoIs(parent)} cover it (geometry engine: ${engineError(e)})`,
        }),
    );
    if (gap === null) continue;
    const area = clipArea(gap);
    if (area > toleranceM2)
      problems.push({
        feature: parent.feature,
        code: parent.code,
        kind: 'gap',
        reason: `${members.length === 1 ? 'the only child' : `the ${members.length} children`} of ${whoIs(parent)} leave${members.length === 1 ? 's' : ''} ${m2(area)} of it uncovered${pieces(gap)} around ${whereIs(gap)}; every part of a ${parentLevel} must belong to one of its children`,
        areaM2: area,
      });
  }

  // 5. Units, parents first (by level, then file order).
  const units: ImportUnit[] = usable
    .filter((f) => f.geometryOk && f.geometry !== null)
    .sort((a, b) => levelIndex(a.props!.level) - levelIndex(b.props!.level) || a.index - b.index)
    .map((f): ImportUnit => {
      const p = f.props!;
      return {
        code: p.code,
        level: p.level,
        parentCode: p.parentCode,
        names: p.names,
        geometry: f.geometry!,
        areaM2: geodesicAreaM2(f.geometry!),
        replaces: stored.has(p.code),
      };
    });

  problems.sort((a, b) => (a.feature ?? -1) - (b.feature ?? -1));
  return { units, problems };
}
