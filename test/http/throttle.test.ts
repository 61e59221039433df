// Throttling over HTTP: login lockouts per account and per address, rate limits per reporter, on
// expensive reads and on public endpoints, all answering 429 with Retry-After and a stable code; an
// administrator lifts lockouts; the state is shared by two app instances on one PostgreSQL database.

import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { MemoryMediaStore } from '../../src/media/memory.js';
import { buildServices, type Services } from '../../src/compose.js';
import type { ThrottleRules } from '../../src/services/throttle.service.js';
import { connect, type Database } from '../../src/storage/db.js';
import { DIALECTS } from '../support/db.js';
import { PASSWORD, buildWorld, type World } from '../support/world.js';
import { Api, expectError, type CaseJson } from './support.js';

// Count password verifications: a refused login must cost no argon2 work.
const argon = vi.hoisted(() => ({ verifies: 0 }));
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const real = await importOriginal<typeof import('@node-rs/argon2')>();
  return {
    ...real,
    verify: (...args: Parameters<typeof real.verify>) => {
      argon.verifies++;
      return real.verify(...args);
    },
  };
});

/** Small limits so that each rule is reached in a few requests. */
const RULES: Partial<ThrottleRules> = {
  loginAccount: { limit: 5, windowS: 15 * 60 },
  lockoutS: 15 * 60,
  loginAddress: { limit: 8, windowS: 15 * 60 },
  report: { limit: 3, windowS: 60 },
  read: { limit: 4, windowS: 60 },
  public: { limit: 3, windowS: 60 },
};

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

interface Instance {
  app: FastifyInstance;
  services: Services;
  api: Api;
  logs: LogLine[];
  close(): Promise<void>;
}

async function instance(world: World, database: Database = world.database, options: { trustProxy?: boolean } = {}): Promise<Instance> {
  const logs: LogLine[] = [];
  const services = buildServices(database, { clock: world.clock, mediaStore: new MemoryMediaStore(), throttle: RULES });
  const app = await buildApp({ database, services, logLevel: 'info', logStream: { write: (line) => void logs.push(JSON.parse(line) as LogLine) }, ...options });
  return { app, services, api: new Api({ ...world, app }), logs, close: () => app.close() };
}

/** The standard 429: status, code, Retry-After in whole seconds equal to details.retryAfterS. */
function expect429(res: LightMyRequestResponse, code: string, retryAfterS?: number): number {
  const error = expectError(res, 429, code);
  const header = res.headers['retry-after'];
  expect(header, 'Retry-After').toMatch(/^\d+$/);
  expect(error.details?.retryAfterS).toBe(Number(header));
  if (retryAfterS !== undefined) expect(Number(header)).toBe(retryAfterS);
  expect(Number(header)).toBeGreaterThan(0);
  return Number(header);
}

describe.each(DIALECTS)('throttling over HTTP ($name)', (dialect) => {
  let world: World;
  let one: Instance;

  beforeAll(async () => {
    world = await buildWorld(dialect);
    one = await instance(world);
  });
  afterAll(async () => {
    await one?.close();
    await world?.close();
  });
  // Every test starts after every window and lockout of the one before has run out.
  beforeEach(() => {
    world.clock.advance(60);
  });

  const login = (app: FastifyInstance, username: string, password: string, remoteAddress = '10.0.0.1') =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, remoteAddress });

  async function reportBody(username: string) {
    return { categoryId: world.category('01-003').id, description: '井盖破了', lat: world.najinPoint.lat, lon: world.najinPoint.lon, media: [await world.photo(username)] };
  }

  describe('login', () => {
    it('reproduction: 200 wrong passwords lock the account; the right one is then refused with 429 account_locked, with no password work', async () => {
      // The default rules (10 failures / 15 min, 15 min lockout) on the world's own app.
      const before = argon.verifies;
      const codes: number[] = [];
      for (let i = 0; i < 200; i++) codes.push((await login(world.app, 'zx-dispatcher', `wrong-${i}`, '127.0.0.1')).statusCode);
      expect(codes.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(codes.slice(10)).toEqual(Array(190).fill(429));
      expect(argon.verifies - before).toBe(10);
      const right = await login(world.app, 'zx-dispatcher', PASSWORD, '127.0.0.1');
      expect429(right, 'account_locked', 15 * 60);
      expect(argon.verifies - before).toBe(10);
      expect(right.body).not.toMatch(/token/);
    });

    it('locks an account after 5 failures: the right password is refused until the lockout ends, and both are logged without the password', async () => {
      for (let i = 0; i < 5; i++) expectError(await login(one.app, 'dispatcher', `guess-${i}-secret`), 401, 'invalid_credentials');
      const verified = argon.verifies;
      const locked = await login(one.app, 'dispatcher', PASSWORD);
      expect429(locked, 'account_locked', 15 * 60);
      expect(argon.verifies).toBe(verified);

      const failures = one.logs.filter((l) => l.msg === 'login failed' && l.username === 'dispatcher');
      expect(failures).toHaveLength(5);
      expect(failures.map((l) => l.address)).toEqual(Array(5).fill('10.0.0.1'));
      const warnings = one.logs.filter((l) => l.level === 40 && l.username === 'dispatcher');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ msg: expect.stringMatching(/locked/), address: '10.0.0.1', failures: 5, until: new Date(world.clock.now().getTime() + 15 * 60_000).toISOString() });
      const all = JSON.stringify(one.logs);
      expect(all).not.toMatch(/guess-\d-secret/);
      expect(all).not.toContain(PASSWORD);

      world.clock.advance(14);
      expect429(await login(one.app, 'dispatcher', PASSWORD), 'account_locked', 60);
      world.clock.advance(1);
      expect((await login(one.app, 'dispatcher', PASSWORD)).statusCode).toBe(200);
    });

    it('does not count successful logins', async () => {
      for (let i = 0; i < 4; i++) expectError(await login(one.app, 'urban', 'wrong'), 401, 'invalid_credentials');
      for (let i = 0; i < 8; i++) expect((await login(one.app, 'urban', PASSWORD)).statusCode).toBe(200);
      expectError(await login(one.app, 'urban', 'wrong'), 401, 'invalid_credentials');
      expect429(await login(one.app, 'urban', PASSWORD), 'account_locked');
    });

    it('locks an unknown username like a real one (lockouts do not tell which accounts exist)', async () => {
      for (let i = 0; i < 5; i++) expectError(await login(one.app, 'ghost', 'wrong', '10.0.0.2'), 401, 'invalid_credentials');
      expect429(await login(one.app, 'ghost', 'wrong', '10.0.0.2'), 'account_locked');
      const admin = await one.api.login('admin');
      const list = (await one.app.inject({ method: 'GET', url: '/api/v1/admin/lockouts', headers: { authorization: `Bearer ${admin}` } })).json<{ items: { username: string; known: boolean }[] }>();
      expect(list.items).toContainEqual(expect.objectContaining({ username: 'ghost', known: false }));
    });

    it('refuses an address after 8 failures across accounts with 429 too_many_login_attempts, before reading the body; other addresses go on', async () => {
      for (let i = 0; i < 8; i++) expectError(await login(one.app, `nobody-${i}`, 'wrong', '10.0.0.8'), 401, 'invalid_credentials');
      const verified = argon.verifies;
      expect429(await login(one.app, 'supervisor', PASSWORD, '10.0.0.8'), 'too_many_login_attempts', 15 * 60);
      // Refused in onRequest: a body that would be a 400 is never parsed.
      expect429(await one.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: '{not json', headers: { 'content-type': 'application/json' }, remoteAddress: '10.0.0.8' }), 'too_many_login_attempts');
      expect(argon.verifies).toBe(verified);
      expect((await login(one.app, 'supervisor', PASSWORD, '10.0.0.9')).statusCode).toBe(200);
      world.clock.advance(15);
      expect((await login(one.app, 'supervisor', PASSWORD, '10.0.0.8')).statusCode).toBe(200);
    });

    it('never lets more concurrent guesses through than the limit', async () => {
      const before = argon.verifies;
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => login(one.app, 'regulator', `parallel-${i}`, '10.0.0.20')));
      const codes = results.map((r) => r.statusCode).sort();
      expect(codes.filter((c) => c === 401)).toHaveLength(5);
      expect(codes.filter((c) => c === 429)).toHaveLength(15);
      expect(argon.verifies - before).toBe(5);
      expect429(await login(one.app, 'regulator', PASSWORD, '10.0.0.21'), 'account_locked');
    });
  });

  describe('lockouts for administrators', () => {
    it('lists current lockouts and lifts one: 204, logged, and the account logs in again', async () => {
      for (let i = 0; i < 5; i++) await login(one.app, 'municipal', 'wrong', '10.0.0.5');
      const admin = await one.api.login('admin');
      const auth = { authorization: `Bearer ${admin}` };
      const list = await one.app.inject({ method: 'GET', url: '/api/v1/admin/lockouts', headers: auth });
      expect(list.statusCode).toBe(200);
      expect(list.json<{ items: unknown[] }>().items).toEqual([
        { username: 'municipal', until: new Date(world.clock.now().getTime() + 15 * 60_000).toISOString(), failures: 5, lastAddress: '10.0.0.5', known: true },
      ]);
      expect429(await login(one.app, 'municipal', PASSWORD), 'account_locked');

      const lifted = await one.app.inject({ method: 'DELETE', url: '/api/v1/admin/lockouts/municipal', headers: auth });
      expect(lifted.statusCode).toBe(204);
      expect(lifted.body).toBe('');
      expect(one.logs.filter((l) => l.level === 40 && /lifted/.test(l.msg))).toContainEqual(expect.objectContaining({ username: 'municipal', by: 'admin', wasLocked: true }));
      expect((await one.app.inject({ method: 'GET', url: '/api/v1/admin/lockouts', headers: auth })).json<{ items: unknown[] }>().items).toEqual([]);
      const doc = (await one.app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
      expect(Object.keys(doc.paths['/api/v1/admin/lockouts/{username}'] ?? {})).toContain('delete');
      expect((await login(one.app, 'municipal', PASSWORD)).statusCode).toBe(200);
      // Lifting again is harmless.
      expect((await one.app.inject({ method: 'DELETE', url: '/api/v1/admin/lockouts/municipal', headers: auth })).statusCode).toBe(204);
    });

    it('answers 404 for an unknown user, 403 for anyone but an admin (before any body), 401 without a token', async () => {
      const admin = await one.api.login('admin');
      expectError(await one.app.inject({ method: 'DELETE', url: '/api/v1/admin/lockouts/no-such-user', headers: { authorization: `Bearer ${admin}` } }), 404, 'user_not_found');
      const dispatcher = await one.api.login('dispatcher');
      const asDispatcher = { authorization: `Bearer ${dispatcher}` };
      expectError(await one.app.inject({ method: 'GET', url: '/api/v1/admin/lockouts', headers: asDispatcher }), 403, 'role_not_allowed');
      expectError(await one.app.inject({ method: 'DELETE', url: '/api/v1/admin/lockouts/municipal', headers: asDispatcher }), 403, 'role_not_allowed');
      expectError(await one.app.inject({ method: 'DELETE', url: '/api/v1/admin/lockouts/municipal', headers: { ...asDispatcher, 'content-type': 'application/json' }, payload: '{broken' }), 403, 'role_not_allowed');
      expectError(await one.app.inject({ method: 'GET', url: '/api/v1/admin/lockouts' }), 401, 'unauthenticated');
    });
  });

  describe('rate limits', () => {
    it('limits report intake per reporter: the 4th report in a minute is 429 rate_limited before its body is read; others go on; a minute later it is accepted', async () => {
      await one.api.loginAll(['solang', 'tenzin']);
      const bodies = await Promise.all([1, 2, 3, 4, 5].map(() => reportBody('solang')));
      for (const body of bodies.slice(0, 3)) expect((await one.api.post('solang', '/api/v1/reports', body)).statusCode).toBe(201);
      const cases = (await world.database.db.selectFrom('cases').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
      const refused = await one.api.post('solang', '/api/v1/reports', bodies[3]!);
      expect429(refused, 'rate_limited', 60);
      expect(refused.json<{ error: { details: Record<string, unknown> } }>().error.details).toEqual({ retryAfterS: 60, rule: 'report' });
      expect429(await one.api.post('solang', '/api/v1/reports', '{broken', { 'content-type': 'application/json' }), 'rate_limited');
      expect((await world.database.db.selectFrom('cases').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n).toBe(cases);
      expect((await one.api.post('tenzin', '/api/v1/reports', await reportBody('tenzin'))).statusCode).toBe(201);
      world.clock.advance(0.5);
      expect429(await one.api.post('solang', '/api/v1/reports', bodies[3]!), 'rate_limited', 30);
      world.clock.advance(0.5);
      const again = await one.api.post('solang', '/api/v1/reports', bodies[4]!);
      expect(again.statusCode, again.body).toBe(201);
      expect(again.json<CaseJson>().status).toBe('reported');
    });

    it('limits expensive reads per user, one budget across the list, the map, nearby cases and my reports; other routes and users go on', async () => {
      await one.api.loginAll(['dispatcher', 'solang']);
      const reads = [
        '/api/v1/cases?pageSize=5',
        '/api/v1/map/cases?bbox=91.10,29.60,91.20,29.70&zoom=12',
        `/api/v1/reports/nearby?lat=${world.najinPoint.lat}&lon=${world.najinPoint.lon}&categoryId=${world.category('01-003').id}`,
        '/api/v1/me/reports',
      ];
      for (const url of reads) {
        const res = await one.api.get('dispatcher', url);
        expect(res.statusCode, `${url}: ${res.body.slice(0, 200)}`).toBe(200);
      }
      for (const url of reads) expect429(await one.api.get('dispatcher', url), 'rate_limited', 60);
      expect((await one.api.get('dispatcher', '/api/v1/categories')).statusCode).toBe(200);
      expect((await one.api.get('solang', '/api/v1/me/reports')).statusCode).toBe(200);
      world.clock.advance(1);
      for (const url of reads) expect((await one.api.get('dispatcher', url)).statusCode, url).toBe(200);
    });

    it('limits public endpoints per address', async () => {
      const url = '/api/v1/public/media/01a00000-0000-7000-8000-000000000000';
      const get = (remoteAddress: string, headers: Record<string, string> = {}) => one.app.inject({ method: 'GET', url, remoteAddress, headers });
      for (let i = 0; i < 2; i++) expectError(await get('203.0.113.7'), 404, 'media_not_found');
      // The HEAD route Fastify adds for a GET carries the rule once, like its GET.
      expect((await one.app.inject({ method: 'HEAD', url, remoteAddress: '203.0.113.7' })).statusCode).toBe(404);
      expect429(await get('203.0.113.7'), 'rate_limited', 60);
      // X-Forwarded-For is not believed unless TRUST_PROXY says so.
      expect429(await get('203.0.113.7', { 'x-forwarded-for': '198.51.100.1' }), 'rate_limited');
      expectError(await get('203.0.113.8'), 404, 'media_not_found');
      world.clock.advance(1);
      expectError(await get('203.0.113.7'), 404, 'media_not_found');
    });

    it('counts the forwarded client address behind a trusted proxy (TRUST_PROXY)', async () => {
      const proxied = await instance(world, world.database, { trustProxy: true });
      try {
        const url = '/api/v1/public/media/01a00000-0000-7000-8000-000000000001';
        const get = (client: string) => proxied.app.inject({ method: 'GET', url, remoteAddress: '10.9.9.9', headers: { 'x-forwarded-for': client } });
        for (let i = 0; i < 3; i++) expectError(await get('198.51.100.10'), 404);
        expect429(await get('198.51.100.10'), 'rate_limited');
        expectError(await get('198.51.100.11'), 404);
      } finally {
        await proxied.close();
      }
    });
  });

  describe.runIf(dialect.name === 'postgres')('two processes on one database', () => {
    let two: Instance;
    let second: Database;

    beforeAll(async () => {
      // A second process: its own pool, services and app on the same schema.
      const { rows } = await sql<{ current_schema: string }>`select current_schema()`.execute(world.database.db);
      second = connect(dialect.url, { schema: rows[0]!.current_schema, poolSize: 5 });
      two = await instance(world, second);
    });
    afterAll(async () => {
      await two?.close();
      await second?.close();
    });

    it('enforces a lockout reached through one instance in the other, and a lift through either', async () => {
      for (let i = 0; i < 5; i++) expectError(await login(i % 2 ? one.app : two.app, 'community1', 'wrong'), 401, 'invalid_credentials');
      expect429(await login(two.app, 'community1', PASSWORD), 'account_locked');
      expect429(await login(one.app, 'community1', PASSWORD), 'account_locked');
      const admin = await two.api.login('admin');
      expect((await two.app.inject({ method: 'DELETE', url: '/api/v1/admin/lockouts/community1', headers: { authorization: `Bearer ${admin}` } })).statusCode).toBe(204);
      expect((await login(one.app, 'community1', PASSWORD)).statusCode).toBe(200);
    });

    it('shares report limits: concurrent reports through both instances never pass the limit', async () => {
      await one.api.login('pema');
      two.api.tokens.set('pema', one.api.token('pema'));
      const bodies = await Promise.all(Array.from({ length: 10 }, () => reportBody('pema')));
      const results = await Promise.all(bodies.map((body, i) => (i % 2 ? one : two).api.post('pema', '/api/v1/reports', body)));
      expect(results.filter((r) => r.statusCode === 201)).toHaveLength(3);
      expect(results.filter((r) => r.statusCode === 429)).toHaveLength(7);
      expect429(await one.api.post('pema', '/api/v1/reports', bodies[0]!), 'rate_limited');
      expect429(await two.api.post('pema', '/api/v1/reports', bodies[0]!), 'rate_limited');
    });
  });
});
