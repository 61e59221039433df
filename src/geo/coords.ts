// China's coordinate systems. Phones send WGS-84 (GPS), GCJ-02 (Amap, Tencent, WeChat 'gcj02') or
// BD-09 (Baidu). Gridline stores WGS-84 plus the point exactly as sent, and answers in the system a
// client asks for. gcoord applies the offsets only inside China; elsewhere the point is unchanged.

import gcoordModule from 'gcoord';
import { invalid } from '../domain/errors.js';

export const COORD_SYSTEMS = ['wgs84', 'gcj02', 'bd09'] as const;
export type CoordSys = (typeof COORD_SYSTEMS)[number];

// gcoord is CommonJS whose types declare an ES default export; under NodeNext the default import is the
// whole module.exports object, which is what the types call `default`.
const gcoord = gcoordModule as unknown as typeof gcoordModule.default;

const CRS = { wgs84: gcoord.WGS84, gcj02: gcoord.GCJ02, bd09: gcoord.BD09 } as const;

export interface LatLon {
  lat: number;
  lon: number;
}

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

/** Convert a point between systems (identity when they are the same). */
export function convert(point: LatLon, from: CoordSys, to: CoordSys): LatLon {
  if (from === to) return point;
  const [lon, lat] = gcoord.transform([point.lon, point.lat], CRS[from], CRS[to]) as [number, number];
  return { lat, lon };
}

export const toWgs84 = (point: LatLon, from: CoordSys): LatLon => convert(point, from, 'wgs84');
