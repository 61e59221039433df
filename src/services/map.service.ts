// Map queries: cases in a bounding box, clustered at low zooms from the maintained cell counts (no scan
// of the cases), as points at street level (or the finest clusters when the box holds too many to show);
// and jurisdiction polygons as GeoJSON.

import { clusterScope } from '../domain/access.js';
import { invalid } from '../domain/errors.js';
import { isWithin } from '../domain/workflow.js';
import type { CaseStatus, JurisdictionLevel } from '../domain/types.js';
import { CELL_DEGREES, FINEST, cellRange } from '../geo/cells.js';
import { convert, type CoordSys } from '../geo/coords.js';
import type { AreaGeometry } from '../geo/polygon.js';
import type { CaseQueryService } from './cases/queries.js';
import type { Principal, ServiceContext } from './context.js';

export interface MapQuery {
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
  zoom: number;
  status?: CaseStatus[];
  categoryId?: string;
  /** The system the answer's coordinates are in (GCJ-02 for Amap/Tencent tiles). */
  coordSys?: CoordSys;
}

export type MapItem =
  | { type: 'cluster'; lat: number; lon: number; count: number }
  | { type: 'case'; id: string; ref: string; lat: number; lon: number; status: string; categoryId: string; urgency: string; nearBorder: boolean };

export interface MapAnswer {
  mode: 'clusters' | 'points';
  /** Cell level of the clusters (0 = 1°, 3 = 0.001°). */
  level: number | null;
  coordSys: CoordSys;
  items: MapItem[];
  /** More cases matched than the point view returns; zoom in. */
  truncated: boolean;
}

/** The most cases the point view returns; a street-level box holding more is answered with clusters. */
export const MAX_POINTS = 2000;
/**
 * A filtered street-level view reads every case of its box (the filters are not in the cell index), so a
 * box holding more than this many cases in all is answered with clusters even when few of them match.
 */
export const POINTS_BOX_MAX = 10_000;

/**
 * Cluster cell level for a web-map zoom; null means street level: show the cases themselves. A 1280-px
 * viewport holds about 30-50 × 20-30 clusters at each level's coarsest zoom and a few hundred at its
 * finest; level 3 (0.001°) below zoom 15 would mean thousands of 6-px clusters.
 */
export function levelForZoom(zoom: number): number | null {
  if (zoom <= 6) return 0;
  if (zoom <= 9) return 1;
  if (zoom <= 14) return 2;
  if (zoom <= 15) return 3;
  return null;
}

/** The most cells a query may span (a cluster view, or the box of a point view at the finest level). */
const MAX_CELLS = 250_000;

export interface MapLimits {
  /** The most cases a point view returns (default MAX_POINTS). */
  maxPoints: number;
  /** The most cases a filtered street-level box may hold in all to be read case by case (default POINTS_BOX_MAX). */
  pointsBoxMax: number;
}

export class MapService {
  private readonly limits: MapLimits;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly caseQueries: CaseQueryService,
    limits: Partial<MapLimits> = {},
  ) {
    this.limits = { maxPoints: limits.maxPoints ?? MAX_POINTS, pointsBoxMax: limits.pointsBoxMax ?? POINTS_BOX_MAX };
  }

  async cases(principal: Principal, q: MapQuery): Promise<MapAnswer> {
    checkBox(q);
    const coordSys = q.coordSys ?? 'wgs84';
    const out = (lat: number, lon: number) => convert({ lat, lon }, 'wgs84', coordSys);
    const zoomLevel = levelForZoom(q.zoom);
    const units = await this.clusterUnits(principal);
    // Clusters come from per-unit counts, so they serve readers whose reach is a set of units (command
    // centres, supervisors, admins). Department staff and riders see few cases: they always get points.
    if (units !== 'points') {
      const level = zoomLevel ?? FINEST;
      const range = cellRange(q.minLat, q.minLon, q.maxLat, q.maxLon, level);
      const clusters = (cells: { n: number; sumLat: number; sumLon: number }[]): MapAnswer => ({
        mode: 'clusters',
        level,
        coordSys,
        truncated: false,
        items: cells.map((c) => ({ type: 'cluster', count: c.n, ...out(c.sumLat / c.n, c.sumLon / c.n) })),
      });
      const cells = await this.ctx.uow.autocommit.cells.clusters({ level, ...range, unitIds: units, status: q.status, categoryId: q.categoryId });
      if (zoomLevel !== null) return clusters(cells);
      // Street level: count first. More matches than the point view shows, or (filtered) a box too dense
      // to read case by case, are answered with the finest clusters rather than a truncated sample.
      if (total(cells) > this.limits.maxPoints) return clusters(cells);
      if (q.status?.length || q.categoryId) {
        const all = await this.ctx.uow.autocommit.cells.clusters({ level, ...range, unitIds: units });
        if (total(all) > this.limits.pointsBoxMax) return clusters(cells);
      }
    }
    const rows = await this.ctx.uow.autocommit.cells.inBox({
      visibility: this.caseQueries.visibility(principal),
      ...cellRange(q.minLat, q.minLon, q.maxLat, q.maxLon, FINEST),
      minLat: q.minLat,
      maxLat: q.maxLat,
      minLon: q.minLon,
      maxLon: q.maxLon,
      status: q.status,
      categoryId: q.categoryId,
      limit: this.limits.maxPoints + 1,
    });
    return {
      mode: 'points',
      level: null,
      coordSys,
      truncated: rows.length > this.limits.maxPoints,
      items: rows.slice(0, this.limits.maxPoints).map((c) => ({
        type: 'case',
        id: c.id,
        ref: c.ref,
        ...out(c.lat, c.lon),
        status: c.status,
        categoryId: c.categoryId,
        urgency: c.urgency,
        nearBorder: c.nearBorder,
      })),
    };
  }

  /** The handling units whose counts a reader may see: null for all, 'points' for no cluster view. */
  private async clusterUnits(principal: Principal): Promise<string[] | null | 'points'> {
    const scope = clusterScope(principal.actor);
    if (scope.kind === 'all') return null;
    if (scope.kind === 'points') return 'points';
    const units = await this.ctx.uow.autocommit.reference.jurisdictions();
    // Counts are kept per subdistrict (or the unit itself above that level): every such unit within reach.
    const own = units.filter((u) => COUNTED_LEVELS.has(u.level) && isWithin(u.path, scope.path));
    // Below subdistrict level (a community's staff) counts are too coarse to show: points instead.
    return own.length > 0 ? own.map((u) => u.id) : 'points';
  }

  /** Jurisdiction polygons of a level (optionally under a parent) as a GeoJSON FeatureCollection. */
  async jurisdictions(level: JurisdictionLevel | undefined, parentId: string | undefined, coordSys: CoordSys = 'wgs84') {
    const router = await this.ctx.routing();
    const units = (await this.ctx.uow.autocommit.reference.jurisdictions()).filter(
      (u) => u.geometry && (!level || u.level === level) && (!parentId || router.chain(u.id).some((a) => a.id === parentId && a.id !== u.id)),
    );
    return {
      type: 'FeatureCollection' as const,
      features: units.map((u) => ({
        type: 'Feature' as const,
        id: u.id,
        properties: { id: u.id, code: u.code, level: u.level, name_zh: u.names.zh, name_en: u.names.en, name_bo: u.names.bo, parent_id: u.parentId },
        geometry: convertGeometry(u.geometry!, coordSys),
      })),
    };
  }
}

function convertGeometry(g: AreaGeometry, to: CoordSys): AreaGeometry {
  if (to === 'wgs84') return g;
  const ring = (r: number[][]) => r.map(([lon, lat]) => {
    const p = convert({ lat: lat!, lon: lon! }, 'wgs84', to);
    return [p.lon, p.lat];
  });
  return g.type === 'Polygon'
    ? { type: 'Polygon', coordinates: g.coordinates.map(ring) }
    : { type: 'MultiPolygon', coordinates: g.coordinates.map((poly) => poly.map(ring)) };
}

function checkBox(q: MapQuery): void {
  if (!(q.minLon >= -180 && q.maxLon <= 180 && q.minLon < q.maxLon)) throw invalid('bbox', 'bbox longitudes must satisfy -180 <= minLon < maxLon <= 180.', 'invalid_bbox');
  if (!(q.minLat >= -90 && q.maxLat <= 90 && q.minLat < q.maxLat)) throw invalid('bbox', 'bbox latitudes must satisfy -90 <= minLat < maxLat <= 90.', 'invalid_bbox');
  if (!(Number.isInteger(q.zoom) && q.zoom >= 0 && q.zoom <= 22)) throw invalid('zoom', 'zoom must be a whole number from 0 to 22.', 'invalid_zoom');
  // A view over the whole world at a fine level would be enormous: cap the cells asked for.
  const size = CELL_DEGREES[levelForZoom(q.zoom) ?? FINEST]!;
  const cells = ((q.maxLat - q.minLat) / size) * ((q.maxLon - q.minLon) / size);
  if (cells > MAX_CELLS) throw invalid('bbox', 'This box is too large for the zoom level; zoom out or ask for a smaller box.', 'bbox_too_large');
}

/** The levels whose units own cell counts: a case counts on its subdistrict, or its unit above that level. */
const COUNTED_LEVELS = new Set<string>(['city', 'district', 'subdistrict']);

const total = (cells: readonly { n: number }[]): number => cells.reduce((s, c) => s + c.n, 0);
