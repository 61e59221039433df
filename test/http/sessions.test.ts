// Device sessions: a rider signs in once on a phone and stays signed in for months, sees where they are
// signed in, and ends a lost phone's session from another device; an administrator ends an account's
// sessions. Every session's last use is kept to the hour.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db.js';
import { buildWorld, PASSWORD, type World } from '../support/world.js';
import { Api, expectError } from './support.js';

interface SessionJson { id: string; device: string | null; createdAt: string; expiresAt: string; lastSeenAt: string | null; current?: boolean }
const DAY = 86_400_000;

describe.each(DIALECTS)('device sessions ($name)', (dialect) => {
  let world: World;
  let api: Api;

  beforeAll(async () => {
    world = await buildWorld(dialect);
    api = new Api(world);
    await api.login('admin');
  });
  afterAll(async () => world?.close());

  const login = async (username: string, device?: string) => {
    const res = await world.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: PASSWORD, ...(device ? { device } : {}) } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ token: string; expiresAt: string; sessionId: string }>();
  };
  const as = (token: string, method: 'GET' | 'DELETE', url: string) => world.app.inject({ method, url, headers: { authorization: `Bearer ${token}` } });

  it('keeps a phone signed in for 180 days, a plain sign-in for the token lifetime, and lists both with the caller marked', async () => {
    const now = world.clock.now().getTime();
    const phone = await login('solang', 'Redmi Note 12');
    const browser = await login('solang');
    expect(Date.parse(phone.expiresAt) - now).toBe(180 * DAY);
    expect(Date.parse(browser.expiresAt) - now).toBe(7 * DAY);
    const res = await as(phone.token, 'GET', '/api/v1/me/sessions');
    expect(res.statusCode).toBe(200);
    const items = res.json<{ items: SessionJson[] }>().items;
    const mine = items.find((s) => s.id === phone.sessionId)!;
    expect(mine).toMatchObject({ device: 'Redmi Note 12', current: true, lastSeenAt: world.clock.now().toISOString() });
    expect(items.find((s) => s.id === browser.sessionId)).toMatchObject({ device: null, current: false, lastSeenAt: null });
    expect(JSON.stringify(items)).not.toContain(phone.token);
  });

  it('notes a session’s use at most once an hour', async () => {
    const phone = await login('lobsang', 'Honor X7');
    const seen = async () => (await as(phone.token, 'GET', '/api/v1/me/sessions')).json<{ items: SessionJson[] }>().items.find((s) => s.id === phone.sessionId)!.lastSeenAt;
    const first = await seen();
    world.clock.advance(30);
    expect(await seen()).toBe(first);
    world.clock.advance(31);
    expect(await seen()).toBe(world.clock.now().toISOString());
  });

  it('ends a lost phone’s session from another device: that token stops working at once; not someone else’s', async () => {
    const lost = await login('solang', 'Old phone');
    const other = await login('solang', 'New phone');
    const stranger = await login('lobsang');
    expect((await as(lost.token, 'GET', '/api/v1/me')).statusCode).toBe(200);
    expectError(await as(stranger.token, 'DELETE', `/api/v1/me/sessions/${lost.sessionId}`), 404, 'session_not_found');
    expect((await as(other.token, 'DELETE', `/api/v1/me/sessions/${lost.sessionId}`)).statusCode).toBe(204);
    expectError(await as(lost.token, 'GET', '/api/v1/me'), 401);
    expectError(await as(other.token, 'DELETE', `/api/v1/me/sessions/${lost.sessionId}`), 404, 'session_not_found');
    expect((await as(other.token, 'GET', '/api/v1/me')).statusCode).toBe(200);
  });

  it('lets an administrator list and end every session of an account, and no one else', async () => {
    const a = await login('solang', 'Phone A');
    const b = await login('solang');
    const rider = world.users.get('solang')!.id;
    expectError(await as(a.token, 'GET', `/api/v1/admin/users/${rider}/sessions`), 403, 'role_not_allowed');
    expectError(await as(a.token, 'DELETE', `/api/v1/admin/users/${rider}/sessions`), 403, 'role_not_allowed');
    const listed = await api.get('admin', `/api/v1/admin/users/${rider}/sessions`);
    expect(listed.statusCode).toBe(200);
    expect(listed.json<{ items: SessionJson[] }>().items.map((s) => s.id)).toEqual(expect.arrayContaining([a.sessionId, b.sessionId]));
    const ended = await api.call('admin', 'DELETE', `/api/v1/admin/users/${rider}/sessions`);
    expect(ended.statusCode).toBe(200);
    expect(ended.json<{ ended: number }>().ended).toBeGreaterThanOrEqual(2);
    for (const token of [a.token, b.token]) expectError(await as(token, 'GET', '/api/v1/me'), 401);
    expect((await api.get('admin', `/api/v1/admin/users/${rider}/sessions`)).json<{ items: SessionJson[] }>().items).toEqual([]);
    expectError(await api.get('admin', '/api/v1/admin/users/no-such-user/sessions'), 404, 'user_not_found');
    // The account stays: the rider signs in again.
    expect((await login('solang', 'Phone A')).token).toBeTruthy();
  });

  it('refuses a device name that is not a name: 400 naming the field', async () => {
    const res = await world.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'solang', password: PASSWORD, device: 'x'.repeat(61) } });
    expectError(res, 400, 'validation_failed', 'device');
  });
});
