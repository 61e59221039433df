// Point -> containing units, deepest first. Issue 2 scans the units whose bounding box holds the point
// and tests each polygon exactly; a spatial index replaces the scan later without changing callers.

import type { Jurisdiction } from '../storage/reference.repository.js';
import { LEVELS } from '../domain/types.js';
import { bboxOf, containsPoint, inBBox, type BBox } from './polygon.js';

interface Indexed {
  unit: Jurisdiction;
  bbox: BBox;
}

export class Router {
  private readonly byId: Map<string, Jurisdiction>;
  private readonly withGeometry: Indexed[];

  constructor(units: Jurisdiction[]) {
    this.byId = new Map(units.map((u) => [u.id, u]));
    this.withGeometry = units.filter((u) => u.geometry).map((unit) => ({ unit, bbox: bboxOf(unit.geometry!) }));
    // Deepest level first, then lowest code: a point on a shared border goes to the same unit every time.
    this.withGeometry.sort((a, b) => LEVELS.indexOf(b.unit.level) - LEVELS.indexOf(a.unit.level) || a.unit.code.localeCompare(b.unit.code));
  }

  unit(id: string): Jurisdiction | undefined {
    return this.byId.get(id);
  }

  /** The deepest unit whose polygon contains the point. */
  deepest(lon: number, lat: number): Jurisdiction | undefined {
    return this.withGeometry.find((i) => inBBox(i.bbox, lon, lat) && containsPoint(i.unit.geometry!, lon, lat))?.unit;
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
}
