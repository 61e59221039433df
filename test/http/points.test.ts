// Points for verified food-safety reports (issue 11, item 3): the regulator grades the hazard as part of the
// verification; the reporting member earns 5, 2 or 1 points under the rule set in force that day; a rider who
// is not an appointed member earns none and is told why; one award per case even when two race for it; an
// overturned verification posts a reversal; a new rule set applies only from its date on.

import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAJIN_CODE } from '../../src/seed/najin-data.js';
import { awardForVerification } from '../../src/services/points.service.js';
import { act } from '../support/cases.js';
import { DIALECTS } from '../support/db.js';
import { buildWorld, type World } from '../support/world.js';
import { Api, expectError } from './support.js';

interface MyPointsJson {
  member: { status: string; appointmentNumber: string | null } | null;
  why: string | null;
  balance: number;
  held: number;
  entries: { kind: string; points: number; caseId: string | null; caseRef: string | null; level: number | null; ruleVersion: number | null; note: string | null }[];
}

describe.each(DIALECTS)('points for verified food-safety reports ($name)', (dialect) => {
  let world: World;
  let api: Api;
  let food: string;

  beforeAll(async () => {
    world = await buildWorld(dialect);
    api = new Api(world);
    await api.loginAll(['solang', 'tenzin', 'regulator', 'dispatcher', 'admin', 'municipal']);
    food = world.category('06-091').id;
    // 索朗 is an appointed member; 丹增 is not.
    const dispatcher = await world.as('dispatcher');
    await world.services.members.apply({ name: '索朗', phone: '13812345678', workerType: 'rider', platform: 'meituan', roles: ['grid_worker', 'food_safety_guardian'], jurisdictionId: world.unit(NAJIN_CODE).id });
    const id = (await world.services.ctx.uow.autocommit.members.liveMemberByPhone('13812345678'))!.id;
    await world.services.members.act(dispatcher, id, 'recommend', { recommender: '美团纳金站 站长' });
    await world.services.members.act(dispatcher, id, 'approve', {});
    await world.services.members.act(dispatcher, id, 'appoint', { appointedOn: '2025-05-01', userId: world.users.get('solang')!.id });
  });
  afterAll(() => world?.close());

  /** A food-safety report by `who`, handled by the market regulation office up to resolved. */
  const resolvedFoodCase = async (who: string) => {
    const id = await world.report(who, { categoryId: food, description: '后厨过期食材' });
    await act(world, 'dispatcher', id, 'accept');
    await act(world, 'dispatcher', id, 'file');
    await act(world, 'dispatcher', id, 'dispatch', { departmentId: world.department('nj-market').id });
    await act(world, 'regulator', id, 'sign');
    await act(world, 'regulator', id, 'start');
    await act(world, 'regulator', id, 'resolve', { note: '已责令整改', media: [await world.photo('regulator')] });
    return id;
  };
  const mine = async (who: string) => (await api.get(who, '/api/v1/me/points')).json<MyPointsJson>();
  const verifyEvent = async (caseId: string) => (await world.services.ctx.uow.autocommit.events.events(caseId)).find((e) => e.action === 'verify')!;

  it('asks the regulator for the level, only on food-safety cases, 1 to 3', async () => {
    const id = await resolvedFoodCase('solang');
    expectError(await api.act('regulator', id, 'verify', {}), 400, 'level_required', 'level');
    expectError(await api.act('regulator', id, 'verify', { level: 4 }), 400, undefined, /level/);
    expectError(await api.act('regulator', id, 'verify', { level: 0 }), 400, undefined, /level/);
    const other = await world.report('solang');
    await act(world, 'dispatcher', other, 'accept');
    await act(world, 'dispatcher', other, 'file');
    await act(world, 'dispatcher', other, 'dispatch', { departmentId: world.department('nj-municipal').id });
    await act(world, 'municipal', other, 'sign');
    await act(world, 'municipal', other, 'start');
    await act(world, 'municipal', other, 'resolve', { note: 'ok', media: [await world.photo('municipal')] });
    expectError(await api.act('dispatcher', other, 'verify', { level: 1 }), 400, 'level_not_food_safety', 'level');
    expect((await mine('solang')).entries).toEqual([]);
  });

  it('credits the appointed member the points of the level, in the verification, and shows the ledger with the case', async () => {
    const before = (await mine('solang')).balance;
    const id = await resolvedFoodCase('solang');
    const res = await api.act('regulator', id, 'verify', { level: 1, note: '一级隐患属实' });
    expect(res.statusCode, res.body).toBe(200);
    const event = await verifyEvent(id);
    expect(event.data).toMatchObject({ level: 1, points: { award: { points: 5, ruleVersion: 1 } } });
    const me = await mine('solang');
    expect(me).toMatchObject({ member: { status: 'appointed' }, why: null, balance: before + 5, held: 0 });
    const ref = (await world.services.ctx.uow.autocommit.cases.find(id))!.ref;
    expect(me.entries[0]).toMatchObject({ kind: 'award', points: 5, caseId: id, caseRef: ref, level: 1, ruleVersion: 1 });

    // Levels 2 and 3.
    for (const [level, points] of [
      [2, 2],
      [3, 1],
    ] as const) {
      const c = await resolvedFoodCase('solang');
      await act(world, 'regulator', c, 'verify', { level });
      expect((await mine('solang')).entries[0]).toMatchObject({ points, level, caseId: c });
    }
    expect((await mine('solang')).balance).toBe(before + 8);
  });

  it('gives a rider who is not a member no points, and says why', async () => {
    const id = await resolvedFoodCase('tenzin');
    await act(world, 'regulator', id, 'verify', { level: 1 });
    expect((await verifyEvent(id)).data).toMatchObject({ points: { award: { points: 0, why: 'reporter_not_member' } } });
    expect(await mine('tenzin')).toMatchObject({ member: null, why: 'not_a_member', balance: 0, entries: [] });
    expect((await mine('dispatcher')).why).toBe('not_a_member');
  });

  it('makes one award per case, however many ask for it at once', async () => {
    const id = await resolvedFoodCase('solang');
    await act(world, 'regulator', id, 'verify', { level: 2 });
    const record = (await world.services.ctx.uow.autocommit.cases.find(id))!;
    const again = await world.services.ctx.transaction((repos) => awardForVerification(repos, record, 2, world.users.get('regulator')!.id, world.clock.now().toISOString()));
    expect(again.award).toEqual({ points: 0, why: 'already_awarded' });
    const awards = (await world.services.ctx.uow.autocommit.points.entriesOfCase(id)).filter((e) => e.kind === 'award');
    expect(awards).toHaveLength(1);
  });

  it('takes an award back with a reversal entry when the verification is overturned; the award stays in the ledger', async () => {
    const id = await resolvedFoodCase('solang');
    await act(world, 'regulator', id, 'verify', { level: 1 });
    const before = (await mine('solang')).balance;
    expectError(await api.post('solang', '/api/v1/points/reversals', { caseId: id, reason: 'x' }), 403, 'role_not_allowed');
    expectError(await api.post('regulator', '/api/v1/points/reversals', { caseId: id, reason: '   ' }), 400, 'reason_required', 'reason');
    const res = await api.post('regulator', '/api/v1/points/reversals', { caseId: id, reason: '复查：商户证照齐全，隐患不成立' });
    expect(res.statusCode, res.body).toBe(201);
    const me = await mine('solang');
    expect(me.balance).toBe(before - 5);
    expect(me.entries.slice(0, 2).map((e) => [e.kind, e.points, e.caseId])).toEqual([
      ['reversal', -5, id],
      ['award', 5, id],
    ]);
    expect(me.entries[0]!.note).toContain('隐患不成立');
    expectError(await api.post('regulator', '/api/v1/points/reversals', { caseId: id, reason: 'again' }), 409, 'no_award');
    const plain = await world.report('solang');
    expectError(await api.post('admin', '/api/v1/points/reversals', { caseId: plain, reason: 'none' }), 409, 'no_award');
    expectError(await api.post('admin', '/api/v1/points/reversals', { caseId: 'nope', reason: 'none' }), 404);
  });

  it('applies a new rule set from its date on, never to what was awarded before', async () => {
    const today = new Date(world.clock.now().getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
    const tomorrow = new Date(world.clock.now().getTime() + 32 * 3_600_000).toISOString().slice(0, 10);
    const body = { effectiveFrom: tomorrow, awards: { 1: 8, 2: 3, 3: 1 }, redeem: { per: 10, yuan: 200, minimum: 10 }, note: '试行后调整' };
    expectError(await api.post('dispatcher', '/api/v1/admin/points/rules', body), 403, 'role_not_allowed');
    expectError(await api.post('admin', '/api/v1/admin/points/rules', { ...body, effectiveFrom: '2024-01-01' }), 400, 'effective_in_past', 'effectiveFrom');
    expectError(await api.post('admin', '/api/v1/admin/points/rules', { ...body, awards: { 1: 1, 2: 3, 3: 1 } }), 400, 'invalid_rule', 'awards');
    const added = await api.post('admin', '/api/v1/admin/points/rules', body);
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json()).toMatchObject({ version: 2, effectiveFrom: tomorrow });
    const rules = (await api.get('solang', '/api/v1/points/rules')).json<{ items: { version: number }[]; current: { version: number; effectiveFrom: string } }>();
    expect(rules.items.map((r) => r.version)).toEqual([1, 2]);
    expect(rules.current.version).toBe(1);
    expect(today < tomorrow).toBe(true);

    // Today: still the first set.
    const now = await resolvedFoodCase('solang');
    await act(world, 'regulator', now, 'verify', { level: 1 });
    const entriesBefore = (await mine('solang')).entries;
    expect(entriesBefore[0]).toMatchObject({ points: 5, ruleVersion: 1 });
    // From tomorrow: the new one; nothing awarded before changes.
    world.clock.advance(36 * 60);
    const later = await resolvedFoodCase('solang');
    await act(world, 'regulator', later, 'verify', { level: 1 });
    const after = (await mine('solang')).entries;
    expect(after[0]).toMatchObject({ points: 8, ruleVersion: 2, caseId: later });
    expect(after.slice(1)).toEqual(entriesBefore);
  });

  it('redeems 10 points for 200 yuan: held at once, approved, paid once with its reference; a rejection releases the points', async () => {
    await api.login('supervisor');
    // Enough points for two redemptions.
    for (let i = 0; i < 4; i++) await act(world, 'regulator', await resolvedFoodCase('solang'), 'verify', { level: 1 });
    const start = (await mine('solang')).balance;
    expect(start).toBeGreaterThanOrEqual(20);
    expectError(await api.post('solang', '/api/v1/me/redemptions', { points: 5 }), 400, 'below_minimum', 'points');
    expectError(await api.post('solang', '/api/v1/me/redemptions', { points: 15 }), 400, 'not_whole_steps', 'points');
    expectError(await api.post('solang', '/api/v1/me/redemptions', { points: Math.ceil((start + 10) / 10) * 10 }), 409, 'insufficient_points', 'points');
    expectError(await api.post('tenzin', '/api/v1/me/redemptions', { points: 10 }), 403, 'not_a_member');
    expect((await mine('solang')).balance).toBe(start);

    const asked = await api.post('solang', '/api/v1/me/redemptions', { points: 10 });
    expect(asked.statusCode, asked.body).toBe(201);
    const r = asked.json<{ id: string; status: string; yuan: number; ruleVersion: number }>();
    expect(r).toMatchObject({ status: 'requested', yuan: 200 });
    expect(await mine('solang')).toMatchObject({ balance: start - 10, held: 10 });
    expect((await mine('solang')).entries[0]).toMatchObject({ kind: 'hold', points: -10, caseId: null });

    expectError(await api.post('solang', `/api/v1/redemptions/${r.id}/approve`), 403, 'role_not_allowed');
    expectError(await api.post('supervisor', `/api/v1/redemptions/${r.id}/pay`, { payoutRef: 'TX-1' }), 409, 'pay_not_allowed_when_requested');
    expect((await api.post('supervisor', `/api/v1/redemptions/${r.id}/approve`)).json()).toMatchObject({ status: 'approved' });
    const paid = await api.post('supervisor', `/api/v1/redemptions/${r.id}/pay`, { payoutRef: 'WX-20250507-0001' });
    expect(paid.json()).toMatchObject({ status: 'paid', payoutRef: 'WX-20250507-0001' });
    expectError(await api.post('supervisor', `/api/v1/redemptions/${r.id}/pay`, { payoutRef: 'WX-again' }), 409, 'pay_not_allowed_when_paid');
    expect(await mine('solang')).toMatchObject({ balance: start - 10, held: 0 });

    const second = (await api.post('solang', '/api/v1/me/redemptions', { points: 10 })).json<{ id: string }>();
    expectError(await api.post('supervisor', `/api/v1/redemptions/${second.id}/reject`, { reason: '' }), 400);
    expect((await api.post('supervisor', `/api/v1/redemptions/${second.id}/reject`, { reason: '本月兑换已结束' })).json()).toMatchObject({ status: 'rejected', reason: '本月兑换已结束' });
    expectError(await api.post('supervisor', `/api/v1/redemptions/${second.id}/pay`, { payoutRef: 'TX-2' }), 409, 'pay_not_allowed_when_rejected');
    const me = await mine('solang');
    expect(me).toMatchObject({ balance: start - 10, held: 0 });
    expect(me.entries.slice(0, 2).map((e) => [e.kind, e.points])).toEqual([
      ['release', 10],
      ['hold', -10],
    ]);
    const listed = (await api.get('supervisor', '/api/v1/redemptions')).json<{ items: { id: string; status: string }[] }>().items;
    expect(listed.map((x) => [x.id, x.status])).toEqual(expect.arrayContaining([[r.id, 'paid'], [second.id, 'rejected']]));
    // An award already redeemed cannot be taken back below zero.
    const all = await world.services.ctx.uow.autocommit.points.ledgerSum((await world.services.ctx.uow.autocommit.members.memberByUser(world.users.get('solang')!.id))!.id);
    expect(all).toBe(me.balance);
  });

  it('exports the period\'s payouts as CSV and xlsx with Chinese headers, and totals that match the ledger', async () => {
    const day = new Date(world.clock.now().getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
    // One more paid redemption so that the export sums two.
    const r = (await api.post('solang', '/api/v1/me/redemptions', { points: 10 })).json<{ id: string }>();
    await api.post('supervisor', `/api/v1/redemptions/${r.id}/approve`);
    await api.post('supervisor', `/api/v1/redemptions/${r.id}/pay`, { payoutRef: '=HYPERLINK("x")' });
    const paid = await world.database.db.selectFrom('redemptions').select(['id', 'points', 'yuan']).where('status', '=', 'paid').execute();
    const ledger = -Number((await world.database.db.selectFrom('points_entries').select((eb) => eb.fn.sum<number>('points').as('n')).where('kind', '=', 'hold').where('redemption_id', 'in', paid.map((p) => p.id)).executeTakeFirstOrThrow()).n);

    expectError(await api.get('solang', `/api/v1/redemptions/export?from=${day}&to=${day}`), 403, 'role_not_allowed');
    expectError(await api.get('supervisor', `/api/v1/redemptions/export?from=${day}&to=2020-01-01`), 400, 'invalid_period', 'to');
    expectError(await api.get('supervisor', `/api/v1/redemptions/export?from=2025-02-30&to=${day}`), 400, 'invalid_date', 'from');

    const csv = await api.get('supervisor', `/api/v1/redemptions/export?from=${day}&to=${day}&format=csv`);
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(String(csv.headers['content-disposition'])).toContain("filename*=UTF-8''");
    const lines = csv.body.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(csv.body.startsWith('\uFEFF')).toBe(true);
    expect(lines[0]).toBe('兑换单号,姓名,聘书编号,手机号,所属街道,平台,兑换积分,金额（元）,规则版本,申请时间,付款时间,付款凭证号');
    expect(lines).toHaveLength(paid.length + 2);
    expect(lines[1]).toContain(',纳金街道,美团,');
    const total = lines.at(-1)!.split(',');
    expect(total.slice(0, 2)).toEqual(['合计', `${paid.length} 笔`]);
    expect(Number(total[6])).toBe(ledger);
    expect(Number(total[7])).toBe(paid.reduce((n, p) => n + p.yuan, 0));
    expect(Number(csv.headers['x-total-points'])).toBe(Number(csv.headers['x-ledger-points']));
    // A payout reference that looks like a formula is written as text.
    expect(csv.body).toContain(`"'=HYPERLINK(""x"")"`);

    const xlsx = await api.get('supervisor', `/api/v1/redemptions/export?from=${day}&to=${day}`);
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const sheet = book.getWorksheet('兑付明细')!;
    expect(sheet.getRow(1).getCell(1).value).toBe('兑换单号');
    expect(sheet.rowCount).toBe(paid.length + 2);
    const last = sheet.getRow(sheet.rowCount);
    expect([last.getCell(1).value, last.getCell(7).value, last.getCell(8).value]).toEqual(['合计', ledger, paid.reduce((n, p) => n + p.yuan, 0)]);
    // Another day: no payouts, the totals row alone.
    const empty = await api.get('supervisor', '/api/v1/redemptions/export?from=2024-01-01&to=2024-01-31&format=csv');
    expect(empty.body.replace(/^\uFEFF/, '').trim().split('\r\n')).toHaveLength(2);
  });

  it("answers a member's record and the month's leaderboard from the cases and the ledger", async () => {
    const member = (await world.services.ctx.uow.autocommit.members.memberByUser(world.users.get('solang')!.id))!;
    const res = await api.get('supervisor', `/api/v1/members/${member.id}/stats`);
    expect(res.statusCode, res.body).toBe(200);
    const stats = res.json<{ reports: number; verified: number; verifiedShare: number; pointsEarned: number; balance: number }>();
    const db = world.database.db;
    const reports = await db.selectFrom('cases').select('id').where('reporter_id', '=', world.users.get('solang')!.id).execute();
    const verified = new Set((await db.selectFrom('case_events').select('case_id').where('action', '=', 'verify').where('case_id', 'in', reports.map((r) => r.id)).execute()).map((e) => e.case_id));
    const earned = (await db.selectFrom('points_entries').select(['points', 'kind']).where('member_id', '=', member.id).execute()).filter((e) => e.kind === 'award' || e.kind === 'reversal').reduce((n, e) => n + e.points, 0);
    expect(stats).toMatchObject({ reports: reports.length, verified: verified.size, pointsEarned: earned });
    expect(stats.verifiedShare).toBeCloseTo(verified.size / reports.length);
    expect(stats.balance).toBe((await mine('solang')).balance);
    expectError(await api.get('solang', `/api/v1/members/${member.id}/stats`), 403, 'role_not_allowed');

    const month = new Date(world.clock.now().getTime() + 8 * 3_600_000).toISOString().slice(0, 7);
    const board = (await api.get('supervisor', `/api/v1/programme/leaderboard?month=${month}`)).json<{ items: { rank: number; name: string; points: number }[] }>();
    expect(board.items[0]).toMatchObject({ rank: 1, name: '索朗' });
    expect(board.items[0]!.points).toBeGreaterThan(0);
    expect((await api.get('supervisor', '/api/v1/programme/leaderboard?month=2024-01')).json<{ items: unknown[] }>().items).toEqual([]);
    expectError(await api.get('supervisor', '/api/v1/programme/leaderboard?month=2024-13'), 400, 'invalid_month', 'month');
  });

  it("gives the programme's points month by month, agreeing with the rider's ledger and with the finance export", async () => {
    await api.login('supervisor');
    const now = world.clock.now();
    const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) - 8 * 3_600_000);
    const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) - 8 * 3_600_000);
    const res = await api.get('supervisor', `/api/v1/kpis/points?from=${from.toISOString()}&to=${to.toISOString()}`);
    expect(res.statusCode, res.body).toBe(200);
    const [month] = res.json<{ items: { from: string; awarded: number; paidPoints: number; paidYuan: number; redemptionsPaid: number }[] }>().items;
    // Every award and reversal of the month in 索朗's ledger (the only member here)...
    const ledger = (await mine('solang')).entries.filter((e) => e.kind === 'award' || e.kind === 'reversal').reduce((n, e) => n + e.points, 0);
    expect(month!.awarded).toBe(ledger);
    expect(month!.awarded).toBeGreaterThan(0);
    // ...and what the finance export pays out over the same days (China time).
    const day = (d: Date) => new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
    const exported = await api.get('supervisor', `/api/v1/redemptions/export?from=${day(from)}&to=${day(new Date(to.getTime() - 1))}&format=csv`);
    expect(month!.paidPoints).toBe(Number(exported.headers['x-total-points']));
    expect(month!.paidYuan).toBe(Number(exported.headers['x-total-yuan']));
    expect(month!.redemptionsPaid).toBeGreaterThan(0);
    expectError(await api.get('municipal', `/api/v1/kpis/points?from=${from.toISOString()}&to=${to.toISOString()}`), 403, 'role_not_allowed');
    // The figures' "member" breakdown looks members up many at a time: the same answer as one by one.
    const members = world.services.ctx.uow.autocommit.members;
    const users = ['solang', 'tenzin', 'lobsang'].map((u) => world.users.get(u)!.id);
    const many = await members.memberIdsByUsers(users);
    for (const user of users) expect(many.get(user) ?? null).toBe((await members.memberByUser(user))?.id ?? null);
    expect(many.size).toBeGreaterThan(0);
  });
});
