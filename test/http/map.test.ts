// Map queries over HTTP (issue 3), on both dialects: clustered counts per cell at low zoom (kept in step
// with every change of the cases), the cases themselves at street level, each reader seeing only their
// reach; bounding-box validation; coordinates in the client's system; jurisdiction polygons as GeoJSON.

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convert } from '../../src/geo/coords.js';
import { bboxOf, type BBox } from '../../src/geo/polygon.js';
import { CHENGGUAN_CODE, ENCLAVE_GRID_CODE, HOLED_GRID_CODE, JURISDICTIONS, MULTIPOLYGON_GRID_CODE, NAJIN_CODE, STREETS, ZHAXI_CODE } from '../../src/seed/najin-data.js';
import { handlingUnit } from '../../src/services/cases/shared.js';
import { MapService } from '../../src/services/map.service.js';
import type { CaseRecord } from '../../src/domain/records.js';
import { DIALECTS } from '../support/db.js';
import { act, actAfter } from '../support/cases.js';
import { buildWorld, type World } from '../support/world.js';
import { Api, expectError, type PageJson } from './support.js';

type MapItem =
  | { type: 'cluster'; lat: number; lon: number; count: number }
  | { type: 'case'; id: string; ref: string; lat: number; lon: number; status: string; categoryId: string; urgency: string; nearBorder: boolean };
interface MapJson {
  mode: 'clusters' | 'points';
  level: number | null;
  coordSys: string;
  items: MapItem[];
  truncated: boolean;
}
interface FeatureCollectionJson {
  type: string;
  features: {
    type: string;
    id: string;
    properties: { id: string; code: string; level: string; name_zh: string; name_en: string; name_bo: string; parent_id: string | null };
    geometry: { type: 'Polygon'; coordinates: number[][][] } | { type: 'MultiPolygon'; coordinates: number[][][][] };
  }[];
}

const bboxParam = (b: BBox): string => [b.minLon, b.minLat, b.maxLon, b.maxLat].join(',');
const around = (p: { lat: number; lon: number }, d: number): BBox => ({ minLon: p.lon - d, minLat: p.lat - d, maxLon: p.lon + d, maxLat: p.lat + d });
const inBox = (b: BBox, p: { lat: number; lon: number }): boolean => p.lon >= b.minLon && p.lon <= b.maxLon && p.lat >= b.minLat && p.lat <= b.maxLat;
const total = (answer: MapJson): number => answer.items.reduce((n, i) => n + (i.type === 'cluster' ? i.count : 0), 0);
const caseIds = (answer: MapJson): string[] => answer.items.flatMap((i) => (i.type === 'case' ? [i.id] : [])).sort();

/** East of the Lhasa city box: outside every unit, waiting in Najin's outside queue. */
const EAST_OUTSIDE = { lat: 29.65, lon: 91.41 };

describe.each(DIALECTS)('map queries ($name)', (dialect) => {
  let world: World;
  let api: Api;
  let najinBox: BBox;
  let districtBox: BBox;
  const c: Record<string, string> = {};

  const all = async (): Promise<CaseRecord[]> => {
    const rows = await world.database.db.selectFrom('cases').select('id').execute();
    const found = await Promise.all(rows.map((r) => world.services.ctx.uow.autocommit.cases.find(r.id)));
    return found.filter((x): x is CaseRecord => x !== undefined);
  };
  /** The cases a subdistrict's command centre may see in a box: handled there, or first reported there (referred away). */
  const seenBy = async (code: string, box: BBox): Promise<CaseRecord[]> => {
    const router = await world.services.ctx.routing();
    const unit = world.unit(code).id;
    return (await all()).filter((k) => (handlingUnit(router, k.jurisdictionId) === unit || handlingUnit(router, k.originJurisdictionId) === unit) && inBox(box, k));
  };
  const mapCases = async (who: string, query: string): Promise<MapJson> => {
    const res = await api.get(who, `/api/v1/map/cases?${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<MapJson>();
  };
  const geo = async (query: string): Promise<FeatureCollectionJson> => {
    const res = await api.get('dispatcher', `/api/v1/map/jurisdictions${query}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/geo\+json/);
    return res.json<FeatureCollectionJson>();
  };

  beforeAll(async () => {
    world = await buildWorld(dialect);
    api = new Api(world);
    await api.loginAll(['dispatcher', 'zx-dispatcher', 'municipal', 'admin', 'supervisor', 'solang']);
    najinBox = bboxOf(world.unit(NAJIN_CODE).geometry!);
    districtBox = bboxOf(world.unit(CHENGGUAN_CODE).geometry!);

    // Najin cases at distinct streets, two riders.
    for (let i = 0; i < 10; i++) {
      const s = STREETS[i * 2]!;
      c[`n${i}`] = await world.report(i % 2 ? 'tenzin' : 'solang', { lat: s.lat, lon: s.lon, address: s.name });
    }
    // A second case at the first street, for the street-level view.
    c.n0b = await world.report('tenzin', { lat: STREETS[0]!.lat + 0.0001, lon: STREETS[0]!.lon });
    // Referred to Zhaxi automatically; reported by Zhaxi's own rider; outside every unit.
    c.referred = await world.report('solang', world.zhaxiPoint);
    c.zhaxi = await world.report('pema', world.zhaxiPoint);
    c.outside = await world.report('solang', EAST_OUTSIDE);

    // A day's work: accept, merge, refer, close, dispatch, reject, and Zhaxi accepting its own.
    await actAfter(world, 5, 'dispatcher', c.n0!, 'accept');
    await act(world, 'dispatcher', c.n1!, 'accept');
    await act(world, 'dispatcher', c.n2!, 'merge', { masterCaseId: c.n0! });
    await act(world, 'dispatcher', c.n3!, 'refer', { jurisdictionId: world.unit(ZHAXI_CODE).id, reason: '在扎细一侧' });
    await act(world, 'dispatcher', c.n4!, 'accept');
    await act(world, 'dispatcher', c.n4!, 'file');
    await act(world, 'dispatcher', c.n4!, 'close', { closureType: 'no_action_possible', reason: '已自行修复' });
    await act(world, 'dispatcher', c.n5!, 'accept');
    await act(world, 'dispatcher', c.n5!, 'file');
    await act(world, 'dispatcher', c.n5!, 'dispatch');
    await act(world, 'dispatcher', c.n6!, 'reject', { reason: '重复上报' });
    await act(world, 'dispatcher', c.n7!, 'merge', { masterCaseId: c.n1! });
    await act(world, 'dispatcher', c.n7!, 'unmerge', { reason: '不是同一个' });
    await act(world, 'zx-dispatcher', c.zhaxi!, 'accept');
    await act(world, 'dispatcher', c.outside!, 'accept');
  });
  afterAll(() => world?.close());

  describe('cell counts stay in step with the cases', () => {
    it('at every level, the counts per status equal the cases per status', async () => {
      const cases = await world.database.db
        .selectFrom('cases')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('status')
        .execute();
      const expected = Object.fromEntries(cases.map((r) => [r.status, Number(r.n)]));
      expect(Object.keys(expected).sort()).toEqual(['accepted', 'closed', 'dispatched', 'merged', 'rejected', 'reported']);
      for (let level = 0; level <= 3; level++) {
        const rows = await world.database.db
          .selectFrom('case_cells')
          .select(['status', sql<number>`sum(n)`.as('n')])
          .where('level', '=', level)
          .groupBy('status')
          .execute();
        const got = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]).filter(([, n]) => n !== 0));
        expect(got, `level ${level}`).toEqual(expected);
      }
    });

    it('at every level, each handling unit’s counts and position sums match its cases', async () => {
      const router = await world.services.ctx.routing();
      const expected = new Map<string, { n: number; lat: number; lon: number }>();
      for (const k of await all()) {
        const key = `${handlingUnit(router, k.jurisdictionId)}|${k.status}|${k.categoryId}`;
        const e = expected.get(key) ?? { n: 0, lat: 0, lon: 0 };
        expected.set(key, { n: e.n + 1, lat: e.lat + k.lat, lon: e.lon + k.lon });
      }
      for (let level = 0; level <= 3; level++) {
        const rows = await world.database.db
          .selectFrom('case_cells')
          .select(['unit_id', 'status', 'category_id', sql<number>`sum(n)`.as('n'), sql<number>`sum(sum_lat)`.as('lat'), sql<number>`sum(sum_lon)`.as('lon')])
          .where('level', '=', level)
          .groupBy(['unit_id', 'status', 'category_id'])
          .execute();
        const got = new Map(rows.filter((r) => Number(r.n) !== 0).map((r) => [`${r.unit_id}|${r.status}|${r.category_id}`, r]));
        expect([...got.keys()].sort(), `level ${level}`).toEqual([...expected.keys()].sort());
        for (const [key, e] of expected) {
          const r = got.get(key)!;
          expect(Number(r.n), `${key} level ${level}`).toBe(e.n);
          expect(Number(r.lat)).toBeCloseTo(e.lat, 6);
          expect(Number(r.lon)).toBeCloseTo(e.lon, 6);
        }
      }
    });
  });

  describe('GET /map/cases', () => {
    it('the Najin dispatcher at zoom 12 over Najin gets clusters counting every case Najin may see there', async () => {
      const answer = await mapCases('dispatcher', `bbox=${bboxParam(najinBox)}&zoom=12`);
      expect(answer.mode).toBe('clusters');
      expect(answer.level).toBe(2);
      expect(answer.coordSys).toBe('wgs84');
      expect(answer.items.every((i) => i.type === 'cluster' && i.count > 0)).toBe(true);
      const expected = await seenBy(NAJIN_CODE, najinBox);
      // Cases referred to Zhaxi (automatically or by hand) stay in Najin's view for joint handling, so they
      // count on its map as they do in its list; the rest, of any status, too.
      expect(expected.map((k) => k.id)).toEqual(expect.arrayContaining([c.n2, c.n3, c.n4, c.n6]));
      expect(total(answer)).toBe(expected.length);
      // Each cluster sits at the mean of its cases, inside its 0.01° cell's reach of the box.
      for (const i of answer.items) {
        expect(inBox({ minLon: najinBox.minLon - 0.01, minLat: najinBox.minLat - 0.01, maxLon: najinBox.maxLon + 0.01, maxLat: najinBox.maxLat + 0.01 }, i)).toBe(true);
      }
    });

    it('with a status filter, the clusters add up to the list total for that status', async () => {
      const answer = await mapCases('dispatcher', `bbox=${bboxParam(najinBox)}&zoom=12&status=accepted`);
      const list = await api.get('dispatcher', '/api/v1/cases?status=accepted&pageSize=100');
      const listTotal = list.json<PageJson<{ id: string }>>().total;
      expect(listTotal).toBeGreaterThan(0);
      expect(total(answer)).toBe(listTotal - 1); // the outside-queue case is accepted too, but lies far east of the box
      const wide = await mapCases('dispatcher', `bbox=90.5,29.5,91.5,30&zoom=9&status=accepted`);
      expect(total(wide)).toBe(listTotal);
      // Several statuses at once.
      const two = await mapCases('dispatcher', `bbox=${bboxParam(najinBox)}&zoom=12&status=merged&status=closed`);
      expect(total(two)).toBe((await seenBy(NAJIN_CODE, najinBox)).filter((k) => k.status === 'merged' || k.status === 'closed').length);
    });

    it('the Zhaxi dispatcher’s clusters count Zhaxi’s cases only', async () => {
      const answer = await mapCases('zx-dispatcher', `bbox=${bboxParam(districtBox)}&zoom=12`);
      const expected = await seenBy(ZHAXI_CODE, districtBox);
      expect(expected.map((k) => k.id).sort()).toEqual([c.referred, c.zhaxi, c.n3].sort());
      expect(total(answer)).toBe(3);
      const najin = await mapCases('dispatcher', `bbox=${bboxParam(districtBox)}&zoom=12`);
      expect(total(najin)).toBe((await seenBy(NAJIN_CODE, districtBox)).length);
      expect((await seenBy(NAJIN_CODE, districtBox)).map((k) => k.id)).toEqual(expect.arrayContaining([c.referred, c.n3]));
      // The administrator sees everyone's.
      const admin = await mapCases('admin', `bbox=90.5,29.5,91.5,30&zoom=8`);
      expect(total(admin)).toBe((await all()).length);
    });

    it('zoom 16 gives the cases themselves, limited to the box', async () => {
      const s = STREETS[0]!;
      const box = around(s, 0.0005);
      const answer = await mapCases('dispatcher', `bbox=${bboxParam(box)}&zoom=16`);
      expect(answer.mode).toBe('points');
      expect(answer.level).toBeNull();
      expect(answer.truncated).toBe(false);
      expect(caseIds(answer)).toEqual([c.n0!, c.n0b!].sort());
      for (const i of answer.items) {
        expect(i.type).toBe('case');
        expect(inBox(box, i)).toBe(true);
      }
      const n0 = answer.items.find((i) => i.type === 'case' && i.id === c.n0);
      expect(n0).toMatchObject({ type: 'case', status: 'accepted', lat: s.lat, lon: s.lon, nearBorder: false });
      // The whole district at street level: what the Najin dispatcher may see there, and nothing outside the box.
      const wide = await mapCases('dispatcher', `bbox=${bboxParam(districtBox)}&zoom=16`);
      expect(caseIds(wide)).toContain(c.n9);
      expect(caseIds(wide)).not.toContain(c.outside);
      expect(caseIds(wide)).toContain(c.referred); // visible to Najin for joint handling
      expect(caseIds(wide)).not.toContain(c.zhaxi);
    });

    it('zooms 13 and 14 cluster by 0.01° cells, zoom 15 by 0.001° cells, with the same counts', async () => {
      const expected = (await seenBy(NAJIN_CODE, najinBox)).length;
      for (const [zoom, level] of [[13, 2], [14, 2], [15, 3]] as const) {
        const answer = await mapCases('dispatcher', `bbox=${bboxParam(najinBox)}&zoom=${zoom}`);
        expect(answer, `zoom ${zoom}`).toMatchObject({ mode: 'clusters', level });
        expect(total(answer), `zoom ${zoom}`).toBe(expected);
      }
      // The two cases at the first street are 11 m apart: one 0.001° cluster at zoom 15.
      const street = await mapCases('dispatcher', `bbox=${bboxParam(around(STREETS[0]!, 0.0005))}&zoom=15`);
      expect(street.items).toEqual([expect.objectContaining({ type: 'cluster', count: 2 })]);
    });

    it('at street level, a box holding more cases than the point view shows gets the finest clusters instead', async () => {
      const box = bboxParam(around(STREETS[0]!, 0.0005));
      const dispatcher = await world.as('dispatcher');
      const q = { ...around(STREETS[0]!, 0.0005), zoom: 16 };
      // Two cases in the box: with room for two they are points, with room for one a 0.001° cluster of two.
      const roomy = await new MapService(world.services.ctx, world.services.caseQueries, { maxPoints: 2 }).cases(dispatcher, q);
      expect(roomy.mode).toBe('points');
      expect(roomy.items).toHaveLength(2);
      const tight = await new MapService(world.services.ctx, world.services.caseQueries, { maxPoints: 1 }).cases(dispatcher, q);
      expect(tight).toMatchObject({ mode: 'clusters', level: 3, truncated: false });
      expect(tight.items).toEqual([expect.objectContaining({ type: 'cluster', count: 2 })]);
      // A filtered view counts only the matching cases (one accepted), unless the box is too dense to
      // read case by case (more than pointsBoxMax cases in all).
      const filtered = await new MapService(world.services.ctx, world.services.caseQueries, { maxPoints: 1 }).cases(dispatcher, { ...q, status: ['accepted'] });
      expect(filtered.mode).toBe('points');
      expect(filtered.items.map((i) => (i.type === 'case' ? i.id : ''))).toEqual([c.n0]);
      const dense = await new MapService(world.services.ctx, world.services.caseQueries, { maxPoints: 1, pointsBoxMax: 1 }).cases(dispatcher, { ...q, status: ['accepted'] });
      expect(dense).toMatchObject({ mode: 'clusters', level: 3 });
      expect(dense.items).toEqual([expect.objectContaining({ type: 'cluster', count: 1 })]);
      // A rider always gets their own cases as points; over HTTP the default limit leaves both as points.
      const rider = await new MapService(world.services.ctx, world.services.caseQueries, { maxPoints: 1 }).cases(await world.as('tenzin'), q);
      expect(rider).toMatchObject({ mode: 'points', truncated: false });
      expect(rider.items.map((i) => (i.type === 'case' ? i.id : ''))).toEqual([c.n0b]);
      expect((await mapCases('dispatcher', `bbox=${box}&zoom=16`)).mode).toBe('points');
    });

    it('refuses a street-level box wider than a city', async () => {
      expectError(await api.get('dispatcher', '/api/v1/map/cases?bbox=90,29,92,31&zoom=16'), 400, 'bbox_too_large', 'bbox');
    });

    it('a handler gets points for their own department’s cases only, even zoomed out', async () => {
      const answer = await mapCases('municipal', `bbox=${bboxParam(districtBox)}&zoom=10`);
      expect(answer.mode).toBe('points');
      expect(caseIds(answer)).toEqual([c.n5!]);
    });

    it('answers in GCJ-02 when asked, taking the box in GCJ-02 too', async () => {
      const s = STREETS[0]!;
      const gcj = convert(s, 'wgs84', 'gcj02');
      const answer = await mapCases('dispatcher', `bbox=${bboxParam(around(gcj, 0.0003))}&zoom=17&coord_sys=gcj02`);
      expect(answer.coordSys).toBe('gcj02');
      const item = answer.items.find((i) => i.type === 'case' && i.id === c.n0)!;
      expect(item).toBeDefined();
      expect(Math.abs(item.lat - gcj.lat)).toBeLessThan(1e-9);
      expect(Math.abs(item.lon - gcj.lon)).toBeLessThan(1e-9);
      // The same box read as WGS-84 lies ~500 m away from the case.
      const wgs = await mapCases('dispatcher', `bbox=${bboxParam(around(gcj, 0.0003))}&zoom=17`);
      expect(caseIds(wgs)).not.toContain(c.n0);
      // Clusters are converted too.
      const clusters = await mapCases('dispatcher', `bbox=${bboxParam(najinBox)}&zoom=12&coord_sys=gcj02`);
      expect(total(clusters)).toBe(total(await mapCases('dispatcher', `bbox=${bboxParam(najinBox)}&zoom=12`)));
    });

    it('refuses a malformed box, a reversed box and an impossible zoom with 400', async () => {
      expectError(await api.get('dispatcher', '/api/v1/map/cases?bbox=x&zoom=12'), 400, 'validation_failed', 'bbox');
      expectError(await api.get('dispatcher', '/api/v1/map/cases?bbox=91.2,29.6,91.1,29.7&zoom=12'), 400, 'invalid_bbox', 'bbox');
      expectError(await api.get('dispatcher', '/api/v1/map/cases?bbox=91.1,29.7,91.2,29.6&zoom=12'), 400, 'invalid_bbox', 'bbox');
      expectError(await api.get('dispatcher', `/api/v1/map/cases?bbox=${bboxParam(najinBox)}&zoom=30`), 400, 'validation_failed', 'zoom');
      expectError(await api.get('dispatcher', `/api/v1/map/cases?bbox=${bboxParam(najinBox)}`), 400, 'validation_failed', 'zoom');
      expectError(await api.get('dispatcher', `/api/v1/map/cases?bbox=${bboxParam(najinBox)}&zoom=12&coord_sys=mars`), 400, 'validation_failed', 'coord_sys');
      expectError(await api.get(null, `/api/v1/map/cases?bbox=${bboxParam(najinBox)}&zoom=12`), 401);
    });
  });

  describe('GET /map/jurisdictions', () => {
    it('?level=grid: every Najin and Zhaxi grid, the exclave as a MultiPolygon and the holed grid with its hole', async () => {
      const answer = await geo('?level=grid');
      expect(answer.type).toBe('FeatureCollection');
      const seeded = JURISDICTIONS.filter((u) => u.level === 'grid');
      expect(answer.features.map((f) => f.properties.code).sort()).toEqual(seeded.map((u) => u.code).sort());
      expect(answer.features.some((f) => f.properties.code.startsWith(ZHAXI_CODE))).toBe(true);
      const byCode = (code: string) => answer.features.find((f) => f.properties.code === code)!;
      const exclave = byCode(MULTIPOLYGON_GRID_CODE);
      expect(exclave.geometry.type).toBe('MultiPolygon');
      expect(exclave.geometry.coordinates).toHaveLength(2);
      expect(exclave.geometry).toEqual(seeded.find((u) => u.code === MULTIPOLYGON_GRID_CODE)!.geometry);
      const holed = byCode(HOLED_GRID_CODE);
      expect(holed.geometry.type).toBe('Polygon');
      expect(holed.geometry.coordinates).toHaveLength(2);
      expect(byCode(ENCLAVE_GRID_CODE).properties).toMatchObject({ level: 'grid', id: world.unit(ENCLAVE_GRID_CODE).id, parent_id: world.unit(`${NAJIN_CODE}003`).id });
      for (const f of answer.features) {
        expect(f.type).toBe('Feature');
        expect(f.id).toBe(f.properties.id);
        expect(f.properties.name_zh.length).toBeGreaterThan(0);
      }
    });

    it('?parent=<Najin>&level=community: Najin’s four communities', async () => {
      const najin = world.unit(NAJIN_CODE).id;
      const answer = await geo(`?parent=${najin}&level=community`);
      expect(answer.features.map((f) => f.properties.code).sort()).toEqual(['001', '002', '003', '004'].map((s) => `${NAJIN_CODE}${s}`));
      expect(answer.features.every((f) => f.properties.parent_id === najin)).toBe(true);
      // Without a level: every unit below Najin (4 communities and 17 grids).
      const below = await geo(`?parent=${najin}`);
      expect(below.features).toHaveLength(JURISDICTIONS.filter((u) => u.code.startsWith(NAJIN_CODE) && u.code !== NAJIN_CODE).length);
    });

    it('answers polygons in GCJ-02 when asked', async () => {
      const wgs = (await geo(`?level=subdistrict`)).features.find((f) => f.properties.code === NAJIN_CODE)!;
      const gcj = (await geo(`?level=subdistrict&coord_sys=gcj02`)).features.find((f) => f.properties.code === NAJIN_CODE)!;
      const [lon, lat] = (wgs.geometry as { coordinates: number[][][] }).coordinates[0]![0]!;
      const expected = convert({ lat: lat!, lon: lon! }, 'wgs84', 'gcj02');
      const [glon, glat] = (gcj.geometry as { coordinates: number[][][] }).coordinates[0]![0]!;
      expect(Math.abs(glon! - expected.lon)).toBeLessThan(1e-9);
      expect(Math.abs(glat! - expected.lat)).toBeLessThan(1e-9);
    });

    it('refuses an unknown level with 400', async () => {
      expectError(await api.get('dispatcher', '/api/v1/map/jurisdictions?level=province'), 400, 'validation_failed', 'level');
    });
  });
});
