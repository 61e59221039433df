// The sibling checks, among units whose own geometry passed geometry.ts: overlaps between units with the
// same parent, gaps the children leave in their parent, children sticking out of their parent. Areas are
// geodesic (area.ts) on the results of polygon-clipping, with a tolerance for floating-point slivers.

import polygonClipping from 'polygon-clipping';
import type { JurisdictionLevel } from '../../domain/types.js';
import type { AreaGeometry } from '../polygon.js';
import { clipArea, engineError, pieces, toClip, whereIs } from './clip.js';
import type { Budget } from './limits.js';
import { boxesMeet, type Box } from './planar.js';
import { m2, type BoundaryProblem } from './problems.js';

export interface Member {
  code: string;
  geometry: AreaGeometry | null;
  /** file index, or null for a stored unit */
  feature: number | null;
  box: Box | null;
  /** positions in geometry (0 without one) */
  vertices: number;
}

/** One group of siblings' clipping, planned before any of it runs. */
interface GroupWork {
  withShape: Member[];
  /** 4a: sibling pairs whose boxes meet, at least one from the file; the earlier feature first */
  pairs: [Member, Member][];
  /** the parent, when its shape is known */
  parent: Member | null;
  parentLevel: JurisdictionLevel | null;
  /** 4b: children to compare with the parent */
  outside: Member[];
  /** 4c: check that the children cover the parent */
  gap: boolean;
  /** the number of siblings, shaped or not */
  members: number;
}

const whoIs = (m: Member): string => (m.feature === null ? `${m.code} (already stored)` : `${m.code} (feature ${m.feature})`);

/** What the sibling checks look at, and where they report. */
export interface SiblingChecks {
  /** the units after the import (the file's units plus the stored units it does not replace), by parent code */
  groups: ReadonlyMap<string | null, Member[]>;
  /** a parent as it will be after the import (geometry null when unknown or invalid) */
  parentOf: (code: string) => Member | null;
  /** a parent's level, as given in the file or else as stored */
  levelOf: (code: string) => JurisdictionLevel | null;
  /** parents whose children's coverage is unknown, so their gap check is skipped */
  uncertain: ReadonlySet<string>;
  /** levels whose units must be covered completely by their children */
  gapLevels: ReadonlySet<JurisdictionLevel>;
  /** overlaps, gaps and overhangs up to this many m² are not problems */
  toleranceM2: number;
  budget: Budget;
  problems: BoundaryProblem[];
}

/** Overlaps, overhangs and gaps among siblings, pushed to `problems`. All the clipping is counted against the budget before it runs. */
export function checkSiblings({ groups, parentOf, levelOf, uncertain, gapLevels, toleranceM2, budget, problems }: SiblingChecks): void {
  const clip = <T>(run: () => T, onError: (e: unknown) => void): T | null => {
    try {
      return run();
    } catch (e) {
      onError(e);
      return null;
    }
  };
  /** A problem found with this unit: its place in the file, its code, and what is wrong. */
  const found = (unit: { feature: number | null; code: string }, kind: BoundaryProblem['kind'], reason: string, extra: Pick<BoundaryProblem, 'areaM2' | 'other'> = {}) =>
    problems.push({ feature: unit.feature, code: unit.code, kind, reason, ...extra });
  // The clipping the sibling checks need, planned and counted against the budget before the first call.
  const work: GroupWork[] = [];
  for (const [parentCode, members] of groups) {
    const withShape = members.filter((m) => m.geometry !== null);

    // 4a. Overlaps between siblings (pairs with at least one unit from the file). Sweep on x to skip
    // pairs whose boxes cannot meet.
    const pairs: [Member, Member][] = [];
    const sorted = [...withShape].sort((a, b) => a.box!.minX - b.box!.minX);
    for (let i = 0; i < sorted.length; i++) {
      const a = sorted[i]!;
      for (let j = i + 1; j < sorted.length; j++) {
        const b = sorted[j]!;
        if (b.box!.minX > a.box!.maxX) break;
        if (a.feature === null && b.feature === null) continue;
        if (!boxesMeet(a.box!, b.box!)) continue;
        const [first, second] = a.feature === null || (b.feature !== null && b.feature < a.feature) ? [b, a] : [a, b];
        budget.clip(first.vertices + second.vertices, () => `${whoIs(first)} against its sibling ${whoIs(second)}`);
        pairs.push([first, second]);
      }
    }

    const found = parentCode === null ? null : parentOf(parentCode);
    const parent = found !== null && found.geometry !== null ? found : null;
    if (parent === null) {
      work.push({ withShape, pairs, parent: null, parentLevel: null, outside: [], gap: false, members: members.length });
      continue;
    }
    const parentLevel = levelOf(parentCode!);
    // 4b. Children sticking out of their parent (children from the file, or any child of a parent from the file).
    const outside = withShape.filter((m) => m.feature !== null || parent.feature !== null);
    for (const m of outside) budget.clip(m.vertices + parent.vertices, () => `${whoIs(m)} against its parent ${whoIs(parent)}`);
    // 4c. Gaps: the children must cover the parent (only levels in gapCheckLevels, only when the file
    // brings at least one child, only when every child's shape is known and valid).
    const gap =
      parentLevel !== null &&
      gapLevels.has(parentLevel) &&
      members.some((m) => m.feature !== null) &&
      !uncertain.has(parentCode!) &&
      withShape.length === members.length;
    if (gap) budget.clip(withShape.reduce((n, m) => n + m.vertices, parent.vertices), () => `the children of ${whoIs(parent)} against it`);
    work.push({ withShape, pairs, parent, parentLevel, outside, gap, members: members.length });
  }

  for (const { withShape, pairs, parent, parentLevel, outside, gap, members } of work) {
    const clips = new Map(withShape.map((m) => [m.code, toClip(m.geometry!)]));

    // 4a.
    for (const [first, second] of pairs) {
      const inter = clip(
        () => polygonClipping.intersection(clips.get(first.code)!, clips.get(second.code)!),
        (e) =>
          found(first, 'overlap', `could not compare ${whoIs(first)} with ${whoIs(second)} (geometry engine: ${engineError(e)}); check both shapes for tiny slivers or near-duplicate corners`, {
            other: second.code,
          }),
      );
      if (inter === null) continue;
      const area = clipArea(inter);
      if (area > toleranceM2)
        found(first, 'overlap', `${whoIs(first)} overlaps its sibling ${whoIs(second)} by ${m2(area)}${pieces(inter)} around ${whereIs(inter)}`, { areaM2: area, other: second.code });
    }

    if (parent === null) continue;
    const parentClip = toClip(parent.geometry!);

    // 4b.
    for (const m of outside) {
      const unit = { feature: m.feature ?? parent.feature, code: m.code };
      const out = clip(
        () => polygonClipping.difference(clips.get(m.code)!, parentClip),
        (e) => found(unit, 'outside_parent', `could not compare ${whoIs(m)} with its parent ${whoIs(parent)} (geometry engine: ${engineError(e)})`, { other: parent.code }),
      );
      if (out === null) continue;
      const area = clipArea(out);
      if (area > toleranceM2)
        found(unit, 'outside_parent', `${whoIs(m)} sticks out of its parent ${whoIs(parent)} by ${m2(area)}${pieces(out)} around ${whereIs(out)}`, { areaM2: area, other: parent.code });
    }

    // 4c.
    if (!gap) continue;
    const uncovered = clip(
      () => polygonClipping.difference(parentClip, ...withShape.map((m) => clips.get(m.code)!)),
      (e) => found(parent, 'gap', `could not check that the children of ${whoIs(parent)} cover it (geometry engine: ${engineError(e)})`),
    );
    if (uncovered === null) continue;
    const area = clipArea(uncovered);
    if (area > toleranceM2)
      found(
        parent,
        'gap',
        `${members === 1 ? 'the only child' : `the ${members} children`} of ${whoIs(parent)} leave${members === 1 ? 's' : ''} ${m2(area)} of it uncovered${pieces(uncovered)} around ${whereIs(uncovered)}; every part of a ${parentLevel} must belong to one of its children`,
        { areaM2: area },
      );
  }
}
