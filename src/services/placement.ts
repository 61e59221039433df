// Where a report belongs: the deepest unit containing its point, whether it is near a border, whether
// it lies in another subdistrict than the reporter's own (then it is referred there automatically,
// 转办, and stays visible to the reporter's subdistrict), or outside every known unit (then it waits in
// the reporter's subdistrict's "outside" queue with the nearest subdistrict suggested).

import { invalid } from '../domain/errors.js';
import type { Router } from '../geo/router.js';
import type { LatLon } from '../geo/coords.js';

/** Reports within this many metres of a unit's border are flagged for the dispatcher (BORDER_DISTANCE_M). */
export const DEFAULT_BORDER_DISTANCE_M = 20;

export interface Placement {
  /** The unit that handles the case (the located grid, or the reporter's subdistrict when outside). */
  jurisdictionId: string;
  /** The unit whose command centre keeps sight of it (the reporter's subdistrict when referred). */
  originJurisdictionId: string;
  gridId: string | null;
  nearBorder: boolean;
  borderUnitIds: string[];
  outsideArea: boolean;
  suggestedJurisdictionId: string | null;
  /** Set when the point lies in another subdistrict than the reporter's: that subdistrict's id. */
  referredTo: string | null;
}

export function place(router: Router, point: LatLon, reporterJurisdictionId: string | null, borderDistanceM = DEFAULT_BORDER_DISTANCE_M): Placement {
  const home = reporterJurisdictionId ? router.ancestorAt(reporterJurisdictionId, 'subdistrict') : undefined;
  const located = router.locate(point.lon, point.lat, borderDistanceM);
  const subdistrict = located?.chain.find((u) => u.level === 'subdistrict');
  // A point inside a district or city but in none of the subdistricts Gridline serves has no command
  // centre of its own: it goes to the outside queue like a point beyond every unit.
  if (located && subdistrict) {
    const referred = home && subdistrict.id !== home.id ? subdistrict : undefined;
    return {
      jurisdictionId: located.unit.id,
      originJurisdictionId: referred ? home!.id : located.unit.id,
      gridId: located.unit.level === 'grid' ? located.unit.id : null,
      nearBorder: located.nearBorder,
      borderUnitIds: located.neighbours.map((u) => u.id),
      outsideArea: false,
      suggestedJurisdictionId: null,
      referredTo: referred?.id ?? null,
    };
  }
  const suggestion = router.nearest(point.lon, point.lat, 'subdistrict');
  const holder = home ?? suggestion?.unit;
  if (!holder) {
    throw invalid('location', 'This point is far from every area Gridline serves. Check the location and try again.', 'location_outside_service_area');
  }
  return {
    jurisdictionId: holder.id,
    originJurisdictionId: holder.id,
    gridId: null,
    nearBorder: false,
    borderUnitIds: [],
    outsideArea: true,
    suggestedJurisdictionId: suggestion?.unit.id ?? null,
    referredTo: null,
  };
}
