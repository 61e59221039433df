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
//
// Limits. Whoever sends the file controls how much work these checks do, and they run on the server's
// one thread, so every step is bounded (BOUNDARY_LIMITS). A file with too many features or vertices is
// refused before any geometry is looked at; the pairwise work (edges against edges, points against rings,
// and above all polygon-clipping, ~20 µs per vertex) has a budget per file, and the clipping a file needs
// is added up before the first call. Over a limit, planBoundaryImport throws a 400 DomainError with a
// stable code (boundary_too_many_features, boundary_too_many_vertices, boundary_feature_too_large,
// boundary_too_complex) rather than returning problems: the file is not worth checking further.

import Flatbush from 'flatbush';
import polygonClipping from 'polygon-clipping';
import type { MultiPolygon as ClipMultiPolygon, Pair, Polygon as ClipPolygon } from 'polygon-clipping';
import { invalid } from '../domain/errors.js';
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
  /** How much pairwise work one file may take (default BOUNDARY_LIMITS; a server uses ONLINE_BOUNDARY_LIMITS). */
  limits?: BoundaryLimits;
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

/**
 * How much one file may ask of the checks. Real boundaries are far inside: a subdistrict has hundreds to a
 * few thousand vertices, a city file hundreds of features; the Najin demo (32 units, about 570 positions)
 * needs about 1,700 edge tests and 3,300 clipped vertices. A city's grids are best imported level by level
 * anyway (each level is checked against the stored one above it).
 */
export const BOUNDARY_LIMITS = {
  /** Features in one file. */
  maxFeatures: 10_000,
  /** Positions in one file, all rings of all features. */
  maxVertices: 2_000_000,
  /** Positions in one feature. */
  maxFeatureVertices: 200_000,
  /** Rings in one feature (outer rings and holes of all its parts). */
  maxFeatureRings: 2_000,
  /**
   * Edge-against-edge and point-against-edge tests for the whole file (self-intersections, holes). A
   * plausible ring needs a few per vertex; a comb of long parallel diagonal edges needs n². About 1.5 s.
   */
  maxEdgeTests: 20_000_000,
  /**
   * Vertices passed to polygon-clipping for the whole file (overlaps, overhangs, gaps, MultiPolygon parts),
   * counted before the first call. Some 300 detailed features (1,500 positions each) need about 3 million;
   * at ~20 µs a vertex the limit is about 80 s of work, and a file planning more is refused at once.
   */
  maxClipVertices: 4_000_000,
};

export type BoundaryLimits = typeof BOUNDARY_LIMITS;

/**
 * The budget of an import that runs inside a server's request (POST /admin/boundaries): the checks run on
 * the event loop, so the pairwise work is held to a few seconds; larger files go through the CLI
 * (`gridline import boundaries`), which runs offline with BOUNDARY_LIMITS.
 */
export const ONLINE_BOUNDARY_LIMITS: BoundaryLimits = { ...BOUNDARY_LIMITS, maxEdgeTests: 10_000_000, maxClipVertices: 250_000 };

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

const count = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** The pairwise work left for one file (BOUNDARY_LIMITS); over it, the file is refused as too complex. */
class Budget {
  private edgeTests = 0;
  private clipVertices = 0;

  constructor(private readonly limits: BoundaryLimits) {}

  /** `what` is only worded when the budget runs out. */
  edges(n: number, what: () => string): void {
    this.edgeTests += n;
    if (this.edgeTests > this.limits.maxEdgeTests)
      throw invalid(
        'features',
        `checking ${what()} takes more than ${count(this.limits.maxEdgeTests)} edge comparisons, the most Gridline does for one file here; the shape has very many long edges side by side (a comb or zig-zag?) — simplify it, or import it in smaller files`,
        'boundary_too_complex',
      );
  }

  clip(n: number, what: () => string): void {
    this.clipVertices += n;
    if (this.clipVertices > this.limits.maxClipVertices)
      throw invalid(
        'features',
        `comparing the shapes in this file would pass more than ${count(this.limits.maxClipVertices)} vertices through the geometry engine (the count passed it at ${what()}), the most Gridline does for one file here; usually many siblings whose extents overlap (a layer exported twice?) or very detailed shapes — simplify them, import the file in smaller parts (a level or a district at a time), or with the command line (gridline import boundaries), which allows more`,
        'boundary_too_complex',
      );
  }
}

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
 * returns false to stop. Pairs come in sweep order: by the west end of the later edge, then of the earlier
 * one. A packed R-tree over the edges finds the candidates, so the work grows with the pairs whose boxes
 * actually meet (a few per edge for a real boundary, including combs of long east-west edges), not with
 * the edges a sweep line crosses; each candidate is charged to the budget, which refuses the n² pairs of
 * a comb of long parallel diagonal edges.
 */
function sweepEdgePairs(rings: readonly Ring[], budget: Budget, what: () => string, visit: (e: Edge, f: Edge) => boolean): void {
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
  if (edges.length === 0) return;
  edges.sort((e, f) => e.minX - f.minX);
  const index = new Flatbush(edges.length);
  for (const e of edges) index.add(e.minX, e.minY, e.maxX, e.maxY);
  index.finish();
  for (let k = 0; k < edges.length; k++) {
    const e = edges[k]!;
    let found = 0;
    // Only earlier edges (ids are sweep positions), so each pair comes once.
    const earlier = index.search(e.minX, e.minY, e.maxX, e.maxY, (id) => {
      found++;
      return id < k;
    });
    budget.edges(found, what);
    // Back into sweep order; a typed array sorts numbers without a comparator call per step.
    for (const id of Uint32Array.from(earlier).sort()) if (!visit(edges[id]!, e)) return;
  }
}

/**
 * Where points lie against one open ring: 1 inside, 0 on the boundary, -1 outside (even-odd). An R-tree
 * over the ring's edges finds the ones that can matter for a point (its ray eastwards meets their box), so
 * a point costs about log n plus the edges that ray crosses, not n; the candidates are charged to the budget.
 */
class RingIndex {
  private readonly index: Flatbush;
  private readonly maxX: number;

  constructor(
    private readonly ring: readonly Pt[],
    private readonly budget: Budget,
    private readonly what: () => string,
  ) {
    const n = ring.length;
    this.index = new Flatbush(n);
    let maxX = -Infinity;
    // Edge i runs from vertex i back to vertex i-1.
    for (let i = 0; i < n; i++) {
      const a = ring[i]!;
      const b = ring[(i + n - 1) % n]!;
      this.index.add(Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[0], b[0]), Math.max(a[1], b[1]));
      maxX = Math.max(maxX, a[0]);
    }
    this.index.finish();
    this.maxX = maxX;
  }

  side(p: Pt): -1 | 0 | 1 {
    if (p[0] > this.maxX) return -1;
    const n = this.ring.length;
    let inside = false;
    let onEdge = false;
    let found = 0;
    this.index.search(p[0], p[1], this.maxX, p[1], (i) => {
      found++;
      if (onEdge) return false;
      const a = this.ring[i]!;
      const b = this.ring[(i + n - 1) % n]!;
      if (orient(a, b, p) === 0 && within(p, a, b)) onEdge = true;
      else if (a[1] > p[1] !== b[1] > p[1] && p[0] < ((b[0] - a[0]) * (p[1] - a[1])) / (b[1] - a[1]) + a[0]) inside = !inside;
      return false;
    });
    this.budget.edges(found, this.what);
    if (onEdge) return 0;
    return inside ? 1 : -1;
  }
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
  budget: Budget,
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
      const crossings = selfIntersections(open, budget, () => name);
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

    // Hole vs shell and hole vs hole crossings, from one sweep over all the polygon's edges (none to find
    // without holes: each ring's own pairs were checked above).
    const reported = new Set<string>();
    sweepEdgePairs(holes.length > 0 ? rings : [], budget, () => part, (e, f) => {
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

    const shellIndex = holes.length > 0 ? new RingIndex(shell, budget, () => part) : null;
    holes.forEach((hole, h) => {
      const r = h + 1;
      if (reported.has(`0,${r}`)) return;
      // No crossings, so the hole is either inside or outside the shell: one vertex (or, if all its
      // vertices sit on the shell, one edge midpoint) decides.
      const probe = [...hole, ...hole.map((a, i): Pt => { const b = hole[(i + 1) % hole.length]!; return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2]; })];
      const outside = probe.find((q) => shellIndex!.side(q) < 0);
      if (outside) {
        ok = false;
        fail('hole_outside_shell', `ring ${r + 1} (a hole) of ${part} lies outside its outer ring (ring 1), e.g. at ${at(outside)}; a hole must lie inside it`);
      }
    });
    const holeBoxes = holes.map((hole) => boxOfRing(hole));
    const holeIndexes: (RingIndex | undefined)[] = [];
    for (let h = 0; h < holes.length; h++) {
      for (let k = 0; k < holes.length; k++) {
        if (h === k || reported.has(`${Math.min(h, k) + 1},${Math.max(h, k) + 1}`)) continue;
        // The first vertex of hole h that is not on hole k decides whether h lies inside k. A vertex outside
        // k's box is neither, which settles most pairs without looking at k's edges.
        const outer = holeBoxes[k]!;
        let probe: Pt | undefined;
        for (const q of holes[h]!) {
          if (q[0] < outer.minX || q[0] > outer.maxX || q[1] < outer.minY || q[1] > outer.maxY) break;
          const side = (holeIndexes[k] ??= new RingIndex(holes[k]!, budget, () => part)).side(q);
          if (side === 0) continue;
          if (side > 0) probe = q;
          break;
        }
        if (probe) {
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
    const sizes = clips.map((poly) => poly.reduce((n, ring) => n + ring.length, 0));
    // The clipping this needs, counted before the first call.
    const pairs: [number, number][] = [];
    for (let i = 0; i < good.length; i++) {
      for (let j = i + 1; j < good.length; j++) {
        if (!boxesMeet(boxes[i]!, boxes[j]!)) continue;
        budget.clip(sizes[i]! + sizes[j]!, () => `the parts of ${label} against each other`);
        pairs.push([i, j]);
      }
    }
    for (const [i, j] of pairs) {
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
  return { geometry, ok };
}

/**
 * Where a ring (open, no repeated consecutive vertices) meets itself: non-adjacent edges touching or
 * crossing, or adjacent edges folding back over each other. At most 50 points.
 */
function selfIntersections(ring: Ring, budget: Budget, what: () => string): Pt[] {
  const n = ring.length;
  const found: Pt[] = [];
  sweepEdgePairs([ring], budget, what, (e, f) => {
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

/**
 * Refuse a file over the size limits before any geometry work: count features, rings and positions from
 * the bare structure (whatever the nesting holds, only array lengths are read).
 */
function checkSize(features: unknown[]): void {
  const L = BOUNDARY_LIMITS;
  if (features.length > L.maxFeatures)
    throw invalid('features', `the file has ${count(features.length)} features; at most ${count(L.maxFeatures)} can be imported at once — split it (a level or a district at a time)`, 'boundary_too_many_features');
  let total = 0;
  features.forEach((raw, index) => {
    const geometry = isRecord(raw) ? raw['geometry'] : undefined;
    if (!isRecord(geometry) || !Array.isArray(geometry['coordinates'])) return;
    const polys: unknown[] = geometry['type'] === 'MultiPolygon' ? geometry['coordinates'] : [geometry['coordinates']];
    let rings = 0;
    let vertices = 0;
    for (const poly of polys) {
      if (!Array.isArray(poly)) continue;
      rings += poly.length;
      for (const ring of poly) if (Array.isArray(ring)) vertices += ring.length;
    }
    const props = isRecord(raw) ? raw['properties'] : undefined;
    const rawCode = isRecord(props) ? props['code'] : undefined;
    const code = typeof rawCode === 'string' && rawCode.length <= 64 && CODE_RE.test(rawCode) ? ` (${rawCode})` : '';
    if (vertices > L.maxFeatureVertices || rings > L.maxFeatureRings)
      throw invalid(
        'features',
        `feature ${index}${code} has ${count(vertices)} positions in ${count(rings)} ring${rings === 1 ? '' : 's'}; one feature may have at most ${count(L.maxFeatureVertices)} positions and ${count(L.maxFeatureRings)} rings — simplify it (a tolerance of a metre or so keeps every real corner)`,
        'boundary_feature_too_large',
      );
    total += vertices;
  });
  if (total > L.maxVertices)
    throw invalid('features', `the file has ${count(total)} positions; at most ${count(L.maxVertices)} can be imported at once — split it, or simplify the shapes`, 'boundary_too_many_vertices');
}

/** Positions in a geometry, all rings of all parts: what polygon-clipping has to chew through. */
function vertexCount(g: AreaGeometry): number {
  let n = 0;
  for (const poly of polygonsOf(g)) for (const ring of poly) n += ring.length;
  return n;
}

interface Member {
  code: string;
  geometry: AreaGeometry | null;
  /** file index, or null for a stored unit */
  feature: number | null;
  box: Box | null;
  /** positions in geometry (0 without one) */
  vertices: number;
}

/** One group of siblings' clipping, planned before any of it runs. */
interface GroupWork {
  withShape: Member[];
  /** 4a: sibling pairs whose boxes meet, at least one from the file; the earlier feature first */
  pairs: [Member, Member][];
  /** the parent, when its shape is known */
  parent: Member | null;
  parentLevel: JurisdictionLevel | null;
  /** 4b: children to compare with the parent */
  outside: Member[];
  /** 4c: check that the children cover the parent */
  gap: boolean;
  /** the number of siblings, shaped or not */
  members: number;
}

const whoIs = (m: Member): string => (m.feature === null ? `${m.code} (already stored)` : `${m.code} (feature ${m.feature})`);

/** Check a boundary file against itself and the stored units. See the file comment for the rules. */
export function planBoundaryImport(input: unknown, existing: ExistingUnit[], options: BoundaryImportOptions = {}): BoundaryPlan {
  const toleranceM2 = options.toleranceM2 ?? 1;
  const gapLevels = new Set(options.gapCheckLevels ?? DEFAULT_GAP_CHECK_LEVELS);
  const problems: BoundaryProblem[] = [];
  const features = readFeatures(input, problems);
  if (features === null) return { units: [], problems };
  checkSize(features);
  const budget = new Budget(options.limits ?? BOUNDARY_LIMITS);

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
    const { geometry, ok } = parseGeometry(index, label, code, raw['geometry'], toleranceM2, problems, budget);
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
    vertices: f.geometryOk && f.geometry ? vertexCount(f.geometry) : 0,
  });
  const storedMember = (u: ExistingUnit): Member => ({
    code: u.code,
    geometry: u.geometry,
    feature: null,
    box: u.geometry ? boxOfGeometry(u.geometry) : null,
    vertices: u.geometry ? vertexCount(u.geometry) : 0,
  });
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
  // The clipping the sibling checks need, planned and counted against the budget before the first call.
  const work: GroupWork[] = [];
  for (const [parentCode, members] of groups) {
    const withShape = members.filter((m) => m.geometry !== null);

    // 4a. Overlaps between siblings (pairs with at least one unit from the file). Sweep on x to skip
    // pairs whose boxes cannot meet.
    const pairs: [Member, Member][] = [];
    const sorted = [...withShape].sort((a, b) => a.box!.minX - b.box!.minX);
    for (let i = 0; i < sorted.length; i++) {
      const a = sorted[i]!;
      for (let j = i + 1; j < sorted.length; j++) {
        const b = sorted[j]!;
        if (b.box!.minX > a.box!.maxX) break;
        if (a.feature === null && b.feature === null) continue;
        if (!boxesMeet(a.box!, b.box!)) continue;
        const [first, second] = a.feature === null || (b.feature !== null && b.feature < a.feature) ? [b, a] : [a, b];
        budget.clip(first.vertices + second.vertices, () => `${whoIs(first)} against its sibling ${whoIs(second)}`);
        pairs.push([first, second]);
      }
    }

    const found = parentCode === null ? null : parentOf(parentCode);
    const parent = found !== null && found.geometry !== null ? found : null;
    if (parent === null) {
      work.push({ withShape, pairs, parent: null, parentLevel: null, outside: [], gap: false, members: members.length });
      continue;
    }
    const parentLevel = byCode.get(parentCode!)?.level ?? stored.get(parentCode!)?.level ?? null;
    // 4b. Children sticking out of their parent (children from the file, or any child of a parent from the file).
    const outside = withShape.filter((m) => m.feature !== null || parent.feature !== null);
    for (const m of outside) budget.clip(m.vertices + parent.vertices, () => `${whoIs(m)} against its parent ${whoIs(parent)}`);
    // 4c. Gaps: the children must cover the parent (only levels in gapCheckLevels, only when the file
    // brings at least one child, only when every child's shape is known and valid).
    const gap =
      parentLevel !== null &&
      gapLevels.has(parentLevel) &&
      members.some((m) => m.feature !== null) &&
      !uncertain.has(parentCode!) &&
      withShape.length === members.length;
    if (gap) budget.clip(withShape.reduce((n, m) => n + m.vertices, parent.vertices), () => `the children of ${whoIs(parent)} against it`);
    work.push({ withShape, pairs, parent, parentLevel, outside, gap, members: members.length });
  }

  for (const { withShape, pairs, parent, parentLevel, outside, gap, members } of work) {
    const clips = new Map(withShape.map((m) => [m.code, toClip(m.geometry!)]));

    // 4a.
    for (const [first, second] of pairs) {
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

    if (parent === null) continue;
    const parentClip = toClip(parent.geometry!);

    // 4b.
    for (const m of outside) {
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

    // 4c.
    if (!gap) continue;
    const uncovered = clip(
      () => polygonClipping.difference(parentClip, ...withShape.map((m) => clips.get(m.code)!)),
      (e) =>
        problems.push({
          feature: parent.feature,
          code: parent.code,
          kind: 'gap',
          reason: `could not check that the children of ${whoIs(parent)} cover it (geometry engine: ${engineError(e)})`,
        }),
    );
    if (uncovered === null) continue;
    const area = clipArea(uncovered);
    if (area > toleranceM2)
      problems.push({
        feature: parent.feature,
        code: parent.code,
        kind: 'gap',
        reason: `${members === 1 ? 'the only child' : `the ${members} children`} of ${whoIs(parent)} leave${members === 1 ? 's' : ''} ${m2(area)} of it uncovered${pieces(uncovered)} around ${whereIs(uncovered)}; every part of a ${parentLevel} must belong to one of its children`,
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
