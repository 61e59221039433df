import { describe, it, expect } from 'vitest';
import { CATEGORY_KINDS, STAGES, URGENCIES } from '../../src/domain/types.js';
import {
  CATEGORIES,
  CHENGGUAN_CODE,
  COMPLEX_RESOLVE_MINUTES,
  DEPARTMENTS,
  ENCLAVE_GRID_CODE,
  HOLED_GRID_CODE,
  JURISDICTIONS,
  LHASA_CODE,
  MULTIPOLYGON_GRID_CODE,
  NAJIN_CODE,
  RIDER_NAMES,
  ROUTES,
  STAFF,
  STREETS,
  ZHAXI_CODE,
  type MultiPolygon,
  type Polygon,
  type SeedJurisdiction,
} from '../../src/seed/najin-data.js';

// ---------------------------------------------------------------------------------------------------
// Small, independent geometry helpers (deliberately not shared with the module under test)
// ---------------------------------------------------------------------------------------------------

type Geometry = Polygon | MultiPolygon;
type Ring = number[][];

const TIBETAN = /[\u0F00-\u0FFF]/u;
const CJK = /[\u4E00-\u9FFF]/u;

function polygonsOf(g: Geometry): Ring[][] {
  return g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
}

function ringsOf(g: Geometry): Ring[] {
  return polygonsOf(g).flat();
}

function xy(p: number[] | undefined): [number, number] {
  if (!p || p.length !== 2) throw new Error(`bad position ${JSON.stringify(p)}`);
  return [p[0]!, p[1]!];
}

/** Signed shoelace area (positive = counter-clockwise), relative to a reference point to keep precision. */
function signedArea(ring: Ring, ref: [number, number]): number {
  let s = 0;
  for (let i = 0; i + 1 < ring.length; i++) {
    const [ax, ay] = xy(ring[i]);
    const [bx, by] = xy(ring[i + 1]);
    s += (ax - ref[0]) * (by - ref[1]) - (bx - ref[0]) * (ay - ref[1]);
  }
  return s / 2;
}

/** Area with holes subtracted. */
function area(g: Geometry, ref: [number, number]): number {
  let total = 0;
  for (const [outer, ...holes] of polygonsOf(g)) {
    total += Math.abs(signedArea(outer!, ref));
    for (const h of holes) total -= Math.abs(signedArea(h, ref));
  }
  return total;
}

/** Even-odd point-in-polygon over every ring of every polygon. */
function contains(g: Geometry, x: number, y: number): boolean {
  let inside = false;
  for (const ring of ringsOf(g)) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [ax, ay] = xy(ring[i]);
      const [bx, by] = xy(ring[j]);
      if (ay > y !== by > y && x < ((bx - ax) * (y - ay)) / (by - ay) + ax) inside = !inside;
    }
  }
  return inside;
}

interface BBox {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

function bbox(g: Geometry): BBox {
  const b = { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
  for (const ring of ringsOf(g)) {
    for (const p of ring) {
      const [x, y] = xy(p);
      b.minX = Math.min(b.minX, x);
      b.minY = Math.min(b.minY, y);
      b.maxX = Math.max(b.maxX, x);
      b.maxY = Math.max(b.maxY, y);
    }
  }
  return b;
}

function insideBBox(b: BBox, x: number, y: number): boolean {
  return x >= b.minX && x <= b.maxX && y >= b.minY && y <= b.maxY;
}

/** Distance in metres from a point to a segment (equirectangular; fine at this scale). */
function metresToSegment(x: number, y: number, a: [number, number], b: [number, number]): number {
  const kx = Math.cos((29.65 * Math.PI) / 180) * 111_320;
  const ky = 110_574;
  const px = (x - a[0]) * kx;
  const py = (y - a[1]) * ky;
  const dx = (b[0] - a[0]) * kx;
  const dy = (b[1] - a[1]) * ky;
  const t = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - t * dx, py - t * dy);
}

function metresToBoundary(g: Geometry, x: number, y: number): number {
  let d = Infinity;
  for (const ring of ringsOf(g)) {
    for (let i = 0; i + 1 < ring.length; i++) d = Math.min(d, metresToSegment(x, y, xy(ring[i]), xy(ring[i + 1])));
  }
  return d;
}

const orient = (a: [number, number], b: [number, number], c: [number, number]): number =>
  Math.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]));

/** Problems with one geometry's rings: closure, size, rounding, orientation, self-intersections. */
function ringProblems(code: string, g: Geometry): string[] {
  const problems: string[] = [];
  const ref = xy(ringsOf(g)[0]?.[0]);
  for (const [pi, poly] of polygonsOf(g).entries()) {
    for (const [ri, ring] of poly.entries()) {
      const where = `${code} polygon ${pi} ring ${ri}`;
      if (ring.length < 4) problems.push(`${where}: fewer than 4 positions`);
      const first = xy(ring[0]);
      const last = xy(ring[ring.length - 1]);
      if (first[0] !== last[0] || first[1] !== last[1]) problems.push(`${where}: not closed`);
      for (const p of ring) {
        for (const v of xy(p)) if (Math.round(v * 1e6) / 1e6 !== v) problems.push(`${where}: ${v} not rounded to 6 decimals`);
      }
      const a = signedArea(ring, ref);
      if (ri === 0 && !(a > 0)) problems.push(`${where}: outer ring not counter-clockwise`);
      if (ri > 0 && !(a < 0)) problems.push(`${where}: hole not clockwise`);
    }
    // No two segments of this polygon (any rings) cross or touch except at shared endpoints.
    const segs: [number, number][][] = poly.flatMap((ring) => ring.slice(1).map((p, i) => [xy(ring[i]), xy(p)]));
    const same = (p: [number, number], q: [number, number]): boolean => p[0] === q[0] && p[1] === q[1];
    for (let i = 0; i < segs.length; i++) {
      for (let j = i + 1; j < segs.length; j++) {
        const [a, b] = segs[i] as [[number, number], [number, number]];
        const [c, d] = segs[j] as [[number, number], [number, number]];
        if (same(a, c) || same(a, d) || same(b, c) || same(b, d)) continue;
        if (orient(a, b, c) * orient(a, b, d) <= 0 && orient(c, d, a) * orient(c, d, b) <= 0) {
          problems.push(`${code} polygon ${pi}: segments ${i} and ${j} intersect`);
        }
      }
    }
  }
  return problems;
}

/**
 * Problems with "children tessellate parent": the children's areas sum to the parent's area, and every
 * sample point of the parent's bbox lies in exactly one child if it is inside the parent, in none otherwise.
 */
function tessellationProblems(parent: Geometry, children: { code: string; geometry: Geometry }[], samples = 140): string[] {
  const problems: string[] = [];
  const pb = bbox(parent);
  const ref: [number, number] = [pb.minX, pb.minY];
  const parentArea = area(parent, ref);
  const sum = children.reduce((s, c) => s + area(c.geometry, ref), 0);
  if (!(Math.abs(sum - parentArea) <= 1e-9 * parentArea)) problems.push(`children area ${sum} != parent area ${parentArea}`);
  for (const c of children) {
    for (const ring of ringsOf(c.geometry)) {
      for (const p of ring) {
        const [x, y] = xy(p);
        if (!insideBBox(pb, x, y)) problems.push(`${c.code}: vertex ${x},${y} outside the parent's bbox`);
      }
    }
  }
  const childBoxes = children.map((c) => ({ c, b: bbox(c.geometry) }));
  let reported = 0;
  for (let i = 0; i < samples && reported < 5; i++) {
    for (let j = 0; j < samples && reported < 5; j++) {
      // Irrational-ish offsets keep sample points off the 6-decimal vertex lattice.
      const x = pb.minX + ((i + 0.5 + 0.0137 * Math.SQRT2) / samples) * (pb.maxX - pb.minX);
      const y = pb.minY + ((j + 0.5 - 0.0113 * Math.SQRT2) / samples) * (pb.maxY - pb.minY);
      const inParent = contains(parent, x, y);
      const hits = childBoxes.filter(({ c, b }) => insideBBox(b, x, y) && contains(c.geometry, x, y)).map(({ c }) => c.code);
      if (hits.length !== (inParent ? 1 : 0)) {
        problems.push(`point ${x},${y} (${inParent ? 'inside' : 'outside'} parent) lies in [${hits.join(', ')}]`);
        reported++;
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------------

const byCode = new Map(JURISDICTIONS.map((j) => [j.code, j]));
const childrenOf = (code: string): SeedJurisdiction[] => JURISDICTIONS.filter((j) => j.parentCode === code);
const geom = (j: SeedJurisdiction | undefined): Geometry => {
  if (!j?.geometry) throw new Error(`no geometry for ${j?.code}`);
  return j.geometry;
};
const withGeometry = (js: SeedJurisdiction[]): { code: string; geometry: Geometry }[] => js.map((j) => ({ code: j.code, geometry: geom(j) }));
const najinGrids = JURISDICTIONS.filter((j) => j.level === 'grid' && j.code.startsWith(NAJIN_CODE));
const CODE_LENGTH = { city: 6, district: 6, subdistrict: 9, community: 12, grid: 15 } as const;
const PARENT_LEVEL = { city: null, district: 'city', subdistrict: 'district', community: 'subdistrict', grid: 'community' } as const;
/** Units whose children must tessellate them exactly. */
const tessellated = JURISDICTIONS.filter((j) => j.level === 'subdistrict' || j.level === 'community');

function segmentKeys(g: Geometry): Set<string> {
  const keys = new Set<string>();
  for (const ring of ringsOf(g)) for (let i = 0; i + 1 < ring.length; i++) keys.add(`${JSON.stringify(ring[i])}>${JSON.stringify(ring[i + 1])}`);
  return keys;
}

// ---------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------

describe('the geometry checks themselves', () => {
  const community = byCode.get(`${NAJIN_CODE}001`);
  const grids = withGeometry(childrenOf(`${NAJIN_CODE}001`));

  it('reject a moved vertex', () => {
    const broken = structuredClone(grids);
    const ring = polygonsOf(broken[0]!.geometry)[0]![0]!;
    // Move the second vertex (a shared one) 0.001 degree north-east: creates an overlap and a gap.
    ring[1] = [ring[1]![0]! + 0.001, ring[1]![1]! + 0.001];
    expect(tessellationProblems(geom(community), broken)).not.toEqual([]);
  });

  it('reject a missing child and a duplicated child', () => {
    expect(tessellationProblems(geom(community), grids.slice(1))).not.toEqual([]);
    expect(tessellationProblems(geom(community), [...grids, grids[0]!])).not.toEqual([]);
  });

  it('reject an open ring, a clockwise outer ring and a bow-tie', () => {
    const open: Polygon = { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1]]] };
    const clockwise: Polygon = { type: 'Polygon', coordinates: [[[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]] };
    const bowTie: Polygon = { type: 'Polygon', coordinates: [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]] };
    expect(ringProblems('open', open)).not.toEqual([]);
    expect(ringProblems('cw', clockwise)).not.toEqual([]);
    expect(ringProblems('bow', bowTie)).not.toEqual([]);
    expect(contains(clockwise, 0.5, 0.5)).toBe(true);
    expect(contains(clockwise, 1.5, 0.5)).toBe(false);
  });
});

describe('JURISDICTIONS', () => {
  it('has unique codes of the right length for their level, prefixed by the parent code', () => {
    expect(new Set(JURISDICTIONS.map((j) => j.code)).size).toBe(JURISDICTIONS.length);
    for (const j of JURISDICTIONS) {
      expect(j.code, j.code).toMatch(/^\d+$/);
      expect(j.code.length, j.code).toBe(CODE_LENGTH[j.level]);
      if (j.parentCode === null) {
        expect(j.level).toBe('city');
        continue;
      }
      const parent = byCode.get(j.parentCode);
      expect(parent, `${j.code}'s parent ${j.parentCode}`).toBeDefined();
      expect(parent?.level, j.code).toBe(PARENT_LEVEL[j.level]);
      // A district shares the city's 4-digit prefix (GB/T 2260); below that, codes extend the parent's.
      if (j.level === 'district') expect(j.code.slice(0, 4)).toBe(j.parentCode.slice(0, 4));
      else expect(j.code.startsWith(j.parentCode), j.code).toBe(true);
    }
  });

  it('has the expected hierarchy', () => {
    expect(byCode.get(LHASA_CODE)?.names.zh).toBe('拉萨市');
    expect(byCode.get(CHENGGUAN_CODE)?.names.zh).toBe('城关区');
    expect(byCode.get(NAJIN_CODE)?.names.zh).toBe('纳金街道');
    expect(byCode.get(NAJIN_CODE)?.parentCode).toBe(CHENGGUAN_CODE);
    expect(byCode.get(ZHAXI_CODE)?.parentCode).toBe(CHENGGUAN_CODE);
    const najinCommunities = childrenOf(NAJIN_CODE);
    expect(najinCommunities).toHaveLength(4);
    for (const c of najinCommunities) {
      expect(childrenOf(c.code).length, c.code).toBeGreaterThanOrEqual(4);
      expect(childrenOf(c.code).length, c.code).toBeLessThanOrEqual(6);
    }
    const zhaxiCommunities = childrenOf(ZHAXI_CODE);
    expect(zhaxiCommunities).toHaveLength(2);
    for (const c of zhaxiCommunities) {
      expect(childrenOf(c.code).length, c.code).toBeGreaterThanOrEqual(2);
      expect(childrenOf(c.code).length, c.code).toBeLessThanOrEqual(3);
    }
  });

  it('has zh, en and Tibetan-script names', () => {
    for (const j of JURISDICTIONS) {
      expect(j.names.zh, j.code).toMatch(CJK);
      expect(j.names.en, j.code).toMatch(/^[\x20-\x7E]+$/);
      expect(j.names.bo, j.code).toMatch(TIBETAN);
      expect(j.names.bo, j.code).not.toMatch(CJK);
    }
    expect(new Set(JURISDICTIONS.map((j) => j.names.zh)).size).toBe(JURISDICTIONS.length);
  });

  it('gives every subdistrict, community and grid a geometry with valid closed rings', () => {
    const problems: string[] = [];
    for (const j of JURISDICTIONS) {
      if (j.level !== 'city') expect(j.geometry, j.code).not.toBeNull();
      if (j.geometry) problems.push(...ringProblems(j.code, j.geometry));
    }
    expect(problems).toEqual([]);
  });

  it('places every unit inside its parent bbox, and Najin roughly where it is', () => {
    for (const j of JURISDICTIONS) {
      if (!j.geometry || !j.parentCode) continue;
      const parent = byCode.get(j.parentCode);
      if (!parent?.geometry) continue;
      const pb = bbox(parent.geometry);
      for (const ring of ringsOf(j.geometry)) for (const p of ring) expect(insideBBox(pb, ...xy(p)), j.code).toBe(true);
    }
    const nb = bbox(geom(byCode.get(NAJIN_CODE)));
    expect(nb.minX).toBeGreaterThan(91.145);
    expect(nb.maxX).toBeLessThan(91.205);
    expect(nb.minY).toBeGreaterThan(29.63);
    expect(nb.maxY).toBeLessThan(29.675);
  });

  it.each(tessellated.map((j) => [j.code, j.names.zh] as const))('%s %s is exactly tessellated by its children', (code) => {
    const parent = byCode.get(code);
    const children = childrenOf(code);
    expect(children.length).toBeGreaterThan(1);
    expect(tessellationProblems(geom(parent), withGeometry(children))).toEqual([]);
  });

  it('has a MultiPolygon grid and a grid with a hole filled exactly by a sibling Polygon grid', () => {
    const multi = byCode.get(MULTIPOLYGON_GRID_CODE);
    expect(multi?.level).toBe('grid');
    expect(multi?.geometry?.type).toBe('MultiPolygon');
    expect(polygonsOf(geom(multi)).length).toBe(2);

    const holed = byCode.get(HOLED_GRID_CODE);
    const enclave = byCode.get(ENCLAVE_GRID_CODE);
    expect(holed?.geometry?.type).toBe('Polygon');
    expect(enclave?.geometry?.type).toBe('Polygon');
    expect(holed?.parentCode).toBe(enclave?.parentCode);
    const holeRings = polygonsOf(geom(holed))[0]!;
    expect(holeRings).toHaveLength(2);
    const hole = holeRings[1]!;
    const enclaveOuter = polygonsOf(geom(enclave))[0]![0]!;
    // Same vertices, opposite orientation.
    expect(new Set(hole.map((p) => JSON.stringify(p)))).toEqual(new Set(enclaveOuter.map((p) => JSON.stringify(p))));
    const ref = xy(hole[0]);
    expect(signedArea(hole, ref)).toBeCloseTo(-signedArea(enclaveOuter, ref), 15);
  });

  it('puts Zhaxi directly west of Najin, sharing its border edge for edge', () => {
    const najin = geom(byCode.get(NAJIN_CODE));
    const zhaxi = geom(byCode.get(ZHAXI_CODE));
    const nb = bbox(najin);
    const zb = bbox(zhaxi);
    expect(zb.maxX).toBeLessThan(nb.minX + 0.005);
    expect(zb.minX).toBeLessThan(nb.minX);
    const najinSegs = segmentKeys(najin);
    const shared = [...segmentKeys(zhaxi)]
      .map((k) => k.split('>') as [string, string])
      .filter(([a, b]) => najinSegs.has(`${b}>${a}`));
    expect(shared.length).toBeGreaterThan(5);
    const lats = shared.flat().map((p) => (JSON.parse(p) as number[])[1]!);
    expect(Math.max(...lats) - Math.min(...lats)).toBeGreaterThan(0.9 * (nb.maxY - nb.minY));
    // Together they tessellate their union: no overlap along the shared border.
    const district = geom(byCode.get(CHENGGUAN_CODE));
    const db = bbox(district);
    for (const sb of [nb, zb]) {
      expect(sb.minX).toBeGreaterThan(db.minX);
      expect(sb.maxX).toBeLessThan(db.maxX);
      expect(sb.minY).toBeGreaterThan(db.minY);
      expect(sb.maxY).toBeLessThan(db.maxY);
    }
    const ref: [number, number] = [zb.minX, zb.minY];
    expect(area(najin, ref)).toBeGreaterThan(0);
    for (let i = 0; i < 60; i++) {
      for (let j = 0; j < 60; j++) {
        const x = zb.minX + ((i + 0.31) / 60) * (nb.maxX - zb.minX);
        const y = zb.minY + ((j + 0.47) / 60) * (zb.maxY - zb.minY);
        expect(contains(najin, x, y) && contains(zhaxi, x, y)).toBe(false);
      }
    }
  });
});

describe('STREETS', () => {
  it('has 25+ unique addresses', () => {
    expect(STREETS.length).toBeGreaterThanOrEqual(25);
    expect(new Set(STREETS.map((s) => s.name)).size).toBe(STREETS.length);
    for (const s of STREETS) expect(s.name).toMatch(CJK);
  });

  it('puts every street in exactly one Najin grid, well away from grid borders, and covers every grid', () => {
    const najin = geom(byCode.get(NAJIN_CODE));
    const hits = new Map<string, number>();
    for (const s of STREETS) {
      expect(contains(najin, s.lon, s.lat), s.name).toBe(true);
      const inGrids = najinGrids.filter((g) => contains(geom(g), s.lon, s.lat));
      expect(inGrids.map((g) => g.code), s.name).toHaveLength(1);
      const grid = inGrids[0]!;
      hits.set(grid.code, (hits.get(grid.code) ?? 0) + 1);
      for (const g of najinGrids) expect(metresToBoundary(geom(g), s.lon, s.lat), `${s.name} near ${g.code}`).toBeGreaterThan(30);
    }
    expect(najinGrids.filter((g) => !hits.has(g.code)).map((g) => g.code)).toEqual([]);
  });
});

describe('DEPARTMENTS', () => {
  const deptByCode = new Map(DEPARTMENTS.map((d) => [d.code, d]));

  it('has unique codes, existing jurisdictions, names and local phone numbers', () => {
    expect(deptByCode.size).toBe(DEPARTMENTS.length);
    for (const d of DEPARTMENTS) {
      expect(byCode.has(d.jurisdictionCode), d.code).toBe(true);
      expect(d.phone, d.code).toMatch(/^0891-6\d{6}$/);
      expect(d.names.zh, d.code).toMatch(CJK);
      expect(d.names.bo, d.code).toMatch(TIBETAN);
    }
    expect(new Set(DEPARTMENTS.map((d) => d.phone)).size).toBe(DEPARTMENTS.length);
  });

  it('covers Najin (command centre, offices, one per community) and Zhaxi', () => {
    const kindsIn = (code: string): string[] => DEPARTMENTS.filter((d) => d.jurisdictionCode === code).map((d) => d.kind);
    expect(kindsIn(NAJIN_CODE)).toEqual(expect.arrayContaining(['command_centre', 'urban_management', 'market_regulation', 'municipal']));
    expect(kindsIn(NAJIN_CODE).filter((k) => k === 'command_centre')).toHaveLength(1);
    for (const c of childrenOf(NAJIN_CODE)) expect(kindsIn(c.code), c.code).toEqual(['community']);
    expect(kindsIn(ZHAXI_CODE)).toEqual(expect.arrayContaining(['command_centre', 'urban_management']));
    expect(DEPARTMENTS.find((d) => d.kind === 'command_centre' && d.jurisdictionCode === NAJIN_CODE)?.names.zh).toBe('纳金街道综合指挥中心');
  });
});

describe('CATEGORIES', () => {
  const deptByCode = new Map(DEPARTMENTS.map((d) => [d.code, d]));
  const find = (zh: string) => CATEGORIES.find((c) => c.names.zh.includes(zh));

  it('has 12-16 well-formed categories with unique codes', () => {
    expect(CATEGORIES.length).toBeGreaterThanOrEqual(12);
    expect(CATEGORIES.length).toBeLessThanOrEqual(16);
    expect(new Set(CATEGORIES.map((c) => c.code)).size).toBe(CATEGORIES.length);
    for (const c of CATEGORIES) {
      expect(c.code).toMatch(/^\d{2}-\d{3}$/);
      expect(c.code).toBe(`${c.majorCode}-${c.minorCode}`);
      expect(CATEGORY_KINDS).toContain(c.kind);
      expect(URGENCIES).toContain(c.defaultUrgency);
      expect(c.names.zh, c.code).toMatch(CJK);
      expect(c.names.bo, c.code).toMatch(TIBETAN);
      expect(c.duplicateRadiusM, c.code).toBeGreaterThan(0);
      expect(c.sampleDescriptions.length, c.code).toBeGreaterThanOrEqual(3);
      expect(c.sampleDescriptions.length, c.code).toBeLessThanOrEqual(6);
      for (const s of c.sampleDescriptions) {
        expect(s, c.code).toMatch(CJK);
        expect(s.length, c.code).toBeLessThanOrEqual(60);
      }
      for (const [urgency, override] of Object.entries(c.sla ?? {})) {
        expect(URGENCIES, c.code).toContain(urgency);
        for (const [stage, limit] of Object.entries(override?.stages ?? {})) {
          expect(STAGES, c.code).toContain(stage);
          expect(limit?.minutes, c.code).toBeGreaterThan(0);
        }
      }
    }
  });

  it('points every category at an existing Najin department', () => {
    for (const c of CATEGORIES) {
      const d = deptByCode.get(c.defaultDepartmentCode);
      expect(d, `${c.code} -> ${c.defaultDepartmentCode}`).toBeDefined();
      expect(d?.jurisdictionCode.startsWith(NAJIN_CODE), c.code).toBe(true);
    }
  });

  it('covers the problems named in the report', () => {
    for (const zh of ['井盖', '路灯不亮', '短路', '消防通道', '结冰', '楼道', '电动车', '电梯', '食品安全', '占道', '垃圾', '变压器', '其他']) {
      expect(find(zh), zh).toBeDefined();
    }
    expect(find('井盖')?.kind).toBe('component');
    expect(find('路灯不亮')?.kind).toBe('component');
    expect(find('电梯')?.kind).toBe('component');
    expect(find('消防通道')?.kind).toBe('event');
    expect(find('结冰')?.defaultUrgency).toBe('urgent');
    expect(find('电梯')?.defaultUrgency).toBe('urgent');
    expect(find('其他')?.reportMediaRequired).toBe(false);
  });

  it('sends food safety to market regulation', () => {
    const food = CATEGORIES.filter((c) => c.foodSafety);
    expect(food.length).toBeGreaterThanOrEqual(2);
    for (const c of food) {
      expect(deptByCode.get(c.defaultDepartmentCode)?.kind, c.code).toBe('market_regulation');
      expect(c.kind).toBe('event');
    }
  });

  it('makes a short circuit with sparks safe within 30 minutes of the report', () => {
    const c = find('短路');
    expect(c?.defaultUrgency).toBe('emergency');
    expect(c?.sla?.emergency?.stages?.resolve).toEqual({ minutes: 30, from: 'report' });
    expect(deptByCode.get(c?.defaultDepartmentCode ?? '')?.kind).toBe('municipal');
  });

  it('has a complex category: 15 working days to resolve at normal urgency', () => {
    expect(COMPLEX_RESOLVE_MINUTES).toBe(21600);
    const complex = CATEGORIES.filter((c) => c.sla?.normal?.unit === 'working' && c.sla.normal.stages?.resolve?.minutes === 21600);
    expect(complex).toHaveLength(1);
  });
});

describe('ROUTES', () => {
  it('refers to existing categories, jurisdictions and departments that cover the area', () => {
    const deptByCode = new Map(DEPARTMENTS.map((d) => [d.code, d]));
    const categoryCodes = new Set(CATEGORIES.map((c) => c.code));
    const keys = new Set<string>();
    for (const r of ROUTES) {
      expect(categoryCodes.has(r.categoryCode), r.categoryCode).toBe(true);
      expect(byCode.has(r.jurisdictionCode), r.jurisdictionCode).toBe(true);
      const d = deptByCode.get(r.departmentCode);
      expect(d, r.departmentCode).toBeDefined();
      expect(r.jurisdictionCode.startsWith(d?.jurisdictionCode ?? '-'), `${r.departmentCode} covers ${r.jurisdictionCode}`).toBe(true);
      const key = `${r.categoryCode}@${r.jurisdictionCode}`;
      expect(keys.has(key), key).toBe(false);
      keys.add(key);
    }
    // Every category has a Zhaxi route, so a case referred there never lands on a Najin office.
    for (const c of CATEGORIES) expect(keys.has(`${c.code}@${ZHAXI_CODE}`), c.code).toBe(true);
  });
});

describe('STAFF', () => {
  it('has the expected accounts, in existing departments and jurisdictions', () => {
    const expected = {
      dispatcher: 'dispatcher',
      'zx-dispatcher': 'dispatcher',
      municipal: 'handler',
      urban: 'handler',
      community1: 'handler',
      regulator: 'regulator',
      supervisor: 'supervisor',
      admin: 'admin',
    } as const;
    expect(new Set(STAFF.map((s) => s.username)).size).toBe(STAFF.length);
    for (const [username, role] of Object.entries(expected)) {
      expect(STAFF.find((s) => s.username === username)?.role, username).toBe(role);
    }
    const deptByCode = new Map(DEPARTMENTS.map((d) => [d.code, d]));
    for (const s of STAFF) {
      expect(byCode.has(s.jurisdictionCode), s.username).toBe(true);
      if (s.departmentCode !== null) {
        const d = deptByCode.get(s.departmentCode);
        expect(d, s.username).toBeDefined();
        expect(d?.jurisdictionCode, s.username).toBe(s.jurisdictionCode);
      }
    }
    const kindOf = (u: string): string | undefined => deptByCode.get(STAFF.find((s) => s.username === u)?.departmentCode ?? '')?.kind;
    expect(kindOf('dispatcher')).toBe('command_centre');
    expect(STAFF.find((s) => s.username === 'zx-dispatcher')?.jurisdictionCode).toBe(ZHAXI_CODE);
    expect(kindOf('municipal')).toBe('municipal');
    expect(kindOf('urban')).toBe('urban_management');
    expect(kindOf('community1')).toBe('community');
    expect(kindOf('regulator')).toBe('market_regulation');
  });
});

describe('RIDER_NAMES', () => {
  it('has exactly 40 unique plausible names, including the riders in the report', () => {
    expect(RIDER_NAMES).toHaveLength(40);
    expect(new Set(RIDER_NAMES).size).toBe(40);
    for (const n of RIDER_NAMES) expect(n).toMatch(/^[\u4E00-\u9FFF]{2,4}$/);
    expect(RIDER_NAMES).toEqual(expect.arrayContaining(['索朗', '丹增']));
  });
});
