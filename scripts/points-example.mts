// A worked example of the grid-worker programme over the API (issue 11): one member from the application to a
// paid 200-yuan redemption, on a fresh in-memory database. Run: node --import tsx scripts/points-example.mts
import { buildWorld, PASSWORD } from '../test/support/world.ts';
import { NAJIN_CODE } from '../src/seed/najin-data.ts';

const world = await buildWorld({ name: 'sqlite', url: ':memory:' }, '2025-05-07T02:00:00.000Z');
const tokens = new Map<string, string>();
for (const u of ['solang', 'mt-najin', 'dispatcher', 'supervisor', 'regulator']) {
  const r = await world.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: u, password: PASSWORD } });
  tokens.set(u, r.json().token);
}
const call = async (who: string | null, method: string, url: string, payload?: object) => {
  const r = await world.app.inject({ method: method as 'GET', url, payload, headers: who ? { authorization: `Bearer ${tokens.get(who)}` } : {} });
  const body = r.headers['content-type']?.toString().includes('json') ? r.json() : r.body;
  return { status: r.statusCode, body };
};
const show = (label: string, r: { status: number; body: unknown }, pick?: (b: any) => unknown) => console.log(`${label} -> ${r.status} ${JSON.stringify(pick ? pick(r.body) : r.body)}`);

// 索朗 applies from the rider app, signed in: the membership is linked to the account he reports with.
const app = await call('solang', 'POST', '/api/v1/applications', { name: '索朗', phone: '138 1234 5678', workerType: 'rider', platform: 'meituan', roles: ['grid_worker', 'food_safety_guardian'], jurisdictionId: world.unit(NAJIN_CODE).id });
show('POST /applications (signed in)', app, (b) => ({ status: b.status.status, statusUrl: b.statusUrl.replace(/[^/]+$/, '<token>') }));
const memberId = (await world.database.db.selectFrom('members').select('id').executeTakeFirstOrThrow()).id;
show('POST /members/{id}/actions/recommend (the Meituan station, an employer account)', await call('mt-najin', 'POST', `/api/v1/members/${memberId}/actions/recommend`, {}), (b) => ({ status: b.member.status, by: b.member.events.at(-1).data.recommender }));
show('POST /members/{id}/actions/approve', await call('supervisor', 'POST', `/api/v1/members/${memberId}/actions/approve`, { note: '熟悉辖区' }), (b) => b.member.status);
show('POST /members/{id}/actions/appoint', await call('dispatcher', 'POST', `/api/v1/members/${memberId}/actions/appoint`, { appointedOn: '2025-05-07' }), (b) => ({ status: b.member.status, number: b.member.appointmentNumber }));

const food = world.category('06-091').id;
for (const [n, level] of [[1, 1], [2, 1]] as const) {
  const photo = (await world.services.media.upload(await world.as('solang'), (await import('../src/seed/demo.ts')).demoPhoto(`example ${n}`))).id;
  const rep = await call('solang', 'POST', '/api/v1/reports', { categoryId: food, description: '小餐馆后厨使用过期食材', lat: 29.6489, lon: 91.1548, media: [photo] });
  show(`POST /reports (food-safety #${n})`, rep, (b) => ({ ref: b.ref, status: b.status }));
  const id = rep.body.id;
  for (const [who, action, body] of [['dispatcher', 'accept', {}], ['dispatcher', 'file', {}], ['dispatcher', 'dispatch', { departmentId: world.department('nj-market').id }], ['regulator', 'sign', {}], ['regulator', 'start', {}]] as const) {
    await call(who, 'POST', `/api/v1/cases/${id}/actions/${action}`, body);
  }
  const after = (await world.services.media.upload(await world.as('regulator'), (await import('../src/seed/demo.ts')).demoPhoto(`example ${n} after`))).id;
  await call('regulator', 'POST', `/api/v1/cases/${id}/actions/resolve`, { note: '已查封过期食材', media: [after] });
  show(`  accept, file, dispatch (nj-market), sign, start, resolve; POST /cases/{id}/actions/verify {level:${level}}`, await call('regulator', 'POST', `/api/v1/cases/${id}/actions/verify`, { level }), (b) => b.status ?? b);
  show('  GET /me/points', await call('solang', 'GET', '/api/v1/me/points'), (b) => ({ balance: b.balance, held: b.held, entries: b.entries.map((e: any) => `${e.kind} ${e.points} ${e.caseRef ?? e.redemptionId} L${e.level} v${e.ruleVersion}`) }));
}
const red = await call('solang', 'POST', '/api/v1/me/redemptions', { points: 10 });
show('POST /me/redemptions {points:10}', red, (b) => ({ status: b.status, yuan: b.yuan }));
show('  GET /me/points', await call('solang', 'GET', '/api/v1/me/points'), (b) => ({ balance: b.balance, held: b.held }));
show('POST /redemptions/{id}/approve', await call('supervisor', 'POST', `/api/v1/redemptions/${red.body.id}/approve`), (b) => b.status);
show('POST /redemptions/{id}/pay', await call('supervisor', 'POST', `/api/v1/redemptions/${red.body.id}/pay`, { payoutRef: 'WX-20250507-0001' }), (b) => ({ status: b.status, payoutRef: b.payoutRef }));
show('POST /redemptions/{id}/pay (again)', await call('supervisor', 'POST', `/api/v1/redemptions/${red.body.id}/pay`, { payoutRef: 'WX-again' }), (b) => b.error.code);
show('GET /me/points', await call('solang', 'GET', '/api/v1/me/points'), (b) => ({ balance: b.balance, held: b.held, entries: b.entries.map((e: any) => `${e.kind} ${e.points}${e.caseRef ? ` ${e.caseRef}` : ''}${e.note ? ` ${e.note}` : ''}`) }));
const day = '2025-05-07';
const csv = await call('supervisor', 'GET', `/api/v1/redemptions/export?from=${day}&to=${day}&format=csv`);
console.log(`GET /redemptions/export?format=csv -> ${csv.status}\n${String(csv.body).replace(/^\uFEFF/, '')}`);
await world.services.notifyWorker.drain();
show('GET /me/inbox (the programme\'s news)', await call('solang', 'GET', '/api/v1/me/inbox?limit=50'), (b) => b.items.filter((m: any) => m.caseId === null).reverse().map((m: any) => m.title));
await world.close();
