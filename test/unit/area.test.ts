import { describe, expect, it } from 'vitest';
import { distanceM, EARTH_RADIUS_M, geodesicAreaM2, ringAreaM2, signedRingAreaM2 } from '../../src/geo/area.js';
import type { AreaGeometry } from '../../src/geo/polygon.js';
import { JURISDICTIONS, NAJIN_CODE, ZHAXI_CODE } from '../../src/seed/najin-data.js';
import { analyticBox, box, R, rad } from '../support/geo.js';

const within = (actual: number, expected: number, fraction: number): void => {
  expect(Math.abs(actual - expected) / expected).toBeLessThanOrEqual(fraction);
};

describe('geodesic area', () => {
  it('uses the WGS-84 mean radius', () => {
    expect(EARTH_RADIUS_M).toBe(R);
  });

  it('a 0.01° × 0.01° square at the equator is about 1.2364 km²', () => {
    const area = geodesicAreaM2({ type: 'Polygon', coordinates: [box(0, 0, 0.01, 0.01)] });
    within(area, 1.2364e6, 0.0005);
    within(area, analyticBox(0, 0, 0.01, 0.01), 0.005);
    // tighter still: the formula is exact for a lon/lat box
    within(area, analyticBox(0, 0, 0.01, 0.01), 1e-9);
  });

  it('at 29.65°N (Lhasa) the same square shrinks by cos(latitude)', () => {
    const equator = geodesicAreaM2({ type: 'Polygon', coordinates: [box(91.15, 0, 91.16, 0.01)] });
    const lhasa = geodesicAreaM2({ type: 'Polygon', coordinates: [box(91.15, 29.65, 91.16, 29.66)] });
    within(lhasa, analyticBox(91.15, 29.65, 91.16, 29.66), 0.005);
    within(lhasa, equator * Math.cos(rad(29.655)), 0.005);
    expect(lhasa).toBeLessThan(equator * 0.9);
  });

  it('ignores winding and whether the ring repeats its first position', () => {
    const ccw = box(91.1, 29.6, 91.11, 29.61);
    const cw = [...ccw].reverse();
    const open = ccw.slice(0, -1);
    const a = ringAreaM2(ccw);
    expect(ringAreaM2(cw)).toBeCloseTo(a, 6);
    expect(ringAreaM2(open)).toBeCloseTo(a, 6);
    expect(signedRingAreaM2(ccw)).toBeGreaterThan(0);
    expect(signedRingAreaM2(cw)).toBeLessThan(0);
    expect(ringAreaM2([[0, 0], [1, 1], [0, 0]])).toBe(0);
  });

  it('subtracts holes and sums MultiPolygon parts', () => {
    const outer = box(91.1, 29.6, 91.12, 29.62);
    const hole = box(91.105, 29.605, 91.115, 29.615).reverse();
    const holed: AreaGeometry = { type: 'Polygon', coordinates: [outer, hole] };
    const expected = analyticBox(91.1, 29.6, 91.12, 29.62) - analyticBox(91.105, 29.605, 91.115, 29.615);
    within(geodesicAreaM2(holed), expected, 1e-9);

    const far = box(91.2, 29.6, 91.21, 29.61);
    const multi: AreaGeometry = { type: 'MultiPolygon', coordinates: [[outer, hole], [far]] };
    within(geodesicAreaM2(multi), expected + analyticBox(91.2, 29.6, 91.21, 29.61), 1e-9);
  });

  it("Najin's and Zhaxi's children add up to their parent (exact tessellation, hole and exclave included)", () => {
    for (const parentCode of [NAJIN_CODE, ZHAXI_CODE]) {
      const parent = JURISDICTIONS.find((j) => j.code === parentCode)!;
      const communities = JURISDICTIONS.filter((j) => j.parentCode === parentCode);
      expect(communities.length).toBeGreaterThan(1);
      const parentArea = geodesicAreaM2(parent.geometry!);
      expect(parentArea).toBeGreaterThan(5e6);
      const sum = communities.reduce((s, c) => s + geodesicAreaM2(c.geometry!), 0);
      within(sum, parentArea, 1e-9);
      for (const community of communities) {
        const grids = JURISDICTIONS.filter((j) => j.parentCode === community.code);
        const gridSum = grids.reduce((s, g) => s + geodesicAreaM2(g.geometry!), 0);
        within(gridSum, geodesicAreaM2(community.geometry!), 1e-9);
      }
    }
  });
});

describe('haversine distance', () => {
  it('one degree of latitude is R·π/180 metres', () => {
    expect(distanceM([91.1, 29], [91.1, 30])).toBeCloseTo((R * Math.PI) / 180, 3);
  });

  it('east-west distances shrink by cos(latitude); zero for the same point; symmetric', () => {
    const equator = distanceM([0, 0], [0.01, 0]);
    expect(equator).toBeCloseTo(1111.95, 1);
    within(distanceM([91.15, 29.65], [91.16, 29.65]), equator * Math.cos(rad(29.65)), 1e-6);
    expect(distanceM([91.15, 29.65], [91.15, 29.65])).toBe(0);
    expect(distanceM([91.1, 29.6], [91.2, 29.7])).toBeCloseTo(distanceM([91.2, 29.7], [91.1, 29.6]), 9);
  });

  it('antipodes are half the circumference apart', () => {
    expect(distanceM([0, 0], [180, 0])).toBeCloseTo(Math.PI * R, 3);
  });
});
