// Working-day calendar administration: a holiday entered by an administrator moves the deadlines of
// categories that count in working days. One calendar serves every subdistrict, so a subdistrict's
// supervisor may read it but not change it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staff } from '../support/cases.js';
import { DIALECTS } from '../support/db.js';
import { PASSWORD, buildWorld, type World } from '../support/world.js';

describe.each(DIALECTS)('calendar administration ($name)', (dialect) => {
  let world: World;
  const token = async (username: string) =>
    (await world.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: PASSWORD } })).json<{ token: string }>().token;

  beforeAll(async () => {
    world = await buildWorld(dialect, '2025-09-29T02:00:00.000Z'); // Monday 10:00 in Lhasa
  });
  afterAll(() => world?.close());

  it('lets an administrator mark holidays, refuses supervisors, riders and bad dates, and lists the calendar', async () => {
    const admin = await token('admin');
    const supervisor = await token('supervisor');
    const put = (date: string, kind: string, bearer = admin) =>
      world.app.inject({ method: 'PUT', url: `/api/v1/admin/calendar/${date}`, payload: { kind }, headers: { authorization: `Bearer ${bearer}` } });

    expect((await put('2025-10-01', 'holiday')).statusCode).toBe(200);
    expect((await put('2025-10-11', 'workday')).statusCode).toBe(200);
    const bad = await put('2025-13-45', 'holiday');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'validation_failed', field: 'date' } });
    expect((await put('2025-10-02', 'party')).json()).toMatchObject({ error: { field: 'kind' } });
    expect((await put('2025-10-02', 'holiday', await token('solang'))).statusCode).toBe(403);
    // A subdistrict supervisor's holiday would move every subdistrict's deadlines.
    expect((await put('2025-10-03', 'holiday', supervisor)).json()).toMatchObject({ error: { code: 'role_not_allowed' } });

    const list = await world.app.inject({ method: 'GET', url: '/api/v1/calendar', headers: { authorization: `Bearer ${supervisor}` } });
    expect(list.json()).toEqual({ items: [{ date: '2025-10-01', kind: 'holiday' }, { date: '2025-10-11', kind: 'workday' }] });
  });

  it('pushes a working-day deadline past the new holiday', async () => {
    // 道路破损 (02-081) counts its 15-day resolve limit in working days.
    const dispatcher = await world.as('dispatcher');
    const caseId = await world.report('solang', { categoryId: world.category('02-081').id, description: '路面塌陷一个坑' });
    for (const action of ['accept', 'file', 'dispatch'] as const) await world.services.actions.act(dispatcher, caseId, action, {});
    const view = staff(await world.services.caseQueries.get(dispatcher, caseId, 'zh-CN'));
    const resolve = view.clocks.find((c) => c.stage === 'resolve')!;
    // 15 working days from Monday 29 Sep: weekends skipped, 1 Oct a holiday, Saturday 11 Oct worked.
    // Days counted: 29, 30 Sep, 2, 3, 6-10, 11 (调休), 13-17 Oct -> due Monday 20 Oct at the same time.
    expect(resolve.dueAt).toBe('2025-10-20T02:00:00.000Z');
  });
});
