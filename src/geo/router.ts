// Point -> jurisdiction units. Static packed R-trees (Flatbush, one per level) over the units' bounding
// boxes find the few candidates for a point. The exact point-in-polygon test (polygon.ts's containsPoint:
// holes, MultiPolygon, on-edge is inside) decides between them, run on each unit's coordinates packed
// into one typed array (packArea) because that is much faster here. Distances in metres come from
// distance.ts. The Router is immutable: build a new one when the units change.
//
// Deterministic ties. Neighbouring units share edges vertex for vertex, so a point exactly on a shared
// edge or vertex is contained by all the units that meet there, and a point inside a grid is also inside
// its community, subdistrict and so on. `deepest` and `locate` rank every unit once, at construction:
//   1. deeper level first (LEVELS order: grid before community before ... before city; unknown levels last),
//   2. then lowest `code` (plain UTF-16 code-unit order, not locale-dependent),
//   3. then lowest `id` (only matters if two units share a code).
// They return the best-ranked unit whose polygon contains the point. The answer depends only on the units'
// levels, codes, ids and geometry, never on the order they were passed to the constructor. `nearest` and
// the `neighbours` of `locate` break equal distances the same way.

import Flatbush from 'flatbush';
import type { Jurisdiction } from '../domain/records.js';
import { LEVELS, type JurisdictionLevel } from '../domain/types.js';
import { bboxOf, packArea, packedContains, type AreaGeometry, type BBox, type PackedArea } from './polygon.js';
import { degreesAround, METRES_PER_DEGREE, metresPerDegreeLon, pointToGeometryEdgeM } from './distance.js';

/** Where a point falls: the deepest containing unit, its ancestors, and how close it is to the unit's border. */
export interface Location {
  /** The deepest unit containing the point (ties: lowest code, see above). */
  unit: Jurisdiction;
  /** `unit` first, then its ancestors up to the root. */
  chain: Jurisdiction[];
  /** Metres from the point to the nearest edge of `unit`'s polygon (outer rings and holes); ~0 on the edge. */
  distanceToBorderM: number;
  /** distanceToBorderM <= the borderDistanceM passed to `locate`. */
  nearBorder: boolean;
  /**
   * The other units at `unit`'s level whose polygon lies within borderDistanceM of the point, nearest first,
   * then lowest code. A unit that also contains the point (the point is on a shared edge) is at distance 0.
   */
  neighbours: Jurisdiction[];
}

export interface NearestUnit {
  unit: Jurisdiction;
  /** Metres from the point to the unit's polygon: 0 if the polygon contains the point. */
  distanceM: number;
}

interface Entry {
  unit: Jurisdiction;
  geometry: AreaGeometry;
  packed: PackedArea;
  bbox: BBox;
  /** Position in the tie-break order (0 = best). */
  rank: number;
}

interface LevelIndex {
  index: Flatbush;
  /** The group's entries in rank order; the index's item ids point into this array. */
  entries: Entry[];
}

const depth = (level: string): number => LEVELS.indexOf(level as JurisdictionLevel);
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Flatbush node size: smaller nodes make single-point queries a little faster than the default 16. */
const NODE_SIZE = 8;

function buildIndex(entries: Entry[]): Flatbush {
  const index = new Flatbush(entries.length, NODE_SIZE);
  for (const e of entries) index.add(e.bbox.minLon, e.bbox.minLat, e.bbox.maxLon, e.bbox.maxLat);
  index.finish();
  return index;
}

/** Metres from the point to the unit's polygon: 0 inside or on the boundary, else the distance to the nearest edge. */
function distanceToPolygonM(e: Entry, lon: number, lat: number): number {
  return packedContains(e.packed, lon, lat) ? 0 : pointToGeometryEdgeM(e.geometry, lon, lat);
}

/** A lower bound of the distance from the point to anything inside the box, in metres. */
function distanceToBBoxM(b: BBox, lon: number, lat: number, kx: number): number {
  const dx = Math.max(b.minLon - lon, lon - b.maxLon, 0) * kx;
  const dy = Math.max(b.minLat - lat, lat - b.maxLat, 0) * METRES_PER_DEGREE;
  return Math.sqrt(dx * dx + dy * dy);
}

function checkRadius(name: string, metres: number): void {
  if (Number.isNaN(metres) || metres < 0) throw new RangeError(`${name} must be a non-negative number of metres, got ${metres}`);
}

export class Router {
  private readonly byId: Map<string, Jurisdiction>;
  /** Entries grouped by depth, deepest first (units of unknown levels share the last group). */
  private readonly depths: LevelIndex[] = [];
  /** Entries grouped by level name, for same-level queries (neighbours, nearest). */
  private readonly levels = new Map<string, LevelIndex>();

  constructor(units: Jurisdiction[]) {
    this.byId = new Map(units.map((u) => [u.id, u]));
    const withGeometry: (Omit<Entry, 'rank' | 'packed'> & { depth: number })[] = [];
    for (const unit of units) {
      if (!unit.geometry) continue;
      const bbox = bboxOf(unit.geometry);
      // An empty or malformed geometry contains nothing; keep it out of the index (it was never matched before either).
      if (!(bbox.minLon <= bbox.maxLon && bbox.minLat <= bbox.maxLat) || !Number.isFinite(bbox.minLon + bbox.maxLon + bbox.minLat + bbox.maxLat)) continue;
      withGeometry.push({ unit, geometry: unit.geometry, bbox, depth: depth(unit.level) });
    }
    withGeometry.sort((a, b) => b.depth - a.depth || cmp(a.unit.code, b.unit.code) || cmp(a.unit.id, b.unit.id));
    const entries: Entry[] = withGeometry.map((e, rank) => ({ unit: e.unit, geometry: e.geometry, packed: packArea(e.geometry), bbox: e.bbox, rank }));

    // Entries are in rank order, so each group below is too (deepest group first, codes ascending within).
    const group = <K>(key: (e: Entry) => K): Map<K, Entry[]> => {
      const out = new Map<K, Entry[]>();
      for (const e of entries) {
        const list = out.get(key(e));
        if (list) list.push(e);
        else out.set(key(e), [e]);
      }
      return out;
    };
    for (const [level, list] of group((e) => e.unit.level)) this.levels.set(level, { index: buildIndex(list), entries: list });
    for (const list of group((e) => depth(e.unit.level)).values()) {
      // With known levels a depth group is exactly one level: share its index.
      const same = this.levels.get(list[0]!.unit.level)!;
      this.depths.push(same.entries.length === list.length ? same : { index: buildIndex(list), entries: list });
    }
  }

  unit(id: string): Jurisdiction | undefined {
    return this.byId.get(id);
  }

  /** The deepest unit whose polygon contains the point (ties: lowest code, see the file comment). */
  deepest(lon: number, lat: number): Jurisdiction | undefined {
    return this.deepestEntry(lon, lat)?.unit;
  }

  /**
   * The deepest unit containing the point, its chain, and how near the point is to that unit's border.
   * Undefined when no unit contains the point (see `nearest` for a suggestion).
   */
  locate(lon: number, lat: number, borderDistanceM = 20): Location | undefined {
    checkRadius('borderDistanceM', borderDistanceM);
    const entry = this.deepestEntry(lon, lat);
    if (!entry) return undefined;
    const distanceToBorderM = pointToGeometryEdgeM(entry.geometry, lon, lat);
    const neighbours = this.within(lon, lat, entry.unit.level, borderDistanceM)
      .filter((n) => n.entry !== entry)
      .map((n) => n.entry.unit);
    return {
      unit: entry.unit,
      chain: this.chain(entry.unit.id),
      distanceToBorderM,
      nearBorder: distanceToBorderM <= borderDistanceM,
      neighbours,
    };
  }

  /**
   * The unit of a level whose polygon is nearest to the point, within maxDistanceM. Meant for points that
   * no unit of that level contains (the "outside" queue's suggestion); for a point inside a unit it returns
   * that unit at distance 0. Equal distances go to the lowest code.
   */
  nearest(lon: number, lat: number, level: JurisdictionLevel, maxDistanceM = 50_000): NearestUnit | undefined {
    checkRadius('maxDistanceM', maxDistanceM);
    const li = this.levels.get(level);
    if (!li || !Number.isFinite(lon) || !Number.isFinite(lat)) return undefined;
    const kx = metresPerDegreeLon(lat);

    // 1. An upper bound from the few boxes nearest in degree space. Flatbush measures plain degrees, and a
    //    metre distance is at least min(kx, ky) times the degree distance, so this radius cannot miss a unit
    //    that lies within maxDistanceM.
    const maxDeg = (maxDistanceM / Math.min(kx, METRES_PER_DEGREE)) * (1 + 1e-9);
    const seeds = li.index.neighbors(lon, lat, 4, maxDeg);
    if (seeds.length === 0) return undefined;
    let bound = maxDistanceM;
    for (const i of seeds) bound = Math.min(bound, distanceToPolygonM(li.entries[i]!, lon, lat));

    // 2. The nearest polygon is no farther than `bound`, so its box meets the box of radius `bound`. Check
    //    those exactly, skipping any whose box alone is already farther than the best so far.
    let best: Entry | undefined;
    let bestD = Infinity;
    for (const i of this.boxSearch(li.index, lon, lat, bound)) {
      const e = li.entries[i]!;
      if (distanceToBBoxM(e.bbox, lon, lat, kx) > bestD) continue;
      const d = distanceToPolygonM(e, lon, lat);
      if (d > maxDistanceM) continue;
      if (d < bestD || (d === bestD && best !== undefined && e.rank < best.rank)) {
        best = e;
        bestD = d;
      }
    }
    return best && { unit: best.unit, distanceM: bestD };
  }

  /** The unit and its ancestors, the unit first. */
  chain(id: string): Jurisdiction[] {
    const out: Jurisdiction[] = [];
    for (let unit = this.byId.get(id); unit; unit = unit.parentId ? this.byId.get(unit.parentId) : undefined) out.push(unit);
    return out;
  }

  /** The nearest ancestor-or-self at a level. */
  ancestorAt(id: string, level: Jurisdiction['level']): Jurisdiction | undefined {
    return this.chain(id).find((u) => u.level === level);
  }

  private deepestEntry(lon: number, lat: number): Entry | undefined {
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) return undefined;
    // Depth groups deepest first, so the first group with a containing unit holds the answer. A group's own
    // index has only boxes of similar size: the huge boxes of cities and districts don't widen the tree
    // nodes that a grid lookup walks through.
    for (const group of this.depths) {
      const hits = group.index.search(lon, lat, lon, lat);
      let best: Entry | undefined;
      for (let k = 0; k < hits.length; k++) {
        const e = group.entries[hits[k]!]!;
        // Lower rank = lower code; only a better-ranked candidate is worth the exact test.
        if ((best === undefined || e.rank < best.rank) && packedContains(e.packed, lon, lat)) best = e;
      }
      if (best) return best;
    }
    return undefined;
  }

  /** Units of a level within `radiusM` of the point (0 if containing it), nearest first, then by rank. */
  private within(lon: number, lat: number, level: string, radiusM: number): { entry: Entry; d: number }[] {
    const li = this.levels.get(level);
    if (!li) return [];
    const out: { entry: Entry; d: number }[] = [];
    for (const i of this.boxSearch(li.index, lon, lat, radiusM)) {
      const entry = li.entries[i]!;
      const d = distanceToPolygonM(entry, lon, lat);
      if (d <= radiusM) out.push({ entry, d });
    }
    return out.sort((a, b) => a.d - b.d || a.entry.rank - b.entry.rank);
  }

  /** Ids of the boxes meeting the box that holds every point within `radiusM` of (lon, lat). */
  private boxSearch(index: Flatbush, lon: number, lat: number, radiusM: number): number[] {
    const { dLon, dLat } = degreesAround(lat, radiusM);
    return index.search(lon - dLon, lat - dLat, lon + dLon, lat + dLat);
  }
}
