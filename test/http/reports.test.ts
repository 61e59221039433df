// POST /api/v1/reports: creating a case, idempotent retries, and input validation with the field named.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPhoto } from '../../src/seed/demo.js';
import { DIALECTS } from '../support/db.js';
import { buildWorld, type World } from '../support/world.js';
import { Api, expectError, type CaseJson, type MediaJson, type PageJson } from './support.js';

describe.each(DIALECTS)('POST /api/v1/reports ($name)', (dialect) => {
  let world: World;
  let api: Api;
  let photoId: string;
  let other: string; // category 07-999 "other": no photo needed
  let manhole: string; // category 01-003: a photo is needed

  beforeAll(async () => {
    world = await buildWorld(dialect);
    api = new Api(world);
    await api.loginAll(['solang', 'tenzin', 'dispatcher']);
    const uploaded = await api.upload('solang', demoPhoto('reports test'));
    expect(uploaded.statusCode).toBe(201);
    photoId = uploaded.json<MediaJson>().id;
    other = world.category('07-999').id;
    manhole = world.category('01-003').id;
  });
  afterAll(() => world?.close());

  let n = 0;
  const body = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    categoryId: other,
    description: `纳金路边有问题 ${++n}`,
    lat: world.najinPoint.lat,
    lon: world.najinPoint.lon,
    ...overrides,
  });
  const report = (payload: unknown, headers: Record<string, string> = {}, who = 'solang') => api.post(who, '/api/v1/reports', payload as object, headers);

  it('creates a case: 201, Location header and the case as the rider sees it', async () => {
    const payload = body({ categoryId: manhole, description: '井盖破了一个大洞', address: '纳金路6号', urgency: 'emergency', media: [photoId], channel: 'wechat' });
    const res = await report(payload);
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json<CaseJson>();
    expect(res.headers.location).toBe(`/api/v1/cases/${created.id}`);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(created).toMatchObject({
      status: 'reported',
      statusText: '已上报,等待受理',
      category: { id: manhole, code: '01-003' },
      urgency: 'emergency',
      description: '井盖破了一个大洞',
      address: '纳金路6号',
      location: { lat: world.najinPoint.lat, lon: world.najinPoint.lon, coordSys: 'wgs84' },
      media: [photoId],
      canRate: false,
      canReopen: false,
    });
    expect(created.ref).toMatch(/^20250507-\d{4}$/);
    // The receipt is the rider's plain-words view: what they reported, no staff clocks or events.
    expect((created as unknown as { timeline: { action: string }[] }).timeline.map((t) => t.action)).toEqual(['report']);
    expect(created.clocks).toBeUndefined();
    expect(created.events).toBeUndefined();
    // The Location header leads to the same case.
    const fetched = await api.get('solang', res.headers.location as string);
    expect(fetched.statusCode).toBe(200);
    expect(fetched.json<CaseJson>().id).toBe(created.id);
  });

  it('defaults urgency to the category and the channel to app', async () => {
    const res = await report(body({ categoryId: manhole, media: [photoId] }));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<CaseJson>().urgency).toBe(world.category('01-003').defaultUrgency);
  });

  it('replays a retry with the same Idempotency-Key: 200, idempotent-replayed and the same case', async () => {
    const payload = body();
    const first = await report(payload, { 'idempotency-key': 'solang-retry-1' });
    expect(first.statusCode).toBe(201);
    const retry = await report(payload, { 'idempotency-key': 'solang-retry-1' });
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.json<CaseJson>().id).toBe(first.json<CaseJson>().id);
    // Exactly one case was created.
    const mine = (await api.get('solang', '/api/v1/me/reports?pageSize=100')).json<PageJson<CaseJson>>();
    expect(mine.items.filter((c) => c.description === payload.description)).toHaveLength(1);
  });

  it('treats body clientKey like the Idempotency-Key header', async () => {
    const payload = body({ clientKey: 'offline-queue-42' });
    const first = await report(payload);
    expect(first.statusCode).toBe(201);
    const retry = await report(payload);
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json<CaseJson>().id).toBe(first.json<CaseJson>().id);
    // The header and the body key name the same key.
    const { clientKey: _key, ...withoutKey } = payload;
    const viaHeader = await report(withoutKey, { 'idempotency-key': 'offline-queue-42' });
    expect(viaHeader.statusCode).toBe(200);
    expect(viaHeader.json<CaseJson>().id).toBe(first.json<CaseJson>().id);
  });

  it('refuses the same key for a different request: 409 idempotency_key_reused', async () => {
    const first = await report(body(), { 'idempotency-key': 'solang-reused' });
    expect(first.statusCode).toBe(201);
    expectError(await report(body(), { 'idempotency-key': 'solang-reused' }), 409, 'idempotency_key_reused');
  });

  it('keeps idempotency keys per user: the same key from another rider is a new report', async () => {
    const payload = body();
    const a = await report(payload, { 'idempotency-key': 'shared-key' }, 'solang');
    const b = await report(payload, { 'idempotency-key': 'shared-key' }, 'tenzin');
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.json<CaseJson>().id).not.toBe(a.json<CaseJson>().id);
  });

  it.each<[string, Record<string, unknown> | ((b: Record<string, unknown>) => Record<string, unknown>), string]>([
    ['missing categoryId', (b) => omit(b, 'categoryId'), 'categoryId'],
    ['empty categoryId', { categoryId: '' }, 'categoryId'],
    ['empty description', { description: '' }, 'description'],
    ['description over 2000 characters', { description: '长'.repeat(2001) }, 'description'],
    ['missing lat', (b) => omit(b, 'lat'), 'lat'],
    ['missing lon', (b) => omit(b, 'lon'), 'lon'],
    ['lat 91', { lat: 91 }, 'lat'],
    ['lat -90.0001', { lat: -90.0001 }, 'lat'],
    ['lon -181', { lon: -181 }, 'lon'],
    ['lon 180.5', { lon: 180.5 }, 'lon'],
    ["lat 'abc'", { lat: 'abc' }, 'lat'],
    ['lat as an object', { lat: { deg: 29 } }, 'lat'],
    ["urgency 'panic'", { urgency: 'panic' }, 'urgency'],
    ["channel 'carrier-pigeon'", { channel: 'carrier-pigeon' }, 'channel'],
    ['media with 101 ids', { media: Array.from({ length: 101 }, (_, i) => `m${i}`) }, 'media'],
    ['media as an object', { media: { first: 'x' } }, 'media'],
    ['a media id of 65 characters', { media: ['m'.repeat(65)] }, 'media.0'],
    ['address over 300 characters', { address: 'a'.repeat(301) }, 'address'],
    ['clientKey over 128 characters', { clientKey: 'k'.repeat(129) }, 'clientKey'],
  ])('rejects %s: 400 validation_failed naming the field', async (_name, change, field) => {
    const payload = typeof change === 'function' ? change(body()) : body(change);
    expectError(await report(payload), 400, 'validation_failed', field);
  });

  it('rejects a report with no words and nothing attached: 400 description_required', async () => {
    expectError(await report(body({ description: ' \n\t ' })), 400, 'description_required', 'description');
    expectError(await report(omit(body(), 'description')), 400, 'description_required', 'description');
  });

  it('takes a report whose photo says it all: no description, stored as none', async () => {
    const media = await world.photo('solang');
    const res = await report({ ...omit(body(), 'description'), media: [media] });
    expect(res.statusCode).toBe(201);
    expect(res.json<{ description: string; media: string[] }>()).toMatchObject({ description: '', media: [media] });
  });

  it('rejects an unknown category: 400 category_not_found naming categoryId', async () => {
    expectError(await report(body({ categoryId: 'no-such-category' })), 400, 'category_not_found', 'categoryId');
  });

  it('rejects media that do not exist or belong to someone else', async () => {
    expectError(await report(body({ media: ['no-such-media'] })), 400, 'media_not_found', 'media');
    expectError(await report(body({ media: [photoId] }), {}, 'tenzin'), 400, 'media_not_yours', 'media');
  });

  it('requires evidence where the category does: 400 media_required', async () => {
    expectError(await report(body({ categoryId: manhole })), 400, 'media_required', 'media');
  });

  it('rejects a point far from every area from a rider with no home subdistrict: 400 location_outside_service_area naming location', async () => {
    await api.login('lobsang');
    expectError(await report(body({ lat: 39.9042, lon: 116.4074 }), {}, 'lobsang'), 400, 'location_outside_service_area', 'location');
    expectError(await report(body({ lat: 0, lon: 0 }), {}, 'lobsang'), 400, 'location_outside_service_area', 'location');
  });

  // Unknown properties end up in the append-only report event ("submitted" data) and in the
  // idempotency hash; the error handler already names `additionalProperty`, so they should be refused.
  it('rejects unknown extra properties: 400 naming the property', async () => {
    expectError(await report(body({ reporterId: world.users.get('tenzin')!.id })), 400, 'validation_failed', 'reporterId');
    expectError(await report(body({ status: 'closed' })), 400, 'validation_failed', 'status');
  });

  // A phone without a GPS fix sends null; Ajv's type coercion turns null into 0 and the report is
  // placed at (0, 0) and refused as "outside the service area" instead of "lat is missing".
  it('rejects null coordinates as invalid lat/lon, not as a point at (0, 0)', async () => {
    expectError(await report(body({ lat: null })), 400, 'validation_failed', 'lat');
    expectError(await report(body({ lat: null, lon: null })), 400, 'validation_failed', /^(lat|lon)$/);
  });

  it('answers malformed JSON with 400, not 500', async () => {
    const res = await api.post('solang', '/api/v1/reports', '{"categoryId": "x", "description": ', { 'content-type': 'application/json' });
    expectError(res, 400, /json/);
    const empty = await api.post('solang', '/api/v1/reports', '', { 'content-type': 'application/json' });
    expectError(empty, 400);
    const trailing = await api.post('solang', '/api/v1/reports', `${JSON.stringify(body())},`, { 'content-type': 'application/json' });
    expectError(trailing, 400);
  });

  it('answers a non-object body with 400 and an unsupported content type with 415', async () => {
    expectError(await report([body()]), 400, 'validation_failed', 'body');
    expectError(await report('"just a string"', { 'content-type': 'application/json' }), 400, 'validation_failed');
    expectError(await report(42), 400, 'validation_failed');
    expectError(await api.post('solang', '/api/v1/reports', '<report/>', { 'content-type': 'application/xml' }), 415);
  });

  it('answers a body over the 1 MB limit with 413', async () => {
    expectError(await report(body({ description: 'x'.repeat(1_100_000) })), 413, /too_large/);
  });

  it('accepts Tibetan, Chinese and emoji text and returns it intact', async () => {
    const description = 'བཀྲ་ཤིས་བདེ་ལེགས། ལམ་སྒྲོན་མི་འབར། 纳金路路灯不亮 🚲🔥💡 👨‍👩‍👧';
    const address = 'ལྷ་ས་གྲོང་ཁྱེར། 纳金路6号 🏠';
    const res = await report(body({ description, address }));
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json<CaseJson>();
    expect(created.description).toBe(description);
    expect(created.address).toBe(address);
    const fetched = (await api.get('dispatcher', `/api/v1/cases/${created.id}`)).json<CaseJson>();
    expect(fetched.description).toBe(description);
    expect(fetched.address).toBe(address);
    expect(fetched.events?.[0]?.note).toBe(description);
  });

  it('accepts a description of exactly 2000 characters', async () => {
    const description = 'ཀ'.repeat(2000);
    const res = await report(body({ description }));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<CaseJson>().description).toBe(description);
  });
});

function omit(value: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _drop, ...rest } = value;
  return rest;
}
