// Limits. Whoever sends the file controls how much work the checks do, and they run on the server's
// one thread, so every step is bounded (BOUNDARY_LIMITS). A file with too many features or vertices is
// refused before any geometry is looked at (checkSize); the pairwise work (edges against edges, points
// against rings, and above all polygon-clipping, ~20 µs per vertex) has a budget per file (Budget), and
// the clipping a file needs is added up before the first call. Over a limit, planBoundaryImport throws a
// 400 DomainError with a stable code (boundary_too_many_features, boundary_too_many_vertices,
// boundary_feature_too_large, boundary_too_complex) rather than returning problems: the file is not worth
// checking further.

import { invalid } from '../../domain/errors.js';
import { CODE_RE, isRecord } from './features.js';
import { count } from './problems.js';

/**
 * How much one file may ask of the checks. Real boundaries are far inside: a subdistrict has hundreds to a
 * few thousand vertices, a city file hundreds of features; the Najin demo (32 units, about 570 positions)
 * needs about 1,700 edge tests and 3,300 clipped vertices. A city's grids are best imported level by level
 * anyway (each level is checked against the stored one above it).
 */
export const BOUNDARY_LIMITS = {
  /** Features in one file. */
  maxFeatures: 10_000,
  /** Positions in one file, all rings of all features. */
  maxVertices: 2_000_000,
  /** Positions in one feature. */
  maxFeatureVertices: 200_000,
  /** Rings in one feature (outer rings and holes of all its parts). */
  maxFeatureRings: 2_000,
  /**
   * Edge-against-edge and point-against-edge tests for the whole file (self-intersections, holes). A
   * plausible ring needs a few per vertex; a comb of long parallel diagonal edges needs n². About 1.5 s.
   */
  maxEdgeTests: 20_000_000,
  /**
   * Vertices passed to polygon-clipping for the whole file (overlaps, overhangs, gaps, MultiPolygon parts),
   * counted before the first call. Some 300 detailed features (1,500 positions each) need about 3 million;
   * at ~20 µs a vertex the limit is about 80 s of work, and a file planning more is refused at once.
   */
  maxClipVertices: 4_000_000,
};

export type BoundaryLimits = typeof BOUNDARY_LIMITS;

/**
 * The budget of an import that runs inside a server's request (POST /admin/boundaries): the checks run on
 * the event loop, so the pairwise work is held to a few seconds; larger files go through the CLI
 * (`gridline import boundaries`), which runs offline with BOUNDARY_LIMITS.
 */
export const ONLINE_BOUNDARY_LIMITS: BoundaryLimits = { ...BOUNDARY_LIMITS, maxEdgeTests: 10_000_000, maxClipVertices: 250_000 };

/** The pairwise work left for one file (BOUNDARY_LIMITS); over it, the file is refused as too complex. */
export class Budget {
  private edgeTests = 0;
  private clipVertices = 0;

  constructor(private readonly limits: BoundaryLimits) {}

  /** `what` is only worded when the budget runs out. */
  edges(n: number, what: () => string): void {
    this.edgeTests += n;
    if (this.edgeTests > this.limits.maxEdgeTests)
      throw invalid(
        'features',
        `checking ${what()} takes more than ${count(this.limits.maxEdgeTests)} edge comparisons, the most Gridline does for one file here; the shape has very many long edges side by side (a comb or zig-zag?) — simplify it, or import it in smaller files`,
        'boundary_too_complex',
      );
  }

  clip(n: number, what: () => string): void {
    this.clipVertices += n;
    if (this.clipVertices > this.limits.maxClipVertices)
      throw invalid(
        'features',
        `comparing the shapes in this file would pass more than ${count(this.limits.maxClipVertices)} vertices through the geometry engine (the count passed it at ${what()}), the most Gridline does for one file here; usually many siblings whose extents overlap (a layer exported twice?) or very detailed shapes — simplify them, import the file in smaller parts (a level or a district at a time), or with the command line (gridline import boundaries), which allows more`,
        'boundary_too_complex',
      );
  }
}

/**
 * Refuse a file over the size limits before any geometry work: count features, rings and positions from
 * the bare structure (whatever the nesting holds, only array lengths are read).
 */
export function checkSize(features: unknown[]): void {
  const L = BOUNDARY_LIMITS;
  if (features.length > L.maxFeatures)
    throw invalid('features', `the file has ${count(features.length)} features; at most ${count(L.maxFeatures)} can be imported at once — split it (a level or a district at a time)`, 'boundary_too_many_features');
  let total = 0;
  features.forEach((raw, index) => {
    const geometry = isRecord(raw) ? raw['geometry'] : undefined;
    if (!isRecord(geometry) || !Array.isArray(geometry['coordinates'])) return;
    const polys: unknown[] = geometry['type'] === 'MultiPolygon' ? geometry['coordinates'] : [geometry['coordinates']];
    let rings = 0;
    let vertices = 0;
    for (const poly of polys) {
      if (!Array.isArray(poly)) continue;
      rings += poly.length;
      for (const ring of poly) if (Array.isArray(ring)) vertices += ring.length;
    }
    const props = isRecord(raw) ? raw['properties'] : undefined;
    const rawCode = isRecord(props) ? props['code'] : undefined;
    const code = typeof rawCode === 'string' && rawCode.length <= 64 && CODE_RE.test(rawCode) ? ` (${rawCode})` : '';
    if (vertices > L.maxFeatureVertices || rings > L.maxFeatureRings)
      throw invalid(
        'features',
        `feature ${index}${code} has ${count(vertices)} positions in ${count(rings)} ring${rings === 1 ? '' : 's'}; one feature may have at most ${count(L.maxFeatureVertices)} positions and ${count(L.maxFeatureRings)} rings — simplify it (a tolerance of a metre or so keeps every real corner)`,
        'boundary_feature_too_large',
      );
    total += vertices;
  });
  if (total > L.maxVertices)
    throw invalid('features', `the file has ${count(total)} positions; at most ${count(L.maxVertices)} can be imported at once — split it, or simplify the shapes`, 'boundary_too_many_vertices');
}
