// Seed data for Najin subdistrict (纳金街道), Chengguan district (城关区), Lhasa (拉萨市), and its western
// neighbour Zhaxi subdistrict (扎细街道). Pure data: no I/O, deterministic, safe to import anywhere.
//
// Everything here is demo data modelled on the rider grid-worker programme. Codes follow GB/T 2260
// (6 digits) + 3-digit street + 3-digit community + 3-digit grid sequence; the street/community codes
// and the community, grid and street names are plausible inventions, not an official register.
//
// Geometry: every polygon below is built from one shared lattice of "cells" whose edges are fixed wavy
// polylines in integer micro-degrees, so neighbouring units share edges vertex for vertex (exact
// tessellation: no gaps, no overlaps, children union to their parent). One grid is a MultiPolygon
// (an exclave), one grid has a hole, and the hole is exactly another grid (a gated compound).

import type { CategoryKind, JurisdictionLevel, Stage, StageLimit, Urgency } from '../domain/types.js';
import type { SubscribableKind } from '../domain/notify.js';
import type { ProgrammeSubscribableKind } from '../domain/programme-notify.js';
import type { ProgrammeOption } from '../domain/records.js';

// ---------------------------------------------------------------------------------------------------
// Exported types
// ---------------------------------------------------------------------------------------------------

/** bo = Tibetan script (U+0F00–U+0FFF). */
export interface Names {
  zh: string;
  en: string;
  bo: string;
}

/** GeoJSON, [lon, lat], rings closed (first == last), outer ring counter-clockwise, holes clockwise. */
export type Polygon = { type: 'Polygon'; coordinates: number[][][] };
export type MultiPolygon = { type: 'MultiPolygon'; coordinates: number[][][][] };

export interface SeedJurisdiction {
  code: string;
  level: JurisdictionLevel;
  parentCode: string | null;
  names: Names;
  geometry: Polygon | MultiPolygon | null;
}

export interface SeedDepartment {
  code: string;
  names: Names;
  jurisdictionCode: string;
  kind: 'command_centre' | 'urban_management' | 'market_regulation' | 'municipal' | 'community' | 'power' | 'fire';
  phone: string;
}

export interface SeedCategory {
  /** e.g. '01-003': 2-digit major + '-' + 3-digit minor (GB/T 30428.2 style; local extensions use minor 080-999). */
  code: string;
  /** 'component' 部件 or 'event' 事件 */
  kind: CategoryKind;
  majorCode: string;
  minorCode: string;
  names: Names;
  /** a SeedDepartment code */
  defaultDepartmentCode: string;
  foodSafety: boolean;
  /** report must carry a photo or video */
  reportMediaRequired: boolean;
  /** resolve must carry an after-photo */
  resolvePhotoRequired: boolean;
  /** default 50 */
  duplicateRadiusM: number;
  defaultUrgency: Urgency;
  /** overrides of the platform defaults, mostly null */
  sla: Partial<Record<Urgency, { unit?: 'calendar' | 'working'; stages?: Partial<Record<Stage, StageLimit>> }>> | null;
  /** 3-6 realistic Chinese report texts a rider would type (short, colloquial), used to generate demo cases */
  sampleDescriptions: string[];
}

export interface SeedStaff {
  username: string;
  displayName: string;
  role: 'dispatcher' | 'handler' | 'regulator' | 'supervisor' | 'admin' | 'employer';
  departmentCode: string | null;
  jurisdictionCode: string;
  /** employer: the platform and its local station. */
  platform?: string;
  station?: string;
}

/** Helper (not required by the platform): a (category, jurisdiction) -> department routing override. */
export interface SeedRoute {
  categoryCode: string;
  jurisdictionCode: string;
  departmentCode: string;
}

// ---------------------------------------------------------------------------------------------------
// Codes
// ---------------------------------------------------------------------------------------------------

export const LHASA_CODE = '540100';
export const CHENGGUAN_CODE = '540102';
/** 纳金街道 */
export const NAJIN_CODE = '540102013';
/** 扎细街道, directly west of Najin, sharing its western border. */
export const ZHAXI_CODE = '540102005';

/** The Najin grid made of two disjoint pieces (an exclave). */
export const MULTIPOLYGON_GRID_CODE = '540102013002001';
/** The Najin grid whose polygon has a hole... */
export const HOLED_GRID_CODE = '540102013003002';
/** ...and the grid that exactly fills that hole (a gated compound). */
export const ENCLAVE_GRID_CODE = '540102013003003';

// ---------------------------------------------------------------------------------------------------
// Geometry construction (integer micro-degrees, so shared vertices are bit-identical)
// ---------------------------------------------------------------------------------------------------

/** [lon, lat] in integer micro-degrees (1e-6 degree). */
type Pt = readonly [number, number];
/** An open ring (first vertex not repeated). */
type Ring = Pt[];
/** Outer ring (CCW) followed by holes (CW). */
type Poly = Ring[];

/**
 * Lattice columns (lon) and rows (lat). Columns 0-2 are Zhaxi, columns 3-8 are Najin
 * (lon ~91.150-91.200); rows 0-3 run south to north (lat ~29.635-29.670).
 */
const LON_LINES = [
  91_120_000, 91_130_000, 91_140_000, 91_150_000, 91_158_000, 91_166_500, 91_175_000, 91_183_500, 91_192_000, 91_200_000,
];
const LAT_LINES = [29_635_000, 29_643_500, 29_652_500, 29_661_000, 29_670_000];
const NAJIN_FIRST_COLUMN = 3;

/** Deterministic integer hash (FNV-1a style mixing); the same on every platform. */
function mix(...ns: number[]): number {
  let h = 0x811c9dc5;
  for (const n of ns) {
    h = Math.imul(h ^ (n & 0xffff), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
  }
  return h >>> 0;
}

/** A deterministic integer in [-amp, amp]. */
function wobble(amp: number, ...ns: number[]): number {
  return (mix(...ns) % (2 * amp + 1)) - amp;
}

const NODE_JITTER = 500; // ~50 m
const EDGE_WAVE = 350; // ~35 m

function node(i: number, j: number): Pt {
  return [lonLine(i) + wobble(NODE_JITTER, 1, i, j), latLine(j) + wobble(NODE_JITTER, 2, i, j)];
}

function lonLine(i: number): number {
  const v = LON_LINES[i];
  if (v === undefined) throw new Error(`no lattice column ${i}`);
  return v;
}

function latLine(j: number): number {
  const v = LAT_LINES[j];
  if (v === undefined) throw new Error(`no lattice row ${j}`);
  return v;
}

/** The wavy polyline from node(i,j) east to node(i+1,j), both ends included. */
function eastEdge(i: number, j: number): Pt[] {
  const a = node(i, j);
  const b = node(i + 1, j);
  const k = 1 + (mix(3, i, j) % 2);
  const pts: Pt[] = [a];
  for (let m = 1; m <= k; m++) {
    const t = m / (k + 1);
    pts.push([Math.round(a[0] + (b[0] - a[0]) * t), Math.round(a[1] + (b[1] - a[1]) * t) + wobble(EDGE_WAVE, 4, i, j, m)]);
  }
  pts.push(b);
  return pts;
}

/** The wavy polyline from node(i,j) north to node(i,j+1), both ends included. */
function northEdge(i: number, j: number): Pt[] {
  const a = node(i, j);
  const b = node(i, j + 1);
  const k = 1 + (mix(5, i, j) % 2);
  const pts: Pt[] = [a];
  for (let m = 1; m <= k; m++) {
    const t = m / (k + 1);
    pts.push([Math.round(a[0] + (b[0] - a[0]) * t) + wobble(EDGE_WAVE, 6, i, j, m), Math.round(a[1] + (b[1] - a[1]) * t)]);
  }
  pts.push(b);
  return pts;
}

/** The lattice cell that hosts the enclave grid (Najin column 1, row 2). */
const HOST_CELL = `${NAJIN_FIRST_COLUMN + 1},2`;
const ENCLAVE = 'enclave';

/** The enclave (a gated compound) in the middle of HOST_CELL, counter-clockwise. */
function enclaveRing(): Ring {
  const cx = Math.round((lonLine(NAJIN_FIRST_COLUMN + 1) + lonLine(NAJIN_FIRST_COLUMN + 2)) / 2);
  const cy = Math.round((latLine(2) + latLine(3)) / 2);
  const offsets: Pt[] = [
    [-1800, -1400],
    [200, -1700],
    [1700, -1200],
    [1900, 900],
    [300, 1600],
    [-1600, 1300],
  ];
  return offsets.map(([dx, dy]): Pt => [cx + dx, cy + dy]);
}

/** A cell as a polygon: 'c,r' for a lattice cell, or ENCLAVE. */
function cellPolygon(id: string): Poly {
  if (id === ENCLAVE) return [enclaveRing()];
  const [c, r] = id.split(',').map(Number) as [number, number];
  const ring: Ring = [
    ...eastEdge(c, r).slice(0, -1),
    ...northEdge(c + 1, r).slice(0, -1),
    ...eastEdge(c, r + 1).reverse().slice(0, -1),
    ...northEdge(c, r).reverse().slice(0, -1),
  ];
  if (id === HOST_CELL) return [ring, enclaveRing().reverse()];
  return [ring];
}

const ptKey = (p: Pt): string => `${p[0]},${p[1]}`;

/** Twice the signed area (positive = counter-clockwise), computed relative to the first vertex. */
function doubleArea(ring: Ring): number {
  const [ox, oy] = ring[0] ?? [0, 0];
  let s = 0;
  for (let i = 0; i < ring.length; i++) {
    const a = ring[i]!;
    const b = ring[(i + 1) % ring.length]!;
    s += (a[0] - ox) * (b[1] - oy) - (b[0] - ox) * (a[1] - oy);
  }
  return s;
}

function ringContains(ring: Ring, p: Pt): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const a = ring[i]!;
    const b = ring[j]!;
    if (a[1] > p[1] !== b[1] > p[1] && p[0] < ((b[0] - a[0]) * (p[1] - a[1])) / (b[1] - a[1]) + a[0]) inside = !inside;
  }
  return inside;
}

/** Start a ring at its southernmost (then westernmost) vertex, for stable output. */
function canonicalStart(ring: Ring): Ring {
  let best = 0;
  ring.forEach((p, i) => {
    const q = ring[best]!;
    if (p[1] < q[1] || (p[1] === q[1] && p[0] < q[0])) best = i;
  });
  return [...ring.slice(best), ...ring.slice(0, best)];
}

/**
 * Union of polygons that share edges exactly: directed boundary segments that appear in both
 * directions cancel; what is left is traced into rings and sorted into outers (CCW) and holes (CW).
 */
function union(polys: Poly[]): Poly[] {
  const segs = new Map<string, { a: Pt; b: Pt }>();
  for (const poly of polys) {
    for (const ring of poly) {
      ring.forEach((a, i) => {
        const b = ring[(i + 1) % ring.length]!;
        const fwd = `${ptKey(a)}>${ptKey(b)}`;
        const rev = `${ptKey(b)}>${ptKey(a)}`;
        if (segs.has(rev)) segs.delete(rev);
        else if (segs.has(fwd)) throw new Error(`overlapping cells at ${fwd}`);
        else segs.set(fwd, { a, b });
      });
    }
  }
  const outgoing = new Map<string, { a: Pt; b: Pt }[]>();
  for (const s of segs.values()) {
    const k = ptKey(s.a);
    const list = outgoing.get(k);
    if (list) list.push(s);
    else outgoing.set(k, [s]);
  }
  for (const [k, list] of outgoing) if (list.length !== 1) throw new Error(`boundary pinches at ${k}`);

  const used = new Set<string>();
  const rings: Ring[] = [];
  for (const start of segs.values()) {
    if (used.has(ptKey(start.a))) continue;
    const ring: Ring = [];
    let s = start;
    while (!used.has(ptKey(s.a))) {
      used.add(ptKey(s.a));
      ring.push(s.a);
      const next = outgoing.get(ptKey(s.b))?.[0];
      if (!next) throw new Error(`open boundary at ${ptKey(s.b)}`);
      s = next;
    }
    if (ptKey(s.a) !== ptKey(start.a)) throw new Error(`boundary does not close at ${ptKey(start.a)}`);
    rings.push(canonicalStart(ring));
  }

  const outers = rings.filter((r) => doubleArea(r) > 0);
  const holes = rings.filter((r) => doubleArea(r) < 0);
  const result: Poly[] = outers.map((o) => [o]);
  for (const h of holes) {
    const owner = result.find((p) => ringContains(p[0]!, h[0]!));
    if (!owner) throw new Error('hole outside every outer ring');
    owner.push(h);
  }
  const first = (p: Poly): Pt => p[0]![0]!;
  result.sort((p, q) => first(p)[1] - first(q)[1] || first(p)[0] - first(q)[0]);
  return result;
}

function toDegrees(ring: Ring): number[][] {
  const closed = [...ring, ring[0]!];
  return closed.map(([x, y]) => [x / 1e6, y / 1e6]);
}

function geometryOf(cells: readonly string[]): Polygon | MultiPolygon {
  const polys = union(cells.map(cellPolygon));
  if (polys.length === 1) return { type: 'Polygon', coordinates: polys[0]!.map(toDegrees) };
  return { type: 'MultiPolygon', coordinates: polys.map((p) => p.map(toDegrees)) };
}

export function rectangle(minLon: number, minLat: number, maxLon: number, maxLat: number): Polygon {
  return {
    type: 'Polygon',
    coordinates: [
      [
        [minLon, minLat],
        [maxLon, minLat],
        [maxLon, maxLat],
        [minLon, maxLat],
        [minLon, minLat],
      ],
    ],
  };
}

// ---------------------------------------------------------------------------------------------------
// Jurisdictions
// ---------------------------------------------------------------------------------------------------

const CN_NUMERALS = ['一', '二', '三', '四', '五', '六', '七', '八', '九'];
const tibetanDigits = (n: number): string =>
  String(n)
    .split('')
    .map((d) => String.fromCodePoint(0x0f20 + Number(d)))
    .join('');
/** Drop a trailing shad (།) so a suffix can follow after a tsheg. */
const boStem = (bo: string): string => bo.replace(/[་།]+$/u, '');

interface GridSpec {
  /** lattice cells 'c,r' (c is the lattice column: 0-2 Zhaxi, 3-8 Najin) or ENCLAVE */
  cells: string[];
  names?: Names;
}
interface CommunitySpec {
  seq: string;
  names: Names;
  grids: GridSpec[];
}
interface SubdistrictSpec {
  code: string;
  names: Names;
  communities: CommunitySpec[];
}

/** Najin cell (column 0-5 inside Najin, row 0-3) as a lattice cell id. */
const nj = (c: number, r: number): string => `${NAJIN_FIRST_COLUMN + c},${r}`;
const zx = (c: number, r: number): string => `${c},${r}`;

const SUBDISTRICT_SPECS: SubdistrictSpec[] = [
  {
    code: NAJIN_CODE,
    names: { zh: '纳金街道', en: 'Najin Subdistrict', bo: 'ན་ཅིན་ཁྲོམ་ལམ།' },
    communities: [
      {
        // south-west; L-shaped
        seq: '001',
        names: { zh: '纳金社区', en: 'Najin Community', bo: 'ན་ཅིན་སྡོད་ཁུལ།' },
        grids: [{ cells: [nj(0, 0), nj(0, 1)] }, { cells: [nj(1, 0)] }, { cells: [nj(2, 0)] }, { cells: [nj(1, 1)] }],
      },
      {
        // south-east; grid 001 is an exclave grid of two disjoint pieces
        seq: '002',
        names: { zh: '塔玛社区', en: 'Tama Community', bo: 'ཐ་མ་སྡོད་ཁུལ།' },
        grids: [
          {
            cells: [nj(3, 0), nj(5, 0)],
            names: { zh: '塔玛社区第一网格（含飞地）', en: 'Tama Community Grid 1 (with exclave)', bo: 'ཐ་མ་སྡོད་ཁུལ་དྲ་མིག་༡' },
          },
          { cells: [nj(4, 0), nj(4, 1)] },
          { cells: [nj(3, 1)] },
          { cells: [nj(5, 1)] },
        ],
      },
      {
        // north-west, plus one cell reaching south; grid 002 has a hole filled exactly by grid 003
        seq: '003',
        names: { zh: '藏大社区', en: 'Zangda Community', bo: 'བོད་སློབ་ཆེན་སྡོད་ཁུལ།' },
        grids: [
          { cells: [nj(0, 2)] },
          { cells: [nj(1, 2)] },
          {
            cells: [ENCLAVE],
            names: { zh: '藏大社区教职工家属院网格', en: 'Zangda Community Staff Compound Grid', bo: 'བོད་སློབ་ཆེན་སྡོད་ཁུལ་ལས་བྱེད་པའི་ཁྱིམ་ཁོངས་དྲ་མིག' },
          },
          { cells: [nj(2, 1), nj(2, 2)] },
          { cells: [nj(0, 3), nj(1, 3), nj(2, 3)] },
        ],
      },
      {
        // north-east
        seq: '004',
        names: { zh: '嘎巴社区', en: 'Gaba Community', bo: 'ག་པ་སྡོད་ཁུལ།' },
        grids: [{ cells: [nj(3, 2), nj(3, 3)] }, { cells: [nj(4, 2)] }, { cells: [nj(5, 2)] }, { cells: [nj(4, 3), nj(5, 3)] }],
      },
    ],
  },
  {
    code: ZHAXI_CODE,
    names: { zh: '扎细街道', en: 'Zhaxi Subdistrict', bo: 'གྲྭ་བཞི་ཁྲོམ་ལམ།' },
    communities: [
      {
        seq: '001',
        names: { zh: '扎细南社区', en: 'Zhaxi South Community', bo: 'གྲྭ་བཞི་ལྷོ་སྡོད་ཁུལ།' },
        grids: [{ cells: [zx(0, 0), zx(0, 1)] }, { cells: [zx(1, 0), zx(1, 1)] }, { cells: [zx(2, 0), zx(2, 1)] }],
      },
      {
        seq: '002',
        names: { zh: '扎细北社区', en: 'Zhaxi North Community', bo: 'གྲྭ་བཞི་བྱང་སྡོད་ཁུལ།' },
        grids: [{ cells: [zx(0, 2), zx(1, 2), zx(0, 3)] }, { cells: [zx(1, 3), zx(2, 3), zx(2, 2)] }],
      },
    ],
  },
];

function buildJurisdictions(): SeedJurisdiction[] {
  const out: SeedJurisdiction[] = [
    {
      code: LHASA_CODE,
      level: 'city',
      parentCode: null,
      names: { zh: '拉萨市', en: 'Lhasa City', bo: 'ལྷ་ས་གྲོང་ཁྱེར།' },
      // A simplified box around the urban area, not the city's real (much larger) boundary.
      geometry: rectangle(90.9, 29.55, 91.4, 29.8),
    },
    {
      code: CHENGGUAN_CODE,
      level: 'district',
      parentCode: LHASA_CODE,
      names: { zh: '城关区', en: 'Chengguan District', bo: 'ཁྲིན་ཀོན་ཆུས།' },
      // A simplified box enclosing both seeded subdistricts.
      geometry: rectangle(91.05, 29.6, 91.25, 29.7),
    },
  ];
  for (const sd of SUBDISTRICT_SPECS) {
    const sdCells = sd.communities.flatMap((c) => c.grids.flatMap((g) => g.cells));
    out.push({ code: sd.code, level: 'subdistrict', parentCode: CHENGGUAN_CODE, names: sd.names, geometry: geometryOf(sdCells) });
    for (const cm of sd.communities) {
      const cmCode = sd.code + cm.seq;
      const cmCells = cm.grids.flatMap((g) => g.cells);
      out.push({ code: cmCode, level: 'community', parentCode: sd.code, names: cm.names, geometry: geometryOf(cmCells) });
      cm.grids.forEach((g, i) => {
        const n = i + 1;
        const names: Names = g.names ?? {
          zh: `${cm.names.zh}第${CN_NUMERALS[i] ?? String(n)}网格`,
          en: `${cm.names.en} Grid ${n}`,
          bo: `${boStem(cm.names.bo)}་དྲ་མིག་${tibetanDigits(n)}`,
        };
        out.push({
          code: cmCode + String(n).padStart(3, '0'),
          level: 'grid',
          parentCode: cmCode,
          names,
          geometry: geometryOf(g.cells),
        });
      });
    }
  }
  return out;
}

export const JURISDICTIONS: SeedJurisdiction[] = buildJurisdictions();

// ---------------------------------------------------------------------------------------------------
// Departments
// ---------------------------------------------------------------------------------------------------

const NAJIN_COMMUNITY_CODES = ['001', '002', '003', '004'].map((s) => NAJIN_CODE + s);

export const DEPARTMENTS: SeedDepartment[] = [
  {
    code: 'nj-command',
    names: { zh: '纳金街道综合指挥中心', en: 'Najin Subdistrict Command Centre', bo: 'ན་ཅིན་ཁྲོམ་ལམ་ཕྱོགས་བསྡུས་འདོམས་འཁྲིད་ལྟེ་གནས།' },
    jurisdictionCode: NAJIN_CODE,
    kind: 'command_centre',
    phone: '0891-6335110',
  },
  {
    code: 'nj-urban',
    names: { zh: '纳金街道城管办', en: 'Najin Urban Management Office', bo: 'ན་ཅིན་ཁྲོམ་ལམ་གྲོང་ཁྱེར་དོ་དམ་གཞུང་ལས་ཁང་།' },
    jurisdictionCode: NAJIN_CODE,
    kind: 'urban_management',
    phone: '0891-6335120',
  },
  {
    code: 'nj-market',
    names: { zh: '纳金市场监管所', en: 'Najin Market Regulation Office', bo: 'ན་ཅིན་ཚོང་རའི་ལྟ་རྟོག་དོ་དམ་ཁང་།' },
    jurisdictionCode: NAJIN_CODE,
    kind: 'market_regulation',
    phone: '0891-6335315',
  },
  {
    code: 'nj-municipal',
    names: { zh: '纳金街道市政维护站', en: 'Najin Municipal Works Station', bo: 'ན་ཅིན་ཁྲོམ་ལམ་གྲོང་ཁྱེར་སྒྲིག་བཀོད་ཉམས་གསོ་ས་ཚིགས།' },
    jurisdictionCode: NAJIN_CODE,
    kind: 'municipal',
    phone: '0891-6335130',
  },
  {
    code: 'nj-power',
    names: { zh: '纳金供电所', en: 'Najin Power Supply Station', bo: 'ན་ཅིན་གློག་མཁོ་ས་ཚིགས།' },
    jurisdictionCode: NAJIN_CODE,
    kind: 'power',
    phone: '0891-6335195',
  },
  {
    code: 'nj-fire',
    names: { zh: '纳金消防救援站', en: 'Najin Fire and Rescue Station', bo: 'ན་ཅིན་མེ་གསོད་སྐྱོབ་འཛིན་ས་ཚིགས།' },
    jurisdictionCode: NAJIN_CODE,
    kind: 'fire',
    phone: '0891-6335119',
  },
  {
    code: 'nj-c001',
    names: { zh: '纳金社区居委会', en: 'Najin Community Residents’ Committee', bo: 'ན་ཅིན་སྡོད་ཁུལ་སྡོད་དམངས་ཨུ་ཡོན་ལྷན་ཁང་།' },
    jurisdictionCode: NAJIN_COMMUNITY_CODES[0]!,
    kind: 'community',
    phone: '0891-6335201',
  },
  {
    code: 'nj-c002',
    names: { zh: '塔玛社区居委会', en: 'Tama Community Residents’ Committee', bo: 'ཐ་མ་སྡོད་ཁུལ་སྡོད་དམངས་ཨུ་ཡོན་ལྷན་ཁང་།' },
    jurisdictionCode: NAJIN_COMMUNITY_CODES[1]!,
    kind: 'community',
    phone: '0891-6335202',
  },
  {
    code: 'nj-c003',
    names: { zh: '藏大社区居委会', en: 'Zangda Community Residents’ Committee', bo: 'བོད་སློབ་ཆེན་སྡོད་ཁུལ་སྡོད་དམངས་ཨུ་ཡོན་ལྷན་ཁང་།' },
    jurisdictionCode: NAJIN_COMMUNITY_CODES[2]!,
    kind: 'community',
    phone: '0891-6335203',
  },
  {
    code: 'nj-c004',
    names: { zh: '嘎巴社区居委会', en: 'Gaba Community Residents’ Committee', bo: 'ག་པ་སྡོད་ཁུལ་སྡོད་དམངས་ཨུ་ཡོན་ལྷན་ཁང་།' },
    jurisdictionCode: NAJIN_COMMUNITY_CODES[3]!,
    kind: 'community',
    phone: '0891-6335204',
  },
  {
    code: 'zx-command',
    names: { zh: '扎细街道综合指挥中心', en: 'Zhaxi Subdistrict Command Centre', bo: 'གྲྭ་བཞི་ཁྲོམ་ལམ་ཕྱོགས་བསྡུས་འདོམས་འཁྲིད་ལྟེ་གནས།' },
    jurisdictionCode: ZHAXI_CODE,
    kind: 'command_centre',
    phone: '0891-6327110',
  },
  {
    code: 'zx-urban',
    names: { zh: '扎细街道城管办', en: 'Zhaxi Urban Management Office', bo: 'གྲྭ་བཞི་ཁྲོམ་ལམ་གྲོང་ཁྱེར་དོ་དམ་གཞུང་ལས་ཁང་།' },
    jurisdictionCode: ZHAXI_CODE,
    kind: 'urban_management',
    phone: '0891-6327120',
  },
];

// ---------------------------------------------------------------------------------------------------
// Categories (GB/T 30428.2 style: 部件 majors 01 公用设施, 02 道路交通, 03 市容环境, 04 园林绿化, 05 房屋土地,
// 06 其他设施; 事件 majors 01 市容环境, 02 宣传广告, 03 施工管理, 04 突发事件, 05 街面秩序, 06 市场监管 (local),
// 07 其他 (local)). Minors 001-079 follow the usual national tables; 080-999 are local extensions
// (components 08x, events 09x here).
// Codes are unique across both kinds.
// ---------------------------------------------------------------------------------------------------

type CategoryInput = Omit<SeedCategory, 'code' | 'majorCode' | 'minorCode' | 'duplicateRadiusM' | 'sla' | 'foodSafety' | 'reportMediaRequired' | 'resolvePhotoRequired'> &
  Partial<Pick<SeedCategory, 'duplicateRadiusM' | 'sla' | 'foodSafety' | 'reportMediaRequired' | 'resolvePhotoRequired'>> & {
    major: string;
    minor: string;
  };

function category(c: CategoryInput): SeedCategory {
  const { major, minor, ...rest } = c;
  return {
    code: `${major}-${minor}`,
    kind: rest.kind,
    majorCode: major,
    minorCode: minor,
    names: rest.names,
    defaultDepartmentCode: rest.defaultDepartmentCode,
    foodSafety: rest.foodSafety ?? false,
    reportMediaRequired: rest.reportMediaRequired ?? true,
    resolvePhotoRequired: rest.resolvePhotoRequired ?? true,
    duplicateRadiusM: rest.duplicateRadiusM ?? 50,
    defaultUrgency: rest.defaultUrgency,
    sla: rest.sla ?? null,
    sampleDescriptions: rest.sampleDescriptions,
  };
}

/** 15 days expressed in minutes, counted in working days (复杂问题). */
export const COMPLEX_RESOLVE_MINUTES = 15 * 24 * 60;

export const CATEGORIES: SeedCategory[] = [
  // ---- 部件 components ----
  category({
    major: '01',
    minor: '003',
    kind: 'component',
    names: { zh: '井盖破损', en: 'Damaged manhole cover', bo: 'ས་འོག་ཁུང་བུའི་ཁ་གཡོགས་ཆག་སྐྱོན།' },
    defaultDepartmentCode: 'nj-municipal',
    defaultUrgency: 'urgent',
    duplicateRadiusM: 30,
    sampleDescriptions: [
      '纳金路边上井盖裂了，电动车压上去直晃，晚上看不见很危险',
      '小区门口井盖没了，就剩个洞，有人拿砖头围了一下',
      '井盖翘起来了，车一过哐哐响',
      '人行道上井盖塌下去一块，老人小孩容易踩空',
    ],
  }),
  category({
    major: '01',
    minor: '031',
    kind: 'component',
    names: { zh: '路灯不亮', en: 'Street light out', bo: 'ལམ་སྒྲོན་མི་འབར་བ།' },
    defaultDepartmentCode: 'nj-municipal',
    defaultUrgency: 'normal',
    duplicateRadiusM: 30,
    sampleDescriptions: [
      '这一排路灯都不亮，晚上送餐黑乎乎的',
      '路口那盏路灯坏了好几天了',
      '路灯一闪一闪的，时亮时不亮',
      '巷子里路灯不亮，晚上女生走路害怕',
    ],
  }),
  category({
    major: '01',
    minor: '081',
    kind: 'component',
    names: { zh: '路灯线路短路/漏电', en: 'Street light short circuit or live wire', bo: 'ལམ་སྒྲོན་གློག་སྐུད་ཐུང་འབྲེལ་དང་གློག་འཛག' },
    defaultDepartmentCode: 'nj-municipal',
    defaultUrgency: 'emergency',
    duplicateRadiusM: 30,
    sla: { emergency: { stages: { resolve: { minutes: 30, from: 'report' } } } },
    sampleDescriptions: [
      '紧急！这个地方的路灯线路短路，还能看到火星！',
      '路灯杆底下的电线箱开着，线头冒火花，快来人',
      '路灯杆摸着麻手，可能漏电了，旁边有小孩在玩',
      '灯杆那里噼里啪啦响还冒烟',
    ],
  }),
  category({
    major: '01',
    minor: '021',
    kind: 'component',
    names: { zh: '变压器/电力设施隐患', en: 'Transformer or power facility hazard', bo: 'གློག་གནོན་འགྱུར་ཆས་དང་གློག་ཤུགས་སྒྲིག་ཆས་ཀྱི་ཉེན་ཁ།' },
    defaultDepartmentCode: 'nj-power',
    defaultUrgency: 'urgent',
    duplicateRadiusM: 80,
    sampleDescriptions: [
      '变压器着火了，冒黑烟，已经打了119',
      '配电箱门被撬开了，里面的线露在外面',
      '电线杆歪了，电线垂得很低，货车过不去',
      '变压器嗡嗡响还有焦味',
    ],
  }),
  category({
    major: '05',
    minor: '081',
    kind: 'component',
    names: { zh: '电梯故障', en: 'Broken elevator', bo: 'གློག་སྐས་སྐྱོན་ཤོར།' },
    defaultDepartmentCode: 'nj-command', // routed to the community of the grid (see ROUTES)
    defaultUrgency: 'urgent',
    duplicateRadiusM: 15,
    sampleDescriptions: [
      '3号楼电梯又坏了，老人爬不上去，送餐也只能爬十几楼',
      '电梯门关不上，一直在那开开关关',
      '电梯停了半天没人修，物业电话打不通',
      '电梯里面有人被困，按警铃没人应',
    ],
  }),
  category({
    major: '02',
    minor: '081',
    kind: 'component',
    names: { zh: '道路破损', en: 'Damaged road surface', bo: 'ལམ་ཁ་ཆག་སྐྱོན།' },
    defaultDepartmentCode: 'nj-municipal',
    defaultUrgency: 'normal',
    duplicateRadiusM: 50,
    // Repaving is complex work: 15 working days to resolve at normal urgency.
    sla: { normal: { unit: 'working', stages: { resolve: { minutes: COMPLEX_RESOLVE_MINUTES } } } },
    sampleDescriptions: [
      '路面塌了一个大坑，下雨积水看不出来，电动车容易摔',
      '这段路坑坑洼洼的，送餐汤都洒了',
      '人行道地砖松了好几块，一踩就翘',
    ],
  }),
  // ---- 事件 events ----
  category({
    major: '01',
    minor: '002',
    kind: 'event',
    names: { zh: '垃圾堆积', en: 'Piled-up rubbish', bo: 'གད་སྙིགས་སྤུངས་པ།' },
    defaultDepartmentCode: 'nj-urban',
    defaultUrgency: 'normal',
    duplicateRadiusM: 50,
    sampleDescriptions: [
      '垃圾桶满了好几天没人拉，味道很大',
      '路边有人倒了一堆装修垃圾',
      '巷子口垃圾堆成小山了，野狗在翻',
    ],
  }),
  category({
    major: '01',
    minor: '091',
    kind: 'event',
    names: { zh: '楼道杂物堆放', en: 'Clutter in a stairwell', bo: 'ཐེམ་སྐས་ལམ་དུ་ཅ་དངོས་སྤུངས་པ།' },
    defaultDepartmentCode: 'nj-command', // routed to the community of the grid (see ROUTES)
    defaultUrgency: 'normal',
    duplicateRadiusM: 20,
    sampleDescriptions: [
      '楼道里堆满了纸箱和旧家具，送餐都挤不过去',
      '2单元楼梯口放了好几个煤气罐',
      '楼道里堆着柴火和牛粪饼，着火就麻烦了',
      '安全出口被杂物堵住了',
    ],
  }),
  category({
    major: '04',
    minor: '091',
    kind: 'event',
    names: { zh: '道路结冰', en: 'Icy road', bo: 'ལམ་ཁར་འཁྱགས་པ།' },
    defaultDepartmentCode: 'nj-municipal',
    defaultUrgency: 'urgent',
    duplicateRadiusM: 100,
    sampleDescriptions: [
      '坡道上结冰了，刚才有两个电动车滑倒',
      '水管漏水流到路上冻住了，一大片冰',
      '路口全是冰，早上车都在打滑',
    ],
  }),
  category({
    major: '05',
    minor: '004',
    kind: 'event',
    names: { zh: '占道经营', en: 'Shop occupying the pavement', bo: 'ལམ་བཟུང་ཚོང་ལས།' },
    defaultDepartmentCode: 'nj-urban',
    defaultUrgency: 'normal',
    duplicateRadiusM: 30,
    sampleDescriptions: [
      '这家店把货全摆到人行道上了，行人只能走马路',
      '烧烤摊占了半条路，晚上人特别多',
      '菜摊摆在路口，车都拐不过去',
    ],
  }),
  category({
    major: '05',
    minor: '091',
    kind: 'event',
    names: { zh: '消防通道占用', en: 'Fire lane blocked', bo: 'མེ་གསོད་ལམ་བཟུང་བ།' },
    defaultDepartmentCode: 'nj-fire',
    defaultUrgency: 'urgent',
    duplicateRadiusM: 50,
    sampleDescriptions: [
      '小区消防通道停满了私家车，消防车根本进不来',
      '消防通道上堆了建材，好几天了',
      '有人在消防通道上搭了个棚子',
      '消防通道被地锁锁住了',
    ],
  }),
  category({
    major: '05',
    minor: '092',
    kind: 'event',
    names: { zh: '电动车乱停放', en: 'Disorderly e-bike parking', bo: 'གློག་འཁོར་གང་བྱུང་བཞག་པ།' },
    defaultDepartmentCode: 'nj-urban',
    defaultUrgency: 'normal',
    duplicateRadiusM: 30,
    sampleDescriptions: [
      '小区门口电动车停得乱七八糟，人都过不去',
      '有人把电动车推进楼道里充电，太危险了',
      '盲道上停满了电动车',
    ],
  }),
  category({
    major: '06',
    minor: '091',
    kind: 'event',
    names: { zh: '食品安全隐患（无证经营/过期食品）', en: 'Food-safety hazard (unlicensed or expired food)', bo: 'ཟས་རིགས་བདེ་འཇགས་ཀྱི་ཉེན་ཁ།' },
    defaultDepartmentCode: 'nj-market',
    defaultUrgency: 'urgent',
    foodSafety: true,
    duplicateRadiusM: 20,
    sampleDescriptions: [
      '这家小店没有营业执照，外卖平台上也查不到证照',
      '超市货架上的牛奶过期半个月了还在卖',
      '路边卖的酸奶没有任何标签，不知道哪里来的',
      '这家店的食品经营许可证过期了还挂着',
    ],
  }),
  category({
    major: '06',
    minor: '092',
    kind: 'event',
    names: { zh: '餐饮后厨卫生问题', en: 'Unhygienic restaurant kitchen', bo: 'ཟ་ཁང་ཐབ་ཚང་གི་གཙང་སྦྲའི་གནད་དོན།' },
    defaultDepartmentCode: 'nj-market',
    defaultUrgency: 'normal',
    foodSafety: true,
    duplicateRadiusM: 20,
    sampleDescriptions: [
      '取餐的时候看到后厨地上全是油污，还有老鼠',
      '厨师不戴口罩帽子，生熟案板混着用',
      '这家店后门泔水桶没盖子，苍蝇很多',
      '后厨的肉就放在地上解冻',
    ],
  }),
  category({
    major: '07',
    minor: '999',
    kind: 'event',
    names: { zh: '其他', en: 'Other', bo: 'གཞན།' },
    defaultDepartmentCode: 'nj-command',
    defaultUrgency: 'normal',
    reportMediaRequired: false,
    resolvePhotoRequired: false,
    sampleDescriptions: [
      '这边有个流浪狗咬人，好几个人被追了',
      '小区里晚上有人一直放很大声的音乐',
      '不知道该归谁管，反正这里一直漏水',
    ],
  }),
];

/** Categories a community handles in its own area (their default department is the command centre). */
const COMMUNITY_CATEGORY_CODES = ['01-091', '05-081']; // 楼道杂物堆放 (event), 电梯故障 (component)
/** Najin departments whose work in Zhaxi goes to Zhaxi's urban management office; the rest to its command centre. */
const URBAN_DEPARTMENTS = new Set<string>(['nj-urban']);

/**
 * Routing overrides (category, jurisdiction) -> department, in the FixMyStreet style: community matters go to
 * the grid's community in Najin; everything in Zhaxi goes to Zhaxi's own offices.
 */
export const ROUTES: SeedRoute[] = [
  ...COMMUNITY_CATEGORY_CODES.flatMap((categoryCode) =>
    NAJIN_COMMUNITY_CODES.map((jurisdictionCode, i) => ({ categoryCode, jurisdictionCode, departmentCode: `nj-c00${i + 1}` })),
  ),
  ...CATEGORIES.map((c) => ({
    categoryCode: c.code,
    jurisdictionCode: ZHAXI_CODE,
    departmentCode: URBAN_DEPARTMENTS.has(c.defaultDepartmentCode) ? 'zx-urban' : 'zx-command',
  })),
];

// ---------------------------------------------------------------------------------------------------
// Staff
// ---------------------------------------------------------------------------------------------------

export const STAFF: SeedStaff[] = [
  { username: 'dispatcher', displayName: '拉巴次仁', role: 'dispatcher', departmentCode: 'nj-command', jurisdictionCode: NAJIN_CODE },
  { username: 'zx-dispatcher', displayName: '白玛央金', role: 'dispatcher', departmentCode: 'zx-command', jurisdictionCode: ZHAXI_CODE },
  { username: 'municipal', displayName: '格桑旺堆', role: 'handler', departmentCode: 'nj-municipal', jurisdictionCode: NAJIN_CODE },
  { username: 'urban', displayName: '赵志刚', role: 'handler', departmentCode: 'nj-urban', jurisdictionCode: NAJIN_CODE },
  { username: 'community1', displayName: '德吉卓玛', role: 'handler', departmentCode: 'nj-c001', jurisdictionCode: NAJIN_COMMUNITY_CODES[0]! },
  { username: 'regulator', displayName: '次旦曲珍', role: 'regulator', departmentCode: 'nj-market', jurisdictionCode: NAJIN_CODE },
  { username: 'supervisor', displayName: '次仁央宗', role: 'supervisor', departmentCode: null, jurisdictionCode: NAJIN_CODE },
  { username: 'admin', displayName: '平台管理员', role: 'admin', departmentCode: null, jurisdictionCode: CHENGGUAN_CODE },
  // The platforms' local stations (企业推荐): each recommends its own riders.
  { username: 'mt-najin', displayName: '美团纳金站 站长 边巴', role: 'employer', departmentCode: null, jurisdictionCode: NAJIN_CODE, platform: 'meituan', station: '美团纳金站' },
  { username: 'elm-najin', displayName: '饿了么纳金站 站长 普琼', role: 'employer', departmentCode: null, jurisdictionCode: NAJIN_CODE, platform: 'eleme', station: '饿了么纳金站' },
];

/** Who hears what in the demo, in their inbox (subscriptions: a user, the kinds, about a department or a jurisdiction). */
export interface SeedSubscription {
  username: string;
  kinds: (SubscribableKind | ProgrammeSubscribableKind)[];
  departmentCode?: string;
  jurisdictionCode?: string;
}

export const DEMO_SUBSCRIPTIONS: SeedSubscription[] = [
  // The command centre hears every new report and what comes back to it.
  { username: 'dispatcher', kinds: ['new_report', 'emergency', 'returned', 'extension_requested', 'reopened', 'referred_in', 'rated'], jurisdictionCode: NAJIN_CODE },
  // ... and reviews the programme's applications as they come in and are recommended.
  { username: 'dispatcher', kinds: ['member_applied', 'member_recommended'], jurisdictionCode: NAJIN_CODE },
  { username: 'zx-dispatcher', kinds: ['new_report', 'emergency', 'returned', 'extension_requested', 'reopened', 'referred_in'], jurisdictionCode: ZHAXI_CODE },
  // Departments hear what is dispatched to them and when the sweep presses them.
  { username: 'municipal', kinds: ['dispatched', 'reminder', 'supervision'], departmentCode: 'nj-municipal' },
  { username: 'urban', kinds: ['dispatched', 'reminder', 'supervision'], departmentCode: 'nj-urban' },
  { username: 'community1', kinds: ['dispatched', 'reminder', 'supervision'], departmentCode: 'nj-c001' },
  { username: 'regulator', kinds: ['dispatched', 'reminder', 'supervision'], departmentCode: 'nj-market' },
  // The supervisor watches emergencies and every deadline missed in Najin.
  { username: 'supervisor', kinds: ['emergency', 'supervision'], jurisdictionCode: NAJIN_CODE },
  // The supervisor approves the riders' redemptions.
  { username: 'supervisor', kinds: ['redemption_requested'], jurisdictionCode: NAJIN_CODE },
];

// ---------------------------------------------------------------------------------------------------
// Riders and street addresses for demo cases
// ---------------------------------------------------------------------------------------------------

/** 40 rider names: the team grew from 30 to 40. 索朗 and 丹增 are the riders quoted in the report. */
export const RIDER_NAMES: string[] = [
  '索朗', '丹增', '次仁罗布', '扎西平措', '格桑顿珠', '旺堆', '尼玛次仁', '达瓦扎西', '拉巴顿珠', '普布次仁',
  '边巴', '多吉', '平措旺杰', '洛桑丹增', '强巴', '米玛', '阿旺', '白玛多吉', '顿珠', '罗布',
  '贡嘎', '土登', '嘎玛', '欧珠', '巴桑', '次旦', '加措', '群培', '德吉', '卓玛',
  '央金', '仁青', '索朗扎西', '丹增曲扎', '扎西次仁', '旦增朗杰', '王建军', '李晓东', '陈磊', '马文斌',
];

/** Street addresses and landmarks in Najin, each well inside one grid (over 100 m from any grid border), covering every grid. */
export const STREETS: { name: string; lat: number; lon: number }[] = [
  { name: '金珠东路2号纳金新村', lat: 29.6384, lon: 91.1528 },
  { name: '纳金路6号骑手驿站', lat: 29.6489, lon: 91.1548 },
  { name: '金珠东路18号纳金农贸市场', lat: 29.637975, lon: 91.16225 },
  { name: '纳金南巷3号', lat: 29.64095, lon: 91.16055 },
  { name: '金珠东路36号安居苑小区', lat: 29.63925, lon: 91.171175 },
  { name: '纳金路21号纳金小学', lat: 29.64845, lon: 91.161825 },
  { name: '纳金南一巷9号', lat: 29.6462, lon: 91.16395 },
  { name: '塔玛路2号塔玛新村', lat: 29.63925, lon: 91.17925 },
  { name: '金珠东路128号东城汽配城', lat: 29.639675, lon: 91.1956 },
  { name: '金珠东路96号塔玛小区', lat: 29.6384, lon: 91.18775 },
  { name: '纳金路77号纳金综合市场', lat: 29.6489, lon: 91.1869 },
  { name: '塔玛路15号塔玛社区服务中心', lat: 29.64755, lon: 91.179675 },
  { name: '纳金路120号', lat: 29.648, lon: 91.196 },
  { name: '纳金东路8号物流园', lat: 29.65025, lon: 91.1944 },
  { name: '纳金路12号纳金街道便民服务中心', lat: 29.65675, lon: 91.154 },
  { name: '藏大东路3号', lat: 29.6542, lon: 91.15987 },
  { name: '藏大东路9号教职工家属院', lat: 29.65675, lon: 91.1623 },
  { name: '纳金路45号纳金中学', lat: 29.648, lon: 91.17075 },
  { name: '藏大东路15号藏大商业街', lat: 29.6576, lon: 91.17075 },
  { name: '藏大北路2号东城社区卫生服务站', lat: 29.6655, lon: 91.154 },
  { name: '藏大北路18号学府花园', lat: 29.6655, lon: 91.1699 },
  { name: '嘎巴路6号嘎巴社区服务中心', lat: 29.65675, lon: 91.17925 },
  { name: '嘎巴路22号嘎巴新苑', lat: 29.66505, lon: 91.179675 },
  { name: '纳金路99号纳金美食街', lat: 29.65675, lon: 91.18775 },
  { name: '纳金东路30号东城菜市场', lat: 29.65675, lon: 91.1956 },
  { name: '嘎巴北路5号嘎巴小学', lat: 29.6655, lon: 91.18775 },
  { name: '嘎巴北路27号东城公交场站', lat: 29.6646, lon: 91.196 },
  { name: '藏大北路10号藏大幼儿园', lat: 29.6655, lon: 91.16225 },
  { name: '藏大东路5号学苑小区', lat: 29.6593, lon: 91.1648 },
];

/** The programme's lists (configurable data: couriers join next, more platforms may follow). */
export const PROGRAMME_OPTIONS: Omit<ProgrammeOption, 'active'>[] = [
  { kind: 'worker_type', code: 'rider', names: { zh: '外卖骑手', en: 'food-delivery rider' } },
  { kind: 'worker_type', code: 'courier', names: { zh: '快递员', en: 'courier' } },
  { kind: 'platform', code: 'meituan', names: { zh: '美团', en: 'Meituan' } },
  { kind: 'platform', code: 'eleme', names: { zh: '饿了么', en: 'Ele.me' } },
  { kind: 'platform', code: 'sf', names: { zh: '顺丰速运', en: 'SF Express' } },
  { kind: 'platform', code: 'jd', names: { zh: '京东物流', en: 'JD Logistics' } },
  { kind: 'platform', code: 'zto', names: { zh: '中通快递', en: 'ZTO Express' } },
];

/** The day the programme's points rules are in force from (the first appointments, July 2024). */
export const POINTS_SINCE = '2024-07-01';
