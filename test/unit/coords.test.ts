// Coordinate systems against the published GCJ-02 / BD-09 formulas (an independent implementation
// written out here) and against fixed reference points.

import gcoordModule from 'gcoord';
import { afterAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { cellRange, FINEST } from '../../src/geo/cells.js';
import { CHINA_BOX, checkPoint, convert, COORD_SYSTEMS, GCJ_INVERSE_ERROR_M, toWgs84, wgs84ToGcj02, type LatLon } from '../../src/geo/coords.js';
import { watchdog } from '../support/watchdog.js';

// gcoord is CommonJS whose types declare an ES default export; the default import is module.exports.
const gcoord = gcoordModule as unknown as typeof gcoordModule.default;

// The widely published "eviltransform" formulas (Krasovsky 1940 ellipsoid).
const A = 6378245.0;
const EE = 0.00669342162296594323;
const X_PI = (Math.PI * 3000.0) / 180.0;
function transformLat(x: number, y: number): number {
  let ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  ret += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  ret += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
  ret += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
  return ret;
}
function transformLon(x: number, y: number): number {
  let ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  ret += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  ret += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
  ret += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
  return ret;
}
function wgsToGcj(lat: number, lon: number): { lat: number; lon: number } {
  let dLat = transformLat(lon - 105.0, lat - 35.0);
  let dLon = transformLon(lon - 105.0, lat - 35.0);
  const radLat = (lat / 180.0) * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - EE * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  dLon = (dLon * 180.0) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return { lat: lat + dLat, lon: lon + dLon };
}
function gcjToBd(lat: number, lon: number): { lat: number; lon: number } {
  const z = Math.sqrt(lon * lon + lat * lat) + 0.00002 * Math.sin(lat * X_PI);
  const theta = Math.atan2(lat, lon) + 0.000003 * Math.cos(lon * X_PI);
  return { lat: z * Math.sin(theta) + 0.006, lon: z * Math.cos(theta) + 0.0065 };
}

const NAJIN = { lat: 29.6489, lon: 91.1548 }; // 纳金路 rider station, WGS-84
const TIANANMEN = { lat: 39.90923, lon: 116.397428 };
const PARIS = { lat: 48.8584, lon: 2.2945 };

describe('coordinate conversion', () => {
  it.each([
    ['Najin, Lhasa', NAJIN],
    ['Tiananmen, Beijing', TIANANMEN],
    ['Sanya, Hainan', { lat: 18.2528, lon: 109.5119 }],
  ])('WGS-84 -> GCJ-02 matches the published formula in %s to 1e-6 degrees', (_name, point) => {
    const got = convert(point, 'wgs84', 'gcj02');
    const expected = wgsToGcj(point.lat, point.lon);
    expect(got.lat).toBeCloseTo(expected.lat, 6);
    expect(got.lon).toBeCloseTo(expected.lon, 6);
    // The offset is hundreds of metres, not zero: a forgotten conversion would be caught.
    expect(Math.abs(got.lon - point.lon) + Math.abs(got.lat - point.lat)).toBeGreaterThan(0.001);
  });

  it('GCJ-02 -> BD-09 matches the published formula', () => {
    const gcj = wgsToGcj(TIANANMEN.lat, TIANANMEN.lon);
    const got = convert(gcj, 'gcj02', 'bd09');
    const expected = gcjToBd(gcj.lat, gcj.lon);
    expect(got.lat).toBeCloseTo(expected.lat, 6);
    expect(got.lon).toBeCloseTo(expected.lon, 6);
  });

  it('brings GCJ-02 and BD-09 points back to WGS-84 within a metre', () => {
    for (const from of ['gcj02', 'bd09'] as const) {
      const there = convert(NAJIN, 'wgs84', from);
      const back = toWgs84(there, from);
      expect(Math.abs(back.lat - NAJIN.lat)).toBeLessThan(1e-5);
      expect(Math.abs(back.lon - NAJIN.lon)).toBeLessThan(1e-5);
    }
  });

  it('applies no offset outside China', () => {
    expect(convert(PARIS, 'wgs84', 'gcj02')).toEqual(PARIS);
    expect(toWgs84(PARIS, 'gcj02')).toEqual(PARIS);
  });

  it('is the identity within one system', () => {
    expect(convert(NAJIN, 'bd09', 'bd09')).toBe(NAJIN);
  });
});

describe('checkPoint', () => {
  const code = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      if (error instanceof DomainError) return [error.code, error.details.field];
    }
    return undefined;
  };

  it('refuses out-of-range, non-numeric and unknown systems, naming the field', () => {
    expect(code(() => checkPoint(91, 10))).toEqual(['invalid_coordinate', 'lat']);
    expect(code(() => checkPoint(10, -180.5))).toEqual(['invalid_coordinate', 'lon']);
    expect(code(() => checkPoint(Number.NaN, 10))).toEqual(['invalid_coordinate', 'lat']);
    expect(code(() => checkPoint('29.6', 91))).toEqual(['invalid_coordinate', 'lat']);
    expect(code(() => checkPoint(29.6, Number.POSITIVE_INFINITY))).toEqual(['invalid_coordinate', 'lon']);
    expect(code(() => checkPoint(29.6, 91.1, 'mars'))).toEqual(['invalid_coord_sys', 'coord_sys']);
  });

  it('accepts the edges of the range and defaults to WGS-84', () => {
    expect(checkPoint(-90, 180)).toEqual({ point: { lat: -90, lon: 180 }, coordSys: 'wgs84' });
    expect(checkPoint(29.65, 91.15, 'gcj02').coordSys).toBe('gcj02');
  });
});

// ---------------------------------------------------------------------------------------------------
// The edge of the China box (issue 8): gcoord's GCJ-02 -> WGS-84 looped forever there.
// ---------------------------------------------------------------------------------------------------

const RAD = Math.PI / 180;
const M_PER_DEG = (6_371_008.8 * Math.PI) / 180;
const metres = (a: LatLon, b: LatLon): number => Math.hypot((a.lon - b.lon) * M_PER_DEG * Math.cos(a.lat * RAD), (a.lat - b.lat) * M_PER_DEG);
const finite = (p: LatLon): boolean => Number.isFinite(p.lat) && Number.isFinite(p.lon);
const steps = (from: number, to: number, step: number): number[] => Array.from({ length: Math.round((to - from) / step) + 1 }, (_, i) => from + i * step);
const inBox = (p: LatLon): boolean => p.lon >= CHINA_BOX.minLon && p.lon <= CHINA_BOX.maxLon && p.lat >= CHINA_BOX.minLat && p.lat <= CHINA_BOX.maxLat;

const ACROSS_LAT = [0.83, 1, 5, 10, 20, 30, 35, 40, 50, 55.82];
const ACROSS_LON = [72.01, 80, 90, 100, 105, 110, 120, 130, 137.83];
/** Points in fine steps across each edge of the box (lon 72.004 and 137.8347, lat 0.8293 and 55.8271) and its south-west corner. */
const EDGE_STRIPS: Record<string, LatLon[]> = {
  west: steps(71.995, 72.02, 0.0001).flatMap((lon) => ACROSS_LAT.map((lat) => ({ lat, lon }))),
  south: steps(0.825, 0.835, 0.00005).flatMap((lat) => ACROSS_LON.map((lon) => ({ lat, lon }))),
  east: steps(137.825, 137.845, 0.0001).flatMap((lon) => ACROSS_LAT.map((lat) => ({ lat, lon }))),
  north: steps(55.82, 55.835, 0.0001).flatMap((lat) => ACROSS_LON.map((lon) => ({ lat, lon }))),
  'south-west corner': steps(72.0, 72.01, 0.0001).flatMap((lon) => steps(0.829, 0.831, 0.00005).map((lat) => ({ lat, lon }))),
};

describe('the edge of the China box', () => {
  const dog = watchdog(5_000);
  afterAll(() => dog.stop());

  it.each(Object.keys(EDGE_STRIPS))('every GCJ-02 and BD-09 point across the %s edge converts to finite WGS-84 and back, quickly', (edge) => {
    const started = performance.now();
    dog.guard('an edge sweep', () => {
      for (const from of ['gcj02', 'bd09'] as const) {
        for (const p of EDGE_STRIPS[edge]!) {
          dog.note(`${from} -> wgs84 -> ${from} at ${p.lon}, ${p.lat}`);
          const w = toWgs84(p, from);
          expect(finite(w), `${from} ${p.lon}, ${p.lat}`).toBe(true);
          // Never further than the offsets themselves (GCJ-02 up to ~733 m, BD-09 another ~1 km).
          expect(metres(w, p), `${from} ${p.lon}, ${p.lat}`).toBeLessThan(2_500);
          expect(finite(convert(w, 'wgs84', from))).toBe(true);
        }
      }
    });
    // A few thousand points each way take milliseconds; the old conversion never returned at all.
    expect(performance.now() - started).toBeLessThan(2_000);
  }, 10_000);

  it.each([
    ['west', (d: number, lat: number): LatLon => ({ lat, lon: CHINA_BOX.minLon + d }), ACROSS_LAT, (p: LatLon) => p.lon],
    ['south', (d: number, lon: number): LatLon => ({ lat: CHINA_BOX.minLat + d, lon }), ACROSS_LON, (p: LatLon) => p.lat],
  ] as const)("inside the %s edge, where no WGS-84 point maps, answers the formula's own preimage just outside the box, continuously", (_edge, at, across, along) => {
    dog.guard('an edge sweep', () => {
      for (const other of across) {
        let previous: LatLon | null = null;
        let noPreimage = 0;
        for (const d of steps(0, 0.01, 0.00001)) {
          const g = at(d, other);
          dog.note(`gcj02 -> wgs84 at ${g.lon}, ${g.lat}`);
          const w = toWgs84(g, 'gcj02');
          expect(toWgs84(g, 'gcj02')).toEqual(w); // deterministic
          if (inBox(w)) {
            // An ordinary inverse again, exact to the documented bound.
            expect(metres(wgs84ToGcj02(w), g)).toBeLessThan(GCJ_INVERSE_ERROR_M);
          } else {
            // No WGS-84 point maps here: the forward conversion leaves points outside the box alone.
            noPreimage++;
            expect(wgs84ToGcj02(w)).toEqual(w);
          }
          // Continuous: the answer moves with the input (the inverse's slope is within 1.1 of 1).
          if (previous) expect(Math.abs(along(w) - along(previous))).toBeLessThan(1.1e-5);
          previous = w;
        }
        expect(noPreimage, `a strip without preimages at ${other}`).toBeGreaterThan(0);
      }
    });
  }, 10_000);

  it(`brings every point of China back within ${GCJ_INVERSE_ERROR_M} m through GCJ-02 and 0.25 m through BD-09`, () => {
    // A 0.37° grid over the box, and a fine one across 105°E, where the formula has a √|lon-105| kink.
    const points = [
      ...steps(72.01, 137.82, 0.37).flatMap((lon) => steps(0.84, 55.8, 0.37).map((lat) => ({ lat, lon }))),
      ...steps(104.9995, 105.0005, 0.00001).flatMap((lon) => ACROSS_LAT.map((lat) => ({ lat, lon }))),
    ];
    let worstGcj = 0;
    let worstBd = 0;
    dog.guard('an edge sweep', () => {
      for (const w of points) {
        const g = wgs84ToGcj02(w);
        if (!inBox(g)) continue; // near the east and north edges the offset carries the point out of the box
        dog.note(`round trip at ${w.lon}, ${w.lat}`);
        worstGcj = Math.max(worstGcj, metres(toWgs84(g, 'gcj02'), w));
        worstBd = Math.max(worstBd, metres(toWgs84(convert(w, 'wgs84', 'bd09'), 'bd09'), w));
      }
    });
    expect(worstGcj).toBeLessThan(GCJ_INVERSE_ERROR_M);
    expect(worstBd).toBeLessThan(0.25);
  }, 10_000);

  it('keeps every point on the globe: no offset far from China, in any system', () => {
    for (const p of [{ lat: 29.655, lon: -180 }, { lat: -90, lon: 72.005 }, { lat: 90, lon: 0 }, { lat: 29.6412, lon: 179.9999999 }, { lat: 48.8584, lon: 2.2945 }]) {
      for (const from of COORD_SYSTEMS) {
        for (const to of COORD_SYSTEMS) {
          const q = convert(p, from, to);
          expect(q, `${from} -> ${to} at ${p.lon}, ${p.lat}`).toEqual(p);
        }
      }
    }
  });

  it('agrees with gcoord wherever gcoord terminates (inside the box, away from its west and south edges)', () => {
    const CRS = { wgs84: gcoord.WGS84, gcj02: gcoord.GCJ02, bd09: gcoord.BD09 } as const;
    const points = [
      ...steps(73, 137, 1.3).flatMap((lon) => steps(1, 55, 1.1).map((lat) => ({ lat, lon }))),
      { lat: 29.6489, lon: 91.1548 },
      { lat: 48.8584, lon: 2.2945 }, // Paris, outside the box
    ];
    let worstInverse = 0;
    dog.guard('an edge sweep', () => {
      for (const p of points) {
        for (const from of COORD_SYSTEMS) {
          for (const to of COORD_SYSTEMS) {
            if (from === to) continue;
            dog.note(`gcoord ${from} -> ${to} at ${p.lon}, ${p.lat}`);
            const ours = convert(p, from, to);
            // Outside China BD-09 is WGS-84 unchanged here (gcoord shifts it anyway): tested below.
            if ((from === 'bd09' || to === 'bd09') && p.lat === 48.8584) continue;
            const [lon, lat] = gcoord.transform([p.lon, p.lat], CRS[from], CRS[to]) as [number, number];
            const diff = Math.max(Math.abs(ours.lon - lon), Math.abs(ours.lat - lat));
            if (to === 'wgs84') worstInverse = Math.max(worstInverse, diff);
            // The closed forms are the same arithmetic.
            else expect(diff, `${from} -> ${to} at ${p.lon}, ${p.lat}`).toBeLessThan(1e-12);
          }
        }
      }
    });
    // gcoord stops once its residual is under 1e-6°; ours iterates down to rounding.
    expect(worstInverse).toBeLessThan(1.1e-6);
    expect(worstInverse).toBeGreaterThan(0);
  }, 10_000);
});

describe('cell ranges at the ends of the world', () => {
  it('cuts a box to the world, so a box around a point near a pole gives cell numbers in range', () => {
    // 50 m around a point 1e-9° from the pole: cos(lat) is so small that the box spans billions of degrees.
    expect(cellRange(89.9995, -5e11, 90, 5e11, FINEST)).toEqual({ y0: 179_999, y1: 180_000, x0: 0, x1: 360_000 });
    expect(cellRange(-95, -200, -89.5, 200, 0)).toEqual({ y0: 0, y1: 0, x0: 0, x1: 360 });
  });
});
