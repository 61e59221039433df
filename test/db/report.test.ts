// Reporting: a rider's point is located to its grid and routed to the department that owns the problem
// there; bad reports are refused with a code the app can explain, and nothing is stored for them.

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENCLAVE_GRID_CODE, HOLED_GRID_CODE, MULTIPOLYGON_GRID_CODE, NAJIN_CODE, STREETS, ZHAXI_CODE } from '../../src/seed/najin-data.js';
import type { ReportInput } from '../../src/services/cases/report.js';
import { DIALECTS } from '../support/db.js';
import { countCases, domainError, events, record, reportInput, userId } from '../support/cases.js';
import { buildWorld, type World } from '../support/world.js';

const street = (name: string) => STREETS.find((s) => s.name.startsWith(name)) ?? fail(`no street ${name}`);

function fail(message: string): never {
  throw new Error(message);
}

describe.each(DIALECTS)('reporting a problem ($name)', (dialect) => {
  let world: World;

  beforeAll(async () => {
    world = await buildWorld(dialect);
  });
  afterAll(() => world?.close());

  const report = async (username: string, overrides: Partial<ReportInput> = {}) => {
    const input = await reportInput(world, username, overrides);
    const { caseId, replayed } = await world.services.reports.report(await world.as(username), input);
    expect(replayed).toBe(false);
    return { caseId, input, case: await record(world, caseId) };
  };
  const router = () => world.services.ctx.routing();
  const departmentCode = async (id: string | null) => (id === null ? null : ((await world.services.ctx.uow.autocommit.reference.department(id))?.code ?? null));

  it('locates a Najin point to its grid and keeps the case there', async () => {
    const { case: c } = await report('solang');
    const grid = (await router()).unit(c.gridId ?? fail('no grid'))!;
    expect(grid.level).toBe('grid');
    expect(grid.code).toBe('540102013001001');
    expect(c.jurisdictionId).toBe(grid.id);
    expect(c.originJurisdictionId).toBe(grid.id);
    expect(grid.path.startsWith(world.unit(NAJIN_CODE).path + '/')).toBe(true);
    expect(c.status).toBe('reported');
    expect(c.reporterId).toBe(userId(world, 'solang'));
    expect(c.lat).toBe(world.najinPoint.lat);
    expect(c.lon).toBe(world.najinPoint.lon);
  });

  it('locates points in the exclave grid, the gated compound and the grid around it', async () => {
    const cases = [
      ['金珠东路128号东城汽配城', MULTIPOLYGON_GRID_CODE], // the exclave piece
      ['塔玛路2号塔玛新村', MULTIPOLYGON_GRID_CODE], // the main piece
      ['藏大东路9号教职工家属院', ENCLAVE_GRID_CODE], // inside the hole
      ['藏大东路3号', HOLED_GRID_CODE], // the grid with the hole
    ] as const;
    for (const [name, code] of cases) {
      const s = street(name);
      const { case: c } = await report('tenzin', { lat: s.lat, lon: s.lon, address: s.name });
      expect(c.gridId, name).toBe(world.unit(code).id);
      expect(c.address).toBe(s.name);
    }
  });

  it('routes a damaged manhole cover in Najin to municipal works', async () => {
    const { case: c } = await report('solang', { categoryId: world.category('01-003').id });
    expect(await departmentCode(c.routedDepartmentId)).toBe('nj-municipal');
    expect(c.departmentId).toBeNull();
    // Its category's default urgency applies when the rider gives none.
    expect(c.urgency).toBe('urgent');
  });

  it('routes a food-safety hazard in Najin to the market regulation office', async () => {
    const { case: c } = await report('solang', { categoryId: world.category('06-091').id, description: '超市货架上的牛奶过期半个月了还在卖' });
    expect(await departmentCode(c.routedDepartmentId)).toBe('nj-market');
  });

  it('routes stairwell clutter and broken elevators to the community of the grid', async () => {
    const r = await router();
    for (const code of ['01-091', '05-081']) {
      for (const name of ['纳金路6号骑手驿站', '金珠东路96号塔玛小区', '藏大北路18号学府花园', '嘎巴路22号嘎巴新苑']) {
        const s = street(name);
        const { case: c } = await report('tenzin', { categoryId: world.category(code).id, lat: s.lat, lon: s.lon, description: '楼道里堆满了纸箱' });
        const community = r.ancestorAt(c.gridId ?? fail('no grid'), 'community')!;
        const routed = await world.services.ctx.uow.autocommit.reference.department(c.routedDepartmentId ?? fail(`${code} at ${name} not routed`));
        expect(routed?.kind, `${code} at ${name}`).toBe('community');
        expect(routed?.jurisdictionId, `${code} at ${name}`).toBe(community.id);
        expect(routed?.code).toBe(`nj-c${community.code.slice(-3)}`);
      }
    }
  });

  it('routes a point in Zhaxi to a Zhaxi department', async () => {
    const zhaxi = world.unit(ZHAXI_CODE);
    const manhole = await report('solang', { lat: world.zhaxiPoint.lat, lon: world.zhaxiPoint.lon });
    const grid = (await router()).unit(manhole.case.gridId ?? fail('no grid'))!;
    expect(grid.path.startsWith(`${zhaxi.path}/`)).toBe(true);
    expect(manhole.case.jurisdictionId).toBe(grid.id);
    expect(await departmentCode(manhole.case.routedDepartmentId)).toBe('zx-command');
    const rubbish = await report('solang', { categoryId: world.category('01-002').id, lat: world.zhaxiPoint.lat, lon: world.zhaxiPoint.lon, description: '垃圾桶满了' });
    expect(await departmentCode(rubbish.case.routedDepartmentId)).toBe('zx-urban');
  });

  it('puts a point inside the district but outside every subdistrict in the rider\'s outside queue, with no grid', async () => {
    const { case: c } = await report('solang', { lat: 29.62, lon: 91.1 });
    expect(c.gridId).toBeNull();
    expect(c.outsideArea).toBe(true);
    expect((await router()).unit(c.jurisdictionId)?.code).toBe(NAJIN_CODE);
    expect(c.suggestedJurisdictionId).not.toBeNull();
  });

  it('stores exactly what was submitted in the first event, and opens the accept and dispatch clocks', async () => {
    const photos = [await world.photo('solang'), await world.photo('solang')];
    const input: ReportInput = {
      categoryId: world.category('01-031').id,
      description: '  路口那盏路灯坏了好几天了  ',
      lat: world.najinPoint.lat,
      lon: world.najinPoint.lon,
      address: '  纳金路6号骑手驿站旁 ',
      urgency: 'normal',
      media: photos,
      channel: 'wechat',
    };
    const snapshot = structuredClone(input);
    const { caseId } = await world.services.reports.report(await world.as('solang'), input);
    const c = await record(world, caseId);
    // The case keeps tidy text; the event keeps the submission as it came.
    expect(c.description).toBe('路口那盏路灯坏了好几天了');
    expect(c.address).toBe('纳金路6号骑手驿站旁');
    expect(c.channel).toBe('wechat');
    expect(c.mediaIds).toEqual(photos);
    expect(c.urgency).toBe('normal');
    expect(c.ref).toMatch(/^20250507-\d{4}$/);
    expect(c.version).toBe(1);

    const list = await events(world, caseId);
    expect(list).toHaveLength(1);
    const first = list[0]!;
    expect(first).toMatchObject({ seq: 1, action: 'report', fromStatus: null, toStatus: 'reported', actorId: userId(world, 'solang'), actorRole: 'reporter' });
    expect(first.at).toBe(world.clock.now().toISOString());
    expect(first.data.submitted).toEqual(snapshot);
    expect(first.evidence).toEqual(photos);
    expect((first.data.placement as { jurisdictionId: string }).jurisdictionId).toBe(c.gridId);
    expect(first.data.routedDepartmentId).toBe(c.routedDepartmentId);
    expect((first.clocks as { stage: string }[]).map((k) => k.stage).sort()).toEqual(['accept', 'dispatch']);
  });

  it('numbers references per day, one after another', async () => {
    const a = await report('solang');
    const b = await report('tenzin');
    const [day, n] = a.case.ref.split('-');
    expect(b.case.ref).toBe(`${day}-${String(Number(n) + 1).padStart(4, '0')}`);
  });

  it('accepts a report of "other" without any photo', async () => {
    const { case: c, caseId } = await report('solang', { categoryId: world.category('07-999').id, media: [], description: '小区里晚上有人一直放很大声的音乐' });
    expect(c.mediaIds).toEqual([]);
    expect((await events(world, caseId))[0]!.evidence).toEqual([]);
    const withoutField = await world.services.reports.report(await world.as('solang'), {
      categoryId: world.category('07-999').id,
      description: '这里一直漏水',
      lat: world.najinPoint.lat,
      lon: world.najinPoint.lon,
    });
    expect((await record(world, withoutField.caseId)).mediaIds).toEqual([]);
  });

  describe('refuses a bad report and stores nothing', () => {
    const refused = async (username: string, overrides: Partial<ReportInput>, code: string) => {
      const before = await countCases(world.database);
      const input = await reportInput(world, username, overrides);
      const error = await domainError(world.services.reports.report(await world.as(username), input), code, 'invalid');
      expect(await countCases(world.database)).toBe(before);
      return error;
    };

    it('far outside every area served, from a rider with no home subdistrict', async () => {
      const error = await refused('lobsang', { lat: 39.9042, lon: 116.4074 }, 'location_outside_service_area');
      expect(error.details).toEqual({ field: 'location' });
    });

    it('without the photo the category needs', async () => {
      for (const code of ['01-003', '06-091', '05-091']) await refused('solang', { categoryId: world.category(code).id, media: [] }, 'media_required');
    });

    it('with an unknown category', async () => {
      await refused('solang', { categoryId: randomUUID() }, 'category_not_found');
    });

    it("with someone else's photo", async () => {
      const theirs = await world.photo('tenzin');
      await refused('solang', { media: [theirs] }, 'media_not_yours');
      await refused('solang', { media: [await world.photo('solang'), theirs] }, 'media_not_yours');
    });

    it('with a photo that was never uploaded', async () => {
      await refused('solang', { media: [randomUUID()] }, 'media_not_found');
    });

    it('with no words and nothing attached', async () => {
      await refused('solang', { categoryId: world.category('07-999').id, description: '', media: [] }, 'description_required');
      await refused('solang', { categoryId: world.category('07-999').id, description: ' \n\t ', media: [] }, 'description_required');
      await refused('solang', { categoryId: world.category('07-999').id, description: undefined, media: [] }, 'description_required');
    });

    it('with a coordinate that is not a number or out of range', async () => {
      const nan = await refused('solang', { lat: Number.NaN }, 'invalid_coordinate');
      expect(nan.details).toEqual({ field: 'lat' });
      await refused('solang', { lon: Number.NaN }, 'invalid_coordinate');
      await refused('solang', { lat: Number.POSITIVE_INFINITY }, 'invalid_coordinate');
      await refused('solang', { lat: 91 }, 'invalid_coordinate');
      await refused('solang', { lon: -181 }, 'invalid_coordinate');
    });
  });
});
