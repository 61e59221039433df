// A small Najin world for service and HTTP tests: the real reference data, a handful of staff and two
// riders, a manual clock, the services and the HTTP app on one test database.

import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.js';
import { ManualClock } from '../../src/ports.js';
import type { Principal } from '../../src/services/context.js';
import { buildServices, type ServiceOptions, type WiredServices } from '../../src/compose.js';
import { demoPhoto, seedReference } from '../../src/seed/demo.js';
import { NAJIN_CODE, STAFF, ZHAXI_CODE } from '../../src/seed/najin-data.js';
import type { Category, Department, Jurisdiction, User } from '../../src/domain/records.js';
import { MemoryMediaStore } from '../../src/media/memory.js';
export { MemoryMediaStore };
import { freshDatabase, type DialectUnderTest, type TestDatabase } from './db.js';
import type { ReportInput } from '../../src/services/cases/report.js';

export const PASSWORD = 'najin-test-pass';

export interface World {
  database: TestDatabase;
  clock: ManualClock;
  services: WiredServices;
  app: FastifyInstance;
  users: Map<string, User>;
  as(username: string): Promise<Principal>;
  unit(code: string): Jurisdiction;
  department(code: string): Department;
  category(code: string): Category;
  /** A point well inside a Najin grid (纳金路6号骑手驿站). */
  najinPoint: { lat: number; lon: number };
  /** A point inside Zhaxi, the neighbouring subdistrict. */
  zhaxiPoint: { lat: number; lon: number };
  photo(username: string, label?: string): Promise<string>;
  report(username: string, overrides?: Partial<ReportInput>): Promise<string>;
  close(): Promise<void>;
}

let photoCounter = 0;

export async function buildWorld(dialect: DialectUnderTest, start = '2025-05-07T13:00:00.000Z', options: ServiceOptions = {}): Promise<World> {
  const database = await freshDatabase(dialect);
  const clock = new ManualClock(start);
  const services = buildServices(database, { clock, mediaStore: new MemoryMediaStore(), ...options });
  await seedReference(database, clock.now().toISOString());
  services.ctx.invalidate();
  const reference = services.ctx.uow.autocommit.reference;
  const [units, departments, categories] = await Promise.all([reference.jurisdictions(), reference.departments(), reference.categories()]);
  const unit = (code: string) => units.find((u) => u.code === code) ?? fail(`no unit ${code}`);
  const department = (code: string) => departments.find((d) => d.code === code) ?? fail(`no department ${code}`);
  const category = (code: string) => categories.find((c) => c.code === code) ?? fail(`no category ${code}`);

  const users = new Map<string, User>();
  for (const s of STAFF) {
    users.set(
      s.username,
      await services.auth.addUser({
        username: s.username,
        password: PASSWORD,
        displayName: s.displayName,
        role: s.role,
        departmentId: s.departmentCode ? department(s.departmentCode).id : null,
        jurisdictionId: unit(s.jurisdictionCode).id,
        platform: s.platform ?? null,
        station: s.station ?? null,
      }),
    );
  }
  // Riders: two of Najin's, one of Zhaxi's, and one with no home subdistrict yet.
  for (const [username, name, phone, home] of [
    ['solang', '索朗', '13812345678', NAJIN_CODE],
    ['tenzin', '丹增', '13987654321', NAJIN_CODE],
    ['pema', '白玛', '13611112222', ZHAXI_CODE],
    ['lobsang', '洛桑', '13533334444', null],
  ] as const) {
    users.set(username, await services.auth.addUser({ username, password: PASSWORD, displayName: name, role: 'reporter', phone, jurisdictionId: home ? unit(home).id : null }));
  }
  const app = await buildApp({ database, services });
  const zhaxi = unit(ZHAXI_CODE);
  const zhaxiGrid = units.find((u) => u.level === 'grid' && u.path.startsWith(`${zhaxi.path}/`))!;
  const as = (username: string) => services.ctx.principal(users.get(username) ?? fail(`no user ${username}`));
  const photo = async (username: string, label = `photo ${++photoCounter}`) => (await services.media.upload(await as(username), demoPhoto(label))).id;
  return {
    database,
    clock,
    services,
    app,
    users,
    as,
    unit,
    department,
    category,
    najinPoint: { lat: 29.6489, lon: 91.1548 },
    zhaxiPoint: centreOf(zhaxiGrid),
    photo,
    async report(username, overrides = {}) {
      const principal = await as(username);
      const input: ReportInput = {
        categoryId: category('01-003').id,
        description: '井盖破了一个大洞',
        lat: 29.6489,
        lon: 91.1548,
        media: [await photo(username)],
        ...overrides,
      };
      return (await services.reports.report(principal, input)).caseId;
    },
    async close() {
      await app.close();
      await database.drop();
    },
  };
}

function centreOf(unit: Jurisdiction): { lat: number; lon: number } {
  const ring = unit.geometry!.type === 'Polygon' ? unit.geometry!.coordinates[0]! : unit.geometry!.coordinates[0]![0]!;
  const lons = ring.map((p) => p[0]!);
  const lats = ring.map((p) => p[1]!);
  return { lon: (Math.min(...lons) + Math.max(...lons)) / 2, lat: (Math.min(...lats) + Math.max(...lats)) / 2 };
}

function fail(message: string): never {
  throw new Error(message);
}
