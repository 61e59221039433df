// Boundary-file validation: the pure core of `gridline import boundaries FILE.geojson` and the admin API.
//
// planBoundaryImport reads a GeoJSON FeatureCollection (or one Feature) of jurisdiction units, checks it
// against itself and the units already stored, and returns either the units to write (parents first) or
// every problem found, worded for the GIS clerk who has to fix the file. Any problem rejects the file.
//
// Checks, in order:
//   1. file:      JSON, GeoJSON FeatureCollection / Feature, WGS-84 (a `crs` naming anything else is refused)
//   2. feature:   a Feature whose geometry is a Polygon or MultiPolygon
//   3. properties: code, level, parent_code, name_zh (name_en / name_bo default to name_zh)
//   4. codes:     unique in the file; a stored code keeps its level
//   5. parents:   exist (file or stored), exactly one level up; only the top level may have no parent
//   6. rings:     numbers in range, >= 4 positions, closed, <= 180° of longitude, not self-intersecting,
//                 not flat; holes inside their shell and apart from each other; MultiPolygon parts apart
//   7. siblings (only among units whose own geometry passed 6):
//                 overlaps between units with the same parent, gaps the children leave in their parent,
//                 children sticking out of their parent. Areas are geodesic (area.ts) on the results of
//                 polygon-clipping, with a tolerance (default 1 m²) for floating-point slivers.
//
// Numbering in messages: `feature N` is the 0-based index in the file's `features` array (the same number
// as BoundaryProblem.feature); rings and parts are counted from 1, ring 1 being the outer ring.
// Coordinates in messages are "lon, lat" in degrees.
//
// Limits on the work a file may ask for are in limits.ts: over one, planBoundaryImport throws rather than
// returning problems.

import { LEVELS, type JurisdictionLevel } from '../../domain/types.js';
import { geodesicAreaM2 } from '../area.js';
import type { AreaGeometry } from '../polygon.js';
import { vertexCount } from './clip.js';
import { isRecord, parseProps, readFeatures, type Parsed } from './features.js';
import { parseGeometry } from './geometry.js';
import { BOUNDARY_LIMITS, Budget, checkSize, type BoundaryLimits } from './limits.js';
import { boxOfGeometry } from './planar.js';
import { show, type BoundaryProblem } from './problems.js';
import { checkSiblings, type Member } from './topology.js';

/** A unit already stored. `geometry: null` units take part in the parent checks only. */
export interface ExistingUnit {
  code: string;
  level: JurisdictionLevel;
  parentCode: string | null;
  geometry: AreaGeometry | null;
}

export interface ImportUnit {
  code: string;
  level: JurisdictionLevel;
  parentCode: string | null;
  names: { zh: string; en: string; bo: string };
  /** As in the file, with positions cut to [lon, lat] (any altitude dropped). */
  geometry: AreaGeometry;
  areaM2: number;
  /** A unit with this code already exists. */
  replaces: boolean;
}

/** problems non-empty => reject the whole file. */
export interface BoundaryPlan {
  units: ImportUnit[];
  problems: BoundaryProblem[];
}

export interface BoundaryImportOptions {
  /** How much pairwise work one file may take (default BOUNDARY_LIMITS; a server uses ONLINE_BOUNDARY_LIMITS). */
  limits?: BoundaryLimits;
  /** Overlaps, gaps and overhangs up to this many m² are floating-point noise, not problems. Default 1. */
  toleranceM2?: number;
  /**
   * Levels whose units must be covered completely by their children (checked when the file brings at
   * least one child). Default ['subdistrict', 'community']: inside a subdistrict the grid system must be
   * complete (网格全覆盖), but Gridline commonly serves only some subdistricts of a district and some
   * districts of a city, so a district or city need not be covered by the children it has on the platform.
   */
  gapCheckLevels?: readonly JurisdictionLevel[];
}

export const DEFAULT_GAP_CHECK_LEVELS: readonly JurisdictionLevel[] = ['subdistrict', 'community'];

const levelIndex = (level: JurisdictionLevel): number => LEVELS.indexOf(level);

/** Check a boundary file against itself and the stored units. See the file comment for the rules. */
export function planBoundaryImport(input: unknown, existing: ExistingUnit[], options: BoundaryImportOptions = {}): BoundaryPlan {
  const toleranceM2 = options.toleranceM2 ?? 1;
  const gapLevels = new Set(options.gapCheckLevels ?? DEFAULT_GAP_CHECK_LEVELS);
  const problems: BoundaryProblem[] = [];
  const features = readFeatures(input, problems);
  if (features === null) return { units: [], problems };
  checkSize(features);
  const budget = new Budget(options.limits ?? BOUNDARY_LIMITS);

  const stored = new Map<string, ExistingUnit>();
  for (const u of existing) if (!stored.has(u.code)) stored.set(u.code, u);

  // 1. Features, properties, geometry.
  const parsed: Parsed[] = features.map((raw, index): Parsed => {
    if (!isRecord(raw) || raw['type'] !== 'Feature') {
      problems.push({ feature: index, code: null, kind: 'bad_feature', reason: `feature ${index} is ${isRecord(raw) ? `a ${show(raw['type'])}` : show(raw)}, not a GeoJSON Feature` });
      return { index, code: null, label: `feature ${index}`, props: null, level: null, geometry: null, geometryOk: false, duplicate: false, parentHint: null, parentOk: false };
    }
    const { props, code, level, parentCode } = parseProps(index, raw['properties'], problems);
    const label = code === null ? `feature ${index}` : `feature ${index} (${code})`;
    const { geometry, ok } = parseGeometry(index, label, code, raw['geometry'], toleranceM2, problems, budget);
    return { index, code, label, props, level, geometry, geometryOk: ok, duplicate: false, parentHint: parentCode, parentOk: true };
  });

  // 2. Codes: unique in the file; a stored code keeps its level.
  const byCode = new Map<string, Parsed>();
  for (const f of parsed) {
    if (f.code === null) continue;
    const first = byCode.get(f.code);
    if (first) {
      f.duplicate = true;
      problems.push({
        feature: f.index,
        code: f.code,
        kind: 'duplicate_code',
        reason: `${f.label} repeats code ${f.code}, already used by feature ${first.index}; each unit must appear once`,
        other: f.code,
      });
      continue;
    }
    byCode.set(f.code, f);
    const old = stored.get(f.code);
    if (old && f.level !== null && old.level !== f.level)
      problems.push({
        feature: f.index,
        code: f.code,
        kind: 'bad_properties',
        reason: `${f.label} is given as a ${f.level}, but ${f.code} is already stored as a ${old.level}; a code cannot change level (use a new code)`,
      });
  }
  const inFile = (code: string): boolean => byCode.has(code);

  // 3. Parents.
  let topIndex = Infinity;
  for (const f of parsed) if (f.level !== null) topIndex = Math.min(topIndex, levelIndex(f.level));
  for (const u of existing) if (!inFile(u.code)) topIndex = Math.min(topIndex, levelIndex(u.level));
  for (const f of parsed) {
    if (f.duplicate || f.props === null) continue;
    const { level, parentCode } = f.props;
    const li = levelIndex(level);
    const wanted = li > 0 ? LEVELS[li - 1]! : null;
    if (parentCode === null) {
      if (li > topIndex) {
        f.parentOk = false;
        problems.push({
          feature: f.index,
          code: f.code,
          kind: 'bad_properties',
          reason: `${f.label} has no parent_code; a ${level} needs its ${wanted} as parent (only the top level, ${LEVELS[topIndex]}, may have none)`,
        });
      }
      continue;
    }
    if (wanted === null) {
      f.parentOk = false;
      problems.push({
        feature: f.index,
        code: f.code,
        kind: 'wrong_parent_level',
        reason: `${f.label} is a city, the top level, but has parent_code ${parentCode}; leave parent_code empty`,
        other: parentCode,
      });
      continue;
    }
    const fileParent = byCode.get(parentCode);
    const parentLevel = fileParent ? fileParent.level : (stored.get(parentCode)?.level ?? null);
    if (!fileParent && !stored.has(parentCode)) {
      f.parentOk = false;
      problems.push({
        feature: f.index,
        code: f.code,
        kind: 'unknown_parent',
        reason: `${f.label}: parent_code ${parentCode} matches no feature in this file and no stored unit`,
        other: parentCode,
      });
    } else if (parentLevel !== null && parentLevel !== wanted) {
      f.parentOk = false;
      problems.push({
        feature: f.index,
        code: f.code,
        kind: 'wrong_parent_level',
        reason: `${f.label} is a ${level}, so its parent must be a ${wanted}, but ${parentCode} is a ${parentLevel}`,
        other: parentCode,
      });
    }
  }

  // 4. Siblings after the import: the file's units plus the stored units the file does not replace.
  const fileMember = (f: Parsed): Member => ({
    code: f.code!,
    geometry: f.geometryOk ? f.geometry : null,
    feature: f.index,
    box: f.geometryOk && f.geometry ? boxOfGeometry(f.geometry) : null,
    vertices: f.geometryOk && f.geometry ? vertexCount(f.geometry) : 0,
  });
  const storedMember = (u: ExistingUnit): Member => ({
    code: u.code,
    geometry: u.geometry,
    feature: null,
    box: u.geometry ? boxOfGeometry(u.geometry) : null,
    vertices: u.geometry ? vertexCount(u.geometry) : 0,
  });
  const groups = new Map<string | null, Member[]>();
  const push = (key: string | null, m: Member): void => {
    const g = groups.get(key);
    if (g) g.push(m);
    else groups.set(key, [m]);
  };
  const usable = parsed.filter((f) => !f.duplicate && f.props !== null);
  // Parents that some unusable feature (repeated code, bad properties, bad parent) may have been meant
  // for: their children's coverage is unknown, so their gap check is skipped.
  const uncertain = new Set<string>();
  for (const f of parsed) {
    if (!f.duplicate && f.props !== null && f.parentOk) push(f.props.parentCode, fileMember(f));
    else if (f.parentHint !== null) uncertain.add(f.parentHint);
  }
  for (const u of stored.values()) if (!inFile(u.code)) push(u.parentCode, storedMember(u));

  /** The parent as it will be after the import; geometry null when unknown or invalid. */
  const parentOf = (code: string): Member | null => {
    const f = byCode.get(code);
    if (f) return f.duplicate || f.code === null ? null : fileMember(f);
    const u = stored.get(code);
    return u ? storedMember(u) : null;
  };
  const levelOf = (code: string): JurisdictionLevel | null => byCode.get(code)?.level ?? stored.get(code)?.level ?? null;

  // Overlaps, overhangs and gaps (topology.ts).
  checkSiblings({ groups, parentOf, levelOf, uncertain, gapLevels, toleranceM2, budget, problems });

  // 5. Units, parents first (by level, then file order).
  const units: ImportUnit[] = usable
    .filter((f) => f.geometryOk && f.geometry !== null)
    .sort((a, b) => levelIndex(a.props!.level) - levelIndex(b.props!.level) || a.index - b.index)
    .map((f): ImportUnit => {
      const p = f.props!;
      return {
        code: p.code,
        level: p.level,
        parentCode: p.parentCode,
        names: p.names,
        geometry: f.geometry!,
        areaM2: geodesicAreaM2(f.geometry!),
        replaces: stored.has(p.code),
      };
    });

  problems.sort((a, b) => (a.feature ?? -1) - (b.feature ?? -1));
  return { units, problems };
}
