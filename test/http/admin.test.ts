// Administration over HTTP: adding users (admin only) and running the deadline sweep (supervisor, admin).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAJIN_CODE } from '../../src/seed/najin-data.js';
import { DIALECTS } from '../support/db.js';
import { buildWorld, type World } from '../support/world.js';
import { Api, expectError, type CaseJson, type LoginJson } from './support.js';

interface UserJson {
  id: string;
  username: string;
  displayName: string;
  role: string;
  phone: string | null;
  departmentId: string | null;
  jurisdictionId: string | null;
  locale: string;
  active: boolean;
}

describe.each(DIALECTS)('admin over HTTP ($name)', (dialect) => {
  let world: World;
  let api: Api;

  beforeAll(async () => {
    world = await buildWorld(dialect);
    api = new Api(world);
    await api.loginAll(['admin', 'dispatcher', 'supervisor', 'solang', 'municipal']);
  });
  afterAll(() => world?.close());

  const newUser = (overrides: Record<string, unknown> = {}) => ({
    username: 'pasang',
    password: 'a-long-enough-password',
    displayName: '巴桑',
    role: 'reporter',
    phone: '13800001111',
    ...overrides,
  });
  const addUser = (who: string, body: unknown) => api.post(who, '/api/v1/admin/users', body as object);

  it('lets the admin add a user: 201, no password in the answer, and the user can log in', async () => {
    const res = await addUser('admin', newUser({ jurisdictionId: world.unit(NAJIN_CODE).id, locale: 'bo' }));
    expect(res.statusCode, res.body).toBe(201);
    const user = res.json<UserJson>();
    expect(user).toMatchObject({ username: 'pasang', displayName: '巴桑', role: 'reporter', phone: '13800001111', locale: 'bo', active: true });
    expect(res.body).not.toMatch(/password|hash|argon/i);

    const login = await world.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'pasang', password: 'a-long-enough-password' } });
    expect(login.statusCode).toBe(200);
    const { token, user: who } = login.json<LoginJson>();
    expect(who).toMatchObject({ id: user.id, username: 'pasang', role: 'reporter' });
    const me = await world.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect(me.json<{ locale: string }>().locale).toBe('bo');
  });

  it('adds staff with a department, who then sees their department’s work', async () => {
    const res = await addUser('admin', newUser({ username: 'municipal-2', role: 'handler', departmentId: world.department('nj-municipal').id, jurisdictionId: world.unit(NAJIN_CODE).id }));
    expect(res.statusCode, res.body).toBe(201);
    const token = await api.login('municipal-2', 'a-long-enough-password');
    expect(token.length).toBeGreaterThan(20);
    expect((await api.get('municipal-2', '/api/v1/cases')).statusCode).toBe(200);
  });

  it('refuses anyone but the admin: 403 role_not_allowed', async () => {
    for (const who of ['dispatcher', 'supervisor', 'solang', 'municipal']) {
      expectError(await addUser(who, newUser({ username: `by-${who}` })), 403, 'role_not_allowed');
    }
    expectError(await world.app.inject({ method: 'POST', url: '/api/v1/admin/users', payload: newUser({ username: 'anon' }) }), 401, 'unauthenticated');
    // None of them was created.
    const login = await world.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'by-dispatcher', password: 'a-long-enough-password' } });
    expectError(login, 401, 'invalid_credentials');
  });

  it('refuses a username that is taken: 400 username_taken', async () => {
    expectError(await addUser('admin', newUser({ username: 'dispatcher' })), 400, 'username_taken', 'username');
    expectError(await addUser('admin', newUser({ username: 'solang' })), 400, 'username_taken', 'username');
  });

  it.each([
    ['a short password', { password: 'short' }, 'password'],
    ['a missing password', { password: undefined }, 'password'],
    ['a one-letter username', { username: 'x' }, 'username'],
    ['a missing display name', { displayName: undefined }, 'displayName'],
    ['an unknown role', { role: 'overlord' }, 'role'],
    ['a malformed phone', { phone: 'call me maybe' }, 'phone'],
    ['an unknown locale', { locale: 'fr' }, 'locale'],
  ])('refuses %s: 400 validation_failed naming the field', async (_name, overrides, field) => {
    expectError(await addUser('admin', newUser({ username: `u-${field}`, ...overrides })), 400, 'validation_failed', field);
  });

  it('refuses usernames with spaces or symbols and unknown departments: 400 naming the field', async () => {
    expectError(await addUser('admin', newUser({ username: 'has space' })), 400, 'invalid_username', 'username');
    expectError(await addUser('admin', newUser({ username: 'drop;table' })), 400, 'invalid_username', 'username');
    expectError(await addUser('admin', newUser({ username: 'ghost-dept', departmentId: 'no-such-department' })), 400, 'department_not_found', 'departmentId');
    expectError(await addUser('admin', newUser({ username: 'ghost-unit', jurisdictionId: 'no-such-unit' })), 400, 'jurisdiction_not_found', 'jurisdictionId');
  });

  it('accepts Chinese usernames and Tibetan display names', async () => {
    const zh = await addUser('admin', newUser({ username: '索朗次仁', displayName: 'བསོད་ནམས་རྡོ་རྗེ 🚴' }));
    expect(zh.statusCode, zh.body).toBe(201);
    expect(zh.json<UserJson>()).toMatchObject({ username: '索朗次仁', displayName: 'བསོད་ནམས་རྡོ་རྗེ 🚴' });
  });

  // The username rule allows \p{L} and \p{N} but not combining marks (\p{M}), and Tibetan vowel signs
  // are combining marks: almost every Tibetan name is refused while Chinese ones pass.
  it('accepts a Tibetan username (letters with vowel signs)', async () => {
    const res = await addUser('admin', newUser({ username: 'བསོདནམས', displayName: 'བསོད་ནམས' }));
    expect(res.statusCode, res.body).toBe(201);
  });

  it('runs the sweep for a supervisor or admin: 200 {alerted, reminded, supervised, uploadsExpired}', async () => {
    for (const who of ['supervisor', 'admin']) {
      const res = await api.post(who, '/api/v1/admin/sweep');
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{ alerted: number; reminded: number; supervised: number }>();
      expect(Object.keys(body).sort()).toEqual(['alerted', 'reminded', 'supervised', 'uploadsExpired']);
      expect(Number.isInteger(body.alerted) && Number.isInteger(body.reminded) && Number.isInteger(body.supervised)).toBe(true);
    }
  });

  it('refuses the sweep to riders, dispatchers and handlers: 403 role_not_allowed', async () => {
    for (const who of ['solang', 'dispatcher', 'municipal']) {
      expectError(await api.post(who, '/api/v1/admin/sweep'), 403, 'role_not_allowed');
    }
    expectError(await world.app.inject({ method: 'POST', url: '/api/v1/admin/sweep' }), 401, 'unauthenticated');
  });

  it('puts an overdue case under supervision once', async () => {
    const start = world.clock.now();
    try {
      const id = await world.report('solang', { urgency: 'emergency' });
      // Clear what was due before this case.
      await api.post('supervisor', '/api/v1/admin/sweep');
      world.clock.set(new Date(start.getTime() + 2 * 24 * 3_600_000));
      const first = (await api.post('supervisor', '/api/v1/admin/sweep')).json<{ reminded: number; supervised: number }>();
      expect(first.supervised).toBeGreaterThanOrEqual(1);
      const again = (await api.post('supervisor', '/api/v1/admin/sweep')).json<{ reminded: number; supervised: number }>();
      expect(again).toEqual({ alerted: 0, reminded: 0, supervised: 0, uploadsExpired: 0 });
      const c = (await api.get('dispatcher', `/api/v1/cases/${id}`)).json<CaseJson>();
      expect(c.overdue).toBe(true);
      expect(c.events?.map((e) => e.action)).toContain('supervise');
    } finally {
      world.clock.set(start);
    }
  });
});
