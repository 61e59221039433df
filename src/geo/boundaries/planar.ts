// Planar geometry of rings and segments (lon/lat treated as plane coordinates: fine for rings under 180°
// wide): bounding boxes, how two segments meet, the edge pairs of rings, where a point lies against a ring.
// The pairwise work is charged to the file's Budget.

import Flatbush from 'flatbush';
import type { AreaGeometry, Position } from '../polygon.js';
import type { Budget } from './limits.js';

export type Pt = [number, number];
export type Ring = Pt[];

export interface Box {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export function boxOfRing(ring: readonly Pt[], into?: Box): Box {
  const b = into ?? { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
  for (const [x, y] of ring) {
    if (x < b.minX) b.minX = x;
    if (x > b.maxX) b.maxX = x;
    if (y < b.minY) b.minY = y;
    if (y > b.maxY) b.maxY = y;
  }
  return b;
}

export const boxesMeet = (a: Box, b: Box): boolean => a.minX <= b.maxX && b.minX <= a.maxX && a.minY <= b.maxY && b.minY <= a.maxY;

export function polygonsOf(g: AreaGeometry): Position[][][] {
  return g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
}

export function boxOfGeometry(g: AreaGeometry): Box {
  const b: Box = { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
  for (const poly of polygonsOf(g)) boxOfRing((poly[0] ?? []) as Pt[], b);
  return b;
}

const orient = (a: Pt, b: Pt, c: Pt): number => (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
const sign = (v: number): -1 | 0 | 1 => (v > 0 ? 1 : v < 0 ? -1 : 0);
export const samePt = (a: Pt, b: Pt): boolean => a[0] === b[0] && a[1] === b[1];

/** p (known collinear with a-b) lies within the segment's bounding box. */
const within = (p: Pt, a: Pt, b: Pt): boolean =>
  p[0] >= Math.min(a[0], b[0]) && p[0] <= Math.max(a[0], b[0]) && p[1] >= Math.min(a[1], b[1]) && p[1] <= Math.max(a[1], b[1]);

export type Contact =
  | { kind: 'cross'; at: Pt } //   the interiors cross at one point
  | { kind: 'touch'; at: Pt } //   they meet at one point that is an endpoint of at least one of them
  | { kind: 'overlap'; at: Pt }; // collinear, sharing a stretch of positive length (at = its midpoint)

/** How segments p1-p2 and q1-q2 meet, or null if they do not. Exact orientation signs in doubles. */
export function contact(p1: Pt, p2: Pt, q1: Pt, q2: Pt): Contact | null {
  const d1 = sign(orient(q1, q2, p1));
  const d2 = sign(orient(q1, q2, p2));
  const d3 = sign(orient(p1, p2, q1));
  const d4 = sign(orient(p1, p2, q2));
  if (d1 * d2 < 0 && d3 * d4 < 0) {
    const o1 = orient(q1, q2, p1);
    const t = o1 / (o1 - orient(q1, q2, p2));
    return { kind: 'cross', at: [p1[0] + t * (p2[0] - p1[0]), p1[1] + t * (p2[1] - p1[1])] };
  }
  if (d1 === 0 && d2 === 0 && d3 === 0 && d4 === 0) {
    // Collinear: project on the dominant axis and intersect the intervals.
    const axis = Math.abs(p2[0] - p1[0]) + Math.abs(q2[0] - q1[0]) >= Math.abs(p2[1] - p1[1]) + Math.abs(q2[1] - q1[1]) ? 0 : 1;
    const [pa, pb] = p1[axis] <= p2[axis] ? [p1, p2] : [p2, p1];
    const [qa, qb] = q1[axis] <= q2[axis] ? [q1, q2] : [q2, q1];
    const lo = pa[axis] >= qa[axis] ? pa : qa;
    const hi = pb[axis] <= qb[axis] ? pb : qb;
    if (lo[axis] > hi[axis]) return null;
    if (lo[axis] === hi[axis]) return { kind: 'touch', at: lo };
    return { kind: 'overlap', at: [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2] };
  }
  if (d1 === 0 && within(p1, q1, q2)) return { kind: 'touch', at: p1 };
  if (d2 === 0 && within(p2, q1, q2)) return { kind: 'touch', at: p2 };
  if (d3 === 0 && within(q1, p1, p2)) return { kind: 'touch', at: q1 };
  if (d4 === 0 && within(q2, p1, p2)) return { kind: 'touch', at: q2 };
  return null;
}

export interface Edge {
  ring: number;
  /** index of the edge in its ring: from vertex i to vertex i+1 (mod n) */
  i: number;
  a: Pt;
  b: Pt;
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
}

/**
 * Every pair of edges (from the given open rings) whose bounding boxes meet, handed to `visit`, which
 * returns false to stop. Pairs come in sweep order: by the west end of the later edge, then of the earlier
 * one. A packed R-tree over the edges finds the candidates, so the work grows with the pairs whose boxes
 * actually meet (a few per edge for a real boundary, including combs of long east-west edges), not with
 * the edges a sweep line crosses; each candidate is charged to the budget, which refuses the n² pairs of
 * a comb of long parallel diagonal edges.
 */
export function sweepEdgePairs(rings: readonly Ring[], budget: Budget, what: () => string, visit: (e: Edge, f: Edge) => boolean): void {
  const edges: Edge[] = [];
  rings.forEach((ring, r) => {
    const n = ring.length;
    for (let i = 0; i < n; i++) {
      const a = ring[i]!;
      const b = ring[(i + 1) % n]!;
      edges.push({
        ring: r,
        i,
        a,
        b,
        minX: Math.min(a[0], b[0]),
        maxX: Math.max(a[0], b[0]),
        minY: Math.min(a[1], b[1]),
        maxY: Math.max(a[1], b[1]),
      });
    }
  });
  if (edges.length === 0) return;
  edges.sort((e, f) => e.minX - f.minX);
  const index = new Flatbush(edges.length);
  for (const e of edges) index.add(e.minX, e.minY, e.maxX, e.maxY);
  index.finish();
  for (let k = 0; k < edges.length; k++) {
    const e = edges[k]!;
    let found = 0;
    // Only earlier edges (ids are sweep positions), so each pair comes once.
    const earlier = index.search(e.minX, e.minY, e.maxX, e.maxY, (id) => {
      found++;
      return id < k;
    });
    budget.edges(found, what);
    // Back into sweep order; a typed array sorts numbers without a comparator call per step.
    for (const id of Uint32Array.from(earlier).sort()) if (!visit(edges[id]!, e)) return;
  }
}

/**
 * Where points lie against one open ring: 1 inside, 0 on the boundary, -1 outside (even-odd). An R-tree
 * over the ring's edges finds the ones that can matter for a point (its ray eastwards meets their box), so
 * a point costs about log n plus the edges that ray crosses, not n; the candidates are charged to the budget.
 */
export class RingIndex {
  private readonly index: Flatbush;
  private readonly maxX: number;

  constructor(
    private readonly ring: readonly Pt[],
    private readonly budget: Budget,
    private readonly what: () => string,
  ) {
    const n = ring.length;
    this.index = new Flatbush(n);
    let maxX = -Infinity;
    // Edge i runs from vertex i back to vertex i-1.
    for (let i = 0; i < n; i++) {
      const a = ring[i]!;
      const b = ring[(i + n - 1) % n]!;
      this.index.add(Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[0], b[0]), Math.max(a[1], b[1]));
      maxX = Math.max(maxX, a[0]);
    }
    this.index.finish();
    this.maxX = maxX;
  }

  side(p: Pt): -1 | 0 | 1 {
    if (p[0] > this.maxX) return -1;
    const n = this.ring.length;
    let inside = false;
    let onEdge = false;
    let found = 0;
    this.index.search(p[0], p[1], this.maxX, p[1], (i) => {
      found++;
      if (onEdge) return false;
      const a = this.ring[i]!;
      const b = this.ring[(i + n - 1) % n]!;
      if (orient(a, b, p) === 0 && within(p, a, b)) onEdge = true;
      else if (a[1] > p[1] !== b[1] > p[1] && p[0] < ((b[0] - a[0]) * (p[1] - a[1])) / (b[1] - a[1]) + a[0]) inside = !inside;
      return false;
    });
    this.budget.edges(found, this.what);
    if (onEdge) return 0;
    return inside ? 1 : -1;
  }
}

/** All vertices on one line (relative to the ring's size; 1e-9 of its length is micrometres). */
export function isFlat(ring: readonly Pt[]): boolean {
  const o = ring[0]!;
  let far = o;
  let farD = 0;
  for (const p of ring) {
    const d = (p[0] - o[0]) ** 2 + (p[1] - o[1]) ** 2;
    if (d > farD) {
      farD = d;
      far = p;
    }
  }
  if (farD === 0) return true;
  return ring.every((p) => Math.abs(orient(o, far, p)) <= 1e-9 * farD);
}

/**
 * Where a ring (open, no repeated consecutive vertices) meets itself: non-adjacent edges touching or
 * crossing, or adjacent edges folding back over each other. At most 50 points.
 */
export function selfIntersections(ring: Ring, budget: Budget, what: () => string): Pt[] {
  const n = ring.length;
  const found: Pt[] = [];
  sweepEdgePairs([ring], budget, what, (e, f) => {
    const d = Math.abs(e.i - f.i);
    const adjacent = d === 1 || d === n - 1;
    const c = contact(e.a, e.b, f.a, f.b);
    if (c === null) return true;
    if (adjacent) {
      if (c.kind === 'overlap') found.push(c.at); // a spike: the ring doubles back on itself
    } else found.push(c.at);
    return found.length < 50;
  });
  found.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return found.filter((p, i) => i === 0 || Math.abs(p[0] - found[i - 1]![0]) > 1e-9 || Math.abs(p[1] - found[i - 1]![1]) > 1e-9);
}
