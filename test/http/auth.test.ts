// Logging in and out, bearer tokens and their expiry, through the HTTP API.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db.js';
import { PASSWORD, buildWorld, type World } from '../support/world.js';
import { Api, expectError, type LoginJson } from './support.js';

interface MeJson {
  id: string;
  username: string;
  role: string;
  departmentId: string | null;
  jurisdictionId: string | null;
  locale: string;
}

describe.each(DIALECTS)('auth over HTTP ($name)', (dialect) => {
  let world: World;
  let api: Api;

  beforeAll(async () => {
    world = await buildWorld(dialect);
    api = new Api(world);
  });
  afterAll(() => world?.close());

  const login = (payload: unknown) => world.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: payload as object });
  const me = (authorization?: string) => world.app.inject({ method: 'GET', url: '/api/v1/me', headers: authorization === undefined ? {} : { authorization } });

  it('logs in with username and password and returns a token, its expiry and the user', async () => {
    const res = await login({ username: 'dispatcher', password: PASSWORD });
    expect(res.statusCode).toBe(200);
    const body = res.json<LoginJson>();
    expect(body.token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(body.user).toEqual({ id: world.users.get('dispatcher')!.id, username: 'dispatcher', displayName: '拉巴次仁', role: 'dispatcher' });
    // Tokens last 7 days by default.
    expect(Date.parse(body.expiresAt) - world.clock.now().getTime()).toBe(7 * 24 * 3_600_000);
    expect(res.body).not.toMatch(/password/i);
  });

  it('gives a new token on every login', async () => {
    const a = (await login({ username: 'solang', password: PASSWORD })).json<LoginJson>().token;
    const b = (await login({ username: 'solang', password: PASSWORD })).json<LoginJson>().token;
    expect(a).not.toBe(b);
  });

  it('answers a wrong password and an unknown user alike: 401 invalid_credentials with the same message', async () => {
    const wrong = expectError(await login({ username: 'dispatcher', password: 'not-the-password' }), 401, 'invalid_credentials');
    const unknown = expectError(await login({ username: 'nobody-here', password: PASSWORD }), 401, 'invalid_credentials');
    expect(unknown.message).toBe(wrong.message);
    expect(unknown.field).toBeUndefined();
    expect(wrong.field).toBeUndefined();
  });

  it('does not match usernames loosely (case, spaces)', async () => {
    expectError(await login({ username: 'DISPATCHER', password: PASSWORD }), 401, 'invalid_credentials');
    expectError(await login({ username: ' dispatcher', password: PASSWORD }), 401, 'invalid_credentials');
  });

  it.each([
    ['username', { password: PASSWORD }],
    ['password', { username: 'dispatcher' }],
    ['username', { username: '', password: PASSWORD }],
    ['password', { username: 'dispatcher', password: '' }],
    ['username', { username: 'x'.repeat(65), password: PASSWORD }],
    ['password', { username: 'dispatcher', password: { guess: 1 } }],
  ])('rejects a login without a proper %s: 400 validation_failed naming it', async (field, payload) => {
    expectError(await login(payload), 400, 'validation_failed', field);
  });

  it('rejects a login with no body or a non-object body with 400', async () => {
    expectError(await world.app.inject({ method: 'POST', url: '/api/v1/auth/login' }), 400);
    expectError(await login([{ username: 'dispatcher', password: PASSWORD }]), 400, 'validation_failed');
  });

  it('opens /me with the token', async () => {
    const token = await api.login('municipal');
    const res = await me(`Bearer ${token}`);
    expect(res.statusCode).toBe(200);
    const body = res.json<MeJson>();
    expect(body).toMatchObject({ username: 'municipal', role: 'handler', departmentId: world.department('nj-municipal').id, locale: 'zh-CN' });
    // The scheme name is case-insensitive.
    expect((await me(`bearer ${token}`)).statusCode).toBe(200);
  });

  it('answers 401 unauthenticated without a token or with another scheme', async () => {
    expectError(await me(), 401, 'unauthenticated');
    expectError(await me('Basic ZGlzcGF0Y2hlcjpwYXNz'), 401, 'unauthenticated');
    expectError(await me('Bearer'), 401, 'unauthenticated');
    expectError(await me(''), 401, 'unauthenticated');
    expectError(await world.app.inject({ method: 'GET', url: '/api/v1/cases' }), 401, 'unauthenticated');
    expectError(await world.app.inject({ method: 'POST', url: '/api/v1/reports', payload: {} }), 401, 'unauthenticated');
  });

  it('answers 401 invalid_token for a token it never issued', async () => {
    expectError(await me('Bearer not-a-real-token'), 401, 'invalid_token');
    expectError(await me(`Bearer ${'A'.repeat(4000)}`), 401, 'invalid_token');
    expectError(await me('Bearer 藏文令牌'), 401, 'invalid_token');
  });

  it('ends the session on logout: the token stops working, other sessions go on', async () => {
    const first = await api.login('urban');
    const second = (await login({ username: 'urban', password: PASSWORD })).json<LoginJson>().token;
    const out = await world.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${first}` } });
    expect(out.statusCode).toBe(204);
    expect(out.body).toBe('');
    expectError(await me(`Bearer ${first}`), 401, 'invalid_token');
    // Logging out twice is refused like any dead token.
    expectError(await world.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${first}` } }), 401, 'invalid_token');
    expect((await me(`Bearer ${second}`)).statusCode).toBe(200);
  });

  it('refuses logout without a token', async () => {
    expectError(await world.app.inject({ method: 'POST', url: '/api/v1/auth/logout' }), 401, 'unauthenticated');
  });

  it('lets a token expire after 7 days', async () => {
    const start = world.clock.now();
    try {
      const res = await login({ username: 'tenzin', password: PASSWORD });
      const { token, expiresAt } = res.json<LoginJson>();
      world.clock.set(new Date(Date.parse(expiresAt) - 60_000));
      expect((await me(`Bearer ${token}`)).statusCode).toBe(200);
      world.clock.set(new Date(start.getTime() + 7 * 24 * 3_600_000 + 60_000));
      expectError(await me(`Bearer ${token}`), 401, 'invalid_token');
      // A fresh login works again.
      const again = (await login({ username: 'tenzin', password: PASSWORD })).json<LoginJson>().token;
      expect((await me(`Bearer ${again}`)).statusCode).toBe(200);
    } finally {
      world.clock.set(start);
    }
  });
});
