// The geometry of one feature: its structure and coordinates read, then each ring and polygon checked
// (numbers in range, >= 4 positions, closed, <= 180° of longitude, not self-intersecting, not flat; holes
// inside their shell and apart from each other; MultiPolygon parts apart).

import polygonClipping from 'polygon-clipping';
import type { MultiPolygon as ClipMultiPolygon, Polygon as ClipPolygon } from 'polygon-clipping';
import { ringAreaM2 } from '../area.js';
import type { AreaGeometry } from '../polygon.js';
import { clipArea, engineError, pieces, whereIs } from './clip.js';
import { isRecord } from './features.js';
import type { Budget } from './limits.js';
import { boxOfRing, boxesMeet, contact, isFlat, RingIndex, samePt, selfIntersections, sweepEdgePairs, type Pt, type Ring } from './planar.js';
import { at, deg, m2, show, type BoundaryProblem, type ProblemKind } from './problems.js';

/**
 * Read the geometry's structure and coordinates, then check each ring and polygon. Returns the
 * normalised geometry (positions cut to [lon, lat]) when every coordinate is readable, and whether all
 * the per-feature geometry checks passed.
 */
export function parseGeometry(
  index: number,
  label: string,
  code: string | null,
  raw: unknown,
  toleranceM2: number,
  problems: BoundaryProblem[],
  budget: Budget,
): { geometry: AreaGeometry | null; ok: boolean } {
  const fail = (kind: ProblemKind, reason: string): void => {
    problems.push({ feature: index, code, kind, reason });
  };
  if (!isRecord(raw)) {
    fail('bad_feature', `${label} has no geometry; it needs a Polygon or MultiPolygon`);
    return { geometry: null, ok: false };
  }
  const type = raw['type'];
  if (type !== 'Polygon' && type !== 'MultiPolygon') {
    fail('bad_feature', `${label} is a ${show(type)}; only Polygon and MultiPolygon boundaries can be imported`);
    return { geometry: null, ok: false };
  }
  const coords = raw['coordinates'];
  const multi = type === 'MultiPolygon';
  const rawPolys: unknown[] = multi ? (Array.isArray(coords) ? coords : []) : [coords];
  if (!Array.isArray(coords) || coords.length === 0) {
    fail('bad_feature', `${label}: its ${type} has no coordinates`);
    return { geometry: null, ok: false };
  }

  const ringName = (p: number, r: number): string =>
    `ring ${r + 1}${r > 0 ? ' (a hole)' : ''}${multi ? ` of part ${p + 1}` : ''} of ${label}`;

  let readable = true;
  let ok = true;
  const polys: Ring[][] = [];
  rawPolys.forEach((rawPoly, p) => {
    if (!Array.isArray(rawPoly) || rawPoly.length === 0) {
      fail('bad_feature', `${multi ? `part ${p + 1} of ` : ''}${label} has no rings`);
      readable = false;
      return;
    }
    const rings: Ring[] = [];
    rawPoly.forEach((rawRing, r) => {
      if (!Array.isArray(rawRing)) {
        fail('bad_feature', `${ringName(p, r)} is not a list of positions`);
        readable = false;
        return;
      }
      const ring: Ring = [];
      let firstBad: string | null = null;
      let badCount = 0;
      rawRing.forEach((pos, k) => {
        let why: string | null = null;
        if (!Array.isArray(pos) || pos.length < 2) why = `is ${show(pos)}, not a [lon, lat] pair`;
        else {
          const [lon, lat] = pos as unknown[];
          if (typeof lon !== 'number' || typeof lat !== 'number' || !Number.isFinite(lon) || !Number.isFinite(lat))
            why = `is ${show(lon)}, ${show(lat)}: both must be numbers`;
          else if (lon < -180 || lon > 180 || lat < -90 || lat > 90)
            why =
              `is ${lon}, ${lat}: longitude must be within -180..180 and latitude within -90..90` +
              (Math.abs(lon) > 1000 || Math.abs(lat) > 1000 ? ' (the file looks projected, in metres; export it as WGS-84, EPSG:4326)' : '');
          else ring.push([lon, lat]);
        }
        if (why !== null) {
          badCount++;
          firstBad ??= `position ${k + 1} of ${ringName(p, r)} ${why}`;
        }
      });
      if (firstBad !== null) {
        fail('bad_coordinate', badCount > 1 ? `${firstBad} (and ${badCount - 1} more bad positions in that ring)` : firstBad);
        readable = false;
        return;
      }
      rings.push(ring);
    });
    polys.push(rings);
  });
  if (!readable) return { geometry: null, ok: false };

  const geometry: AreaGeometry = multi ? { type: 'MultiPolygon', coordinates: polys } : { type: 'Polygon', coordinates: polys[0]! };

  // Per-ring checks. `open` holds the ring without its closing position and without repeated
  // consecutive positions (a doubled vertex is harmless); null for a ring that failed.
  const openRings: (Ring | null)[][] = polys.map((rings, p) =>
    rings.map((ring, r): Ring | null => {
      const name = ringName(p, r);
      if (ring.length < 4) {
        fail('too_few_points', `${name} has ${ring.length} position${ring.length === 1 ? '' : 's'}; a ring needs at least 4 (3 corners, then the first corner repeated to close it)`);
        return null;
      }
      const first = ring[0]!;
      const last = ring[ring.length - 1]!;
      if (!samePt(first, last)) {
        fail('unclosed_ring', `${name} is not closed: it starts at ${at(first)} but ends at ${at(last)}; repeat the first position at the end`);
        return null;
      }
      const open: Ring = [];
      for (const q of ring.slice(0, -1)) if (open.length === 0 || !samePt(open[open.length - 1]!, q)) open.push(q);
      while (open.length > 1 && samePt(open[0]!, open[open.length - 1]!)) open.pop();
      if (open.length < 3) {
        fail('too_few_points', `${name} has only ${open.length} distinct corner${open.length === 1 ? '' : 's'}; a ring needs at least 3`);
        return null;
      }
      const box = boxOfRing(open);
      if (box.maxX - box.minX > 180) {
        fail(
          'antimeridian',
          `${name} spans ${deg(box.maxX - box.minX)}° of longitude (${deg(box.minX)} to ${deg(box.maxX)}); boundaries crossing the 180° meridian are not supported — split the unit there or check for swapped or mistyped longitudes`,
        );
        return null;
      }
      if (isFlat(open)) {
        fail('empty_area', `${name} has no area: all its corners lie on one line`);
        return null;
      }
      const crossings = selfIntersections(open, budget, () => name);
      if (crossings.length > 0) {
        const [firstX, ...more] = crossings;
        const extra = more.length > 0 ? ` (and at ${more.length} more place${more.length === 1 ? '' : 's'}, e.g. ${at(more[0]!)})` : '';
        fail('self_intersection', `${name} crosses itself at ${at(firstX!)}${extra}`);
        return null;
      }
      return open;
    }),
  );
  if (openRings.some((rings) => rings.some((r) => r === null))) return { geometry, ok: false };

  // Per-polygon checks: holes inside the shell and apart from each other, something left after the holes.
  const good = openRings as Ring[][];
  good.forEach((rings, p) => {
    const [shell, ...holes] = rings as [Ring, ...Ring[]];
    const part = multi ? `part ${p + 1} of ${label}` : label;

    // Hole vs shell and hole vs hole crossings, from one sweep over all the polygon's edges (none to find
    // without holes: each ring's own pairs were checked above).
    const reported = new Set<string>();
    sweepEdgePairs(holes.length > 0 ? rings : [], budget, () => part, (e, f) => {
      if (e.ring === f.ring) return true;
      const c = contact(e.a, e.b, f.a, f.b);
      if (c === null || c.kind === 'touch') return true; // rings may touch at single points
      const [lo, hi] = e.ring < f.ring ? [e.ring, f.ring] : [f.ring, e.ring];
      const key = `${lo},${hi}`;
      if (reported.has(key)) return true;
      reported.add(key);
      const how = c.kind === 'cross' ? `crosses ring ${lo + 1} at ${at(c.at)}` : `runs along ring ${lo + 1} near ${at(c.at)}`;
      if (lo === 0) {
        ok = false;
        fail('hole_outside_shell', `ring ${hi + 1} (a hole) of ${part} ${how}; a hole must lie inside its outer ring (ring 1)`);
      } else {
        ok = false;
        fail('self_intersection', `ring ${hi + 1} (a hole) of ${part} ${how} (another hole); holes must not overlap`);
      }
      return true;
    });

    const shellIndex = holes.length > 0 ? new RingIndex(shell, budget, () => part) : null;
    holes.forEach((hole, h) => {
      const r = h + 1;
      if (reported.has(`0,${r}`)) return;
      // No crossings, so the hole is either inside or outside the shell: one vertex (or, if all its
      // vertices sit on the shell, one edge midpoint) decides.
      const probe = [...hole, ...hole.map((a, i): Pt => { const b = hole[(i + 1) % hole.length]!; return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2]; })];
      const outside = probe.find((q) => shellIndex!.side(q) < 0);
      if (outside) {
        ok = false;
        fail('hole_outside_shell', `ring ${r + 1} (a hole) of ${part} lies outside its outer ring (ring 1), e.g. at ${at(outside)}; a hole must lie inside it`);
      }
    });
    const holeBoxes = holes.map((hole) => boxOfRing(hole));
    const holeIndexes: (RingIndex | undefined)[] = [];
    for (let h = 0; h < holes.length; h++) {
      for (let k = 0; k < holes.length; k++) {
        if (h === k || reported.has(`${Math.min(h, k) + 1},${Math.max(h, k) + 1}`)) continue;
        // The first vertex of hole h that is not on hole k decides whether h lies inside k. A vertex outside
        // k's box is neither, which settles most pairs without looking at k's edges.
        const outer = holeBoxes[k]!;
        let probe: Pt | undefined;
        for (const q of holes[h]!) {
          if (q[0] < outer.minX || q[0] > outer.maxX || q[1] < outer.minY || q[1] > outer.maxY) break;
          const side = (holeIndexes[k] ??= new RingIndex(holes[k]!, budget, () => part)).side(q);
          if (side === 0) continue;
          if (side > 0) probe = q;
          break;
        }
        if (probe) {
          ok = false;
          fail('self_intersection', `ring ${h + 2} (a hole) of ${part} lies inside ring ${k + 2} (another hole), e.g. at ${at(probe)}; holes must not overlap`);
        }
      }
    }

    const area = ringAreaM2(shell) - holes.reduce((s, hole) => s + ringAreaM2(hole), 0);
    if (ok && area <= 1e-6) {
      ok = false;
      fail('empty_area', `${part} has no area left once its holes are cut out (${m2(Math.max(0, area))})`);
    }
  });

  // MultiPolygon parts must not overlap each other (sharing an edge or a corner is fine).
  if (ok && multi && good.length > 1) {
    const clips = good.map((rings): ClipPolygon => rings.map((ring) => [...ring, ring[0]!]));
    const boxes = good.map((rings) => boxOfRing(rings[0]!));
    const sizes = clips.map((poly) => poly.reduce((n, ring) => n + ring.length, 0));
    // The clipping this needs, counted before the first call.
    const pairs: [number, number][] = [];
    for (let i = 0; i < good.length; i++) {
      for (let j = i + 1; j < good.length; j++) {
        if (!boxesMeet(boxes[i]!, boxes[j]!)) continue;
        budget.clip(sizes[i]! + sizes[j]!, () => `the parts of ${label} against each other`);
        pairs.push([i, j]);
      }
    }
    for (const [i, j] of pairs) {
      let inter: ClipMultiPolygon;
      try {
        inter = polygonClipping.intersection(clips[i]!, clips[j]!);
      } catch (e) {
        ok = false;
        fail('self_intersection', `could not compare parts ${i + 1} and ${j + 1} of ${label} (geometry engine: ${engineError(e)}); check them for tiny slivers or near-duplicate corners`);
        continue;
      }
      const area = clipArea(inter);
      if (area > toleranceM2) {
        ok = false;
        fail('self_intersection', `parts ${i + 1} and ${j + 1} of ${label} overlap by ${m2(area)}${pieces(inter)} around ${whereIs(inter)}; merge them or cut one back`);
      }
    }
  }
  return { geometry, ok };
}
