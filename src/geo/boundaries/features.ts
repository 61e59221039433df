// Reading a boundary file: the document and its features (GeoJSON, WGS-84), and each feature's properties.
// The geometry of a feature is read by geometry.ts.

import { LEVELS, type JurisdictionLevel } from '../../domain/types.js';
import type { AreaGeometry } from '../polygon.js';
import { show, type BoundaryProblem, type ProblemKind } from './problems.js';

/** The `properties` of one feature in a boundary file. */
export interface BoundaryFeatureProps {
  code: string;
  level: JurisdictionLevel;
  parent_code: string | null;
  name_zh: string;
  name_en?: string;
  name_bo?: string;
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const isLevel = (v: unknown): v is JurisdictionLevel => typeof v === 'string' && (LEVELS as readonly string[]).includes(v);

const ACCEPTED_CRS = /(^|[^0-9])(4326|4490|CRS84)$/i;

export function readFeatures(input: unknown, problems: BoundaryProblem[]): unknown[] | null {
  const file = (kind: ProblemKind, reason: string): null => {
    problems.push({ feature: null, code: null, kind, reason });
    return null;
  };
  let doc = input;
  if (typeof doc === 'string') {
    try {
      doc = JSON.parse(doc) as unknown;
    } catch {
      return file('not_geojson', 'the file is not JSON, so it cannot be GeoJSON; export the boundaries from your GIS as GeoJSON (WGS-84, EPSG:4326)');
    }
  }
  if (!isRecord(doc)) return file('not_geojson', `the file is not a GeoJSON object (found ${Array.isArray(doc) ? 'a list' : show(doc)}); it must be a FeatureCollection`);
  const crs = doc['crs'];
  if (isRecord(crs) && isRecord(crs['properties']) && typeof crs['properties']['name'] === 'string') {
    const name = crs['properties']['name'];
    if (!ACCEPTED_CRS.test(name.trim()))
      return file('not_geojson', `the file says its coordinates are in ${name}; export it as WGS-84 longitude/latitude (EPSG:4326)`);
  }
  const type = doc['type'];
  if (type === 'Feature') return [doc];
  if (type === 'Polygon' || type === 'MultiPolygon')
    return file('not_geojson', `the file is a bare ${type} with no properties; wrap it in a Feature with code, level, parent_code and name_zh`);
  if (type !== 'FeatureCollection') return file('not_geojson', `the file's "type" is ${show(type)}; a boundary file must be a GeoJSON FeatureCollection`);
  const features = doc['features'];
  if (!Array.isArray(features)) return file('not_geojson', 'the FeatureCollection has no "features" list');
  if (features.length === 0) return file('not_geojson', 'the FeatureCollection has no features');
  return features;
}

export interface Parsed {
  index: number;
  /** the code if it is a usable string, for messages and lookups */
  code: string | null;
  label: string;
  props: {
    code: string;
    level: JurisdictionLevel;
    parentCode: string | null;
    names: { zh: string; en: string; bo: string };
  } | null;
  /** the level, when it alone is valid (for parent checks) */
  level: JurisdictionLevel | null;
  /** normalised geometry when the structure and coordinates are readable */
  geometry: AreaGeometry | null;
  /** geometry passed every per-feature check: fit for sibling checks */
  geometryOk: boolean;
  duplicate: boolean;
  /** parent_code as written, when it reads as a code (even if other properties are bad) */
  parentHint: string | null;
  /** the parent checks passed: the feature joins its siblings for the geometric checks */
  parentOk: boolean;
}

export const CODE_RE = /^[0-9A-Za-z][0-9A-Za-z._-]*$/;

export function parseProps(
  index: number,
  raw: unknown,
  problems: BoundaryProblem[],
): { props: Parsed['props']; code: string | null; level: JurisdictionLevel | null; parentCode: string | null } {
  const where = `feature ${index}`;
  if (!isRecord(raw)) {
    problems.push({ feature: index, code: null, kind: 'bad_properties', reason: `${where} has no properties; it needs code, level, parent_code and name_zh` });
    return { props: null, code: null, level: null, parentCode: null };
  }
  let ok = true;
  const bad = (reason: string, code: string | null): void => {
    ok = false;
    problems.push({ feature: index, code, kind: 'bad_properties', reason });
  };

  let code: string | null = null;
  const rawCode = raw['code'];
  if (typeof rawCode === 'string' && CODE_RE.test(rawCode)) code = rawCode;
  else if (typeof rawCode === 'number')
    bad(`${where}: code ${rawCode} is a number; store codes as text (numbers lose leading zeros), e.g. "${rawCode}"`, String(rawCode));
  else if (typeof rawCode === 'string' && rawCode.trim() === '') bad(`${where} has an empty code`, null);
  else if (typeof rawCode === 'string') bad(`${where}: code ${show(rawCode)} may only contain letters, digits, '.', '_' and '-' (no spaces)`, null);
  else bad(`${where} has no code (property "code")`, null);
  const label = code === null ? where : `${where} (${code})`;

  let level: JurisdictionLevel | null = null;
  const rawLevel = raw['level'];
  if (isLevel(rawLevel)) level = rawLevel;
  else bad(`${label}: level is ${show(rawLevel)}; it must be one of ${LEVELS.join(', ')}`, code);

  let parentCode: string | null = null;
  const rawParent = raw['parent_code'];
  if (rawParent === undefined || rawParent === null || (typeof rawParent === 'string' && rawParent.trim() === '')) parentCode = null;
  else if (typeof rawParent === 'string' && CODE_RE.test(rawParent)) parentCode = rawParent;
  else if (typeof rawParent === 'number')
    bad(`${label}: parent_code ${rawParent} is a number; store codes as text, e.g. "${rawParent}"`, code);
  else bad(`${label}: parent_code ${show(rawParent)} is not a code`, code);

  const name = (key: string, required: boolean): string | null => {
    const v = raw[key];
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
    if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) {
      if (required) bad(`${label} has no ${key} (the Chinese name)`, code);
      return null;
    }
    bad(`${label}: ${key} ${show(v)} is not text`, code);
    return null;
  };
  const zh = name('name_zh', true);
  const en = name('name_en', false);
  const bo = name('name_bo', false);

  if (!ok || code === null || level === null || zh === null) return { props: null, code, level, parentCode };
  return { props: { code, level, parentCode, names: { zh, en: en ?? zh, bo: bo ?? zh } }, code, level, parentCode };
}
