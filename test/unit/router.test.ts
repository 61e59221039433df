import { describe, it, expect } from 'vitest';
import { Router } from '../../src/geo/router.js';
import { containsPoint, packArea, packedContains, type AreaGeometry, type Position } from '../../src/geo/polygon.js';
import { METRES_PER_DEGREE, metresPerDegreeLon, pointToGeometryEdgeM, pointToSegmentM } from '../../src/geo/distance.js';
import { EARTH_RADIUS_M } from '../../src/geo/area.js';
import { LEVELS } from '../../src/domain/types.js';
import type { Jurisdiction } from '../../src/domain/records.js';
import {
  CHENGGUAN_CODE,
  ENCLAVE_GRID_CODE,
  HOLED_GRID_CODE,
  JURISDICTIONS,
  LHASA_CODE,
  MULTIPOLYGON_GRID_CODE,
  NAJIN_CODE,
  STREETS,
  ZHAXI_CODE,
} from '../../src/seed/najin-data.js';
import { mulberry32 } from '../../src/seed/prng.js';

// ---------------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------------

/** Seed jurisdictions as repository objects: id = code, path from the parents' codes. */
function buildUnits(): Jurisdiction[] {
  const byCode = new Map(JURISDICTIONS.map((j) => [j.code, j]));
  const pathOf = (code: string): string => {
    const j = byCode.get(code)!;
    return `${j.parentCode ? pathOf(j.parentCode) : ''}/${code}`;
  };
  return JURISDICTIONS.map((j) => ({
    id: j.code,
    code: j.code,
    level: j.level,
    parentId: j.parentCode,
    path: pathOf(j.code),
    names: j.names,
    geometry: j.geometry as AreaGeometry | null,
  }));
}

const UNITS = buildUnits();
const GRIDS = UNITS.filter((u) => u.level === 'grid');
const router = new Router(UNITS);
const unitOf = (code: string): Jurisdiction => UNITS.find((u) => u.code === code)!;

const rng = mulberry32;

function shuffled<T>(items: T[], seed: number): T[] {
  const r = rng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Move a point by metres east and north (the same local projection the router uses). */
function offset(lon: number, lat: number, eastM: number, northM: number): [number, number] {
  return [lon + eastM / metresPerDegreeLon(lat), lat + northM / METRES_PER_DEGREE];
}

/** Great-circle distance, written out independently of the module under test. */
function haversineM(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(h));
}

function ringsOf(g: AreaGeometry): Position[][] {
  return g.type === 'Polygon' ? g.coordinates : g.coordinates.flat();
}

/** Grid edges (undirected segments between consecutive vertices) and the grids that have them. */
function sharedSegments(): { a: Position; b: Position; codes: string[]; lengthM: number }[] {
  const segs = new Map<string, { a: Position; b: Position; codes: Set<string> }>();
  for (const g of GRIDS) {
    for (const ring of ringsOf(g.geometry!)) {
      for (let i = 0; i + 1 < ring.length; i++) {
        const a = ring[i]!;
        const b = ring[i + 1]!;
        const [ka, kb] = [a.join(','), b.join(',')];
        const key = ka < kb ? `${ka}|${kb}` : `${kb}|${ka}`;
        const seg = segs.get(key) ?? { a, b, codes: new Set<string>() };
        seg.codes.add(g.code);
        segs.set(key, seg);
      }
    }
  }
  return [...segs.values()]
    .filter((s) => s.codes.size === 2)
    .map((s) => ({ a: s.a, b: s.b, codes: [...s.codes].sort(), lengthM: haversineM(s.a[0]!, s.a[1]!, s.b[0]!, s.b[1]!) }));
}

/** Grid vertices shared by at least three grids (lattice nodes). */
function sharedVertices(): { p: Position; codes: string[] }[] {
  const vs = new Map<string, { p: Position; codes: Set<string> }>();
  for (const g of GRIDS) {
    for (const ring of ringsOf(g.geometry!)) {
      for (const p of ring) {
        const v = vs.get(p.join(',')) ?? { p, codes: new Set<string>() };
        v.codes.add(g.code);
        vs.set(p.join(','), v);
      }
    }
  }
  return [...vs.values()].filter((v) => v.codes.size >= 3).map((v) => ({ p: v.p, codes: [...v.codes].sort() }));
}

const gridsContaining = (lon: number, lat: number): string[] =>
  GRIDS.filter((g) => containsPoint(g.geometry!, lon, lat))
    .map((g) => g.code)
    .sort();

/**
 * The pre-index Router's deepest(), kept here as the reference behaviour: sort by deepest level then lowest
 * code, scan every bbox.
 */
function referenceDeepest(units: Jurisdiction[], lon: number, lat: number): Jurisdiction | undefined {
  const sorted = units
    .filter((u) => u.geometry)
    .sort((a, b) => LEVELS.indexOf(b.level) - LEVELS.indexOf(a.level) || a.code.localeCompare(b.code));
  return sorted.find((u) => containsPoint(u.geometry!, lon, lat));
}

// ---------------------------------------------------------------------------------------------------
// Distance helpers against hand computation
// ---------------------------------------------------------------------------------------------------

describe('distance helpers', () => {
  // R·π/180 = 6371008.8 × 0.0174532925199… = 111195.0802 m per degree.
  it('uses 111195.08 m per degree of latitude', () => {
    expect(METRES_PER_DEGREE).toBeCloseTo(111_195.0802, 3);
  });

  it('point to segment: perpendicular, scaled by cos(lat), and past an end', () => {
    // 0.001° north of the equator, above the middle of an east-west segment: 0.001 × 111195.08 = 111.195 m.
    expect(pointToSegmentM(0.5, 0.001, [0, 0], [1, 0])).toBeCloseTo(111.19508, 4);
    // At 60°N, 0.001° east of a north-south segment: 0.001 × cos 60° × 111195.08 = 55.5975 m.
    expect(pointToSegmentM(0.001, 60, [0, 59.9], [0, 60.1])).toBeCloseTo(55.59754, 4);
    // Past the end: the distance to the end point (1° along the equator).
    expect(pointToSegmentM(2, 0, [0, 0], [1, 0])).toBeCloseTo(111_195.08, 1);
    // 3-4-5 triangle from an end point: 0.0003° east and 0.0004° north at the equator = 0.0005° = 55.5975 m.
    expect(pointToSegmentM(-0.0003, 0.0004, [0, 0], [0, -1])).toBeCloseTo(55.59754, 4);
    // On the segment.
    expect(pointToSegmentM(0.25, 0, [0, 0], [1, 0])).toBe(0);
  });

  it('point to geometry edge counts holes and every MultiPolygon piece', () => {
    const square = (x0: number, y0: number, s: number): Position[] => [
      [x0, y0],
      [x0 + s, y0],
      [x0 + s, y0 + s],
      [x0, y0 + s],
      [x0, y0],
    ];
    const holed: AreaGeometry = { type: 'Polygon', coordinates: [square(0, 0, 0.01), square(0.004, 0.004, 0.002).reverse()] };
    // Centre of the hole: 0.001° to each hole edge = 111.195 m.
    expect(pointToGeometryEdgeM(holed, 0.005, 0.005)).toBeCloseTo(111.19508, 4);
    // Between the outer west edge (0.0025° away) and the hole's west edge (0.0015° away): 0.0015 × 111195.08 = 166.79 m.
    expect(pointToGeometryEdgeM(holed, 0.0025, 0.005)).toBeCloseTo(166.79262, 4);
    const multi: AreaGeometry = { type: 'MultiPolygon', coordinates: [[square(0, 0, 0.001)], [square(0.01, 0, 0.001)]] };
    // 0.0005° west of the second piece, 0.0085° east of the first.
    expect(pointToGeometryEdgeM(multi, 0.0095, 0.0005)).toBeCloseTo(55.59754, 4);
  });
});

/**
 * An independent, plain even-odd reference (the textbook crossing test over nested arrays, with the
 * same 1e-12° on-edge tolerance), to check the packed implementation against.
 */
function referenceContains(geometry: AreaGeometry, lon: number, lat: number): boolean {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  return polygons.some((rings) => {
    let inside = false;
    for (const ring of rings) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [ax, ay] = ring[i] as [number, number];
        const [bx, by] = ring[j] as [number, number];
        const cross = (lon - ax) * (by - ay) - (lat - ay) * (bx - ax);
        const onEdge =
          !(Math.abs(cross) > 1e-12) &&
          lon >= Math.min(ax, bx) - 1e-12 &&
          lon <= Math.max(ax, bx) + 1e-12 &&
          lat >= Math.min(ay, by) - 1e-12 &&
          lat <= Math.max(ay, by) + 1e-12;
        if (onEdge) return true;
        if (ay > lat !== by > lat && lon < ((bx - ax) * (lat - ay)) / (by - ay) + ax) inside = !inside;
      }
    }
    return inside;
  });
}

describe('packedContains', () => {
  it('answers exactly as the plain reference on every Najin unit: random, vertex, on-edge and just-off-edge points', () => {
    const r = rng(3);
    const probes: [number, number][] = [];
    for (let i = 0; i < 400; i++) probes.push([91.11 + r() * 0.1, 29.63 + r() * 0.045]);
    for (const s of sharedSegments()) {
      const mid: [number, number] = [(s.a[0]! + s.b[0]!) / 2, (s.a[1]! + s.b[1]!) / 2];
      probes.push([s.a[0]!, s.a[1]!], mid);
      for (const e of [1e-13, 1e-12, 1e-11, 1e-9, 1e-7]) probes.push([mid[0] + e, mid[1]], [mid[0] - e, mid[1]], [mid[0], mid[1] + e], [mid[0], mid[1] - e]);
    }
    let checked = 0;
    for (const u of UNITS) {
      const packed = packArea(u.geometry!);
      for (const [lon, lat] of probes) {
        expect(packedContains(packed, lon, lat), `${u.code} ${lon},${lat}`).toBe(referenceContains(u.geometry!, lon, lat));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50_000);
  });

  it('answers exactly as the plain reference on odd geometry: overlapping pieces, holes, degenerate and empty rings', () => {
    const sq = (x0: number, y0: number, s: number): Position[] => [
      [x0, y0],
      [x0 + s, y0],
      [x0 + s, y0 + s],
      [x0, y0 + s],
      [x0, y0],
    ];
    const shapes: AreaGeometry[] = [
      { type: 'MultiPolygon', coordinates: [[sq(0, 0, 2)], [sq(1, 1, 2)]] }, // overlapping pieces: even-odd per piece
      { type: 'Polygon', coordinates: [sq(0, 0, 2), sq(0, 0, 2)] }, // a "hole" equal to the outer ring
      { type: 'Polygon', coordinates: [sq(0, 0, 3), sq(1, 1, 1).reverse()] },
      { type: 'Polygon', coordinates: [[[1, 1]]] }, // a single vertex
      { type: 'Polygon', coordinates: [[]] },
      { type: 'MultiPolygon', coordinates: [] },
      { type: 'Polygon', coordinates: [sq(0, 0, 2).slice(0, 4)] }, // an open ring
    ];
    const pts: [number, number][] = [];
    for (let x = -0.5; x <= 3.5; x += 0.25) for (let y = -0.5; y <= 3.5; y += 0.25) pts.push([x, y]);
    for (const g of shapes) {
      const packed = packArea(g);
      for (const [x, y] of pts) {
        expect(packedContains(packed, x, y), `${JSON.stringify(g)} ${x},${y}`).toBe(referenceContains(g, x, y));
        expect(containsPoint(g, x, y)).toBe(packedContains(packed, x, y));
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Locating on the Najin data
// ---------------------------------------------------------------------------------------------------

describe('Router on the Najin data', () => {
  it('locates every street address to the one grid containing it, well inside', () => {
    const covered = new Set<string>();
    for (const s of STREETS) {
      const expected = gridsContaining(s.lon, s.lat);
      expect(expected, s.name).toHaveLength(1);
      const loc = router.locate(s.lon, s.lat)!;
      expect(loc.unit.code, s.name).toBe(expected[0]);
      expect(router.deepest(s.lon, s.lat)?.code).toBe(expected[0]);
      // The seed promises every street is over 100 m from any grid border.
      expect(loc.distanceToBorderM, s.name).toBeGreaterThan(100);
      expect(loc.nearBorder).toBe(false);
      expect(loc.neighbours).toEqual([]);
      expect(loc.chain.map((u) => u.code)).toEqual(router.chain(loc.unit.id).map((u) => u.code));
      covered.add(loc.unit.code);
    }
    const najinGrids = GRIDS.filter((g) => g.path.includes(`/${NAJIN_CODE}/`)).map((g) => g.code);
    expect([...covered].sort()).toEqual(najinGrids.sort());
  });

  it('a point in the hole goes to the enclave grid, not the holed grid', () => {
    const holed = unitOf(HOLED_GRID_CODE);
    const s = STREETS.find((st) => containsPoint(unitOf(ENCLAVE_GRID_CODE).geometry!, st.lon, st.lat))!;
    expect(s).toBeDefined();
    // Inside the holed grid's outer ring, but in its hole.
    const outerOnly: AreaGeometry = { type: 'Polygon', coordinates: [ringsOf(holed.geometry!)[0]!] };
    expect(containsPoint(outerOnly, s.lon, s.lat)).toBe(true);
    expect(containsPoint(holed.geometry!, s.lon, s.lat)).toBe(false);
    const loc = router.locate(s.lon, s.lat)!;
    expect(loc.unit.code).toBe(ENCLAVE_GRID_CODE);
    expect(loc.chain.map((u) => u.code)).toEqual([ENCLAVE_GRID_CODE, '540102013003', NAJIN_CODE, CHENGGUAN_CODE, LHASA_CODE]);
  });

  it('the holed grid measures its border to the hole too, and lists the enclave as a neighbour', () => {
    const holed = unitOf(HOLED_GRID_CODE);
    const hole = (holed.geometry as { coordinates: Position[][] }).coordinates[1]!;
    const a = hole[0]!;
    const b = hole[1]!;
    const mid: [number, number] = [(a[0]! + b[0]!) / 2, (a[1]! + b[1]!) / 2];
    // Unit normal of the hole edge in metres; pick the side that lies in the holed grid.
    const ex = (b[0]! - a[0]!) * metresPerDegreeLon(mid[1]);
    const ey = (b[1]! - a[1]!) * METRES_PER_DEGREE;
    const len = Math.hypot(ex, ey);
    const candidates = [1, -1].map((sign) => offset(mid[0], mid[1], (sign * -ey * 5) / len, (sign * ex * 5) / len));
    const p = candidates.find(([lon, lat]) => containsPoint(holed.geometry!, lon, lat))!;
    const loc = router.locate(p[0], p[1])!;
    expect(loc.unit.code).toBe(HOLED_GRID_CODE);
    expect(loc.distanceToBorderM).toBeCloseTo(5, 3);
    expect(loc.nearBorder).toBe(true);
    expect(loc.neighbours.map((u) => u.code)).toEqual([ENCLAVE_GRID_CODE]);
  });

  it('both pieces of the MultiPolygon grid locate to it', () => {
    const grid = unitOf(MULTIPOLYGON_GRID_CODE);
    expect(grid.geometry!.type).toBe('MultiPolygon');
    const pieces = (grid.geometry as { coordinates: Position[][][] }).coordinates;
    expect(pieces).toHaveLength(2);
    for (const piece of pieces) {
      const s = STREETS.find((st) => containsPoint({ type: 'Polygon', coordinates: piece }, st.lon, st.lat));
      expect(s, 'a street in each piece').toBeDefined();
      expect(router.locate(s!.lon, s!.lat)?.unit.code).toBe(MULTIPOLYGON_GRID_CODE);
    }
    // Between the pieces lies another grid of the same community.
    const between = router.locate(91.18775, 29.6384)!;
    expect(between.unit.code).toBe('540102013002002');
  });

  it('a point on a shared edge or a shared vertex goes to the lowest code, whatever the constructor order', () => {
    const segments = sharedSegments();
    const vertices = sharedVertices();
    expect(segments.length).toBeGreaterThan(20);
    expect(vertices.length).toBeGreaterThan(5);
    const edgePoints = segments.map((s) => ({ p: [(s.a[0]! + s.b[0]!) / 2, (s.a[1]! + s.b[1]!) / 2] as [number, number], codes: s.codes }));
    const vertexPoints = vertices.map((v) => ({ p: [v.p[0]!, v.p[1]!] as [number, number], codes: v.codes }));
    const cases = [...edgePoints, ...vertexPoints];
    for (const { p, codes } of cases) {
      // Every grid meeting there contains the point (on-edge counts as inside).
      for (const c of codes) expect(containsPoint(unitOf(c).geometry!, p[0], p[1])).toBe(true);
      expect(gridsContaining(p[0], p[1])[0]).toBe(codes[0]);
    }
    for (let seed = 1; seed <= 12; seed++) {
      const r = new Router(shuffled(UNITS, seed));
      for (const { p, codes } of cases) {
        expect(r.deepest(p[0], p[1])?.code).toBe(codes[0]);
        const loc = r.locate(p[0], p[1])!;
        expect(loc.unit.code).toBe(codes[0]);
        expect(loc.distanceToBorderM).toBeLessThan(1e-6); // on the edge, up to floating-point rounding
        expect(loc.nearBorder).toBe(true);
        // The other grids meeting there are neighbours at distance 0, in code order.
        expect(loc.neighbours.map((u) => u.code).slice(0, codes.length - 1)).toEqual(codes.slice(1));
      }
    }
  });

  it('a point 5 m from a shared border is near it with the neighbour listed; 200 m inside is not', () => {
    // The longest edge shared by two Najin grids; approach it from the higher code's side.
    const seg = sharedSegments()
      .filter((s) => s.codes.every((c) => c.startsWith(NAJIN_CODE)))
      .sort((x, y) => y.lengthM - x.lengthM)[0]!;
    expect(seg.lengthM).toBeGreaterThan(300);
    const [low, high] = seg.codes as [string, string];
    const mid: [number, number] = [(seg.a[0]! + seg.b[0]!) / 2, (seg.a[1]! + seg.b[1]!) / 2];
    const ex = (seg.b[0]! - seg.a[0]!) * metresPerDegreeLon(mid[1]);
    const ey = (seg.b[1]! - seg.a[1]!) * METRES_PER_DEGREE;
    const len = Math.hypot(ex, ey);
    const towards = (m: number, sign: number) => offset(mid[0], mid[1], (sign * -ey * m) / len, (sign * ex * m) / len);
    const sign = [1, -1].find((s) => {
      const [lon, lat] = towards(5, s);
      return containsPoint(unitOf(high).geometry!, lon, lat);
    })!;

    const near = towards(5, sign);
    const loc = router.locate(near[0], near[1])!;
    expect(loc.unit.code).toBe(high);
    // The foot of the perpendicular is the edge's midpoint: 5 m by construction, and by the haversine formula.
    expect(loc.distanceToBorderM).toBeCloseTo(5, 3);
    expect(loc.distanceToBorderM).toBeCloseTo(haversineM(near[0], near[1], mid[0], mid[1]), 3);
    expect(loc.nearBorder).toBe(true);
    expect(loc.neighbours.map((u) => u.code)).toEqual([low]);
    // A tighter threshold: not near, no neighbours.
    const tight = router.locate(near[0], near[1], 4)!;
    expect(tight.nearBorder).toBe(false);
    expect(tight.neighbours).toEqual([]);

    const inside = towards(200, sign);
    expect(gridsContaining(inside[0], inside[1])).toEqual([high]);
    const far = router.locate(inside[0], inside[1])!;
    expect(far.unit.code).toBe(high);
    expect(far.nearBorder).toBe(false);
    expect(far.neighbours).toEqual([]);
    expect(far.distanceToBorderM).toBeGreaterThan(20);
    // At most the 200 m back to the edge (1 mm slack: the offset and the measurement use cos(lat) of different points).
    expect(far.distanceToBorderM).toBeLessThanOrEqual(200.001);
    // With a 250 m threshold the low grid (200 m away across the edge) is a neighbour again.
    expect(router.locate(inside[0], inside[1], 250)!.neighbours.map((u) => u.code)).toContain(low);
  });

  it('a point in Zhaxi locates to a Zhaxi grid with its chain up to the district and city', () => {
    // Centre of Zhaxi lattice cell (1,0): lon 91.130-91.140, lat 29.6350-29.6435.
    const loc = router.locate(91.135, 29.63925)!;
    expect(loc.unit.code).toBe('540102005001002');
    expect(loc.chain.map((u) => u.code)).toEqual(['540102005001002', '540102005001', ZHAXI_CODE, CHENGGUAN_CODE, LHASA_CODE]);
    expect(loc.chain.map((u) => u.level)).toEqual(['grid', 'community', 'subdistrict', 'district', 'city']);
  });

  it('a grid on the Najin-Zhaxi border lists the grid across the subdistrict border as a neighbour', () => {
    const seg = sharedSegments().find((s) => s.codes[0]!.startsWith(ZHAXI_CODE) && s.codes[1]!.startsWith(NAJIN_CODE))!;
    expect(seg).toBeDefined();
    const mid: [number, number] = [(seg.a[0]! + seg.b[0]!) / 2, (seg.a[1]! + seg.b[1]!) / 2];
    const east = offset(mid[0], mid[1], 3, 0);
    const loc = router.locate(east[0], east[1])!;
    expect(loc.unit.code).toBe(seg.codes[1]);
    expect(loc.nearBorder).toBe(true);
    expect(loc.neighbours.map((u) => u.code)).toContain(seg.codes[0]);
  });

  it('outside everything: locate is undefined and nearest suggests the subdistrict with a plausible distance', () => {
    // 0.25° east of Najin's eastern border (lon 91.200 ± 0.00085 with node jitter and edge wave), outside the city box.
    const [lon, lat] = [91.45, 29.648];
    expect(router.locate(lon, lat)).toBeUndefined();
    expect(router.deepest(lon, lat)).toBeUndefined();
    const kx = METRES_PER_DEGREE * Math.cos((lat * Math.PI) / 180); // 96637.5 m per degree of longitude here
    const east = router.nearest(lon, lat, 'subdistrict')!;
    expect(east.unit.code).toBe(NAJIN_CODE);
    expect(east.distanceM).toBeGreaterThanOrEqual((lon - 91.20085) * kx); // ≥ 24,077 m
    expect(east.distanceM).toBeLessThanOrEqual((lon - 91.19915) * kx); // ≤ 24,241 m
    // The grid suggestion is the Najin grid on the eastern edge at this latitude (lattice row 1).
    expect(router.nearest(lon, lat, 'grid')!.unit.code).toBe('540102013002004');
    // Beyond maxDistanceM: no suggestion.
    expect(router.nearest(lon, lat, 'subdistrict', 20_000)).toBeUndefined();

    // West of Zhaxi (western border lon 91.120).
    const west = router.nearest(90.85, 29.65, 'subdistrict')!;
    expect(west.unit.code).toBe(ZHAXI_CODE);
    const kxw = METRES_PER_DEGREE * Math.cos((29.65 * Math.PI) / 180);
    expect(west.distanceM).toBeGreaterThanOrEqual((91.12 - 0.00085 - 90.85) * kxw);
    expect(west.distanceM).toBeLessThanOrEqual((91.12 + 0.00085 - 90.85) * kxw);
  });

  it('nearest agrees with an exhaustive search at every level', () => {
    const r = rng(7);
    for (let i = 0; i < 300; i++) {
      // Around and beyond the seeded area, including points inside units.
      const lon = 90.7 + r() * 0.9;
      const lat = 29.4 + r() * 0.5;
      for (const level of ['subdistrict', 'community', 'grid'] as const) {
        const brute = UNITS.filter((u) => u.level === level)
          .map((u) => ({ code: u.code, d: containsPoint(u.geometry!, lon, lat) ? 0 : pointToGeometryEdgeM(u.geometry!, lon, lat) }))
          .filter((x) => x.d <= 30_000)
          .sort((x, y) => x.d - y.d || (x.code < y.code ? -1 : 1))[0];
        const got = router.nearest(lon, lat, level, 30_000);
        expect(got?.unit.code, `${lon},${lat} ${level}`).toBe(brute?.code);
        if (brute) expect(got!.distanceM).toBeCloseTo(brute.d, 6);
      }
    }
  });

  it('deepest matches the pre-index router everywhere, in any constructor order', () => {
    const r = rng(11);
    const shuffledRouter = new Router(shuffled(UNITS, 99));
    for (let i = 0; i < 3000; i++) {
      const lon = 91.1 + r() * 0.12;
      const lat = 29.62 + r() * 0.07;
      const expected = referenceDeepest(UNITS, lon, lat)?.code;
      expect(router.deepest(lon, lat)?.code).toBe(expected);
      expect(shuffledRouter.deepest(lon, lat)?.code).toBe(expected);
    }
    // Inside the district box but outside both subdistricts: the district itself.
    expect(router.deepest(91.06, 29.61)?.code).toBe(CHENGGUAN_CODE);
    expect(router.locate(91.06, 29.61)?.chain.map((u) => u.code)).toEqual([CHENGGUAN_CODE, LHASA_CODE]);
  });

  it('chain and ancestorAt are unchanged', () => {
    expect(router.chain(HOLED_GRID_CODE).map((u) => u.code)).toEqual([HOLED_GRID_CODE, '540102013003', NAJIN_CODE, CHENGGUAN_CODE, LHASA_CODE]);
    expect(router.ancestorAt(HOLED_GRID_CODE, 'community')?.code).toBe('540102013003');
    expect(router.ancestorAt(HOLED_GRID_CODE, 'subdistrict')?.code).toBe(NAJIN_CODE);
    expect(router.ancestorAt(HOLED_GRID_CODE, 'grid')?.code).toBe(HOLED_GRID_CODE);
    expect(router.ancestorAt(NAJIN_CODE, 'grid')).toBeUndefined();
    expect(router.chain('nope')).toEqual([]);
    expect(router.ancestorAt('nope', 'city')).toBeUndefined();
    expect(router.unit(ZHAXI_CODE)?.path).toBe(`/${LHASA_CODE}/${CHENGGUAN_CODE}/${ZHAXI_CODE}`);
    expect(router.unit('nope')).toBeUndefined();
  });

  it('units without geometry are known by id but never located; an empty router locates nothing', () => {
    const extra: Jurisdiction = { ...unitOf(NAJIN_CODE), id: 'x', code: '540102013999', level: 'community', parentId: NAJIN_CODE, path: '/x', geometry: null };
    const r = new Router([...UNITS, extra]);
    expect(r.unit('x')).toBe(extra);
    expect(r.chain('x').map((u) => u.code)).toEqual(['540102013999', NAJIN_CODE, CHENGGUAN_CODE, LHASA_CODE]);
    const s = STREETS[0]!;
    expect(r.deepest(s.lon, s.lat)?.code).toBe(router.deepest(s.lon, s.lat)?.code);

    const empty = new Router([]);
    expect(empty.deepest(s.lon, s.lat)).toBeUndefined();
    expect(empty.locate(s.lon, s.lat)).toBeUndefined();
    expect(empty.nearest(s.lon, s.lat, 'grid')).toBeUndefined();
    expect(router.deepest(Number.NaN, s.lat)).toBeUndefined();
    expect(() => router.locate(s.lon, s.lat, -1)).toThrow(RangeError);
  });
});
