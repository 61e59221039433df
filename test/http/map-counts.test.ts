// The map counts what the list shows: for the same viewer and filters, the clusters of every zoom (and the
// points at street level) add up to GET /cases' total, including cases referred to a neighbouring
// subdistrict (still visible where they were reported) and merged duplicates.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZHAXI_CODE } from '../../src/seed/najin-data.js';
import { act, toHandling } from '../support/cases.js';
import { DIALECTS } from '../support/db.js';
import { buildWorld, type World } from '../support/world.js';
import { Api, type PageJson } from './support.js';

const BOX = '90.9,29.5,91.4,29.8';
const VIEWERS = ['dispatcher', 'supervisor', 'zx-dispatcher', 'admin', 'municipal', 'solang', 'pema'];

describe.each(DIALECTS)('map counts against the list ($name)', (dialect) => {
  let world: World;
  let api: Api;

  beforeAll(async () => {
    world = await buildWorld(dialect);
    api = new Api(world);
    await api.loginAll(VIEWERS);
    const other = world.category('07-999').id;
    const manhole = world.category('01-003').id;
    const najin = world.najinPoint;
    const zhaxi = world.zhaxiPoint;
    // Najin riders in Najin; one referred automatically to Zhaxi (reported there by a Najin rider).
    const a = await world.report('solang', { categoryId: manhole, description: '井盖破了' });
    const b = await world.report('tenzin', { categoryId: other, media: [], description: '路灯不亮', lat: najin.lat + 0.0004, lon: najin.lon });
    await world.report('solang', { categoryId: other, media: [], description: '扎细那边着火了', lat: zhaxi.lat, lon: zhaxi.lon });
    // A Zhaxi rider reporting in Najin: referred to Najin, still followed by Zhaxi.
    await world.report('pema', { categoryId: other, media: [], description: '纳金这边路面结冰', lat: najin.lat - 0.0003, lon: najin.lon + 0.0002 });
    // A Zhaxi case, a referral by hand from Najin to Zhaxi, a merged duplicate and a case being handled.
    await world.report('pema', { categoryId: manhole, lat: zhaxi.lat + 0.0002, lon: zhaxi.lon });
    const c = await world.report('solang', { categoryId: other, media: [], description: '转办的', lat: najin.lat + 0.002, lon: najin.lon - 0.001 });
    await act(world, 'dispatcher', c, 'accept');
    await act(world, 'dispatcher', c, 'refer', { reason: '属于扎细', jurisdictionId: world.unit(ZHAXI_CODE).id });
    await act(world, 'dispatcher', b, 'merge', { masterCaseId: a });
    await toHandling(world, a);
  });
  afterAll(() => world?.close());

  const sum = (items: { type: string; count?: number }[]) => items.reduce((s, i) => s + (i.type === 'cluster' ? i.count! : 1), 0);

  it('adds up to the list total at every zoom, for every viewer and filter', async () => {
    const filters = ['', '&status=reported', '&status=handling&status=merged', `&category=${world.category('07-999').id}`];
    for (const who of VIEWERS) {
      for (const filter of filters) {
        const list = await api.get(who, `/api/v1/cases?pageSize=1${filter}`);
        expect(list.statusCode, list.body).toBe(200);
        const total = list.json<PageJson<unknown>>().total;
        for (const zoom of [5, 9, 11, 12, 13, 14, 15, 16, 18]) {
          const res = await api.get(who, `/api/v1/map/cases?bbox=${BOX}&zoom=${zoom}${filter}`);
          expect(res.statusCode, res.body).toBe(200);
          expect(sum(res.json<{ items: { type: string; count?: number }[] }>().items), `${who} at zoom ${zoom} with "${filter}"`).toBe(total);
        }
      }
    }
  });

  it('counts a referred case on both subdistricts’ maps and once on the admin’s', async () => {
    const totals = async (who: string) => {
      const list = (await api.get(who, '/api/v1/cases?pageSize=1')).json<PageJson<unknown>>().total;
      const map = sum((await api.get(who, `/api/v1/map/cases?bbox=${BOX}&zoom=12`)).json<{ items: { type: string; count?: number }[] }>().items);
      return { list, map };
    };
    const [najin, zhaxi, admin] = [await totals('dispatcher'), await totals('zx-dispatcher'), await totals('admin')];
    expect(najin.map).toBe(najin.list);
    expect(zhaxi.map).toBe(zhaxi.list);
    expect(admin.map).toBe(admin.list);
    // Referrals are seen by both command centres: together they see more than the admin's (every case once).
    expect(najin.list + zhaxi.list).toBeGreaterThan(admin.list);
  });
});
