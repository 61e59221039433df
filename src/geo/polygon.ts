// Point-in-polygon for GeoJSON Polygon and MultiPolygon with holes (even-odd rule over all rings).
// Coordinates are [lon, lat]. A point exactly on an edge counts as inside, so a point on a shared border
// lies in both neighbours; the router breaks such ties deterministically (lowest code wins).

export type Position = number[];
export interface PolygonGeometry {
  type: 'Polygon';
  coordinates: Position[][];
}
export interface MultiPolygonGeometry {
  type: 'MultiPolygon';
  coordinates: Position[][][];
}
export type AreaGeometry = PolygonGeometry | MultiPolygonGeometry;

export interface BBox {
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
}

function onSegment(lon: number, lat: number, a: Position, b: Position): boolean {
  const [ax, ay] = a as [number, number];
  const [bx, by] = b as [number, number];
  const cross = (lon - ax) * (by - ay) - (lat - ay) * (bx - ax);
  if (Math.abs(cross) > 1e-12) return false;
  return lon >= Math.min(ax, bx) - 1e-12 && lon <= Math.max(ax, bx) + 1e-12 && lat >= Math.min(ay, by) - 1e-12 && lat <= Math.max(ay, by) + 1e-12;
}

/** -1 on the boundary, 1 inside, 0 outside (even-odd over the polygon's rings). */
function polygonSide(lon: number, lat: number, rings: Position[][]): -1 | 0 | 1 {
  let inside = false;
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const a = ring[i]!;
      const b = ring[j]!;
      if (onSegment(lon, lat, a, b)) return -1;
      const [ax, ay] = a as [number, number];
      const [bx, by] = b as [number, number];
      if (ay > lat !== by > lat && lon < ((bx - ax) * (lat - ay)) / (by - ay) + ax) inside = !inside;
    }
  }
  return inside ? 1 : 0;
}

export function containsPoint(geometry: AreaGeometry, lon: number, lat: number): boolean {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  return polygons.some((rings) => polygonSide(lon, lat, rings) !== 0);
}

export function bboxOf(geometry: AreaGeometry): BBox {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  const box = { minLon: Infinity, minLat: Infinity, maxLon: -Infinity, maxLat: -Infinity };
  for (const rings of polygons) {
    for (const [lon, lat] of rings[0] ?? []) {
      box.minLon = Math.min(box.minLon, lon!);
      box.maxLon = Math.max(box.maxLon, lon!);
      box.minLat = Math.min(box.minLat, lat!);
      box.maxLat = Math.max(box.maxLat, lat!);
    }
  }
  return box;
}

export const inBBox = (b: BBox, lon: number, lat: number): boolean => lon >= b.minLon && lon <= b.maxLon && lat >= b.minLat && lat <= b.maxLat;
