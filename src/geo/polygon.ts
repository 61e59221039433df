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

/**
 * A geometry packed into one Float64Array (one allocation per unit, contiguous in memory):
 *   [P, polyEnd_0 .. polyEnd_{P-1}, ringEnd_0 .. ringEnd_{R-1}, x_0, y_0, x_1, y_1, ...]
 * where P is the number of polygons, polygon p's rings end before ring polyEnd_p (so R = polyEnd_{P-1}),
 * and ring r's vertices end before vertex ringEnd_r (vertices are numbered across the whole geometry).
 */
export type PackedArea = Float64Array;

/** Pack a geometry for `packedContains`. */
export function packArea(geometry: AreaGeometry): PackedArea {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let rings = 0;
  let vertices = 0;
  for (const poly of polygons) {
    rings += poly.length;
    for (const ring of poly) vertices += ring.length;
  }
  const P = polygons.length;
  const out = new Float64Array(1 + P + rings + 2 * vertices);
  out[0] = P;
  let r = 0;
  let v = 0;
  const base = 1 + P + rings;
  polygons.forEach((poly, p) => {
    for (const ring of poly) {
      for (const pos of ring) {
        out[base + 2 * v] = pos[0]!;
        out[base + 2 * v + 1] = pos[1]!;
        v++;
      }
      out[1 + P + r++] = v;
    }
    out[1 + p] = r;
  });
  return out;
}

/**
 * Even-odd point-in-polygon over a packed geometry; a point on an edge (within 1e-12°) counts as inside.
 * The router keeps every unit packed: random lookups over 100,000 polygons are bound by memory latency,
 * and one typed array per unit needs far fewer cache misses than an array per vertex
 * (see bench/routing.bench.ts).
 */
export function packedContains(a: PackedArea, lon: number, lat: number): boolean {
  const P = a[0]!;
  const R = P > 0 ? a[P]! : 0;
  const ringEnds = 1 + P;
  const base = 1 + P + R;
  let r = 0;
  let start = 0;
  for (let p = 0; p < P; p++) {
    // polygonSide: even-odd over this polygon's rings; on an edge counts as inside.
    let inside = false;
    for (const last = a[1 + p]!; r < last; r++) {
      const end = a[ringEnds + r]!;
      for (let i = start, j = end - 1; i < end; j = i++) {
        const ax = a[base + 2 * i]!;
        const ay = a[base + 2 * i + 1]!;
        const bx = a[base + 2 * j]!;
        const by = a[base + 2 * j + 1]!;
        // onSegment(lon, lat, a, b)
        const cross = (lon - ax) * (by - ay) - (lat - ay) * (bx - ax);
        if (
          !(Math.abs(cross) > 1e-12) &&
          lon >= Math.min(ax, bx) - 1e-12 &&
          lon <= Math.max(ax, bx) + 1e-12 &&
          lat >= Math.min(ay, by) - 1e-12 &&
          lat <= Math.max(ay, by) + 1e-12
        )
          return true;
        if (ay > lat !== by > lat && lon < ((bx - ax) * (lat - ay)) / (by - ay) + ax) inside = !inside;
      }
      start = end;
    }
    if (inside) return true;
  }
  return false;
}

/** Whether the geometry contains the point (on an edge counts as inside). */
export function containsPoint(geometry: AreaGeometry, lon: number, lat: number): boolean {
  return packedContains(packArea(geometry), lon, lat);
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
