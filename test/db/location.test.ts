// Where a report lands (issue 3), through the services on both dialects: automatic referral to the
// subdistrict the point lies in (转办), the outside queue with the nearest subdistrict suggested, border
// flags and the dispatcher's re-route, and points exactly on shared edges and vertices.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containsPoint, type AreaGeometry, type Position } from '../../src/geo/polygon.js';
import { METRES_PER_DEGREE, metresPerDegreeLon } from '../../src/geo/distance.js';
import { JURISDICTIONS, NAJIN_CODE, STREETS, ZHAXI_CODE, type SeedJurisdiction } from '../../src/seed/najin-data.js';
import type { ReportInput } from '../../src/services/cases/report.js';
import type { CaseRecord } from '../../src/domain/records.js';
import { DIALECTS } from '../support/db.js';
import { act, domainError, events, record, reportInput, userId, staffView } from '../support/cases.js';
import { buildWorld, type World } from '../support/world.js';

// ---- geometry of the seeded units, for picking points on and near borders -------------------------

type Segment = [Position, Position];

const GRIDS = JURISDICTIONS.filter((u) => u.level === 'grid');
const geometryOf = (u: SeedJurisdiction): AreaGeometry => u.geometry as AreaGeometry;
const polygonsOf = (g: AreaGeometry): Position[][][] => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates);
const key = (p: Position): string => `${p[0]},${p[1]}`;

function segmentsOf(u: SeedJurisdiction): Segment[] {
  const out: Segment[] = [];
  for (const rings of polygonsOf(geometryOf(u))) for (const ring of rings) for (let i = 0; i + 1 < ring.length; i++) out.push([ring[i]!, ring[i + 1]!]);
  return out;
}

const lengthM = ([a, b]: Segment): number => Math.hypot((b[0]! - a[0]!) * metresPerDegreeLon(a[1]!), (b[1]! - a[1]!) * METRES_PER_DEGREE);

/** The longest boundary segment two units share (either direction), if any. */
function sharedSegment(a: SeedJurisdiction, b: SeedJurisdiction): Segment | undefined {
  const theirs = new Set(segmentsOf(b).map(([p, q]) => `${key(p)}|${key(q)}`));
  return segmentsOf(a)
    .filter(([p, q]) => theirs.has(`${key(q)}|${key(p)}`) || theirs.has(`${key(p)}|${key(q)}`))
    .sort((x, y) => lengthM(y) - lengthM(x))[0];
}

const underNajin = (u: SeedJurisdiction): boolean => u.code.startsWith(NAJIN_CODE);

/** Two Najin grids of different communities that share a long edge, and that edge. */
function neighbouringGridsOfDifferentCommunities(): { a: SeedJurisdiction; b: SeedJurisdiction; edge: Segment } {
  let best: { a: SeedJurisdiction; b: SeedJurisdiction; edge: Segment } | undefined;
  const najin = GRIDS.filter(underNajin);
  for (const a of najin) {
    for (const b of najin) {
      if (a.code >= b.code || a.parentCode === b.parentCode) continue;
      const edge = sharedSegment(a, b);
      if (edge && (!best || lengthM(edge) > lengthM(best.edge))) best = { a, b, edge };
    }
  }
  if (!best) throw new Error('no Najin grids of different communities share an edge');
  return best;
}

/** The point `metres` from the middle of the segment, perpendicular to it, on each side. */
function besideMiddle([a, b]: Segment, metres: number): { lat: number; lon: number }[] {
  const lat0 = (a[1]! + b[1]!) / 2;
  const lon0 = (a[0]! + b[0]!) / 2;
  const kx = metresPerDegreeLon(lat0);
  const dx = (b[0]! - a[0]!) * kx;
  const dy = (b[1]! - a[1]!) * METRES_PER_DEGREE;
  const len = Math.hypot(dx, dy);
  const nx = -dy / len;
  const ny = dx / len;
  return [1, -1].map((s) => ({ lon: lon0 + (s * nx * metres) / kx, lat: lat0 + (s * ny * metres) / METRES_PER_DEGREE }));
}

/** Grids whose polygon contains the point (on an edge counts), lowest code first. */
const gridsContaining = (p: { lat: number; lon: number }): string[] =>
  GRIDS.filter((g) => containsPoint(geometryOf(g), p.lon, p.lat))
    .map((g) => g.code)
    .sort();

/** A vertex where at least `n` grids meet, under a filter. */
function sharedVertex(n: number, filter: (codes: string[]) => boolean): { lat: number; lon: number; codes: string[] } {
  const owners = new Map<string, Set<string>>();
  for (const g of GRIDS) {
    for (const rings of polygonsOf(geometryOf(g))) {
      for (const ring of rings) for (const p of ring) owners.set(key(p), (owners.get(key(p)) ?? new Set()).add(g.code));
    }
  }
  for (const [k, codes] of owners) {
    const list = [...codes].sort();
    if (list.length >= n && filter(list)) {
      const [lon, lat] = k.split(',').map(Number) as [number, number];
      return { lat, lon, codes: list };
    }
  }
  throw new Error(`no vertex shared by ${n} grids`);
}

/** East of the Lhasa city box (lon 91.4): outside every unit, about 20 km from Najin's eastern edge. */
const EAST_OUTSIDE = { lat: 29.65, lon: 91.41 };
/** Beijing: far from every area served. */
const BEIJING = { lat: 39.9042, lon: 116.4074 };

describe.each(DIALECTS)('where a report lands ($name)', (dialect) => {
  let world: World;

  beforeAll(async () => {
    world = await buildWorld(dialect);
  });
  afterAll(() => world?.close());

  const report = async (username: string, overrides: Partial<ReportInput> = {}): Promise<CaseRecord> => {
    const input = await reportInput(world, username, overrides);
    const { caseId } = await world.services.reports.report(await world.as(username), input);
    return record(world, caseId);
  };
  const departmentCode = async (id: string | null): Promise<string | null> =>
    id === null ? null : ((await world.services.ctx.uow.autocommit.reference.department(id))?.code ?? null);
  const listIds = async (username: string): Promise<string[]> =>
    (await world.services.caseQueries.list(await world.as(username), { pageSize: 100 })).items.map((c) => c.id);
  const myReports = async (username: string, locale: 'zh-CN' | 'en' = 'zh-CN') =>
    (await world.services.caseQueries.myReports(await world.as(username), 1, 100, locale)).items;

  describe('automatic referral (转办)', () => {
    let referred: CaseRecord;

    beforeAll(async () => {
      referred = await report('solang', { lat: world.zhaxiPoint.lat, lon: world.zhaxiPoint.lon, description: '扎细那边井盖没了' });
    });

    it('hands a Najin rider’s report from inside Zhaxi to the Zhaxi grid, keeping Najin as its origin', async () => {
      const unit = (await world.services.ctx.routing()).unit(referred.gridId ?? '');
      expect(unit?.level).toBe('grid');
      expect(unit?.path.startsWith(`${world.unit(ZHAXI_CODE).path}/`)).toBe(true);
      expect(referred.jurisdictionId).toBe(referred.gridId);
      expect(referred.originJurisdictionId).toBe(world.unit(NAJIN_CODE).id);
      expect(referred.reporterId).toBe(userId(world, 'solang'));
      expect(referred.outsideArea).toBe(false);
      expect(referred.status).toBe('reported');
      // Zhaxi's own offices take it (routing rules for Zhaxi), not Najin's municipal works.
      expect(await departmentCode(referred.routedDepartmentId)).toBe('zx-command');
    });

    it('records the referral as a second event by the system, marked automatic', async () => {
      const list = await events(world, referred.id);
      expect(list.map((e) => e.action)).toEqual(['report', 'refer']);
      const refer = list[1]!;
      expect(refer.actorRole).toBe('system');
      expect(refer.actorId).toBeNull();
      expect(refer.data).toMatchObject({ automatic: true, jurisdictionId: world.unit(ZHAXI_CODE).id, fromJurisdictionId: world.unit(NAJIN_CODE).id });
      expect(refer.fromStatus).toBe('reported');
      expect(refer.toStatus).toBe('reported');
      expect(referred.version).toBe(2);
    });

    it('the Najin dispatcher still sees it (list and get) but may not act on it', async () => {
      expect(await listIds('dispatcher')).toContain(referred.id);
      const view = await staffView(world, 'dispatcher', referred.id);
      expect(view.id).toBe(referred.id);
      expect(view.originJurisdiction?.code).toBe(NAJIN_CODE);
      expect(view.availableActions).toEqual([]);
      const error = await domainError(act(world, 'dispatcher', referred.id, 'accept'), 'out_of_scope', 'forbidden');
      expect(error.kind).toBe('forbidden');
      expect((await record(world, referred.id)).status).toBe('reported');
    });

    it('the Zhaxi dispatcher can accept it', async () => {
      expect(await listIds('zx-dispatcher')).toContain(referred.id);
      await act(world, 'zx-dispatcher', referred.id, 'accept');
      const after = await record(world, referred.id);
      expect(after.status).toBe('accepted');
      expect(after.reporterId).toBe(userId(world, 'solang'));
      // Najin keeps sight of the accepted case.
      const view = await staffView(world, 'dispatcher', referred.id);
      expect(view.status).toBe('accepted');
    });

    it('the rider keeps it in their reports, with the referral told in plain words', async () => {
      const mine = (await myReports('solang')).find((c) => c.id === referred.id);
      expect(mine).toBeDefined();
      const refer = mine!.timeline.find((t) => t.action === 'refer');
      expect(refer?.text).toBe('已转办至扎细街道');
      const en = (await myReports('solang', 'en')).find((c) => c.id === referred.id)!;
      expect(en.timeline.find((t) => t.action === 'refer')?.text).toBe('Referred to Zhaxi Subdistrict');
      // The step after the referral is there too.
      expect(en.timeline.map((t) => t.action)).toEqual(['report', 'refer', 'accept']);
    });

    it('a Zhaxi rider reporting in Zhaxi, and a Najin rider in Najin, get no referral', async () => {
      const zhaxi = await report('pema', { lat: world.zhaxiPoint.lat, lon: world.zhaxiPoint.lon });
      expect(zhaxi.gridId).toBe(referred.gridId);
      expect(zhaxi.originJurisdictionId).toBe(zhaxi.jurisdictionId);
      expect((await events(world, zhaxi.id)).map((e) => e.action)).toEqual(['report']);
      // Pema's home centre has it; Najin's does not.
      expect(await listIds('zx-dispatcher')).toContain(zhaxi.id);
      expect(await listIds('dispatcher')).not.toContain(zhaxi.id);

      const najin = await report('tenzin');
      expect(najin.originJurisdictionId).toBe(najin.jurisdictionId);
      expect((await events(world, najin.id)).map((e) => e.action)).toEqual(['report']);
    });
  });

  describe('the outside queue', () => {
    it('a Najin rider’s point outside every unit waits in Najin, with the nearest subdistrict suggested', async () => {
      const c = await report('solang', EAST_OUTSIDE);
      expect(c.outsideArea).toBe(true);
      expect(c.gridId).toBeNull();
      expect(c.jurisdictionId).toBe(world.unit(NAJIN_CODE).id);
      expect(c.originJurisdictionId).toBe(world.unit(NAJIN_CODE).id);
      expect(c.suggestedJurisdictionId).toBe(world.unit(NAJIN_CODE).id);
      expect(c.nearBorder).toBe(false);
      expect((await events(world, c.id)).map((e) => e.action)).toEqual(['report']);
      // Routed like any Najin case (属地兜底 at the subdistrict) and in the Najin dispatcher's queue.
      expect(await departmentCode(c.routedDepartmentId)).toBe('nj-municipal');
      expect(await listIds('dispatcher')).toContain(c.id);
      await act(world, 'dispatcher', c.id, 'accept');
      expect((await record(world, c.id)).status).toBe('accepted');
    });

    it('a Zhaxi rider’s point east of Najin waits in Zhaxi, with Najin suggested', async () => {
      const c = await report('pema', EAST_OUTSIDE);
      expect(c.outsideArea).toBe(true);
      expect(c.gridId).toBeNull();
      expect(c.jurisdictionId).toBe(world.unit(ZHAXI_CODE).id);
      expect(c.suggestedJurisdictionId).toBe(world.unit(NAJIN_CODE).id);
      expect(await listIds('zx-dispatcher')).toContain(c.id);
    });

    it('a point west of Zhaxi suggests Zhaxi', async () => {
      const c = await report('solang', { lat: 29.65, lon: 90.89 });
      expect(c.outsideArea).toBe(true);
      expect(c.jurisdictionId).toBe(world.unit(NAJIN_CODE).id);
      expect(c.suggestedJurisdictionId).toBe(world.unit(ZHAXI_CODE).id);
    });

    it('a rider with no home subdistrict: near Najin the suggested subdistrict holds it; far away it is refused', async () => {
      const near = await report('lobsang', EAST_OUTSIDE);
      expect(near.outsideArea).toBe(true);
      expect(near.gridId).toBeNull();
      expect(near.jurisdictionId).toBe(world.unit(NAJIN_CODE).id);
      expect(near.suggestedJurisdictionId).toBe(world.unit(NAJIN_CODE).id);
      expect(await listIds('dispatcher')).toContain(near.id);

      const before = (await myReports('lobsang')).length;
      const error = await domainError(
        world.services.reports.report(await world.as('lobsang'), await reportInput(world, 'lobsang', BEIJING)),
        'location_outside_service_area',
        'invalid',
      );
      expect(error.details).toMatchObject({ field: 'location' });
      expect((await myReports('lobsang')).length).toBe(before);
    });

    it('a point 1 km east of Najin (inside only the simplified district box) still reaches the rider’s command centre', async () => {
      // Najin's eastern edge is at lon 91.200 ± 0.001; 1 km east is lon ≈ 91.2103, inside the Chengguan
      // district box (lon 91.05–91.25) but in no subdistrict. Whatever unit holds it, a command centre
      // must see it: here the reporter's own (Najin), as for any other point outside the subdistricts.
      const c = await report('solang', { lat: 29.65, lon: 91.2103 });
      expect(c.gridId).toBeNull();
      expect(await listIds('dispatcher'), 'the Najin dispatcher cannot see the report').toContain(c.id);
    });

    it('a point inside a grid is never in the outside queue', async () => {
      const c = await report('lobsang');
      expect(c.outsideArea).toBe(false);
      expect(c.suggestedJurisdictionId).toBeNull();
      expect(c.gridId).not.toBeNull();
    });
  });

  describe('border flags and re-routing', () => {
    const pair = neighbouringGridsOfDifferentCommunities();
    const community = (u: SeedJurisdiction): string => `nj-c00${Number(u.parentCode!.slice(-1))}`;
    // 5 m from the middle of the shared edge, on the side of grid a.
    const nearA = besideMiddle(pair.edge, 5).find((p) => gridsContaining(p).join() === pair.a.code)!;
    const stairwell = (): Partial<ReportInput> => ({ categoryId: world.category('01-091').id, description: '楼道里堆满了纸箱' });

    it('the test point lies in grid a only, about 5 m from grid b', () => {
      expect(nearA, `a point beside ${pair.a.code}|${pair.b.code}`).toBeDefined();
      expect(lengthM(pair.edge)).toBeGreaterThan(50);
    });

    it('flags a report about 5 m from a shared grid edge and names the neighbour grid', async () => {
      const c = await report('solang', { ...stairwell(), ...nearA });
      expect(c.gridId).toBe(world.unit(pair.a.code).id);
      expect(c.nearBorder).toBe(true);
      expect(c.borderUnitIds).toContain(world.unit(pair.b.code).id);
      expect(c.borderUnitIds).not.toContain(c.gridId);
    });

    it('does not flag a report in the middle of a grid', async () => {
      for (const s of STREETS.slice(0, 6)) {
        const c = await report('tenzin', { lat: s.lat, lon: s.lon, address: s.name });
        expect(c.nearBorder, s.name).toBe(false);
        expect(c.borderUnitIds, s.name).toEqual([]);
      }
    });

    it('the dispatcher re-routes a border report to the neighbour grid: new grid and department, an event, the same reporter', async () => {
      const c = await report('solang', { ...stairwell(), ...nearA });
      expect(await departmentCode(c.routedDepartmentId)).toBe(community(pair.a));
      await act(world, 'dispatcher', c.id, 'reroute', { gridId: world.unit(pair.b.code).id, reason: '实际在隔壁小区的楼道' });
      const after = await record(world, c.id);
      expect(after.gridId).toBe(world.unit(pair.b.code).id);
      expect(after.jurisdictionId).toBe(world.unit(pair.b.code).id);
      expect(await departmentCode(after.routedDepartmentId)).toBe(community(pair.b));
      expect(after.status).toBe('reported');
      expect(after.reporterId).toBe(userId(world, 'solang'));
      const list = await events(world, c.id);
      expect(list.map((e) => e.action)).toEqual(['report', 'reroute']);
      expect(list[1]).toMatchObject({ actorId: userId(world, 'dispatcher'), actorRole: 'dispatcher', fromStatus: 'reported', toStatus: 'reported' });
      expect(list[1]!.data).toMatchObject({ gridId: world.unit(pair.b.code).id });
      // The rider still has it, with the move in plain words.
      const mine = (await myReports('solang')).find((m) => m.id === c.id);
      expect(mine?.timeline.find((t) => t.action === 'reroute')?.text).toBe('已调整所属网格');
      // The new grid's community now handles it: it may accept it after a normal accept.
      await act(world, 'dispatcher', c.id, 'accept');
      expect((await record(world, c.id)).status).toBe('accepted');
    });

    it('refuses a re-route to a Zhaxi grid (403 out_of_scope) and one without a reason (reason_required)', async () => {
      const c = await report('solang', { ...stairwell(), ...nearA });
      const zhaxiGrid = GRIDS.find((g) => g.code.startsWith(ZHAXI_CODE))!;
      await domainError(act(world, 'dispatcher', c.id, 'reroute', { gridId: world.unit(zhaxiGrid.code).id, reason: '在扎细' }), 'out_of_scope', 'forbidden');
      await domainError(act(world, 'dispatcher', c.id, 'reroute', { gridId: world.unit(pair.b.code).id }), 'reason_required', 'invalid');
      await domainError(act(world, 'dispatcher', c.id, 'reroute', { gridId: world.unit(pair.b.code).id, reason: '   ' }), 'reason_required', 'invalid');
      const after = await record(world, c.id);
      expect(after.gridId).toBe(world.unit(pair.a.code).id);
      expect((await events(world, c.id)).map((e) => e.action)).toEqual(['report']);
    });
  });

  describe('points exactly on shared edges and vertices', () => {
    it('a vertex where several Najin grids meet goes to the same grid every time: the lowest code', async () => {
      const v = sharedVertex(3, (codes) => codes.every((c) => c.startsWith(NAJIN_CODE)));
      expect(gridsContaining(v)).toEqual(v.codes);
      const grids = new Set<string | null>();
      for (const who of ['solang', 'tenzin', 'solang', 'lobsang']) grids.add((await report(who, { lat: v.lat, lon: v.lon })).gridId);
      expect([...grids]).toEqual([world.unit(v.codes[0]!).id]);
      const c = await report('tenzin', { lat: v.lat, lon: v.lon });
      expect(c.nearBorder).toBe(true);
      for (const other of v.codes.slice(1)) expect(c.borderUnitIds).toContain(world.unit(other).id);
    });

    it('a point in the middle of a shared edge goes to the lower code of the two, every time', async () => {
      const { a, b, edge } = neighbouringGridsOfDifferentCommunities();
      const mid = { lon: (edge[0][0]! + edge[1][0]!) / 2, lat: (edge[0][1]! + edge[1][1]!) / 2 };
      expect(gridsContaining(mid)).toEqual([a.code, b.code]);
      for (let i = 0; i < 3; i++) expect((await report(i % 2 ? 'solang' : 'tenzin', mid)).gridId).toBe(world.unit(a.code).id);
    });

    it('a vertex on the Najin–Zhaxi border goes to the Zhaxi grid (lower code) and a Najin rider’s report is referred', async () => {
      const v = sharedVertex(2, (codes) => codes.some((c) => c.startsWith(NAJIN_CODE)) && codes.some((c) => c.startsWith(ZHAXI_CODE)));
      const zhaxiGrid = v.codes[0]!;
      expect(zhaxiGrid.startsWith(ZHAXI_CODE)).toBe(true);
      for (let i = 0; i < 2; i++) {
        const c = await report('solang', { lat: v.lat, lon: v.lon });
        expect(c.gridId).toBe(world.unit(zhaxiGrid).id);
        expect((await events(world, c.id)).map((e) => e.action)).toEqual(['report', 'refer']);
      }
    });
  });
});
