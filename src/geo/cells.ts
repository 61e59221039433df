// Grid cells over WGS-84 degrees, for nearby-case search and map clustering. Level 0 = 1°, 1 = 0.1°,
// 2 = 0.01°, 3 = 0.001° (about 100 m north-south). Each case stores its level-3 cell; the case_cells
// table keeps counts for every level.

import { degreesAround } from './distance.js';

export const CELL_DEGREES = [1, 0.1, 0.01, 0.001] as const;
export const CELL_LEVELS = CELL_DEGREES.length;
export const FINEST = CELL_LEVELS - 1;

export interface Cell {
  cy: number;
  cx: number;
}

export function cellOf(lat: number, lon: number, level: number = FINEST): Cell {
  const size = CELL_DEGREES[level]!;
  return { cy: Math.floor((lat + 90) / size), cx: Math.floor((lon + 180) / size) };
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/**
 * The cell range covering a box (inclusive), cut to the world: a box around a point near a pole is
 * thousands of degrees wide, and cell numbers beyond the world would overflow an integer column.
 */
export function cellRange(minLat: number, minLon: number, maxLat: number, maxLon: number, level: number): { y0: number; y1: number; x0: number; x1: number } {
  const a = cellOf(clamp(minLat, -90, 90), clamp(minLon, -180, 180), level);
  const b = cellOf(clamp(maxLat, -90, 90), clamp(maxLon, -180, 180), level);
  return { y0: a.cy, y1: b.cy, x0: a.cx, x1: b.cx };
}

/** A box of `radiusM` metres around a point, in degrees. */
export function boxAround(lat: number, lon: number, radiusM: number): { minLat: number; minLon: number; maxLat: number; maxLon: number } {
  const { dLat, dLon } = degreesAround(lat, radiusM);
  return { minLat: lat - dLat, minLon: lon - dLon, maxLat: lat + dLat, maxLon: lon + dLon };
}
