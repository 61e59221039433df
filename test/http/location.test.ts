// Location over HTTP (issue 3), on both dialects: coordinates in WGS-84, GCJ-02 and BD-09 on the way in
// and out; "is it one of these?" duplicate candidates (possibleDuplicates, GET /reports/nearby) and
// reporting straight into an open case (duplicateOf); automatic referral as the rider and both
// command centres see it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convert } from '../../src/geo/coords.js';
import { NAJIN_CODE, STREETS, ZHAXI_CODE } from '../../src/seed/najin-data.js';
import { DIALECTS } from '../support/db.js';
import { countCases } from '../support/cases.js';
import { buildWorld, type World } from '../support/world.js';
import { Api, expectError, type CaseJson, type MediaJson, type PageJson } from './support.js';
import type { DuplicateCandidate } from '../../src/services/duplicate.service.js';

interface Ref {
  id: string;
  code: string;
  name: string;
}
interface LocatedCaseJson extends CaseJson {
  original: { lat: number; lon: number; coordSys: string };
  grid: Ref | null;
  jurisdiction: Ref | null;
  originJurisdiction: Ref | null;
}
type Candidate = DuplicateCandidate;
interface ReportedJson extends LocatedCaseJson {
  possibleDuplicates: Candidate[];
}
interface MyReportJson {
  id: string;
  ref: string;
  status: string;
  location: { lat: number; lon: number; coordSys: string };
  mergedInto: { id: string; ref: string } | null;
  timeline: { action: string; status: string; text: string }[];
}

/** A Najin street point, as a bare { lat, lon }. */
function street(name: string): { lat: number; lon: number } {
  const found = STREETS.find((s) => s.name.startsWith(name)) ?? fail(`no street ${name}`);
  return { lat: found.lat, lon: found.lon };
}

function fail(message: string): never {
  throw new Error(message);
}

/** Metres to degrees near Najin (haversine on the IUGG mean radius, as the service measures). */
const M_PER_DEG_LAT = (6_371_008.8 * Math.PI) / 180;
const north = (p: { lat: number; lon: number }, metres: number) => ({ lat: p.lat + metres / M_PER_DEG_LAT, lon: p.lon });
const east = (p: { lat: number; lon: number }, metres: number) => ({ lat: p.lat, lon: p.lon + metres / (M_PER_DEG_LAT * Math.cos((p.lat * Math.PI) / 180)) });

/** BD-09 from GCJ-02: Baidu's published formula, written out independently of gcoord. */
function gcjToBd(p: { lat: number; lon: number }): { lat: number; lon: number } {
  const xPi = (Math.PI * 3000) / 180;
  const z = Math.sqrt(p.lon * p.lon + p.lat * p.lat) + 0.00002 * Math.sin(p.lat * xPi);
  const theta = Math.atan2(p.lat, p.lon) + 0.000003 * Math.cos(p.lon * xPi);
  return { lon: z * Math.cos(theta) + 0.0065, lat: z * Math.sin(theta) + 0.006 };
}

const close = (actual: { lat: number; lon: number }, expected: { lat: number; lon: number }, tolerance = 1e-5): void => {
  expect(Math.abs(actual.lat - expected.lat), `lat ${actual.lat} vs ${expected.lat}`).toBeLessThan(tolerance);
  expect(Math.abs(actual.lon - expected.lon), `lon ${actual.lon} vs ${expected.lon}`).toBeLessThan(tolerance);
};

describe.each(DIALECTS)('location over HTTP ($name)', (dialect) => {
  let world: World;
  let api: Api;
  let manhole: string; // 01-003, component, major 01, radius 30 m
  let lamp: string; // 01-031, component, major 01: related to the manhole
  let transformer: string; // 01-021, component, major 01, radius 80 m
  let rubbish: string; // 01-002, event, major 01: not related (another kind)

  beforeAll(async () => {
    world = await buildWorld(dialect);
    api = new Api(world);
    await api.loginAll(['solang', 'tenzin', 'pema', 'dispatcher', 'zx-dispatcher', 'municipal']);
    manhole = world.category('01-003').id;
    lamp = world.category('01-031').id;
    transformer = world.category('01-021').id;
    rubbish = world.category('01-002').id;
  });
  afterAll(() => world?.close());

  const photo = async (who: string): Promise<string> => {
    const { demoPhoto } = await import('../../src/seed/demo.js');
    const res = await api.upload(who, demoPhoto(`${who} ${Math.random()}`));
    expect(res.statusCode, res.body).toBe(201);
    return res.json<MediaJson>().id;
  };
  const post = async (who: string, body: Record<string, unknown>) =>
    api.post(who, '/api/v1/reports', { categoryId: manhole, description: '井盖破了', media: [await photo(who)], ...body });
  const reported = async (who: string, body: Record<string, unknown>): Promise<ReportedJson> => {
    const res = await post(who, body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json<ReportedJson>();
  };
  const getCase = async (who: string, id: string, query = ''): Promise<LocatedCaseJson> => {
    const res = await api.get(who, `/api/v1/cases/${id}${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<LocatedCaseJson>();
  };
  const nearby = async (who: string, p: { lat: number; lon: number }, categoryId: string, extra = ''): Promise<Candidate[]> => {
    const res = await api.get(who, `/api/v1/reports/nearby?lat=${p.lat}&lon=${p.lon}&categoryId=${categoryId}${extra}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ items: Candidate[] }>().items;
  };
  const myReports = async (who: string, query = ''): Promise<MyReportJson[]> => {
    const res = await api.get(who, `/api/v1/me/reports?pageSize=100${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<PageJson<MyReportJson>>().items;
  };
  const act = async (who: string, id: string, action: string, body: object = {}) => {
    const res = await api.act(who, id, action, body);
    expect(res.statusCode, `${action}: ${res.body}`).toBe(200);
  };
  const ids = (list: { id: string }[]) => list.map((c) => c.id);

  describe('coordinate systems', () => {
    const school = street('纳金路21号纳金小学');
    const gcj = convert(school, 'wgs84', 'gcj02');

    it('the GCJ-02 point really is offset from the WGS-84 one (hundreds of metres)', () => {
      expect(Math.abs(gcj.lon - school.lon) + Math.abs(gcj.lat - school.lat)).toBeGreaterThan(0.002);
    });

    it('stores a GCJ-02 report as its WGS-84 point plus the point exactly as sent', async () => {
      const wgsCase = await reported('solang', { lat: school.lat, lon: school.lon });
      const created = await reported('solang', { lat: gcj.lat, lon: gcj.lon, coord_sys: 'gcj02' });
      // The answer to the POST speaks the client's system.
      expect(created.location.coordSys).toBe('gcj02');
      close(created.location, gcj);
      const stored = await world.services.ctx.uow.autocommit.cases.find(created.id);
      close(stored!, school);
      expect(stored!.original).toEqual({ lat: gcj.lat, lon: gcj.lon, coordSys: 'gcj02' });
      // Staff see where it was sent from and where it was placed.
      const plain = await getCase('dispatcher', created.id);
      expect(plain.location.coordSys).toBe('wgs84');
      close(plain.location, school);
      expect(plain.original).toEqual({ lat: gcj.lat, lon: gcj.lon, coordSys: 'gcj02' });
      // Located where the school is, not ~500 m off.
      expect(plain.grid?.id).toBe((await getCase('dispatcher', wgsCase.id)).grid?.id);
    });

    it('answers reads in GCJ-02 or BD-09 on request', async () => {
      const created = await reported('tenzin', { lat: school.lat, lon: school.lon });
      const inGcj = await getCase('tenzin', created.id, '?coord_sys=gcj02');
      expect(inGcj.location.coordSys).toBe('gcj02');
      close(inGcj.location, gcj);
      const inBd = await getCase('tenzin', created.id, '?coord_sys=bd09');
      expect(inBd.location.coordSys).toBe('bd09');
      close(inBd.location, gcjToBd(gcj));
      // Lists and the rider's own reports too.
      const list = await api.get('dispatcher', '/api/v1/cases?pageSize=100&coord_sys=gcj02');
      const item = list.json<PageJson<LocatedCaseJson>>().items.find((c) => c.id === created.id)!;
      expect(item.location.coordSys).toBe('gcj02');
      close(item.location, gcj);
      const mine = (await myReports('tenzin', '&coord_sys=bd09')).find((c) => c.id === created.id)!;
      expect(mine.location.coordSys).toBe('bd09');
      close(mine.location, gcjToBd(gcj));
    });

    it('takes a BD-09 report and stores the WGS-84 point', async () => {
      const bd = gcjToBd(gcj);
      const created = await reported('tenzin', { lat: bd.lat, lon: bd.lon, coord_sys: 'bd09' });
      const stored = await world.services.ctx.uow.autocommit.cases.find(created.id);
      close(stored!, school);
      expect(stored!.original).toEqual({ lat: bd.lat, lon: bd.lon, coordSys: 'bd09' });
    });

    it('refuses an unknown coord_sys and non-numeric or out-of-range coordinates with 400 naming the field; nothing stored', async () => {
      const before = await countCases(world.database);
      const e1 = expectError(await post('solang', { lat: school.lat, lon: school.lon, coord_sys: 'mars' }), 400);
      expect(e1.field).toBe('coord_sys');
      const e2 = expectError(await post('solang', { lat: 'abc', lon: school.lon }), 400);
      expect(e2.field).toBe('lat');
      const e3 = expectError(await post('solang', { lat: 91, lon: school.lon }), 400);
      expect(e3.field).toBe('lat');
      const e4 = expectError(await post('solang', { lat: school.lat, lon: 'east' }), 400);
      expect(e4.field).toBe('lon');
      expectError(await api.get('solang', `/api/v1/cases/${'x'.repeat(10)}?coord_sys=mars`), 400);
      expectError(await api.get('solang', `/api/v1/reports/nearby?lat=abc&lon=91&categoryId=${manhole}`), 400);
      expect(await countCases(world.database)).toBe(before);
    });
  });

  describe('automatic referral, as the people involved see it', () => {
    it('the Najin dispatcher sees it but may not act; Zhaxi accepts it; the rider is told in plain words', async () => {
      const created = await reported('solang', { lat: world.zhaxiPoint.lat, lon: world.zhaxiPoint.lon });
      const handled = await getCase('zx-dispatcher', created.id);
      expect(handled.jurisdiction?.code.startsWith(ZHAXI_CODE)).toBe(true);
      expect(handled.originJurisdiction?.code).toBe(NAJIN_CODE);
      expect(handled.events?.map((e) => e.action)).toEqual(['report', 'refer']);
      expect(handled.events?.[1]).toMatchObject({ data: { automatic: true } });

      const list = await api.get('dispatcher', '/api/v1/cases?pageSize=100');
      expect(ids(list.json<PageJson<CaseJson>>().items)).toContain(created.id);
      expect((await getCase('dispatcher', created.id)).availableActions).toEqual([]);
      expectError(await api.act('dispatcher', created.id, 'accept'), 403, 'out_of_scope');

      expect((await getCase('zx-dispatcher', created.id)).availableActions).toContain('accept');
      await act('zx-dispatcher', created.id, 'accept');
      expect((await getCase('dispatcher', created.id)).status).toBe('accepted');

      const mine = (await myReports('solang', '&lang=en')).find((c) => c.id === created.id)!;
      expect(mine.timeline.map((t) => t.text)).toContain('Referred to Zhaxi Subdistrict');
    });

    it('a Zhaxi rider in Zhaxi is not referred', async () => {
      const created = await getCase('zx-dispatcher', (await reported('pema', { lat: world.zhaxiPoint.lat, lon: world.zhaxiPoint.lon })).id);
      expect(created.events?.map((e) => e.action)).toEqual(['report']);
      expect(created.originJurisdiction?.id).toBe(created.jurisdiction?.id);
    });
  });

  describe('duplicates: "is it one of these?"', () => {
    const spot = street('纳金南巷3号');
    let first: ReportedJson;

    beforeAll(async () => {
      first = await reported('solang', { ...spot, description: '纳金南巷井盖碎了' });
    });

    it('the first report of a problem has no candidates', () => {
      expect(first.possibleDuplicates).toEqual([]);
    });

    it('GET /reports/nearby offers an open case 10 m away before submitting; the report then offers the same', async () => {
      const here = north(spot, 10);
      const before = await nearby('tenzin', here, manhole);
      expect(ids(before)).toEqual([first.id]);
      expect(before[0]).toMatchObject({ ref: first.ref, status: 'reported', category: { id: manhole, code: '01-003' }, description: '纳金南巷井盖碎了' });
      expect(before[0]!.distanceM).toBeGreaterThanOrEqual(9);
      expect(before[0]!.distanceM).toBeLessThanOrEqual(11);

      const second = await reported('tenzin', here);
      expect(ids(second.possibleDuplicates)).toEqual(ids(before));
      expect(second.possibleDuplicates[0]!.distanceM).toBe(before[0]!.distanceM);
      // The new case is open too: a third report nearby is offered both.
      expect(ids(await nearby('pema', north(spot, 5), manhole)).sort()).toEqual([first.id, second.id].sort());
    });

    it('shows a candidate’s photo to judge by only once the command centre has published it (blurred where needed)', async () => {
      const here = north(spot, 8);
      expect((await nearby('pema', here, manhole)).find((c) => c.id === first.id)!.photo).toBeNull();
      const photo = first.media[0]!;
      expect((await api.post('dispatcher', `/api/v1/media/${photo}/publish`, { regions: [{ x: 0, y: 0, width: 0.3, height: 0.3 }] })).statusCode).toBe(200);
      const url = (await nearby('pema', here, manhole)).find((c) => c.id === first.id)!.photo;
      expect(url).toBe(`/api/v1/public/media/${photo}`);
      const image = await world.app.inject({ method: 'GET', url: url! });
      expect(image.statusCode).toBe(200);
      expect(image.headers['content-type']).toBe('image/webp');
      // The rider's own photo stays theirs: without publication another rider gets nothing.
      expect((await api.get('pema', `/api/v1/media/${photo}`)).statusCode).toBe(404);
    });

    it('the radius is the category’s: 40 m is too far for a manhole (30 m) but near enough for a transformer (80 m)', async () => {
      const p = east(spot, 40);
      expect(ids(await nearby('tenzin', p, manhole))).not.toContain(first.id);
      const far = await reported('tenzin', east(spot, 200));
      expect(ids(far.possibleDuplicates)).not.toContain(first.id);
      const forTransformer = await nearby('tenzin', p, transformer);
      expect(ids(forTransformer)).toContain(first.id);
      expect(forTransformer.find((c) => c.id === first.id)!.distanceM).toBeGreaterThanOrEqual(39);
    });

    it('a related category (same kind and major class) is offered; an unrelated one is not', async () => {
      const p = north(spot, 10);
      expect(ids(await nearby('tenzin', p, lamp))).toContain(first.id);
      expect(ids(await nearby('tenzin', p, rubbish))).toEqual([]);
      const lampReport = await reported('tenzin', { ...p, categoryId: lamp, description: '路灯不亮' });
      expect(ids(lampReport.possibleDuplicates)).toContain(first.id);
    });

    it('GCJ-02 queries find the same candidates', async () => {
      const p = convert(north(spot, 10), 'wgs84', 'gcj02');
      expect(ids(await nearby('tenzin', p, manhole, '&coord_sys=gcj02'))).toContain(first.id);
    });

    it('closed, rejected and merged cases are not offered', async () => {
      const there = street('纳金南一巷9号');
      const rejected = await reported('solang', there);
      await act('dispatcher', rejected.id, 'reject', { reason: '照片看不清' });
      const closed = await reported('solang', there);
      await act('dispatcher', closed.id, 'accept');
      await act('dispatcher', closed.id, 'file');
      await act('dispatcher', closed.id, 'close', { closureType: 'not_responsible', reason: '小区内部设施' });
      const master = await reported('solang', there);
      const merged = await reported('tenzin', there);
      await act('dispatcher', merged.id, 'merge', { masterCaseId: master.id });
      expect(ids(await nearby('pema', there, manhole))).toEqual([master.id]);
    });

    it('reporting with duplicateOf creates the case already merged into the open case; the master is unchanged', async () => {
      const there = street('金珠东路36号安居苑小区');
      const master = await reported('solang', there);
      const masterBefore = await getCase('dispatcher', master.id);
      const answer = await reported('solang', { ...north(there, 8), duplicateOf: master.id, description: '同一个井盖' });
      // The rider is told their report now follows the master; staff see the merge itself.
      expect(answer).toMatchObject({ mergedInto: { id: master.id, ref: master.ref }, possibleDuplicates: [] });
      const dup = await getCase('dispatcher', answer.id);
      expect(dup.status).toBe('merged');
      expect(dup.events?.map((e) => e.action)).toEqual(['report', 'merge']);
      expect(dup.events?.[1]).toMatchObject({ fromStatus: 'reported', toStatus: 'merged', data: { masterCaseId: master.id, masterRef: master.ref } });
      expect(dup.clocks.filter((c) => c.state === 'running')).toEqual([]);
      const masterAfter = await getCase('dispatcher', master.id);
      expect(masterAfter.status).toBe('reported');
      expect(masterAfter.events).toEqual(masterBefore.events);
      // The merged report is not itself a candidate.
      expect(ids(await nearby('pema', there, manhole))).toEqual([master.id]);
    });

    it('another rider can report into a case they were offered (duplicateOf someone else’s case)', async () => {
      const there = street('塔玛路2号塔玛新村');
      const master = await reported('solang', there);
      const offered = await nearby('tenzin', north(there, 5), manhole);
      expect(ids(offered)).toEqual([master.id]);
      const res = await post('tenzin', { ...north(there, 5), duplicateOf: master.id });
      expect(res.statusCode, res.body).toBe(201);
      const dup = res.json<ReportedJson>();
      expect((await getCase('dispatcher', dup.id)).status).toBe('merged');
      const mine = (await myReports('tenzin')).find((c) => c.id === dup.id);
      expect(mine?.mergedInto).toEqual({ id: master.id, ref: master.ref });
    });

    it('the merged rider’s reports show mergedInto and then the master’s later steps', async () => {
      const there = street('纳金路45号纳金中学');
      const master = await reported('tenzin', there);
      const dup = await reported('tenzin', { ...north(there, 3), duplicateOf: master.id });
      let mine = (await myReports('tenzin')).find((c) => c.id === dup.id)!;
      expect(mine.mergedInto).toEqual({ id: master.id, ref: master.ref });
      expect(mine.timeline.find((t) => t.action === 'merge')?.text).toContain(master.ref);

      world.clock.advance(5);
      await act('dispatcher', master.id, 'accept');
      world.clock.advance(5);
      await act('dispatcher', master.id, 'file');
      world.clock.advance(5);
      await act('dispatcher', master.id, 'dispatch');
      world.clock.advance(5);
      await act('municipal', master.id, 'sign');
      mine = (await myReports('tenzin')).find((c) => c.id === dup.id)!;
      expect(mine.status).toBe('signed');
      expect(mine.timeline.map((t) => t.action)).toEqual(['report', 'merge', 'accept', 'file', 'dispatch', 'sign']);
    });

    it('duplicateOf a closed case is 409 master_not_open; an unknown id is 400 master_not_found; nothing stored', async () => {
      const there = street('金珠东路96号塔玛小区');
      const done = await reported('solang', there);
      await act('dispatcher', done.id, 'accept');
      await act('dispatcher', done.id, 'file');
      await act('dispatcher', done.id, 'close', { closureType: 'duplicate', reason: '重复上报' });
      const before = await countCases(world.database);
      expectError(await post('solang', { ...there, duplicateOf: done.id }), 409, 'master_not_open');
      expectError(await post('solang', { ...there, duplicateOf: 'no-such-case' }), 400, 'master_not_found', 'duplicateOf');
      expect(await countCases(world.database)).toBe(before);
    });

    it('cases older than 7 days are not offered', async () => {
      const there = street('纳金路77号纳金综合市场');
      const old = await reported('solang', there);
      world.clock.advance(7 * 24 * 60 - 60);
      await api.loginAll(['solang', 'tenzin']); // a week on, the old sessions have expired
      expect(ids(await nearby('tenzin', there, manhole))).toContain(old.id);
      world.clock.advance(61);
      expect(ids(await nearby('tenzin', there, manhole))).not.toContain(old.id);
      const late = await reported('tenzin', there);
      expect(ids(late.possibleDuplicates)).not.toContain(old.id);
    });
  });
});
