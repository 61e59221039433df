// The figures over HTTP, on cases taken through the real workflow: GET /kpis for a month, overall and by
// department, each figure's drill-down (the case list with kpi=...) naming exactly its count, who may see
// which figures, and refusals a person can act on.

import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RATE_KEYS, TIME_KEYS } from '../../src/domain/kpi.js';
import { act } from '../support/cases.js';
import { DIALECTS } from '../support/db.js';
import { buildWorld, type World } from '../support/world.js';
import { Api, expectError } from './support.js';

interface Rate { numerator: number; denominator: number; value: number | null; cases: { numerator: string; denominator: string } }
interface Times { count: number; meanMin: number | null; medianMin: number | null; p90Min: number | null; cases: string }
type Figures = Record<string, Rate | Times>;
interface Answer { asOf: string; casesRead: number; definitions: Record<string, { name: { zh: string } }>; overall: Figures; breakdowns: { department?: { key: string | null; name: string | null; figures: Figures }[] } }

const MAY = 'from=2025-05-01T00:00:00.000Z&to=2025-06-01T00:00:00.000Z';

describe.each(DIALECTS)('KPIs over HTTP ($name)', (dialect) => {
  let world: World;
  let api: Api;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    world = await buildWorld(dialect);
    api = new Api(world);
    await api.loginAll(['supervisor', 'dispatcher', 'municipal', 'solang']);
    const municipal = world.department('nj-municipal').id;
    // Handled in time: accepted, dispatched, signed, resolved, verified, closed, rated 5.
    ids.done = await world.report('solang');
    for (const action of ['accept', 'file'] as const) await act(world, 'dispatcher', ids.done, action);
    await act(world, 'dispatcher', ids.done, 'dispatch', { departmentId: municipal });
    world.clock.advance(20);
    await act(world, 'municipal', ids.done, 'sign');
    world.clock.advance(60);
    await act(world, 'municipal', ids.done, 'resolve', { note: '已更换井盖', media: [await world.photo('municipal')] });
    await act(world, 'dispatcher', ids.done, 'verify');
    await act(world, 'dispatcher', ids.done, 'close', { closureType: 'fixed' });
    await act(world, 'solang', ids.done, 'rate', { score: 5 });
    // Dispatched and never signed: three days on, its signing is late, its handling deadline later in May.
    ids.waiting = await world.report('solang', { lat: world.najinPoint.lat + 0.002 });
    for (const action of ['accept', 'file'] as const) await act(world, 'dispatcher', ids.waiting, action);
    await act(world, 'dispatcher', ids.waiting, 'dispatch', { departmentId: municipal });
    // A duplicate of the open one, and one not accepted (不予受理).
    ids.duplicate = await world.report('solang');
    await act(world, 'dispatcher', ids.duplicate, 'merge', { masterCaseId: ids.waiting });
    ids.rejected = await world.report('solang', { lat: world.najinPoint.lat - 0.002 });
    await act(world, 'dispatcher', ids.rejected, 'reject', { reason: '不在本街道' });
    world.clock.advance(3 * 24 * 60);
  });
  afterAll(async () => world?.close());

  const kpis = async (username: string, query: string) => {
    const res = await api.get(username, `/api/v1/kpis?${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Answer>();
  };
  const listed = async (username: string, url: string) => {
    const res = await api.get(username, `${url}&pageSize=100`);
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json<{ items: { id: string }[]; total: number }>();
    expect(page.items).toHaveLength(page.total);
    return page.items.map((c) => c.id).sort();
  };
  const sorted = (...names: string[]) => names.map((n) => ids[n]!).sort();

  it("gives May's figures as they stand, each with its definition", async () => {
    const answer = await kpis('supervisor', MAY);
    const o = answer.overall as Record<string, Rate>;
    expect(o.completion).toMatchObject({ numerator: 2, denominator: 3 });
    expect(o.duplicate).toMatchObject({ numerator: 1, denominator: 4, value: 0.25 });
    expect(o.closure).toMatchObject({ numerator: 1, denominator: 2, value: 0.5 });
    expect(o.on_time_closure).toMatchObject({ numerator: 1, denominator: 2 });
    expect(o.response).toMatchObject({ numerator: 1, denominator: 2 });
    expect(o.satisfaction).toMatchObject({ numerator: 1, denominator: 1, value: 1 });
    expect(o.rework).toMatchObject({ numerator: 0, denominator: 1, value: 0 });
    expect((answer.overall.to_sign as Times).count).toBe(1);
    expect((answer.overall.to_sign as Times).meanMin).toBe(20);
    expect((answer.overall.to_close as Times).count).toBe(1);
    expect(answer.definitions.on_time_closure!.name.zh).toBe('按期结案率');
    // The month is not over: the figures are as of now.
    expect(answer.asOf).toBe(world.clock.now().toISOString());
  });

  it('lists exactly the cases behind every figure, overall and for a department', async () => {
    const answer = await kpis('supervisor', `${MAY}&by=department`);
    const o = answer.overall as Record<string, Rate>;
    expect(await listed('supervisor', o.completion!.cases.numerator)).toEqual(sorted('done', 'rejected'));
    expect(await listed('supervisor', o.completion!.cases.denominator)).toEqual(sorted('done', 'waiting', 'rejected'));
    expect(await listed('supervisor', o.duplicate!.cases.numerator)).toEqual(sorted('duplicate'));
    for (const key of RATE_KEYS) {
      const rate = o[key]!;
      expect((await listed('supervisor', rate.cases.numerator)).length, `${key} numerator`).toBe(rate.numerator);
      expect((await listed('supervisor', rate.cases.denominator)).length, `${key} denominator`).toBe(rate.denominator);
    }
    for (const key of TIME_KEYS) expect((await listed('supervisor', (answer.overall[key] as Times).cases)).length, key).toBe((answer.overall[key] as Times).count);
    const groups = answer.breakdowns.department!;
    const municipal = groups.find((g) => g.key === world.department('nj-municipal').id)!;
    expect(municipal.name).toBe(world.department('nj-municipal').names.zh);
    expect(municipal.figures.closure).toMatchObject({ numerator: 1, denominator: 2 });
    expect(await listed('supervisor', (municipal.figures.closure as Rate).cases.denominator)).toEqual(sorted('done', 'waiting'));
    // The cases that never reached a department are a group of their own, listed as such.
    const none = groups.find((g) => g.key === null)!;
    expect(await listed('supervisor', (none.figures.completion as Rate).cases.denominator)).toEqual(sorted('rejected'));
    for (const key of RATE_KEYS) expect(groups.reduce((n, g) => n + (g.figures[key] as Rate).denominator, 0), key).toBe(o[key]!.denominator);
  });

  it("shows a department its own cases' figures, and none to a rider", async () => {
    const mine = await kpis('municipal', MAY);
    expect((mine.overall.completion as Rate).denominator).toBe(2);
    expect(mine.casesRead).toBe(2);
    expectError(await api.get('solang', `/api/v1/kpis?${MAY}`), 403, 'role_not_allowed');
    expectError(await api.get(null, `/api/v1/kpis?${MAY}`), 401);
  });

  it('gives the trend week by week in China Standard Time, each week with its own drill-downs, adding up to the month', async () => {
    const month = 'from=2025-04-30T16:00:00.000Z&to=2025-05-31T16:00:00.000Z';
    const res = await api.get('supervisor', `/api/v1/kpis/trend?${month}&every=week`);
    expect(res.statusCode, res.body).toBe(200);
    const trend = res.json<{ every: string; periods: { from: string; to: string; figures: Figures }[] }>();
    // Thursday 1 May, then Mondays 5, 12, 19 and 26 May (00:00 in Lhasa is 16:00 UTC the day before).
    expect(trend.periods.map((p) => p.from)).toEqual(['2025-04-30T16:00:00.000Z', '2025-05-04T16:00:00.000Z', '2025-05-11T16:00:00.000Z', '2025-05-18T16:00:00.000Z', '2025-05-25T16:00:00.000Z']);
    expect(trend.periods.at(-1)!.to).toBe('2025-05-31T16:00:00.000Z');
    const week = trend.periods[1]!.figures.completion as Rate;
    expect(week).toMatchObject({ numerator: 2, denominator: 3 });
    expect(await listed('supervisor', week.cases.denominator)).toEqual(sorted('done', 'waiting', 'rejected'));
    const whole = (await kpis('supervisor', month)).overall.completion as Rate;
    expect(trend.periods.reduce((n, p) => n + (p.figures.completion as Rate).denominator, 0)).toBe(whole.denominator);
    expectError(await api.get('supervisor', '/api/v1/kpis/trend?from=2023-01-01T00:00:00Z&to=2025-01-01T00:00:00Z&every=month'), 400, 'period_too_long');
    expect((await api.get('supervisor', `/api/v1/kpis/trend?${month}&every=hour`)).statusCode).toBe(400);
  });

  it('names the slowest departments and categories, resting on enough cases, and the most returned only where something was returned', async () => {
    const res = await api.get('supervisor', `/api/v1/kpis/rankings?${MAY}&minCases=1`);
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json<{ department: { slowest: { key: string; name: string; value: number; cases: number }[]; mostReturned: unknown[] }; category: { slowest: unknown[] } }>();
    // Dispatched, signed 20 minutes later, resolved an hour after that.
    expect(r.department.slowest).toEqual([{ key: world.department('nj-municipal').id, name: world.department('nj-municipal').names.zh, value: 80, cases: 1 }]);
    expect(r.department.mostReturned).toEqual([]);
    expect(r.category.slowest).toHaveLength(1);
    // By default a group needs three cases behind it.
    expect((await api.get('supervisor', `/api/v1/kpis/rankings?${MAY}`)).json<{ department: { slowest: unknown[] } }>().department.slowest).toEqual([]);
    expectError(await api.get('solang', `/api/v1/kpis/rankings?${MAY}`), 403, 'role_not_allowed');
  });

  it("counts the month's cases per grid for the map's heat layer, with those still open", async () => {
    const res = await api.get('supervisor', `/api/v1/kpis/heatmap?${MAY}`);
    expect(res.statusCode, res.body).toBe(200);
    const heat = res.json<{ grids: { gridId: string; name: string | null; reported: number; open: number }[]; outsideGrids: { reported: number; open: number } }>();
    expect(heat.grids.reduce((n, g) => n + g.reported, 0) + heat.outsideGrids.reported).toBe(4);
    // Only the one dispatched and never signed is still open (the others are closed, merged or rejected).
    expect(heat.grids.reduce((n, g) => n + g.open, 0) + heat.outsideGrids.open).toBe(1);
    expect(heat.grids.every((g) => g.name !== null)).toBe(true);
    const waiting = (await api.get('supervisor', `/api/v1/cases/${ids.waiting}`)).json<{ grid: { id: string } | null }>();
    expect(heat.grids.find((g) => g.open === 1)?.gridId ?? null).toBe(waiting.grid?.id ?? null);
  });

  it('exports the same figures as xlsx, a sheet for the whole and one per breakdown with Chinese headers, and as CSV', async () => {
    const res = await api.get('supervisor', `/api/v1/kpis/export?${MAY}&by=department&by=category`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="gridline-kpis-2025-05-01-2025-06-01\.xlsx"/);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    expect(workbook.worksheets.map((w) => w.name)).toEqual(['总体', '按部门', '按类别']);
    const whole = workbook.getWorksheet('总体')!;
    const completion = whole.getRows(2, 20)!.find((r) => r.getCell(1).value === '办结率')!;
    expect([completion.getCell(2).value, completion.getCell(3).value, completion.getCell(4).value]).toEqual([2, 3, 66.7]);
    const departments = workbook.getWorksheet('按部门')!;
    expect(departments.getRow(1).getCell(3).value).toBe('结案率 (%)');
    expect(departments.getColumn(1).values).toContain(world.department('nj-municipal').names.zh);
    expectError(await api.get('supervisor', `/api/v1/kpis/export?${MAY}&by=department&by=category&format=csv`), 400, 'one_breakdown_per_csv');
    const csv = await api.get('supervisor', `/api/v1/kpis/export?${MAY}&format=csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.body.startsWith('\uFEFF指标,')).toBe(true);
    expect(csv.body).toContain('办结率,2,3,66.7');
    expectError(await api.get('solang', `/api/v1/kpis/export?${MAY}`), 403, 'role_not_allowed');
  });

  it('refuses a period that ends before it starts or runs over a year, an unknown breakdown, and a drill-down without its figure or period', async () => {
    expectError(await api.get('supervisor', '/api/v1/kpis?from=2025-06-01T00:00:00Z&to=2025-05-01T00:00:00Z'), 400, 'period_reversed');
    expectError(await api.get('supervisor', '/api/v1/kpis?from=2024-01-01T00:00:00Z&to=2025-06-01T00:00:00Z'), 400, 'period_too_long');
    expect((await api.get('supervisor', `/api/v1/kpis?${MAY}&by=planet`)).statusCode).toBe(400);
    expect((await api.get('supervisor', '/api/v1/kpis?from=2025-05-01T00:00:00Z')).statusCode).toBe(400);
    expectError(await api.get('supervisor', '/api/v1/cases?part=numerator'), 400, 'kpi_required');
    expectError(await api.get('supervisor', '/api/v1/cases?kpi=closure&from=2025-05-01T00:00:00Z'), 400, 'period_required');
    expectError(await api.get('supervisor', `/api/v1/cases?kpi=closure&${MAY}&overdue=true`), 400, 'kpi_filter_unsupported');
  });
});
