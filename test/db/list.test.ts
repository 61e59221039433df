// The case list's filters and pages, over a small known set of cases:
//
//   c1  T+0   solang  01-003 manhole    urgent     Najin grid A   reported
//   c2  T+1   solang  01-002 rubbish    normal     Najin grid B   filed
//   c3  T+4   tenzin  06-091 food       urgent     Najin grid C   dispatched to nj-market
//   c4  T+8   tenzin  01-003 manhole    emergency  Najin grid A   signed by nj-municipal
//   c5  T+13  solang  01-002 rubbish    normal     Zhaxi          reported
//   c6  T+14  solang  07-999 other      normal     Najin grid A   rejected

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREETS } from '../../src/seed/najin-data.js';
import type { CaseListRequest as CaseFilters } from '../../src/services/cases/queries.js';
import { DIALECTS } from '../support/db.js';
import { act, actAfter, domainError, plus, record } from '../support/cases.js';
import { buildWorld, type World } from '../support/world.js';

const T = '2025-05-07T13:00:00.000Z';
type Name = 'c1' | 'c2' | 'c3' | 'c4' | 'c5' | 'c6';

describe.each(DIALECTS)('listing cases ($name)', (dialect) => {
  let world: World;
  const ids = {} as Record<Name, string>;
  const street = (name: string) => STREETS.find((s) => s.name === name)!;

  beforeAll(async () => {
    world = await buildWorld(dialect, T);
    const at = (minute: number) => world.clock.set(plus(T, minute));
    const school = street('纳金路21号纳金小学');
    const market = street('纳金路77号纳金综合市场');

    at(0);
    ids.c1 = await world.report('solang');
    at(1);
    ids.c2 = await world.report('solang', { categoryId: world.category('01-002').id, description: '垃圾桶满了', lat: school.lat, lon: school.lon });
    await actAfter(world, 1, 'dispatcher', ids.c2, 'accept');
    await actAfter(world, 1, 'dispatcher', ids.c2, 'file');
    at(4);
    ids.c3 = await world.report('tenzin', { categoryId: world.category('06-091').id, description: '牛奶过期了还在卖', lat: market.lat, lon: market.lon });
    await actAfter(world, 1, 'dispatcher', ids.c3, 'accept');
    await actAfter(world, 1, 'dispatcher', ids.c3, 'file');
    await actAfter(world, 1, 'dispatcher', ids.c3, 'dispatch');
    at(8);
    ids.c4 = await world.report('tenzin', { urgency: 'emergency' });
    await actAfter(world, 1, 'dispatcher', ids.c4, 'accept');
    await actAfter(world, 1, 'dispatcher', ids.c4, 'file');
    await actAfter(world, 1, 'dispatcher', ids.c4, 'dispatch');
    await actAfter(world, 1, 'municipal', ids.c4, 'sign');
    at(13);
    ids.c5 = await world.report('pema', { categoryId: world.category('01-002').id, description: '垃圾堆成小山了', lat: world.zhaxiPoint.lat, lon: world.zhaxiPoint.lon });
    at(14);
    ids.c6 = await world.report('solang', { categoryId: world.category('07-999').id, media: [], description: '流浪狗咬人' });
    await actAfter(world, 1, 'dispatcher', ids.c6, 'reject', { reason: '请拨打110' });
    at(20);
  });
  afterAll(() => world?.close());

  const name = (id: string): Name => (Object.entries(ids) as [Name, string][]).find(([, v]) => v === id)?.[0] ?? (`?${id}` as Name);
  const list = async (filters: CaseFilters, username = 'admin') => {
    const page = await world.services.caseQueries.list(await world.as(username), { pageSize: 100, ...filters });
    return page.items.map((c) => name(c.id));
  };
  const sorted = async (filters: CaseFilters, username = 'admin') => (await list(filters, username)).sort();

  it('lists everything the reader may see, newest first', async () => {
    expect(await list({})).toEqual(['c6', 'c5', 'c4', 'c3', 'c2', 'c1']);
    expect(await list({}, 'dispatcher')).toEqual(['c6', 'c4', 'c3', 'c2', 'c1']);
  });

  it('filters by one status or several', async () => {
    expect(await sorted({ status: ['reported'] })).toEqual(['c1', 'c5']);
    expect(await sorted({ status: ['reported', 'filed'] })).toEqual(['c1', 'c2', 'c5']);
    expect(await sorted({ status: ['dispatched', 'signed', 'rejected'] })).toEqual(['c3', 'c4', 'c6']);
    expect(await sorted({ status: ['closed'] })).toEqual([]);
    expect(await sorted({ status: ['reported'] }, 'dispatcher')).toEqual(['c1']);
  });

  it('filters by category, department, grid and urgency', async () => {
    expect(await sorted({ categoryId: world.category('01-003').id })).toEqual(['c1', 'c4']);
    expect(await sorted({ categoryId: world.category('01-002').id })).toEqual(['c2', 'c5']);
    expect(await sorted({ departmentId: world.department('nj-municipal').id })).toEqual(['c4']);
    expect(await sorted({ departmentId: world.department('nj-market').id })).toEqual(['c3']);
    expect(await sorted({ departmentId: world.department('nj-urban').id })).toEqual([]);
    const gridA = (await record(world, ids.c1)).gridId!;
    const gridB = (await record(world, ids.c2)).gridId!;
    expect(new Set([gridA, gridB, (await record(world, ids.c3)).gridId]).size).toBe(3);
    expect(await sorted({ gridId: gridA })).toEqual(['c1', 'c4', 'c6']);
    expect(await sorted({ gridId: gridB })).toEqual(['c2']);
    expect(await sorted({ urgency: 'emergency' })).toEqual(['c4']);
    expect(await sorted({ urgency: 'urgent' })).toEqual(['c1', 'c3']);
    expect(await sorted({ urgency: 'normal' })).toEqual(['c2', 'c5', 'c6']);
    // Filters combine.
    expect(await sorted({ categoryId: world.category('01-003').id, urgency: 'urgent' })).toEqual(['c1']);
    expect(await sorted({ gridId: gridA, status: ['signed', 'rejected'] })).toEqual(['c4', 'c6']);
  });

  it('filters by whether a deadline has passed, as the clock moves', async () => {
    const at = async (minute: number) => {
      world.clock.set(plus(T, minute));
      const overdue = await sorted({ overdue: true });
      const onTime = await sorted({ overdue: false });
      expect([...overdue, ...onTime].sort()).toEqual(['c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
      return overdue;
    };
    expect(await at(20)).toEqual([]);
    // c1's accept clock (30 min, urgent) has run out.
    expect(await at(35)).toEqual(['c1']);
    // c3's sign clock (30 min from dispatch at T+7) and c4's resolve clock (30 min from the report at T+8).
    expect(await at(40)).toEqual(['c1', 'c3', 'c4']);
    // Two days on, every open case is late; the rejected one has no clock left running.
    expect(await at(2 * 24 * 60)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
    expect(await sorted({ overdue: false })).toEqual(['c6']);
    // The views say the same.
    const views = await world.services.caseQueries.listViews(await world.as('admin'), { overdue: true, pageSize: 100 }, 'zh-CN');
    expect(views.items.every((v) => v.overdue)).toBe(true);
    world.clock.set(plus(T, 20));
  });

  it('filters by the time of the report', async () => {
    expect(await sorted({ reportedFrom: plus(T, 3), reportedTo: plus(T, 10) })).toEqual(['c3', 'c4']);
    expect(await sorted({ reportedFrom: plus(T, 12) })).toEqual(['c5', 'c6']);
    expect(await sorted({ reportedTo: plus(T, 2) })).toEqual(['c1', 'c2']);
    expect(await sorted({ reportedFrom: plus(T, 60) })).toEqual([]);
    expect(await sorted({ reportedFrom: plus(T, 3), reportedTo: plus(T, 10) }, 'regulator')).toEqual(['c3']);
  });

  it('pages through the list with a total', async () => {
    const principal = await world.as('admin');
    const first = await world.services.caseQueries.list(principal, { page: 1, pageSize: 4 });
    const second = await world.services.caseQueries.list(principal, { page: 2, pageSize: 4 });
    const third = await world.services.caseQueries.list(principal, { page: 3, pageSize: 4 });
    expect(first).toMatchObject({ page: 1, pageSize: 4, total: 6 });
    expect(second).toMatchObject({ page: 2, pageSize: 4, total: 6 });
    expect(third).toMatchObject({ page: 3, pageSize: 4, total: 6, items: [] });
    expect(first.items.map((c) => name(c.id))).toEqual(['c6', 'c5', 'c4', 'c3']);
    expect(second.items.map((c) => name(c.id))).toEqual(['c2', 'c1']);
    // The total counts the filtered set, not the page.
    const reported = await world.services.caseQueries.list(principal, { status: ['reported', 'filed', 'signed'], page: 2, pageSize: 2 });
    expect(reported.total).toBe(4);
    expect(reported.items.map((c) => name(c.id))).toEqual(['c2', 'c1']);
    // Defaults: the first page of 20.
    expect(await world.services.caseQueries.list(principal, {})).toMatchObject({ page: 1, pageSize: 20, total: 6 });
    const views = await world.services.caseQueries.listViews(principal, { page: 2, pageSize: 5 }, 'zh-CN');
    expect(views).toMatchObject({ page: 2, pageSize: 5, total: 6 });
    expect(views.items.map((v) => name(v.id))).toEqual(['c1']);
    // Pages start at 1 and hold at most 100 cases.
    await domainError(world.services.caseQueries.list(principal, { page: 0 }), 'invalid_field', 'invalid');
    await domainError(world.services.caseQueries.list(principal, { pageSize: 101 }), 'invalid_field', 'invalid');
    await domainError(world.services.caseQueries.list(principal, { pageSize: 2.5 }), 'invalid_field', 'invalid');
  });

  it('keeps the totals within what the reader may see', async () => {
    const total = async (username: string, filters: CaseFilters = {}) => (await world.services.caseQueries.list(await world.as(username), { pageSize: 1, ...filters })).total;
    expect(await total('dispatcher')).toBe(5);
    expect(await total('zx-dispatcher')).toBe(1);
    expect(await total('solang')).toBe(3);
    expect(await total('pema')).toBe(1);
    expect(await total('tenzin')).toBe(2);
    expect(await total('municipal')).toBe(1);
    expect(await total('regulator')).toBe(1);
    expect(await total('tenzin', { status: ['signed'] })).toBe(1);
    expect(await total('solang', { status: ['reported'] })).toBe(1);
    await act(world, 'dispatcher', ids.c1, 'accept');
    expect(await total('solang', { status: ['reported'] })).toBe(0);
    expect(await total('solang', { status: ['accepted'] })).toBe(1);
  });
});
