// Who sees which case, and how much of the reporter: through get, listViews and list, the way the API
// serves them. A case the reader may not see does not exist for them.

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZHAXI_CODE } from '../../src/seed/najin-data.js';
import { DIALECTS } from '../support/db.js';
import { act, domainError, record, staff } from '../support/cases.js';
import { isStaffView } from '../../src/services/case.views.js';
import { buildWorld, type World } from '../support/world.js';

describe.each(DIALECTS)('who sees which case ($name)', (dialect) => {
  let world: World;
  /** Named cases: manhole (Najin, solang), food (Najin food safety, solang), zhaxi (Zhaxi, tenzin), referred (Najin -> Zhaxi, tenzin), stairwell (Najin community 1, tenzin). */
  const ids: Record<'manhole' | 'food' | 'zhaxi' | 'referred' | 'stairwell', string> = { manhole: '', food: '', zhaxi: '', referred: '', stairwell: '' };

  beforeAll(async () => {
    world = await buildWorld(dialect);
    ids.manhole = await world.report('solang');
    ids.food = await world.report('solang', { categoryId: world.category('06-091').id, description: '这家小店没有营业执照' });
    ids.zhaxi = await world.report('pema', { lat: world.zhaxiPoint.lat, lon: world.zhaxiPoint.lon, description: '井盖没了' });
    ids.referred = await world.report('tenzin', { categoryId: world.category('01-021').id, description: '变压器着火了,冒黑烟' });
    ids.stairwell = await world.report('tenzin', { categoryId: world.category('01-091').id, description: '楼道里堆满了纸箱' });
  });
  afterAll(() => world?.close());

  const read = async (username: string, caseId: string) => world.services.caseQueries.get(await world.as(username), caseId, 'zh-CN');
  const get = async (username: string, caseId: string) => staff(await read(username, caseId));
  const listIds = async (username: string) => {
    const page = await world.services.caseQueries.list(await world.as(username), { pageSize: 100 });
    expect(page.total).toBe(page.items.length);
    return page.items.map((c) => c.id);
  };
  const viewIds = async (username: string) => (await world.services.caseQueries.listViews(await world.as(username), { pageSize: 100 }, 'zh-CN')).items.map((c) => c.id);
  const hidden = async (username: string, caseId: string) => {
    await domainError(read(username, caseId), 'case_not_found', 'not_found');
    expect(await listIds(username)).not.toContain(caseId);
  };

  it('shows the Najin command centre the Najin cases, not the Zhaxi ones, and Zhaxi the other way round', async () => {
    const najin = await listIds('dispatcher');
    expect(najin).toEqual(expect.arrayContaining([ids.manhole, ids.food, ids.referred, ids.stairwell]));
    expect(najin).not.toContain(ids.zhaxi);
    expect(await viewIds('dispatcher')).toEqual(najin);
    expect((await get('dispatcher', ids.manhole)).id).toBe(ids.manhole);
    await hidden('dispatcher', ids.zhaxi);

    const zhaxi = await listIds('zx-dispatcher');
    expect(zhaxi).toContain(ids.zhaxi);
    for (const id of [ids.manhole, ids.food, ids.referred, ids.stairwell]) await hidden('zx-dispatcher', id);
    expect((await get('zx-dispatcher', ids.zhaxi)).jurisdiction?.code.startsWith(ZHAXI_CODE)).toBe(true);
    // The supervisor shares the Najin command centre's view.
    expect((await listIds('supervisor')).sort()).toEqual([...najin].sort());
  });

  it('hands a referred case to Zhaxi, leaving it visible but no longer workable in Najin', async () => {
    await act(world, 'dispatcher', ids.referred, 'accept');
    await act(world, 'dispatcher', ids.referred, 'refer', { reason: '位置属于扎细街道辖区,转办处理', jurisdictionId: world.unit(ZHAXI_CODE).id });
    const referred = await record(world, ids.referred);
    expect(referred.status).toBe('reported');
    expect(referred.jurisdictionId).toBe(world.unit(ZHAXI_CODE).id);
    expect(referred.departmentId).toBeNull();

    // Zhaxi now sees it and takes it on.
    expect(await listIds('zx-dispatcher')).toContain(ids.referred);
    expect((await get('zx-dispatcher', ids.referred)).availableActions).toContain('accept');
    await act(world, 'zx-dispatcher', ids.referred, 'accept');

    // Najin, where it was reported, still follows it...
    const seen = await get('dispatcher', ids.referred);
    expect(seen.status).toBe('accepted');
    expect(seen.originJurisdiction?.id).toBe((await record(world, ids.manhole)).gridId);
    expect(await listIds('dispatcher')).toContain(ids.referred);
    expect(seen.availableActions).toEqual([]);
    // ...but may no longer act on it.
    await domainError(act(world, 'dispatcher', ids.referred, 'file'), 'out_of_scope', 'forbidden');
    await domainError(act(world, 'supervisor', ids.referred, 'close', { closureType: 'duplicate', reason: '重复' }), 'out_of_scope', 'forbidden');
    expect((await record(world, ids.referred)).status).toBe('accepted');
    // Zhaxi files it and dispatches it to its own office.
    await act(world, 'zx-dispatcher', ids.referred, 'file');
    await act(world, 'zx-dispatcher', ids.referred, 'dispatch');
    expect((await record(world, ids.referred)).departmentId).toBe(world.department('zx-command').id);
  });

  it('shows a handler only the cases of their department, as lead or assisting', async () => {
    // Before dispatch no department sees the case.
    await hidden('municipal', ids.manhole);
    await hidden('urban', ids.manhole);
    await act(world, 'dispatcher', ids.manhole, 'accept');
    await act(world, 'dispatcher', ids.manhole, 'file');
    await act(world, 'dispatcher', ids.manhole, 'dispatch', { assistingDepartmentIds: [world.department('nj-urban').id] });

    expect((await get('municipal', ids.manhole)).availableActions).toEqual(expect.arrayContaining(['sign', 'return']));
    expect(await listIds('municipal')).toEqual([ids.manhole]);
    // The assisting department sees it and can act on nothing.
    const assisting = await get('urban', ids.manhole);
    expect(assisting.availableActions).toEqual([]);
    expect(await listIds('urban')).toEqual([ids.manhole]);
    await hidden('community1', ids.manhole);

    await act(world, 'dispatcher', ids.stairwell, 'accept');
    await act(world, 'dispatcher', ids.stairwell, 'file');
    await act(world, 'dispatcher', ids.stairwell, 'dispatch');
    expect((await record(world, ids.stairwell)).departmentId).toBe(world.department('nj-c001').id);
    expect(await listIds('community1')).toEqual([ids.stairwell]);
    await hidden('municipal', ids.stairwell);

    // A department that returns a case stops seeing it.
    await act(world, 'community1', ids.stairwell, 'return', { reason: '不属于本社区' });
    await hidden('community1', ids.stairwell);
  });

  it('shows the market regulator the food-safety cases in Najin, before any dispatch', async () => {
    const regulator = await listIds('regulator');
    expect(regulator).toEqual([ids.food]);
    const view = await get('regulator', ids.food);
    expect(view.category.foodSafety).toBe(true);
    expect(view.status).toBe('reported');
    for (const id of [ids.manhole, ids.zhaxi, ids.stairwell]) await hidden('regulator', id);
  });

  it('shows a rider only their own reports, with their own name and number', async () => {
    expect((await listIds('solang')).sort()).toEqual([ids.manhole, ids.food].sort());
    expect((await listIds('tenzin')).sort()).toEqual([ids.referred, ids.stairwell].sort());
    expect(await listIds('pema')).toEqual([ids.zhaxi]);
    await hidden('tenzin', ids.manhole);
    await hidden('solang', ids.zhaxi);
    // Their own case is the plain-words view of /me/reports: no staff names, clocks or internal notes.
    const own = await read('solang', ids.manhole);
    expect(isStaffView(own)).toBe(false);
    expect(own).toMatchObject({ id: ids.manhole, description: expect.any(String), timeline: expect.any(Array) });
    const mine = await world.services.caseQueries.myReports(await world.as('solang'), 1, 20, 'zh-CN');
    expect(mine.items.map((c) => c.id).sort()).toEqual([ids.manhole, ids.food].sort());
  });

  it('shows the handling chain the reporter masked', async () => {
    const masked = { id: world.users.get('solang')!.id, name: '索*', phone: '138****5678' };
    for (const username of ['dispatcher', 'supervisor', 'municipal', 'urban']) {
      const view = await get(username, ids.manhole);
      expect(view.reporter, username).toEqual(masked);
      expect(view.events?.[0]?.actor.name, username).toBe('索*');
    }
    expect((await get('regulator', ids.food)).reporter).toEqual(masked);
    const listed = (await world.services.caseQueries.listViews(await world.as('dispatcher'), { pageSize: 100 }, 'zh-CN')).items.find((c) => c.id === ids.manhole);
    expect(listed?.reporter).toEqual(masked);
    expect((await get('zx-dispatcher', ids.zhaxi)).reporter).toEqual({ id: world.users.get('pema')!.id, name: '白*', phone: '136****2222' });
  });

  it('shows the admin every case, without any reporter identity', async () => {
    const all = await listIds('admin');
    expect(all.sort()).toEqual(Object.values(ids).sort());
    for (const id of Object.values(ids)) {
      const view = await get('admin', id);
      expect(view.reporter).toBeNull();
      const report = view.events?.find((e) => e.action === 'report');
      expect(report?.actor).toMatchObject({ id: null, name: null });
      expect(report?.data.submitted).toBeUndefined();
    }
    const listed = await world.services.caseQueries.listViews(await world.as('admin'), { pageSize: 100 }, 'zh-CN');
    expect(listed.items.map((c) => c.reporter)).toEqual(listed.items.map(() => null));
  });

  it("keeps the reporter's identity masked in the events they take after the report (rate, reopen)", async () => {
    const caseId = await world.report('solang', { categoryId: world.category('07-999').id, media: [], description: '这里一直漏水' });
    await act(world, 'dispatcher', caseId, 'accept');
    await act(world, 'dispatcher', caseId, 'file');
    await act(world, 'dispatcher', caseId, 'close', { closureType: 'no_action_possible', reason: '暂无法处置' });
    await act(world, 'solang', caseId, 'rate', { score: 1, unitAtFault: true, comment: '没人管' });
    await act(world, 'solang', caseId, 'reopen', { reason: '还在漏水' });
    const byReporter = (view: Awaited<ReturnType<typeof get>>) => (view.events ?? []).filter((e) => e.actor.role === 'reporter');
    const chain = await get('dispatcher', caseId);
    expect(byReporter(chain).map((e) => e.action)).toEqual(['report', 'rate', 'reopen']);
    for (const e of byReporter(chain)) expect(e.actor.name, `${e.action} seen by the command centre`).toBe('索*');
    for (const e of byReporter(await get('admin', caseId))) expect(e.actor, `${e.action} seen by the admin`).toMatchObject({ id: null, name: null });
  });

  it('answers case_not_found for an id that does not exist, to everyone', async () => {
    for (const username of ['admin', 'dispatcher', 'solang']) await domainError(read(username, randomUUID()), 'case_not_found', 'not_found');
  });
});
