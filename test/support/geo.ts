// Geometry for tests, independent of the modules under test: the mean Earth radius written out, lon/lat
// boxes, and the exact area of a box on the sphere.

/** The IUGG mean Earth radius in metres (the value src/geo/area.ts must use). */
export const R = 6_371_008.8;

export const rad = (d: number): number => (d * Math.PI) / 180;

/** Closed, counter-clockwise lon/lat box. */
export const box = (w: number, s: number, e: number, n: number): number[][] => [
  [w, s],
  [e, s],
  [e, n],
  [w, n],
  [w, s],
];

/** Exact area of a lon/lat box on the sphere: R² · Δλ · (sin φn − sin φs). */
export const analyticBox = (w: number, s: number, e: number, n: number): number => R * R * rad(e - w) * (Math.sin(rad(n)) - Math.sin(rad(s)));
