import { afterAll, describe, expect, it } from 'vitest';
import polygonClipping from 'polygon-clipping';
import { DomainError } from '../../src/domain/errors.js';
import { LEVELS } from '../../src/domain/types.js';
import { geodesicAreaM2 } from '../../src/geo/area.js';
import {
  BOUNDARY_LIMITS,
  ONLINE_BOUNDARY_LIMITS,
  planBoundaryImport,
  type BoundaryPlan,
  type BoundaryProblem,
  type ExistingUnit,
  type ProblemKind,
} from '../../src/geo/boundaries/index.js';
import type { AreaGeometry } from '../../src/geo/polygon.js';
import {
  ENCLAVE_GRID_CODE,
  HOLED_GRID_CODE,
  JURISDICTIONS,
  MULTIPOLYGON_GRID_CODE,
  NAJIN_CODE,
  type SeedJurisdiction,
} from '../../src/seed/najin-data.js';
import { analyticBox, box } from '../support/geo.js';
import { watchdog } from '../support/watchdog.js';

// ---------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------

const rect = (w: number, s: number, e: number, n: number): AreaGeometry => ({ type: 'Polygon', coordinates: [box(w, s, e, n)] });

interface Props {
  code: unknown;
  level: unknown;
  parent_code: unknown;
  name_zh?: unknown;
  name_en?: unknown;
  name_bo?: unknown;
}
const feature = (props: Props, geometry: unknown): Record<string, unknown> => ({
  type: 'Feature',
  properties: { name_zh: `单元${String(props.code)}`, ...props },
  geometry,
});
const grid = (code: string, geometry: unknown, parent: string | null = COMMUNITY): Record<string, unknown> =>
  feature({ code, level: 'grid', parent_code: parent }, geometry);
const collection = (...features: unknown[]): Record<string, unknown> => ({ type: 'FeatureCollection', features });

const kinds = (plan: BoundaryPlan): ProblemKind[] => plan.problems.map((p) => p.kind);
const only = (plan: BoundaryPlan, kind: ProblemKind): BoundaryProblem => {
  expect(kinds(plan)).toEqual([kind]);
  return plan.problems[0]!;
};
const within = (actual: number | undefined, expected: number, fraction: number): void => {
  expect(actual).toBeDefined();
  expect(Math.abs(actual! - expected) / expected).toBeLessThanOrEqual(fraction);
};

// A stored hierarchy for the synthetic cases: the community 540102013001 is the box
// 91.10-91.12 E x 29.60-29.62 N; its grids come from the file.
const CITY = '540100';
const DISTRICT = '540102';
const SUBDISTRICT = '540102013';
const COMMUNITY = '540102013001';
const G1 = '540102013001001';
const G2 = '540102013001002';
const G3 = '540102013001003';
const STORED: ExistingUnit[] = [
  { code: CITY, level: 'city', parentCode: null, geometry: null },
  { code: DISTRICT, level: 'district', parentCode: CITY, geometry: null },
  { code: SUBDISTRICT, level: 'subdistrict', parentCode: DISTRICT, geometry: null },
  { code: COMMUNITY, level: 'community', parentCode: SUBDISTRICT, geometry: rect(91.1, 29.6, 91.12, 29.62) },
];

/** Two grids tiling the community exactly. */
const westHalf = (): Record<string, unknown> => grid(G1, rect(91.1, 29.6, 91.11, 29.62));
const eastHalf = (): Record<string, unknown> => grid(G2, rect(91.11, 29.6, 91.12, 29.62));

function najinFeatures(units: SeedJurisdiction[] = JURISDICTIONS): Record<string, unknown>[] {
  return units.map((j) =>
    feature({ code: j.code, level: j.level, parent_code: j.parentCode, name_zh: j.names.zh, name_en: j.names.en, name_bo: j.names.bo }, j.geometry),
  );
}
const najinStored = (): ExistingUnit[] => JURISDICTIONS.map((j) => ({ code: j.code, level: j.level, parentCode: j.parentCode, geometry: j.geometry }));
const seed = (code: string): SeedJurisdiction => JURISDICTIONS.find((j) => j.code === code)!;

// ---------------------------------------------------------------------------------------------------
// The demo hierarchy
// ---------------------------------------------------------------------------------------------------

describe('the Najin demo hierarchy', () => {
  it('plans with zero problems, one unit per jurisdiction', () => {
    const plan = planBoundaryImport(collection(...najinFeatures()), []);
    expect(plan.problems).toEqual([]);
    expect(plan.units.map((u) => u.code).sort()).toEqual(JURISDICTIONS.map((j) => j.code).sort());
    expect(plan.units.every((u) => !u.replaces)).toBe(true);
  });

  it('passes even with zero tolerance: neighbours share edges vertex for vertex', () => {
    expect(planBoundaryImport(collection(...najinFeatures()), [], { toleranceM2: 0 }).problems).toEqual([]);
  });

  it('keeps the holed grid, the enclave and the MultiPolygon exclave grid as they are', () => {
    const plan = planBoundaryImport(collection(...najinFeatures()), []);
    const unit = (code: string) => plan.units.find((u) => u.code === code)!;
    const holed = unit(HOLED_GRID_CODE);
    expect(holed.geometry.type).toBe('Polygon');
    expect(holed.geometry.coordinates).toHaveLength(2);
    expect(holed.geometry).toEqual(seed(HOLED_GRID_CODE).geometry);
    expect(unit(ENCLAVE_GRID_CODE).geometry).toEqual(seed(ENCLAVE_GRID_CODE).geometry);
    const exclave = unit(MULTIPOLYGON_GRID_CODE);
    expect(exclave.geometry.type).toBe('MultiPolygon');
    expect(exclave.geometry.coordinates).toHaveLength(2);
    expect(exclave.geometry).toEqual(seed(MULTIPOLYGON_GRID_CODE).geometry);
    // the hole is subtracted and the enclave fills it: hole + host + enclave add up with the neighbours
    const najin = unit(NAJIN_CODE);
    const najinGrids = plan.units.filter((u) => u.level === 'grid' && u.code.startsWith(NAJIN_CODE));
    const sum = najinGrids.reduce((s, u) => s + u.areaM2, 0);
    expect(Math.abs(sum - najin.areaM2) / najin.areaM2).toBeLessThan(1e-9);
    expect(holed.areaM2).toBeCloseTo(geodesicAreaM2(seed(HOLED_GRID_CODE).geometry!), 6);
  });

  it('lists parents before children even when the file lists children first', () => {
    const plan = planBoundaryImport(collection(...najinFeatures().reverse()), []);
    expect(plan.problems).toEqual([]);
    const seen = new Set<string>();
    for (const u of plan.units) {
      if (u.parentCode !== null) expect(seen.has(u.parentCode), `${u.code} before its parent ${u.parentCode}`).toBe(true);
      seen.add(u.code);
    }
    const levelRanks = plan.units.map((u) => LEVELS.indexOf(u.level));
    expect(levelRanks).toEqual([...levelRanks].sort((a, b) => a - b));
    expect(plan.units[0]!.code).toBe('540100');
  });

  it('copies the three names and marks re-imported units as replacing the stored ones', () => {
    const plan = planBoundaryImport(collection(...najinFeatures()), najinStored());
    expect(plan.problems).toEqual([]);
    expect(plan.units.every((u) => u.replaces)).toBe(true);
    const najin = plan.units.find((u) => u.code === NAJIN_CODE)!;
    expect(najin.names).toEqual(seed(NAJIN_CODE).names);
    expect(najin.parentCode).toBe('540102');
    expect(najin.level).toBe('subdistrict');
  });

  it('checks gaps in districts and cities only when asked: the demo district and city are boxes only partly covered', () => {
    const plan = planBoundaryImport(collection(...najinFeatures()), [], { gapCheckLevels: LEVELS });
    expect(kinds(plan)).toEqual(['gap', 'gap']);
    expect(plan.problems.map((p) => p.code)).toEqual(['540100', '540102']);
    expect(plan.problems[1]!.reason).toMatch(/the 2 children of 540102 \(feature 1\) leave [\d,]+ m² of it uncovered around 91\.\d+, 29\.\d+/);
  });

  it('accepts the same file as a single Feature or as JSON text', () => {
    const [lhasa] = najinFeatures();
    expect(planBoundaryImport(lhasa, []).problems).toEqual([]);
    expect(planBoundaryImport(JSON.stringify(collection(...najinFeatures())), []).units).toHaveLength(JURISDICTIONS.length);
  });
});

// ---------------------------------------------------------------------------------------------------
// The file and its properties
// ---------------------------------------------------------------------------------------------------

describe('file and properties', () => {
  it('refuses what is not GeoJSON at all, with nothing to import', () => {
    for (const input of ['code,name_zh\n540102013001001,第一网格\n', 42, null, [1, 2], { type: 'Topology', objects: {} }, { type: 'FeatureCollection' }]) {
      const plan = planBoundaryImport(input, STORED);
      const p = only(plan, 'not_geojson');
      expect(p.feature).toBeNull();
      expect(plan.units).toEqual([]);
    }
    expect(planBoundaryImport('code,name_zh\n1,x', []).problems[0]!.reason).toMatch(/not JSON/);
    expect(planBoundaryImport(rect(91.1, 29.6, 91.11, 29.61), []).problems[0]!.reason).toMatch(/bare Polygon.*wrap it in a Feature/);
    expect(planBoundaryImport(collection(), []).problems[0]!.reason).toMatch(/no features/);
  });

  it('refuses a file that declares a projected coordinate system', () => {
    const input = { ...collection(westHalf(), eastHalf()), crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::4547' } } };
    expect(only(planBoundaryImport(input, STORED), 'not_geojson').reason).toMatch(/EPSG::4547.*EPSG:4326/);
    const wgs = { ...collection(westHalf(), eastHalf()), crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:OGC:1.3:CRS84' } } };
    expect(planBoundaryImport(wgs, STORED).problems).toEqual([]);
  });

  it('refuses features that are not Polygons or MultiPolygons', () => {
    const plan = planBoundaryImport(
      collection(westHalf(), grid(G2, { type: 'Point', coordinates: [91.115, 29.61] }), { type: 'Polygon', coordinates: [] }, grid(G3, null)),
      STORED,
    );
    expect(kinds(plan)).toEqual(['bad_feature', 'bad_feature', 'bad_feature']);
    expect(plan.problems.map((p) => p.feature)).toEqual([1, 2, 3]);
    expect(plan.problems[0]!.reason).toBe('feature 1 (540102013001002) is a "Point"; only Polygon and MultiPolygon boundaries can be imported');
    expect(plan.problems[2]!.reason).toMatch(/feature 3 \(540102013001003\) has no geometry/);
  });

  it('reports every bad property, and defaults name_en and name_bo to name_zh', () => {
    const plan = planBoundaryImport(
      collection(
        feature({ code: 540102013001001, level: 'grid', parent_code: COMMUNITY }, rect(91.1, 29.6, 91.11, 29.62)),
        feature({ code: G2, level: 'cell', parent_code: COMMUNITY, name_zh: '' }, rect(91.11, 29.6, 91.12, 29.62)),
        { type: 'Feature', geometry: rect(91.11, 29.6, 91.12, 29.62) },
      ),
      STORED,
    );
    expect(kinds(plan)).toEqual(['bad_properties', 'bad_properties', 'bad_properties', 'bad_properties']);
    expect(plan.problems[0]!.reason).toMatch(/code 540102013001001 is a number; store codes as text/);
    expect(plan.problems[1]!.reason).toBe('feature 1 (540102013001002): level is "cell"; it must be one of city, district, subdistrict, community, grid');
    expect(plan.problems[2]!.reason).toMatch(/has no name_zh/);
    expect(plan.problems[3]).toMatchObject({ feature: 2, code: null });

    const ok = planBoundaryImport(collection(westHalf(), eastHalf()), STORED);
    expect(ok.problems).toEqual([]);
    expect(ok.units[0]!.names).toEqual({ zh: `单元${G1}`, en: `单元${G1}`, bo: `单元${G1}` });
  });

  it('reports a repeated code on its second appearance', () => {
    // the repeated feature was probably meant to be the east half: no gap is claimed for its parent
    const plan = planBoundaryImport(collection(westHalf(), grid(G1, rect(91.11, 29.6, 91.12, 29.62))), STORED);
    const p = only(plan, 'duplicate_code');
    expect(p).toMatchObject({ feature: 1, code: G1 });
    expect(p.reason).toBe('feature 1 (540102013001001) repeats code 540102013001001, already used by feature 0; each unit must appear once');
  });

  it('reports a parent that is neither in the file nor stored', () => {
    const plan = planBoundaryImport(collection(westHalf(), grid(G2, rect(91.11, 29.6, 91.12, 29.62), '540102013009')), STORED);
    // the community now has one child from the file and leaves the east half uncovered
    expect(kinds(plan)).toEqual(['gap', 'unknown_parent']);
    const p = plan.problems.find((q) => q.kind === 'unknown_parent')!;
    expect(p).toMatchObject({ feature: 1, code: G2, other: '540102013009' });
    expect(p.reason).toBe('feature 1 (540102013001002): parent_code 540102013009 matches no feature in this file and no stored unit');
  });

  it('reports a parent one level off (a grid under a subdistrict)', () => {
    // (and it is not compared with the subdistrict's communities as if it were one of them)
    const plan = planBoundaryImport(collection(grid(G1, rect(91.1, 29.6, 91.11, 29.62), SUBDISTRICT)), STORED);
    const p = only(plan, 'wrong_parent_level');
    expect(p).toMatchObject({ feature: 0, code: G1, other: SUBDISTRICT });
    expect(p.reason).toBe('feature 0 (540102013001001) is a grid, so its parent must be a community, but 540102013 is a subdistrict');
  });

  it('finds a parent given earlier or later in the same file', () => {
    const community = feature({ code: '540102013002', level: 'community', parent_code: SUBDISTRICT }, rect(91.2, 29.6, 91.22, 29.62));
    const child = grid('540102013002001', rect(91.2, 29.6, 91.22, 29.62), '540102013002');
    expect(planBoundaryImport(collection(child, community), STORED).problems).toEqual([]);
    expect(planBoundaryImport(collection(community, child), STORED).units.map((u) => u.code)).toEqual(['540102013002', '540102013002001']);
  });

  it('allows an empty parent_code only at the top level', () => {
    const plan = planBoundaryImport(collection(grid(G1, rect(91.1, 29.6, 91.11, 29.62), null)), STORED);
    const p = only(plan, 'bad_properties');
    expect(p.reason).toBe('feature 0 (540102013001001) has no parent_code; a grid needs its community as parent (only the top level, city, may have none)');
  });

  it('refuses a stored code changing level', () => {
    const plan = planBoundaryImport(collection(feature({ code: COMMUNITY, level: 'grid', parent_code: COMMUNITY }, rect(91.1, 29.6, 91.12, 29.62))), STORED);
    expect(kinds(plan)).toContain('bad_properties');
    expect(plan.problems.find((p) => p.kind === 'bad_properties')!.reason).toMatch(/already stored as a community; a code cannot change level/);
  });
});

// ---------------------------------------------------------------------------------------------------
// Rings
// ---------------------------------------------------------------------------------------------------

describe('rings', () => {
  it('does not close an open ring itself: it reports it', () => {
    const open = box(91.1, 29.6, 91.11, 29.62).slice(0, -1);
    const plan = planBoundaryImport(collection(grid(G1, { type: 'Polygon', coordinates: [open] }), eastHalf()), STORED);
    const p = only(plan, 'unclosed_ring');
    expect(p).toMatchObject({ feature: 0, code: G1 });
    expect(p.reason).toBe(
      'ring 1 of feature 0 (540102013001001) is not closed: it starts at 91.1, 29.6 but ends at 91.1, 29.62; repeat the first position at the end',
    );
    expect(plan.units.map((u) => u.code)).toEqual([G2]);
  });

  it('reports a ring of 3 positions', () => {
    const tri = [
      [91.1, 29.6],
      [91.11, 29.6],
      [91.1, 29.6],
    ];
    const plan = planBoundaryImport(collection(westHalf(), grid(G2, { type: 'Polygon', coordinates: [tri] })), STORED);
    const p = only(plan, 'too_few_points');
    expect(p.reason).toBe(
      'ring 1 of feature 1 (540102013001002) has 3 positions; a ring needs at least 4 (3 corners, then the first corner repeated to close it)',
    );
  });

  it('reports NaN and out-of-range longitudes, one problem per ring, in every feature', () => {
    const nan = box(91.11, 29.6, 91.12, 29.62);
    nan[2] = [Number.NaN, 29.62];
    const wide = box(91.1, 29.6, 91.11, 29.62).map(([lon, lat]) => [lon! === 91.1 ? 200 : lon!, lat!]);
    const plan = planBoundaryImport(collection(grid(G1, { type: 'Polygon', coordinates: [wide] }), grid(G2, { type: 'Polygon', coordinates: [nan] })), STORED);
    expect(kinds(plan)).toEqual(['bad_coordinate', 'bad_coordinate']);
    expect(plan.problems[0]!.reason).toBe(
      'position 1 of ring 1 of feature 0 (540102013001001) is 200, 29.6: longitude must be within -180..180 and latitude within -90..90 (and 2 more bad positions in that ring)',
    );
    expect(plan.problems[1]!.reason).toBe('position 3 of ring 1 of feature 1 (540102013001002) is NaN, 29.62: both must be numbers');
    expect(plan.units).toEqual([]);
  });

  it('hints at a projected file when coordinates look like metres', () => {
    const metres = { type: 'Polygon', coordinates: [box(500000, 3280000, 501000, 3281000)] };
    expect(only(planBoundaryImport(collection(grid(G1, metres)), STORED), 'bad_coordinate').reason).toMatch(/projected, in metres; export it as WGS-84, EPSG:4326/);
  });

  it('reports a bow-tie with the point where it crosses itself', () => {
    const bowTie = [
      [91.1, 29.6],
      [91.11, 29.62],
      [91.11, 29.6],
      [91.1, 29.62],
      [91.1, 29.6],
    ];
    const plan = planBoundaryImport(collection(grid(G1, { type: 'Polygon', coordinates: [bowTie] }), eastHalf()), STORED);
    const p = only(plan, 'self_intersection');
    expect(p.reason).toBe('ring 1 of feature 0 (540102013001001) crosses itself at 91.105, 29.61');
  });

  it('reports a ring that touches itself at a vertex, and one that doubles back', () => {
    // a figure-8 pinched at 91.105, 29.61
    const pinched = [
      [91.1, 29.6],
      [91.11, 29.6],
      [91.105, 29.61],
      [91.11, 29.62],
      [91.1, 29.62],
      [91.105, 29.61],
      [91.1, 29.6],
    ];
    expect(only(planBoundaryImport(collection(grid(G1, { type: 'Polygon', coordinates: [pinched] })), STORED), 'self_intersection').reason).toMatch(
      /crosses itself at 91\.105, 29\.61/,
    );
    const spike = [
      [91.1, 29.6],
      [91.11, 29.6],
      [91.11, 29.62],
      [91.11, 29.63],
      [91.11, 29.62],
      [91.1, 29.62],
      [91.1, 29.6],
    ];
    expect(only(planBoundaryImport(collection(grid(G1, { type: 'Polygon', coordinates: [spike] })), STORED), 'self_intersection').reason).toMatch(
      /^ring 1 of feature 0 \(540102013001001\) crosses itself at 91\.11, 29\.62 \(and at 1 more place, e\.g\. 91\.11, 29\.625\)$/,
    );
  });

  it('reports a hole outside its shell, and a hole crossing it', () => {
    const outside = { type: 'Polygon', coordinates: [box(91.1, 29.6, 91.11, 29.62), box(91.13, 29.6, 91.14, 29.61).reverse()] };
    const p = only(planBoundaryImport(collection(grid(G1, outside), eastHalf()), STORED), 'hole_outside_shell');
    expect(p.reason).toMatch(/^ring 2 \(a hole\) of feature 0 \(540102013001001\) lies outside its outer ring \(ring 1\), e\.g\. at 91\.1[34]/);

    const crossing = { type: 'Polygon', coordinates: [box(91.1, 29.6, 91.11, 29.62), box(91.105, 29.605, 91.115, 29.615).reverse()] };
    const q = only(planBoundaryImport(collection(grid(G1, crossing), eastHalf()), STORED), 'hole_outside_shell');
    expect(q.reason).toMatch(/^ring 2 \(a hole\) of feature 0 \(540102013001001\) crosses ring 1 at 91\.11, 29\.61[05]/);
  });

  it('reports overlapping holes and overlapping MultiPolygon parts', () => {
    const holes = {
      type: 'Polygon',
      coordinates: [box(91.1, 29.6, 91.11, 29.62), box(91.102, 29.602, 91.106, 29.606).reverse(), box(91.104, 29.604, 91.108, 29.608).reverse()],
    };
    expect(only(planBoundaryImport(collection(grid(G1, holes), eastHalf()), STORED), 'self_intersection').reason).toMatch(/ring 3 \(a hole\) .* crosses ring 2/);
    const parts = { type: 'MultiPolygon', coordinates: [[box(91.1, 29.6, 91.11, 29.62)], [box(91.109, 29.6, 91.111, 29.61)]] };
    const plan = planBoundaryImport(collection(grid(G1, parts)), STORED);
    const p = plan.problems.find((q) => q.kind === 'self_intersection')!;
    expect(p.reason).toMatch(/^parts 1 and 2 of feature 0 \(540102013001001\) overlap by [\d,]+ m²/);
  });

  it('refuses a polygon crossing the antimeridian', () => {
    const fiji = {
      type: 'Polygon',
      coordinates: [
        [
          [179.9, -17],
          [-179.9, -17],
          [-179.9, -16.9],
          [179.9, -16.9],
          [179.9, -17],
        ],
      ],
    };
    const p = only(planBoundaryImport(collection(grid(G1, fiji)), STORED), 'antimeridian');
    expect(p.reason).toMatch(/^ring 1 of feature 0 \(540102013001001\) spans 359\.8° of longitude \(-179\.9 to 179\.9\); boundaries crossing the 180° meridian are not supported/);
  });

  it('reports a flat ring as having no area', () => {
    const flat = [
      [91.1, 29.6],
      [91.105, 29.605],
      [91.11, 29.61],
      [91.1, 29.6],
    ];
    expect(only(planBoundaryImport(collection(grid(G1, { type: 'Polygon', coordinates: [flat] })), STORED), 'empty_area').reason).toBe(
      'ring 1 of feature 0 (540102013001001) has no area: all its corners lie on one line',
    );
  });

  it('accepts clockwise outer rings, repeated vertices and altitudes (dropping the altitude)', () => {
    const cw = box(91.1, 29.6, 91.11, 29.62).reverse().map(([lon, lat]) => [lon!, lat!, 3650]);
    cw.splice(2, 0, [...cw[1]!]);
    const plan = planBoundaryImport(collection(grid(G1, { type: 'Polygon', coordinates: [cw] }), eastHalf()), STORED);
    expect(plan.problems).toEqual([]);
    expect(plan.units[0]!.geometry.coordinates[0]![0]).toEqual([91.1, 29.6]);
  });

  it('accepts a valid MultiPolygon with a hole (and the grid that fills the hole)', () => {
    const g1 = {
      type: 'MultiPolygon',
      coordinates: [
        [box(91.1, 29.6, 91.11, 29.62), box(91.103, 29.605, 91.107, 29.615).reverse()],
        [box(91.11, 29.6, 91.12, 29.61)],
      ],
    };
    const plan = planBoundaryImport(
      collection(grid(G1, g1), grid(G2, rect(91.11, 29.61, 91.12, 29.62)), grid(G3, rect(91.103, 29.605, 91.107, 29.615))),
      STORED,
      { toleranceM2: 0.01 },
    );
    expect(plan.problems).toEqual([]);
    const u = plan.units.find((x) => x.code === G1)!;
    expect(u.geometry).toEqual(g1);
    const expected = analyticBox(91.1, 29.6, 91.11, 29.62) - analyticBox(91.103, 29.605, 91.107, 29.615) + analyticBox(91.11, 29.6, 91.12, 29.61);
    within(u.areaM2, expected, 1e-6);
  });

  it('skips sibling checks for a feature whose own geometry is broken', () => {
    // the bow-tie lies on top of the east half, but only its self-intersection is reported
    const bowTie = { type: 'Polygon', coordinates: [[[91.11, 29.6], [91.12, 29.62], [91.12, 29.6], [91.11, 29.62], [91.11, 29.6]]] };
    const plan = planBoundaryImport(collection(westHalf(), eastHalf(), grid(G3, bowTie)), STORED);
    expect(kinds(plan)).toEqual(['self_intersection']);
  });
});

// ---------------------------------------------------------------------------------------------------
// Siblings and parents
// ---------------------------------------------------------------------------------------------------

describe('siblings and parents', () => {
  it('reports two sibling squares overlapping, with the overlap area', () => {
    // west 91.100-91.111, east 91.109-91.120: they share a strip 0.002° wide and 0.02° tall
    const plan = planBoundaryImport(collection(grid(G1, rect(91.1, 29.6, 91.111, 29.62)), grid(G2, rect(91.109, 29.6, 91.12, 29.62))), STORED);
    const p = only(plan, 'overlap');
    expect(p).toMatchObject({ feature: 0, code: G1, other: G2 });
    const expected = analyticBox(91.109, 29.6, 91.111, 29.62);
    expect(expected).toBeGreaterThan(40_000);
    within(p.areaM2, expected, 0.02);
    expect(p.reason).toMatch(/^540102013001001 \(feature 0\) overlaps its sibling 540102013001002 \(feature 1\) by 4[\d,]+ m² around 91\.11, 29\.61$/);
  });

  it('tolerates overlaps up to toleranceM2', () => {
    // a 4e-9° overlap strip is about 0.86 m² (0.4 mm x 2.2 km)
    const files = collection(grid(G1, rect(91.1, 29.6, 91.110000004, 29.62)), grid(G2, rect(91.11, 29.6, 91.12, 29.62)));
    expect(planBoundaryImport(files, STORED).problems).toEqual([]);
    const strict = planBoundaryImport(files, STORED, { toleranceM2: 0.1 });
    const p = only(strict, 'overlap');
    within(p.areaM2, analyticBox(91.11, 29.6, 91.110000004, 29.62), 0.02);
    expect(p.areaM2).toBeLessThan(1);
    expect(p.reason).toMatch(/by 0\.\d m²/);
  });

  it('reports the gap children leave in their parent, with its size and place', () => {
    // the north-east quarter 91.11-91.12 x 29.61-29.62 belongs to nobody
    const plan = planBoundaryImport(collection(westHalf(), grid(G2, rect(91.11, 29.6, 91.12, 29.61))), STORED);
    const p = only(plan, 'gap');
    expect(p).toMatchObject({ feature: null, code: COMMUNITY });
    const expected = analyticBox(91.11, 29.61, 91.12, 29.62);
    within(p.areaM2, expected, 0.02);
    expect(p.reason).toMatch(/^the 2 children of 540102013001 \(already stored\) leave 1,0\d\d,\d\d\d m² of it uncovered around 91\.115, 29\.615; every part of a community must belong to one of its children$/);
  });

  it('does not check gaps in a parent the file brings no child for', () => {
    // a new community with no grids yet
    const community = feature({ code: '540102013002', level: 'community', parent_code: SUBDISTRICT }, rect(91.2, 29.6, 91.22, 29.62));
    expect(planBoundaryImport(collection(community), STORED).problems).toEqual([]);
  });

  it('reports a child sticking out of its parent', () => {
    // the east grid reaches 0.01° past the community's east edge
    const plan = planBoundaryImport(collection(westHalf(), grid(G2, rect(91.11, 29.6, 91.13, 29.62))), STORED);
    const p = only(plan, 'outside_parent');
    expect(p).toMatchObject({ feature: 1, code: G2, other: COMMUNITY });
    within(p.areaM2, analyticBox(91.12, 29.6, 91.13, 29.62), 0.02);
    expect(p.reason).toMatch(/^540102013001002 \(feature 1\) sticks out of its parent 540102013001 \(already stored\) by 2,1\d\d,\d\d\d m² around 91\.125, 29\.61$/);
  });

  it('reports stored children left sticking out when the file shrinks their parent', () => {
    const stored: ExistingUnit[] = [
      ...STORED,
      { code: G1, level: 'grid', parentCode: COMMUNITY, geometry: rect(91.1, 29.6, 91.11, 29.62) },
      { code: G2, level: 'grid', parentCode: COMMUNITY, geometry: rect(91.11, 29.6, 91.12, 29.62) },
    ];
    const smaller = feature({ code: COMMUNITY, level: 'community', parent_code: SUBDISTRICT }, rect(91.1, 29.6, 91.115, 29.62));
    const plan = planBoundaryImport(collection(smaller), stored);
    const p = only(plan, 'outside_parent');
    expect(p).toMatchObject({ feature: 0, code: G2, other: COMMUNITY });
    within(p.areaM2, analyticBox(91.115, 29.6, 91.12, 29.62), 0.02);
  });

  it('re-importing one Najin grid with a shape that now bites into its stored neighbour reports that neighbour', () => {
    const code = '540102013001002';
    const neighbour = '540102013001003';
    const old = seed(code).geometry!;
    const next = seed(neighbour).geometry!;
    if (old.type !== 'Polygon' || next.type !== 'Polygon') throw new Error('expected plain polygons');
    // a vertex the two grids share that is not on their community's border
    const community = seed('540102013001').geometry!;
    const onCommunity = new Set(JSON.stringify(community.coordinates).match(/\[[\d.]+,[\d.]+\]/g));
    const key = (p: number[]): string => JSON.stringify(p);
    const shared = old.coordinates[0]!.find((p) => next.coordinates[0]!.some((q) => key(q) === key(p)) && !onCommunity.has(key(p)))!;
    expect(shared).toBeDefined();
    // grow the grid by a 0.0006° square (about 58 x 67 m) around that vertex
    const [lon, lat] = shared as [number, number];
    const bite = box(lon - 0.0003, lat - 0.0003, lon + 0.0003, lat + 0.0003);
    const grown = polygonClipping.union(old.coordinates as [number, number][][], [bite as [number, number][]]);
    expect(grown).toHaveLength(1);
    const changed: AreaGeometry = { type: 'Polygon', coordinates: grown[0]! };

    const unchanged = planBoundaryImport(collection(...najinFeatures([seed(code)])), najinStored());
    expect(unchanged.problems).toEqual([]);
    expect(unchanged.units[0]!.replaces).toBe(true);

    const plan = planBoundaryImport(
      collection(feature({ code, level: 'grid', parent_code: '540102013001', name_zh: seed(code).names.zh }, changed)),
      najinStored(),
    );
    expect(kinds(plan)).toEqual(['overlap']);
    const p = plan.problems[0]!;
    expect(p).toMatchObject({ feature: 0, code, other: neighbour });
    const expected = geodesicAreaM2({ type: 'MultiPolygon', coordinates: polygonClipping.intersection([bite as [number, number][]], next.coordinates as [number, number][][]) });
    expect(expected).toBeGreaterThan(500);
    within(p.areaM2, expected, 0.02);
    expect(p.reason).toContain(`overlaps its sibling ${neighbour} (already stored) by`);
    expect(plan.units).toHaveLength(1);
    expect(plan.units[0]!.replaces).toBe(true);
  });

  it('compares a re-imported unit with the new shapes of siblings in the same file, not their stored shapes', () => {
    const stored: ExistingUnit[] = [
      ...STORED,
      { code: G1, level: 'grid', parentCode: COMMUNITY, geometry: rect(91.1, 29.6, 91.11, 29.62) },
      { code: G2, level: 'grid', parentCode: COMMUNITY, geometry: rect(91.11, 29.6, 91.12, 29.62) },
    ];
    // move the shared border east by 0.002° in both grids at once
    const plan = planBoundaryImport(collection(grid(G1, rect(91.1, 29.6, 91.112, 29.62)), grid(G2, rect(91.112, 29.6, 91.12, 29.62))), stored);
    expect(plan.problems).toEqual([]);
    // moving only one of them overlaps the stored other
    const one = planBoundaryImport(collection(grid(G1, rect(91.1, 29.6, 91.112, 29.62))), stored);
    expect(only(one, 'overlap')).toMatchObject({ code: G1, other: G2 });
  });

  it('reports every problem in a file at once, ordered by feature', () => {
    const plan = planBoundaryImport(
      collection(
        grid(G1, rect(91.1, 29.6, 91.111, 29.62)),
        grid(G2, rect(91.109, 29.6, 91.13, 29.62)),
        grid(G3, { type: 'Polygon', coordinates: [box(91.1, 29.6, 91.11, 29.62).slice(0, 3)] }),
        grid(G1, rect(91.1, 29.6, 91.11, 29.62)),
      ),
      STORED,
    );
    expect(kinds(plan).sort()).toEqual(['duplicate_code', 'outside_parent', 'overlap', 'too_few_points']);
    const features = plan.problems.map((p) => p.feature);
    expect(features).toEqual([...features].sort((a, b) => (a ?? -1) - (b ?? -1)));
  });
});

// ---------------------------------------------------------------------------------------------------
// Limits: whoever sends the file controls the work, so every step is bounded
// ---------------------------------------------------------------------------------------------------

describe('limits', () => {
  const dog = watchdog(10_000);
  afterAll(() => dog.stop());

  /** The 400 a file over a limit gets, and how long it took to say so. */
  const refusal = (run: () => unknown): { code: string; field: unknown; message: string; ms: number } => {
    const started = performance.now();
    try {
      dog.guard(expect.getState().currentTestName ?? 'a limits test', run);
    } catch (error) {
      if (error instanceof DomainError) return { code: error.code, field: error.details.field, message: error.message, ms: performance.now() - started };
      throw error;
    }
    throw new Error('the file was not refused');
  };
  const city = (ring: number[][]): Record<string, unknown> => feature({ code: '540100', level: 'city', parent_code: null }, { type: 'Polygon', coordinates: [ring] });
  /** A regular n-gon, closed, counter-clockwise. */
  const ngon = (n: number, lon: number, lat: number, r: number): number[][] => {
    const ring = Array.from({ length: n }, (_, i) => [lon + r * Math.cos((2 * Math.PI * i) / n), lat + r * Math.sin((2 * Math.PI * i) / n)]);
    return [...ring, ring[0]!];
  };
  /** A simple polygon of `teeth` pairs of long east-west edges stacked north of each other, like a comb. */
  const comb = (teeth: number): number[][] => {
    const [w, s, width, dy] = [91.1, 29.6, 0.02, 0.02 / (2 * teeth)];
    const ring = [[w, s]];
    for (let i = 0, y = s; i < teeth; i++, y += 2 * dy) ring.push([w + width, y], [w + width, y + dy], [w + width * 0.01, y + dy], [w + width * 0.01, y + 2 * dy]);
    ring.push([w, s + 2 * teeth * dy], [w, s]);
    return ring;
  };
  /** The comb turned by 45°: long parallel diagonal edges whose bounding boxes all meet one another. */
  const diagonalComb = (teeth: number): number[][] =>
    comb(teeth).map(([x, y]) => [91.1 + (x! - 91.1 - (y! - 29.6)) * Math.SQRT1_2, 29.6 + (x! - 91.1 + (y! - 29.6)) * Math.SQRT1_2]);

  it(`refuses more than ${BOUNDARY_LIMITS.maxFeatures.toLocaleString('en')} features before looking at any of them`, () => {
    const features = Array.from({ length: BOUNDARY_LIMITS.maxFeatures + 1 }, (_, i) => grid(`540102013001${String(i).padStart(5, '0')}`, rect(91.1, 29.6, 91.11, 29.62)));
    const r = refusal(() => planBoundaryImport(collection(...features), STORED));
    expect(r).toMatchObject({ code: 'boundary_too_many_features', field: 'features' });
    expect(r.message).toMatch(/10,001 features; at most 10,000/);
    expect(r.ms).toBeLessThan(2_000);
  });

  it(`refuses more than ${BOUNDARY_LIMITS.maxVertices.toLocaleString('en')} positions in a file`, () => {
    // Eleven features sharing one ring of 199,000 positions: under the per-feature limit, over the file's.
    const ring = ngon(198_999, 91.11, 29.61, 0.005);
    const features = Array.from({ length: 11 }, (_, i) => grid(`54010201300100${i}`, { type: 'Polygon', coordinates: [ring] }));
    const r = refusal(() => planBoundaryImport(collection(...features), STORED));
    expect(r).toMatchObject({ code: 'boundary_too_many_vertices', field: 'features' });
    expect(r.message).toMatch(/2,189,000 positions; at most 2,000,000/);
    expect(r.ms).toBeLessThan(2_000);
  });

  it(`refuses a feature of more than ${BOUNDARY_LIMITS.maxFeatureVertices.toLocaleString('en')} positions or ${BOUNDARY_LIMITS.maxFeatureRings.toLocaleString('en')} rings, naming it`, () => {
    const big = refusal(() => planBoundaryImport(collection(westHalf(), grid(G2, { type: 'Polygon', coordinates: [ngon(200_000, 91.115, 29.61, 0.004)] })), STORED));
    expect(big).toMatchObject({ code: 'boundary_feature_too_large', field: 'features' });
    expect(big.message).toMatch(/^feature 1 \(540102013001002\) has 200,001 positions in 1 ring;/);
    expect(big.ms).toBeLessThan(2_000);
    // A shell with 2,000 holes (the same small square, which is never looked at).
    const hole = box(91.111, 29.601, 91.1111, 29.6011).reverse();
    const holed = { type: 'Polygon', coordinates: [box(91.11, 29.6, 91.12, 29.62), ...Array.from({ length: BOUNDARY_LIMITS.maxFeatureRings }, () => hole)] };
    const many = refusal(() => planBoundaryImport(collection(grid(G2, holed)), STORED));
    expect(many).toMatchObject({ code: 'boundary_feature_too_large' });
    expect(many.message).toMatch(/in 2,001 rings/);
    expect(many.ms).toBeLessThan(2_000);
  });

  it('checks a comb of 40,000 long east-west edges in linear time, not quadratic', () => {
    const started = performance.now();
    const plan = dog.guard('the comb', () => planBoundaryImport(collection(city(comb(10_000))), []));
    expect(plan.problems).toEqual([]);
    // The edge sweep this replaced needed about a minute here (every edge stayed on the sweep line).
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it(`refuses a shape needing more than ${BOUNDARY_LIMITS.maxEdgeTests.toLocaleString('en')} edge comparisons, quickly`, () => {
    // 20,000 positions, every long edge's box meeting every other's: 10,000² / 2 pairs to look at.
    const r = refusal(() => planBoundaryImport(collection(city(diagonalComb(5_000))), []));
    expect(r).toMatchObject({ code: 'boundary_too_complex', field: 'features' });
    expect(r.message).toMatch(/^checking ring 1 of feature 0 \(540100\) takes more than 20,000,000 edge comparisons/);
    expect(r.ms).toBeLessThan(5_000);
  });

  it(`refuses a file whose sibling checks would clip more than ${BOUNDARY_LIMITS.maxClipVertices.toLocaleString('en')} vertices, before clipping any`, () => {
    // 300 grids of 100 positions, all on top of each other: 44,850 pairs to clip, 200 vertices each.
    const features = Array.from({ length: 300 }, (_, i) => grid(`54010201300${String(1000 + i)}`, { type: 'Polygon', coordinates: [ngon(99, 91.11 + i * 1e-6, 29.61, 0.004)] }));
    const r = refusal(() => planBoundaryImport(collection(...features), STORED));
    expect(r).toMatchObject({ code: 'boundary_too_complex', field: 'features' });
    expect(r.message).toMatch(/would pass more than 4,000,000 vertices through the geometry engine \(the count passed it at 540102013001\d+ \(feature \d+\) against its sibling/);
    // Clipping them would take about 3 minutes (~20 µs a vertex); counting them takes milliseconds.
    expect(r.ms).toBeLessThan(2_000);
  });

  it(`holds an import inside a server's request to the online budget (${ONLINE_BOUNDARY_LIMITS.maxClipVertices.toLocaleString('en')} clipped vertices) and points to the CLI`, () => {
    // 60 overlapping grids: 1,770 pairs of 200 vertices, 354,000 in all: over the online budget, well within
    // the command line's (which would spend some 7 s clipping them).
    const features = Array.from({ length: 60 }, (_, i) => grid(`54010201300${String(1000 + i)}`, { type: 'Polygon', coordinates: [ngon(99, 91.11 + i * 1e-6, 29.61, 0.004)] }));
    const online = refusal(() => planBoundaryImport(collection(...features), STORED, { limits: ONLINE_BOUNDARY_LIMITS }));
    expect(online).toMatchObject({ code: 'boundary_too_complex', field: 'features' });
    expect(online.message).toMatch(/gridline import boundaries/);
    expect(online.ms).toBeLessThan(1_000);
  });
});
