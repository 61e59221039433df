// polygon-clipping glue: geometries in and out of the engine, the area and place of what it returns.

import type { MultiPolygon as ClipMultiPolygon, Pair, Polygon as ClipPolygon } from 'polygon-clipping';
import { geodesicAreaM2, ringAreaM2 } from '../area.js';
import type { AreaGeometry } from '../polygon.js';
import { boxOfRing, polygonsOf } from './planar.js';
import { at } from './problems.js';

export function toClip(g: AreaGeometry): ClipMultiPolygon {
  return polygonsOf(g).map((poly): ClipPolygon => poly.map((ring) => ring.map((p): Pair => [p[0]!, p[1]!])));
}

export const clipArea = (m: ClipMultiPolygon): number => geodesicAreaM2({ type: 'MultiPolygon', coordinates: m });

/**
 * A point to show for a clipping result: inside its biggest piece. Scan the piece along the parallel
 * through the middle of its box and take the middle of the widest stretch inside it (a centroid can fall
 * in a hole or outside an L-shaped piece).
 */
export function whereIs(m: ClipMultiPolygon): string {
  let best: ClipPolygon | undefined;
  let bestArea = -1;
  for (const poly of m) {
    const a = ringAreaM2(poly[0] ?? []);
    if (a > bestArea) {
      bestArea = a;
      best = poly;
    }
  }
  if (!best || !best[0] || best[0].length === 0) return '?';
  const box = boxOfRing(best[0]);
  const y = (box.minY + box.maxY) / 2;
  const xs: number[] = [];
  for (const ring of best) {
    for (let i = 0; i + 1 < ring.length; i++) {
      const [ax, ay] = ring[i]!;
      const [bx, by] = ring[i + 1]!;
      if (ay > y !== by > y) xs.push(ax + ((y - ay) * (bx - ax)) / (by - ay));
    }
  }
  xs.sort((a, b) => a - b);
  let bestX = (box.minX + box.maxX) / 2;
  let width = -1;
  for (let i = 0; i + 1 < xs.length; i += 2) {
    const w = xs[i + 1]! - xs[i]!;
    if (w > width) {
      width = w;
      bestX = (xs[i]! + xs[i + 1]!) / 2;
    }
  }
  return at([bestX, y]);
}

export const pieces = (m: ClipMultiPolygon): string => (m.length > 1 ? ` in ${m.length} pieces, the biggest` : '');

export const engineError = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Positions in a geometry, all rings of all parts: what polygon-clipping has to chew through. */
export function vertexCount(g: AreaGeometry): number {
  let n = 0;
  for (const poly of polygonsOf(g)) for (const ring of poly) n += ring.length;
  return n;
}
