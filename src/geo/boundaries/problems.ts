// What a problem with a boundary file is (BoundaryProblem: planBoundaryImport returns every one it finds),
// and how the wording of problems and refusals shows numbers, places, areas and values.

export type ProblemKind =
  | 'not_geojson'
  | 'bad_feature'
  | 'bad_properties'
  | 'duplicate_code'
  | 'unknown_parent'
  | 'wrong_parent_level'
  | 'unclosed_ring'
  | 'too_few_points'
  | 'bad_coordinate'
  | 'antimeridian'
  | 'self_intersection'
  | 'hole_outside_shell'
  | 'overlap'
  | 'gap'
  | 'outside_parent'
  | 'empty_area';

export interface BoundaryProblem {
  /** 0-based index in the file's features, null for file-level problems (and gaps in a stored parent). */
  feature: number | null;
  code: string | null;
  /** Plain words a GIS clerk can act on, e.g. 'ring 1 of feature 3 (540102013001002) crosses itself at 91.1532, 29.6485'. */
  reason: string;
  kind: ProblemKind;
  /** overlap / gap / outside_parent: the area at fault, m². */
  areaM2?: number;
  /** The other unit's code: the overlapping sibling, or the parent. */
  other?: string;
}

export const count = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** Degrees for messages: up to 6 decimals (~0.1 m), trailing zeros dropped. */
export function deg(n: number): string {
  const s = n.toFixed(6).replace(/\.?0+$/, '');
  return s === '-0' ? '0' : s;
}
export const at = (p: readonly number[]): string => `${deg(p[0]!)}, ${deg(p[1]!)}`;

/** '12,345 m²' (1 decimal below 10 m²). */
export function m2(area: number): string {
  if (area < 10) return `${area.toFixed(1)} m²`;
  return `${String(Math.round(area)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')} m²`;
}

export function show(v: unknown): string {
  if (v === undefined) return 'missing';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
