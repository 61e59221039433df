// Coordinate systems against the published GCJ-02 / BD-09 formulas (an independent implementation
// written out here) and against fixed reference points.

import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { checkPoint, convert, toWgs84 } from '../../src/geo/coords.js';

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
