// The Najin demo: its jurisdictions and grids, departments, categories, staff, 40 riders, and a few
// hundred cases across every state. Cases are made by the real services on a moving clock, so every one
// has true events and clocks, exactly as if people had worked them.

import { randomBytes } from 'node:crypto';
import { bboxOf, type AreaGeometry } from '../geo/polygon.js';
import { ManualClock } from '../ports.js';
import { buildServices, type WiredServices } from '../compose.js';
import type { Principal } from '../services/context.js';
import type { Database } from '../storage/db.js';
import { toJson } from '../storage/dialect.js';
import { newId } from '../domain/ids.js';
import type { User } from '../domain/records.js';
import type { Action, ActionInput } from '../domain/workflow.js';
import type { MediaStore } from '../media/store.js';
import { DRAFT_RULES } from '../domain/points.js';
import { CATEGORIES, DEMO_SUBSCRIPTIONS, POINTS_SINCE, PROGRAMME_OPTIONS, DEPARTMENTS, JURISDICTIONS, NAJIN_CODE, RIDER_NAMES, ROUTES, STAFF, STREETS, ZHAXI_CODE } from './najin-data.js';
import { mulberry32 } from './prng.js';

/** A real 32×24 baseline JPEG (made with sharp); a COM segment with a label makes each demo photo distinct. */
const TINY_JPEG = Buffer.from(
  '/9j/2wBDAAoHBwgHBgoICAgLCgoLDhgQDg0NDh0VFhEYIx8lJCIfIiEmKzcvJik0KSEiMEExNDk7Pj4+JS5ESUM8SDc9Pjv/2wBDAQoLCw4NDhwQEBw7KCIoOzs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozv/wAARCAAYACADASIAAhEBAxEB/8QAFAABAAAAAAAAAAAAAAAAAAAAAP/EABQQAQAAAAAAAAAAAAAAAAAAAAD/xAAVAQEBAAAAAAAAAAAAAAAAAAAAA//EABQRAQAAAAAAAAAAAAAAAAAAAAD/2gAMAwEAAhEDEQA/AACyQAAAAAD/2Q==',
  'base64',
);

export function demoPhoto(label: string): Buffer {
  const text = Buffer.from(label, 'utf8');
  const header = Buffer.from([0xff, 0xfe, (text.length + 2) >> 8, (text.length + 2) & 0xff]);
  return Buffer.concat([TINY_JPEG.subarray(0, 2), header, text, TINY_JPEG.subarray(2)]);
}

export interface DemoCredentials {
  staff: { username: string; role: string; password: string }[];
  riders: { usernames: string; password: string };
}

export interface SeedOptions {
  /** Password for every demo account; random when not given. */
  password?: string;
  /** Number of demo cases (default 320). */
  cases?: number;
  /** The present moment for the demo story (default: now). */
  now?: Date;
  mediaStore?: MediaStore;
  mediaStoreUrl?: string;
  log?: (line: string) => void;
}

const prng = mulberry32;

export async function isSeeded(database: Database): Promise<boolean> {
  const row = await database.db.selectFrom('jurisdictions').select('id').limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Insert the reference data (places, departments, categories, routes). */
export async function seedReference(database: Database, at: string): Promise<void> {
  await database.db.transaction().execute(async (trx) => {
    const ids = new Map<string, { id: string; path: string }>();
    for (const unit of JURISDICTIONS) {
      const id = newId();
      const parent = unit.parentCode ? ids.get(unit.parentCode) : undefined;
      const path = `${parent?.path ?? ''}/${id}`;
      ids.set(unit.code, { id, path });
      const box = unit.geometry ? bboxOf(unit.geometry as AreaGeometry) : null;
      await trx
        .insertInto('jurisdictions')
        .values({
          id,
          code: unit.code,
          level: unit.level,
          parent_id: parent?.id ?? null,
          path,
          name_zh: unit.names.zh,
          name_en: unit.names.en,
          name_bo: unit.names.bo,
          geometry: unit.geometry ? toJson(unit.geometry) : null,
          min_lon: box?.minLon ?? null,
          min_lat: box?.minLat ?? null,
          max_lon: box?.maxLon ?? null,
          max_lat: box?.maxLat ?? null,
          created_at: at,
        })
        .execute();
    }
    const departments = new Map<string, string>();
    for (const d of DEPARTMENTS) {
      const id = newId();
      departments.set(d.code, id);
      await trx
        .insertInto('departments')
        .values({ id, code: d.code, kind: d.kind, name_zh: d.names.zh, name_en: d.names.en, name_bo: d.names.bo, jurisdiction_id: ids.get(d.jurisdictionCode)!.id, phone: d.phone, created_at: at })
        .execute();
    }
    const categories = new Map<string, string>();
    for (const c of CATEGORIES) {
      const id = newId();
      categories.set(c.code, id);
      await trx
        .insertInto('categories')
        .values({
          id,
          code: c.code,
          kind: c.kind,
          major_code: c.majorCode,
          minor_code: c.minorCode,
          name_zh: c.names.zh,
          name_en: c.names.en,
          name_bo: c.names.bo,
          default_department_id: departments.get(c.defaultDepartmentCode) ?? null,
          food_safety: c.foodSafety ? 1 : 0,
          report_media_required: c.reportMediaRequired ? 1 : 0,
          resolve_photo_required: c.resolvePhotoRequired ? 1 : 0,
          duplicate_radius_m: c.duplicateRadiusM,
          default_urgency: c.defaultUrgency,
          sla: c.sla ? toJson(c.sla) : null,
          active: 1,
          created_at: at,
        })
        .execute();
    }
    for (const r of ROUTES) {
      await trx
        .insertInto('category_routes')
        .values({ category_id: categories.get(r.categoryCode)!, jurisdiction_id: ids.get(r.jurisdictionCode)!.id, department_id: departments.get(r.departmentCode)! })
        .execute();
    }
    // The seed's draft rules (拟订), in force since the programme began.
    await trx.insertInto('points_rules').values({ version: 1, effective_from: POINTS_SINCE, rules: JSON.stringify(DRAFT_RULES), note: '纳金街道“舌尖守护者”积分办法（拟订）', created_by: null, created_at: at }).execute();
    for (const [sort, o] of PROGRAMME_OPTIONS.entries()) {
      await trx.insertInto('programme_options').values({ kind: o.kind, code: o.code, names: JSON.stringify(o.names), active: 1, sort }).execute();
    }
  });
}

/** Seed the whole demo. Returns the credentials to print. */
export async function seedDemo(database: Database, options: SeedOptions = {}): Promise<DemoCredentials> {
  const log = options.log ?? (() => {});
  const now = options.now ?? new Date();
  const clock = new ManualClock(new Date(now.getTime() - 60 * 86_400_000));
  const services = buildServices(database, { clock, mediaStore: options.mediaStore, mediaStoreUrl: options.mediaStoreUrl });
  const password = options.password ?? randomBytes(9).toString('base64url');

  log('Seeding Najin subdistrict: jurisdictions, departments, categories ...');
  await seedReference(database, clock.now().toISOString());
  services.ctx.invalidate();

  const reference = services.ctx.uow.autocommit.reference;
  const units = await reference.jurisdictions();
  const unitId = (code: string) => units.find((u) => u.code === code)!.id;
  const departments = await reference.departments();
  const deptId = (code: string) => departments.find((d) => d.code === code)!.id;

  log('Creating staff and 40 rider accounts ...');
  const staff = new Map<string, User>();
  for (const s of STAFF) {
    const user = await services.auth.addUser({
      username: s.username,
      password,
      displayName: s.displayName,
      role: s.role,
      departmentId: s.departmentCode ? deptId(s.departmentCode) : null,
      jurisdictionId: unitId(s.jurisdictionCode),
      platform: s.platform ?? null,
      station: s.station ?? null,
    });
    staff.set(s.username, user);
  }
  // Every department without a named handler gets one, so each routed case can be worked.
  const extraHandlers: { username: string; role: string; password: string }[] = [];
  for (const d of DEPARTMENTS) {
    if (STAFF.some((s) => s.departmentCode === d.code && (s.role === 'handler' || s.role === 'regulator'))) continue;
    const user = await services.auth.addUser({
      username: d.code,
      password,
      displayName: `${d.names.zh}经办人`,
      role: 'handler',
      departmentId: deptId(d.code),
      jurisdictionId: unitId(d.jurisdictionCode),
    });
    staff.set(user.username, user);
    extraHandlers.push({ username: user.username, role: 'handler', password });
  }
  const rand = prng(20250507);
  const riders: User[] = [];
  for (const [i, name] of RIDER_NAMES.entries()) {
    const phone = `13${Math.floor(rand() * 10)}${String(Math.floor(rand() * 1e8)).padStart(8, '0')}`;
    riders.push(
      await services.auth.addUser({ username: `rider${String(i + 1).padStart(2, '0')}`, password, displayName: name, role: 'reporter', phone, jurisdictionId: unitId(NAJIN_CODE) }),
    );
  }

  log('Recruiting the grid workers: 40 appointed riders and applicants at every stage ...');
  await seedMembers(services, clock, { riders, staff, najinId: unitId(NAJIN_CODE), now });

  // Staff hear the cases of their area and department in their inbox (riders always hear their own).
  const admin = await services.ctx.principal(staff.get('admin')!);
  for (const sub of DEMO_SUBSCRIPTIONS) {
    await services.notify.subscribe(admin, {
      kinds: sub.kinds,
      userId: staff.get(sub.username)!.id,
      departmentId: sub.departmentCode ? deptId(sub.departmentCode) : null,
      jurisdictionId: sub.jurisdictionCode ? unitId(sub.jurisdictionCode) : null,
    });
  }

  const count = options.cases ?? 320;
  log(`Working ${count} demo cases through the loop ...`);
  await seedCases(services, { staff, riders, rand, now, count, zhaxiId: unitId(ZHAXI_CODE), deptId });
  log('A food-safety guardian\'s points and a redemption at each stage ...');
  await seedGuardian(services, clock, { rider: riders[0]!, staff, now, market: deptId('nj-market') });

  // Bring reminders and supervision up to the present.
  clock.set(now);
  const sweep = await services.sweep.run();
  log(`Deadline sweep: ${sweep.reminded} reminders (催办), ${sweep.supervised} overdue deadlines under supervision (督办).`);
  const told = await services.notifyWorker.fanout.drain();
  log(`Notifications: ${told} case events told to their riders and the subscribed staff's inboxes.`);

  return {
    staff: [...STAFF.map((s) => ({ username: s.username, role: s.role, password })), ...extraHandlers],
    riders: { usernames: `rider01 ... rider${String(RIDER_NAMES.length).padStart(2, '0')}`, password },
  };
}

/**
 * The programme's people, recruited through the real steps: the first 30 riders appointed together in July
 * 2024 (the seed's ceremony), the next 10 since, one of them suspended; and applicants at every other stage.
 */
async function seedMembers(services: WiredServices, clock: ManualClock, c: { riders: User[]; staff: Map<string, User>; najinId: string; now: Date }): Promise<void> {
  const resume = clock.now();
  const dispatcher = await services.ctx.principal(c.staff.get('dispatcher')!);
  const supervisor = await services.ctx.principal(c.staff.get('supervisor')!);
  const at = (date: string) => clock.set(new Date(`${date}T10:00:00+08:00`));
  const platforms = ['meituan', 'eleme'];
  const brand: Record<string, string> = { meituan: '美团', eleme: '饿了么', sf: '顺丰' };
  // Meituan's and Ele.me's stations recommend in their own accounts; SF's station has none, so staff record its word.
  const stations: Record<string, Awaited<ReturnType<typeof services.ctx.principal>>> = {
    meituan: await services.ctx.principal(c.staff.get('mt-najin')!),
    eleme: await services.ctx.principal(c.staff.get('elm-najin')!),
  };
  const recruit = async (name: string, phone: string, platform: string, applied: string, until: 'applicant' | 'recommended' | 'approved' | 'rejected' | 'appointed', account?: User, appointedOn?: string) => {
    at(applied);
    await services.members.apply({ name, phone, workerType: platform === 'sf' ? 'courier' : 'rider', platform, station: `${brand[platform]}纳金站`, roles: phone.endsWith('0') || phone.endsWith('5') ? ['grid_worker', 'food_safety_guardian'] : ['grid_worker'], jurisdictionId: c.najinId });
    const id = (await services.ctx.uow.autocommit.members.liveMemberByPhone(phone))!.id;
    if (until === 'applicant') return id;
    if (until === 'rejected') {
      await services.members.act(dispatcher, id, 'reject', { reason: '暂未在纳金街道辖区配送' });
      return id;
    }
    const station = stations[platform];
    await services.members.act(station ?? dispatcher, id, 'recommend', station ? {} : { recommender: `${brand[platform]}纳金站 站长` });
    if (until === 'recommended') return id;
    await services.members.act(supervisor, id, 'approve', { note: '政治觉悟高、服务意识强、熟悉辖区' });
    if (until === 'approved') return id;
    at(appointedOn!);
    await services.members.act(dispatcher, id, 'appoint', { appointedOn: appointedOn!, userId: account!.id });
    return id;
  };
  for (const [i, rider] of c.riders.entries()) {
    const first = i < 30;
    await recruit(rider.displayName, rider.phone!, platforms[i % 2]!, first ? '2024-07-01' : `2025-0${3 + (i % 6)}-10`, 'appointed', rider, first ? '2024-07-17' : `2025-0${3 + (i % 6)}-20`);
  }
  const suspended = (await services.ctx.uow.autocommit.members.memberByUser(c.riders[38]!.id))!.id;
  at('2025-09-01');
  await services.members.act(supervisor, suspended, 'suspend', { reason: '连续两个月未参加例会' });
  // A courier who joined and left, then the people still on their way in (couriers join next).
  const retired = await recruit('王建国', '13700001111', 'sf', '2025-03-01', 'approved');
  await services.members.act(dispatcher, retired, 'appoint', { appointedOn: '2025-03-15', username: 'courier-wangjianguo' });
  at('2025-10-01');
  await services.members.act(supervisor, retired, 'retire', { reason: '调往外区站点' });
  const recent = new Date(c.now.getTime() - 5 * 86_400_000).toISOString().slice(0, 10);
  await recruit('扎西平措', '13700002222', 'sf', recent, 'applicant');
  await recruit('央金卓嘎', '13700003333', 'meituan', recent, 'recommended');
  await recruit('次仁罗布', '13700004444', 'eleme', recent, 'approved');
  await recruit('李明', '13700005555', 'meituan', recent, 'rejected');
  clock.set(resume);
}

/**
 * 舌尖守护者: the first rider's nine food-safety reports, each verified as a level-1 hazard by the market
 * regulator (5 points each under the draft), then a redemption of 10 points at each stage: paid, approved,
 * requested and rejected (its points released).
 */
async function seedGuardian(services: WiredServices, clock: ManualClock, c: { rider: User; staff: Map<string, User>; now: Date; market: string }): Promise<void> {
  const resume = clock.now();
  const food = (await services.ctx.reference()).categories.find((k) => k.code === '06-091')!;
  const [rider, dispatcher, regulator, supervisor] = await Promise.all([c.rider, c.staff.get('dispatcher')!, c.staff.get('regulator')!, c.staff.get('supervisor')!].map((u) => services.ctx.principal(u)));
  const street = STREETS[0]!;
  let t = c.now.getTime() - 40 * 86_400_000;
  const at = (minutes: number) => clock.set(new Date((t += minutes * 60_000)));
  for (let i = 0; i < 9; i++) {
    at(3 * 24 * 60);
    const photo = await services.media.upload(rider!, demoPhoto(`guardian ${i} before`));
    const { caseId } = await services.reports.report(rider!, { categoryId: food.id, description: '小餐馆后厨使用过期食材', lat: street.lat, lon: street.lon, address: street.name, media: [photo.id], channel: 'app' });
    const act = async (who: Principal, action: Action, input: ActionInput = {}) => {
      at(5);
      await services.actions.act(who, caseId, action, input);
    };
    await act(dispatcher!, 'accept');
    await act(dispatcher!, 'file');
    await act(dispatcher!, 'dispatch', { departmentId: c.market });
    await act(regulator!, 'sign');
    await act(regulator!, 'start');
    await act(regulator!, 'resolve', { note: '已查封过期食材，责令整改', media: [(await services.media.upload(regulator!, demoPhoto(`guardian ${i} after`))).id] });
    await act(regulator!, 'verify', { level: 1, note: '一级食品安全隐患，核查属实' });
    await act(dispatcher!, 'close', { closureType: 'fixed' });
  }
  const redeem = async () => {
    at(60);
    return services.points.requestRedemption(rider!, 10);
  };
  const paid = await redeem();
  await services.points.approveRedemption(supervisor!, paid.id);
  at(60);
  await services.points.payRedemption(supervisor!, paid.id, 'WX-NJ-0001');
  const approved = await redeem();
  await services.points.approveRedemption(supervisor!, approved.id);
  await redeem();
  const rejected = await redeem();
  await services.points.rejectRedemption(supervisor!, rejected.id, '本月兑换名额已满，请下月再申请');
  clock.set(resume);
}

interface CaseSeedContext {
  staff: Map<string, User>;
  riders: User[];
  rand: () => number;
  now: Date;
  count: number;
  zhaxiId: string;
  deptId: (code: string) => string;
}

/** Where each demo case stops in the loop (weights). Closed dominates, as in real life. */
const ENDINGS: [ending: string, weight: number][] = [
  ['reported', 6],
  ['accepted', 3],
  ['filed', 3],
  ['dispatched', 5],
  ['returned', 2],
  ['signed', 3],
  ['handling', 7],
  ['extension', 2],
  ['resolved', 4],
  ['verified', 3],
  ['rejected', 3],
  ['joint_meeting', 2],
  ['referred', 2],
  ['closed_not_fixed', 4],
  ['closed', 45],
  ['closed_reworked', 4],
  ['reopened', 2],
  ['merged', 3],
  ['zhaxi', 2],
];

function pickEnding(rand: () => number): string {
  const total = ENDINGS.reduce((sum, [, w]) => sum + w, 0);
  let r = rand() * total;
  for (const [ending, w] of ENDINGS) {
    r -= w;
    if (r < 0) return ending;
  }
  return 'closed';
}

async function seedCases(services: WiredServices, s: CaseSeedContext): Promise<void> {
  const clock = services.ctx.clock as ManualClock;
  const principal = async (user: User): Promise<Principal> => services.ctx.principal(user);
  const dispatcher = await principal(s.staff.get('dispatcher')!);
  const supervisor = await principal(s.staff.get('supervisor')!);
  const regulator = await principal(s.staff.get('regulator')!);
  const zhaxi = await principal(s.staff.get('zx-dispatcher')!);
  const handlers = new Map<string, Principal>();
  for (const user of s.staff.values()) if ((user.role === 'handler' || user.role === 'regulator') && user.departmentId) handlers.set(user.departmentId, await principal(user));
  const categories = await services.ctx.uow.autocommit.reference.categories();
  // Points in Zhaxi, the neighbouring subdistrict: a Najin rider's report there is referred automatically.
  const router = await services.ctx.routing();
  const zhaxiPoints = (await services.ctx.uow.autocommit.reference.jurisdictions())
    .filter((u) => u.level === 'grid' && u.geometry && router.chain(u.id).some((a) => a.id === s.zhaxiId))
    .map((u) => {
      const box = bboxOf(u.geometry!);
      return { lat: (box.minLat + box.maxLat) / 2, lon: (box.minLon + box.maxLon) / 2, name: `${u.names.zh}附近` };
    })
    .filter((p) => router.deepest(p.lon, p.lat));
  // Cases still open in Najin's queue, which a later duplicate may be merged into.
  const openMasters: string[] = [];

  for (let i = 0; i < s.count; i++) {
    const ending = pickEnding(s.rand);
    const open = !ending.startsWith('closed') && ending !== 'rejected';
    // Open cases are recent; closed ones spread over the last two months.
    const ageHours = open ? 1 + s.rand() * 72 : 72 + s.rand() * 55 * 24;
    clock.set(new Date(s.now.getTime() - ageHours * 3_600_000));
    const rider = await principal(s.riders[Math.floor(s.rand() * s.riders.length)]!);
    const category = categories[Math.floor(s.rand() * categories.length)]!;
    const street = ending === 'zhaxi' && zhaxiPoints.length ? zhaxiPoints[Math.floor(s.rand() * zhaxiPoints.length)]! : STREETS[Math.floor(s.rand() * STREETS.length)]!;
    const seedCat = CATEGORIES.find((c) => c.code === category.code)!;
    const description = seedCat.sampleDescriptions[Math.floor(s.rand() * seedCat.sampleDescriptions.length)]!;
    const photo = await services.media.upload(rider, demoPhoto(`demo case ${i} before`));
    const { caseId } = await services.reports.report(rider, {
      categoryId: category.id,
      description,
      lat: street.lat + (s.rand() - 0.5) * 0.0004,
      lon: street.lon + (s.rand() - 0.5) * 0.0004,
      address: street.name,
      media: [photo.id],
      channel: 'app',
    });

    const step = async (who: Principal, action: Action, input: ActionInput = {}, minutes = 5 + s.rand() * 40) => {
      // Never past the demo's present: a recent case's later steps crowd into the last minutes.
      const next = Math.min(clock.now().getTime() + minutes * 60_000, s.now.getTime() - 1000);
      clock.set(new Date(Math.max(clock.now().getTime(), next)));
      await services.actions.act(who, caseId, action, input).catch((e: unknown) => {
        throw new Error(`demo case ${i} (${ending}): ${who.user.username} could not ${action}: ${(e as Error).message}`);
      });
    };
    const handlerFor = async (): Promise<Principal> => {
      const record = (await services.ctx.uow.autocommit.cases.find(caseId))!;
      return handlers.get(record.departmentId ?? '') ?? (await principal(s.staff.get('municipal')!));
    };
    const afterPhoto = async (who: Principal) => [(await services.media.upload(who, demoPhoto(`demo case ${i} after`))).id];
    const resolve = async () => {
      const h = await handlerFor();
      await step(h, 'resolve', { note: '已到现场处置完毕', media: await afterPhoto(h) }, 30 + s.rand() * 600);
    };
    const verifier = category.foodSafety ? regulator : dispatcher;

    if (ending === 'reported' || ending === 'accepted' || ending === 'filed' || ending === 'dispatched') openMasters.push(caseId);
    if (ending === 'reported') continue;
    if (ending === 'zhaxi') {
      if (s.rand() < 0.5) await step(zhaxi, 'accept');
      continue;
    }
    if (ending === 'merged') {
      const master = openMasters[Math.floor(s.rand() * openMasters.length)];
      if (master) await step(dispatcher, 'merge', { masterCaseId: master, note: '同一问题重复上报' });
      continue;
    }
    if (ending === 'rejected') {
      await step(dispatcher, 'reject', { reason: '经核实为正常施工围挡,不属于问题' });
      continue;
    }
    if (ending === 'referred') {
      await step(dispatcher, 'refer', { reason: '位置属于扎细街道辖区,转办处理', jurisdictionId: s.zhaxiId });
      if (s.rand() < 0.5) await step(zhaxi, 'accept');
      continue;
    }
    await step(dispatcher, 'accept');
    if (ending === 'accepted') continue;
    await step(dispatcher, 'file');
    if (ending === 'filed') continue;
    if (ending === 'joint_meeting') {
      await step(dispatcher, 'escalate', { reason: '责任部门不明确,提交联席会议' });
      continue;
    }
    if (ending === 'closed_not_fixed') {
      await step(dispatcher, 'close', { closureType: s.rand() < 0.5 ? 'duplicate' : 'not_responsible', reason: '与已有案件重复或不属于街道职责' });
      continue;
    }
    await step(dispatcher, 'dispatch');
    if (ending === 'dispatched') continue;
    if (ending === 'returned') {
      await step(await handlerFor(), 'return', { reason: '不属于本部门职责,请重新派遣' });
      continue;
    }
    const handler = await handlerFor();
    await step(handler, 'sign', {}, 2 + s.rand() * 30);
    if (ending === 'signed') continue;
    await step(handler, 'start');
    if (ending === 'handling') continue;
    if (ending === 'extension') {
      // Extensions are asked for before the deadline; emergencies rarely have the time left to ask.
      const resolveClock = (await services.ctx.uow.autocommit.clocks.clocks(caseId)).find((k) => k.stage === 'resolve' && !k.completedAt);
      if (resolveClock && Date.parse(resolveClock.dueAt) > clock.now().getTime() + 60_000) {
        await step(handler, 'request-extension', { reason: '需要采购配件', minutes: 24 * 60 }, 1);
        if (s.rand() < 0.5) await step(supervisor, 'approve-extension');
      }
      continue;
    }
    await resolve();
    if (ending === 'resolved') continue;
    if (ending === 'closed_reworked') {
      await step(verifier, 'rework', { reason: '现场核查仍未修复' });
      await resolve();
    }
    // The market regulator grades a food-safety hazard (mostly the lesser levels), which earns its reporter points.
    const level = category.foodSafety ? (s.rand() < 0.2 ? 1 : s.rand() < 0.5 ? 2 : 3) : undefined;
    await step(verifier, 'verify', { note: category.foodSafety ? '食品安全隐患核查属实' : '现场核查已修复', ...(level ? { level } : {}) });
    if (ending === 'verified') continue;
    await step(dispatcher, 'close', { closureType: 'fixed' });
    const rider0 = rider;
    if (s.rand() < 0.7) {
      const score = ending === 'reopened' ? 1 : s.rand() < 0.95 ? 5 - Math.floor(s.rand() * 2) : 2;
      await step(rider0, 'rate', { score, unitAtFault: score <= 2, comment: score >= 4 ? '处理很快,点赞' : '处理不彻底' }, 60);
      if (ending === 'reopened') await step(rider0, 'reopen', { reason: '问题又出现了' });
    }
  }
}
