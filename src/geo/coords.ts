// China's coordinate systems. Phones send WGS-84 (GPS), GCJ-02 (Amap, Tencent, WeChat 'gcj02') or
// BD-09 (Baidu). Gridline stores WGS-84 plus the point exactly as sent, and answers in the system a
// client asks for.
//
// Our own implementation rather than gcoord's: gcoord's GCJ-02 -> WGS-84 is an unbounded `while` loop
// that never ends for GCJ-02 points just inside the west and south edges of its China box (within about
// 0.0055° of lon 72.004 or 0.0015° of lat 0.8293; BD-09 points that convert there), where its guess keeps
// stepping out of the box and back. Every conversion here is closed form or a fixed number of steps. The
// formulas and the box are gcoord's (1.0.7), so the answers agree with gcoord wherever gcoord terminates
// (test/unit/coords.test.ts).
//
// - WGS-84 -> GCJ-02: the published closed form (Krasovsky 1940 ellipsoid), applied inside CHINA_BOX only;
//   outside it the point is unchanged. The offset is at most ~733 m.
// - GCJ-02 -> WGS-84: fixed-point iteration w <- g - offset(w), at most GCJ_INVERSE_STEPS steps (stopping
//   early only at an exact fixed point). The offset's Jacobian has absolute entries summing below 0.0105
//   over China (away from 105°E, see below), so each step shrinks the error about a hundredfold: 733 m · 0.0105^8 is far below a
//   nanometre, and what is left is rounding. Measured over China (a WGS-84 grid every 0.01°, 36 million
//   points, sent forward and back): worst error 3.2e-9 m; 7.4e-8 m within 0.001° of 105°E, where the
//   formula's √|lon-105| term has no derivative. Documented bound: 1e-6 m (GCJ_INVERSE_ERROR_M).
// - BD-09 <-> GCJ-02: Baidu's published closed forms both ways, applied within BD_MARGIN (0.05°) of the
//   box and nowhere else. gcoord applies them everywhere, which shifts a point at lon -180 or lat ±90 off
//   the globe (lon -180.0064, lat 90.006): Baidu's offset exists for Chinese maps only, so like GCJ-02's
//   it stops at the box (widened by the margin so that a point and its BD-09 image, ~0.007° apart, are
//   treated alike). The BD-09 -> GCJ-02 form is itself approximate: a GCJ-02 -> BD-09 -> GCJ-02 round
//   trip is off by up to 0.24 m (measured on the same grid). That error is Baidu's formula's, and every
//   client shares it.
//
// The box edge. A GCJ-02 point outside the box is taken as WGS-84 unchanged (gcoord's rule). Along the
// west and south edges the offset points into the box, so a strip of GCJ-02 points inside the box (up to
// 0.0055° of longitude wide in the west, 0.0015° of latitude in the south) is the image of no WGS-84
// point: the forward formula leaves everything outside the box alone. There the inverse ignores the box
// while iterating and returns the point the formula itself would send there (just outside the box), so
// the answer is continuous across the strip and as bounded as everywhere else. Along the east and north
// edges the offset points outwards: WGS-84 points within 0.009° of the east edge or 0.003° of the north
// edge map outside the box and come back unchanged (gcoord's answer too). All these strips lie outside
// China's territory (Tajikistan, Sumatra's latitude, the Pacific east of Japan, Siberia).

import { invalid } from '../domain/errors.js';

export const COORD_SYSTEMS = ['wgs84', 'gcj02', 'bd09'] as const;
export type CoordSys = (typeof COORD_SYSTEMS)[number];

export interface LatLon {
  lat: number;
  lon: number;
}

/** Where GCJ-02 applies: gcoord's rough box around China (inclusive). */
export const CHINA_BOX = { minLon: 72.004, maxLon: 137.8347, minLat: 0.8293, maxLat: 55.8271 } as const;

/** Steps of the GCJ-02 -> WGS-84 iteration; after 6 only rounding is left (see the file comment). */
export const GCJ_INVERSE_STEPS = 8;

/** The documented worst-case error of GCJ-02 -> WGS-84 over China, metres. */
export const GCJ_INVERSE_ERROR_M = 1e-6;

export const isCoordSys = (value: unknown): value is CoordSys => typeof value === 'string' && (COORD_SYSTEMS as readonly string[]).includes(value);

/** Check a point as a client sent it: numbers in range, a known system. 400 naming the field otherwise. */
export function checkPoint(lat: unknown, lon: unknown, coordSys: unknown = 'wgs84', prefix = ''): { point: LatLon; coordSys: CoordSys } {
  if (typeof lat !== 'number' || !Number.isFinite(lat) || lat < -90 || lat > 90) {
    throw invalid(`${prefix}lat`, 'lat must be a number between -90 and 90.', 'invalid_coordinate');
  }
  if (typeof lon !== 'number' || !Number.isFinite(lon) || lon < -180 || lon > 180) {
    throw invalid(`${prefix}lon`, 'lon must be a number between -180 and 180.', 'invalid_coordinate');
  }
  if (!isCoordSys(coordSys)) throw invalid(`${prefix}coord_sys`, `coord_sys must be one of ${COORD_SYSTEMS.join(', ')}.`, 'invalid_coord_sys');
  return { point: { lat, lon }, coordSys };
}

/** Convert a point between systems (identity when they are the same). Always a bounded amount of work. */
export function convert(point: LatLon, from: CoordSys, to: CoordSys): LatLon {
  if (from === to) return point;
  // Through GCJ-02, which both other systems are defined against.
  const gcj = from === 'gcj02' ? point : from === 'wgs84' ? wgs84ToGcj02(point) : bd09ToGcj02(point);
  return to === 'gcj02' ? gcj : to === 'wgs84' ? gcj02ToWgs84(gcj) : gcj02ToBd09(gcj);
}

export const toWgs84 = (point: LatLon, from: CoordSys): LatLon => convert(point, from, 'wgs84');

// ---------------------------------------------------------------------------------------------------
// The formulas
// ---------------------------------------------------------------------------------------------------

const { PI, sin, cos, sqrt, abs, atan2 } = Math;
/** Krasovsky 1940 semi-major axis and first eccentricity squared, as the GCJ-02 formula uses them. */
const KRASOVSKY_A = 6378245;
const KRASOVSKY_EE = 0.006693421622965823;
const BD_FACTOR = (PI * 3000) / 180;

const inChinaBox = (lon: number, lat: number, margin = 0): boolean =>
  lon >= CHINA_BOX.minLon - margin && lon <= CHINA_BOX.maxLon + margin && lat >= CHINA_BOX.minLat - margin && lat <= CHINA_BOX.maxLat + margin;

/** How far beyond CHINA_BOX the BD-09 offset still applies (degrees). */
export const BD_MARGIN = 0.05;

function transformLat(x: number, y: number): number {
  let ret = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x));
  ret += ((20 * sin(6 * x * PI) + 20 * sin(2 * x * PI)) * 2) / 3;
  ret += ((20 * sin(y * PI) + 40 * sin((y / 3) * PI)) * 2) / 3;
  ret += ((160 * sin((y / 12) * PI) + 320 * sin((y * PI) / 30)) * 2) / 3;
  return ret;
}

function transformLon(x: number, y: number): number {
  let ret = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x));
  ret += ((20 * sin(6 * x * PI) + 20 * sin(2 * x * PI)) * 2) / 3;
  ret += ((20 * sin(x * PI) + 40 * sin((x / 3) * PI)) * 2) / 3;
  ret += ((150 * sin((x / 12) * PI) + 300 * sin((x / 30) * PI)) * 2) / 3;
  return ret;
}

/** The GCJ-02 offset in degrees at a WGS-84 point, ignoring the box. */
function gcjOffset(lon: number, lat: number): { dLon: number; dLat: number } {
  const radLat = (lat / 180) * PI;
  const s = sin(radLat);
  const magic = 1 - KRASOVSKY_EE * s * s;
  const sqrtMagic = sqrt(magic);
  return {
    dLon: (transformLon(lon - 105, lat - 35) * 180) / ((KRASOVSKY_A / sqrtMagic) * cos(radLat) * PI),
    dLat: (transformLat(lon - 105, lat - 35) * 180) / (((KRASOVSKY_A * (1 - KRASOVSKY_EE)) / (magic * sqrtMagic)) * PI),
  };
}

/** WGS-84 -> GCJ-02, closed form; unchanged outside CHINA_BOX. */
export function wgs84ToGcj02(p: LatLon): LatLon {
  if (!inChinaBox(p.lon, p.lat)) return p;
  const { dLon, dLat } = gcjOffset(p.lon, p.lat);
  return { lat: p.lat + dLat, lon: p.lon + dLon };
}

/**
 * GCJ-02 -> WGS-84 in at most GCJ_INVERSE_STEPS steps, within GCJ_INVERSE_ERROR_M of the exact inverse;
 * unchanged outside CHINA_BOX. In the strip along the west and south edges that no WGS-84 point maps to,
 * the answer is the formula's own preimage, just outside the box (see the file comment).
 */
export function gcj02ToWgs84(g: LatLon): LatLon {
  if (!inChinaBox(g.lon, g.lat)) return g;
  let lon = g.lon;
  let lat = g.lat;
  for (let step = 0; step < GCJ_INVERSE_STEPS; step++) {
    const { dLon, dLat } = gcjOffset(lon, lat);
    const nextLon = g.lon - dLon;
    const nextLat = g.lat - dLat;
    if (nextLon === lon && nextLat === lat) break;
    lon = nextLon;
    lat = nextLat;
  }
  return { lat, lon };
}

/** GCJ-02 -> BD-09, Baidu's closed form; unchanged beyond BD_MARGIN of CHINA_BOX. */
export function gcj02ToBd09(p: LatLon): LatLon {
  if (!inChinaBox(p.lon, p.lat, BD_MARGIN)) return p;
  const z = sqrt(p.lon * p.lon + p.lat * p.lat) + 0.00002 * sin(p.lat * BD_FACTOR);
  const theta = atan2(p.lat, p.lon) + 0.000003 * cos(p.lon * BD_FACTOR);
  return { lat: z * sin(theta) + 0.006, lon: z * cos(theta) + 0.0065 };
}

/** BD-09 -> GCJ-02, Baidu's closed-form approximate inverse (off by up to 0.24 m); unchanged beyond BD_MARGIN of CHINA_BOX. */
export function bd09ToGcj02(p: LatLon): LatLon {
  if (!inChinaBox(p.lon, p.lat, BD_MARGIN)) return p;
  const x = p.lon - 0.0065;
  const y = p.lat - 0.006;
  const z = sqrt(x * x + y * y) - 0.00002 * sin(y * BD_FACTOR);
  const theta = atan2(y, x) - 0.000003 * cos(x * BD_FACTOR);
  return { lat: z * sin(theta), lon: z * cos(theta) };
}
