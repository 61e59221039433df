// Short distances in metres for city-scale geometry. Each measurement uses an equirectangular projection
// centred on the query point: x = Δlon·cos(lat)·R·π/180, y = Δlat·R·π/180 with the IUGG mean Earth radius.
// Over a few tens of kilometres near Lhasa's latitude this stays within about 0.1 % of the geodesic
// distance. That is plenty for "how close is this report to a grid border". Not meant for continental
// distances.

import { EARTH_RADIUS_M } from './area.js';
import type { AreaGeometry, Position } from './polygon.js';

/** Metres per degree of latitude (and of longitude at the equator). */
export const METRES_PER_DEGREE = (EARTH_RADIUS_M * Math.PI) / 180;

/** Metres per degree of longitude at a latitude (degrees). */
export const metresPerDegreeLon = (lat: number): number => METRES_PER_DEGREE * Math.cos((lat * Math.PI) / 180);

/**
 * Distance from the origin to the segment (ax,ay)-(bx,by), all in metres in a local plane.
 * A degenerate segment (a == b) gives the distance to that point.
 */
function originToSegment(ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  let t = len2 > 0 ? -(ax * dx + ay * dy) / len2 : 0;
  if (t < 0) t = 0;
  else if (t > 1) t = 1;
  const px = ax + t * dx;
  const py = ay + t * dy;
  return Math.sqrt(px * px + py * py);
}

/** Distance in metres from the point (lon, lat) to the segment a-b (positions [lon, lat]). */
export function pointToSegmentM(lon: number, lat: number, a: Position, b: Position): number {
  const kx = metresPerDegreeLon(lat);
  const ky = METRES_PER_DEGREE;
  return originToSegment((a[0]! - lon) * kx, (a[1]! - lat) * ky, (b[0]! - lon) * kx, (b[1]! - lat) * ky);
}

/**
 * Distance in metres from the point to the nearest edge of any ring of the geometry: outer rings, holes,
 * and every piece of a MultiPolygon. This is the distance to the boundary and ignores containment. A point
 * deep inside gets a positive value, and a point exactly on an edge gets 0. Rings may be closed (first ==
 * last) or open, and each ring is walked with wrap-around.
 */
export function pointToGeometryEdgeM(geometry: AreaGeometry, lon: number, lat: number): number {
  const kx = metresPerDegreeLon(lat);
  const ky = METRES_PER_DEGREE;
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let best = Infinity;
  for (const rings of polygons) {
    for (const ring of rings) {
      const n = ring.length;
      if (n === 0) continue;
      const last = ring[n - 1]!;
      let px = (last[0]! - lon) * kx;
      let py = (last[1]! - lat) * ky;
      for (let i = 0; i < n; i++) {
        const cur = ring[i]!;
        const cx = (cur[0]! - lon) * kx;
        const cy = (cur[1]! - lat) * ky;
        // Cheap reject: if both ends lie farther than `best` on one side along one axis, skip the segment.
        if (!((px > best && cx > best) || (px < -best && cx < -best) || (py > best && cy > best) || (py < -best && cy < -best))) {
          const d = originToSegment(px, py, cx, cy);
          if (d < best) best = d;
        }
        px = cx;
        py = cy;
      }
    }
  }
  return best;
}

/**
 * Half-widths in degrees of a box centred on (·, lat) that holds every point within `metres` under the
 * projection above. Used to turn a radius in metres into a bounding-box query.
 */
export function degreesAround(lat: number, metres: number): { dLon: number; dLat: number } {
  const kx = metresPerDegreeLon(lat);
  // A tiny relative margin so floating-point rounding can't drop a candidate that lies exactly at the radius.
  const m = metres * (1 + 1e-9) + 1e-9;
  return { dLon: kx > 0 ? m / kx : 360, dLat: m / METRES_PER_DEGREE };
}
