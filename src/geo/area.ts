// Geodesic areas and distances on the WGS-84 mean sphere. Pure functions, no I/O.
//
// Ring area uses the spherical-excess line integral of Chamberlain & Duquette ("Some algorithms for
// polygons on a sphere", JPL 2007), the same formula as turf/area: for a ring of [lon, lat] vertices,
//   A = R² / 2 · Σ (λ[i+1] − λ[i−1]) · sin φ[i]
// Edges are treated as the lines of a lon/lat plot (exact for parallels and meridians), which is what
// every GIS clerk's desktop tool draws; over the few-kilometre edges of civic boundaries the difference
// from great-circle edges is far below a square metre.

import type { AreaGeometry, Position } from './polygon.js';

/** WGS-84 mean radius (IUGG R1), metres; the radius turf uses. */
export const EARTH_RADIUS_M = 6_371_008.8;

const RAD = Math.PI / 180;

/** Drop the closing vertex when the ring repeats its first position at the end. */
function openRing(ring: readonly Position[]): readonly Position[] {
  const n = ring.length;
  if (n > 1) {
    const a = ring[0]!;
    const b = ring[n - 1]!;
    if (a[0] === b[0] && a[1] === b[1]) return ring.slice(0, n - 1);
  }
  return ring;
}

/**
 * Signed area of one ring in m²: positive when the ring runs counter-clockwise (GeoJSON's outer-ring
 * order, RFC 7946 §3.1.6), negative when clockwise. The ring may be closed (first == last) or open.
 */
export function signedRingAreaM2(ring: readonly Position[]): number {
  const pts = openRing(ring);
  const n = pts.length;
  if (n < 3) return 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const prev = pts[(i + n - 1) % n]!;
    const cur = pts[i]!;
    const next = pts[(i + 1) % n]!;
    total += (next[0]! - prev[0]!) * RAD * Math.sin(cur[1]! * RAD);
  }
  // The sum is negative for a counter-clockwise ring; flip so CCW is positive.
  return (-total * EARTH_RADIUS_M * EARTH_RADIUS_M) / 2;
}

/** Unsigned area of one ring in m² (either winding; closed or open). */
export function ringAreaM2(ring: readonly Position[]): number {
  return Math.abs(signedRingAreaM2(ring));
}

/** Area of one polygon given as [outer, ...holes]: |outer| minus each |hole|, never below zero. */
export function polygonAreaM2(rings: readonly (readonly Position[])[]): number {
  const [outer, ...holes] = rings;
  if (!outer) return 0;
  let area = ringAreaM2(outer);
  for (const hole of holes) area -= ringAreaM2(hole);
  return Math.max(0, area);
}

/** Area of a Polygon or MultiPolygon in m²: holes subtracted, parts summed. Winding does not matter. */
export function geodesicAreaM2(geometry: AreaGeometry): number {
  if (geometry.type === 'Polygon') return polygonAreaM2(geometry.coordinates);
  let total = 0;
  for (const polygon of geometry.coordinates) total += polygonAreaM2(polygon);
  return total;
}

/** Great-circle (haversine) distance in metres between two [lon, lat] positions. */
export function distanceM(a: readonly [number, number] | Position, b: readonly [number, number] | Position): number {
  const lat1 = a[1]! * RAD;
  const lat2 = b[1]! * RAD;
  const dLat = lat2 - lat1;
  const dLon = (b[0]! - a[0]!) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1) * Math.cos(lat2) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}
