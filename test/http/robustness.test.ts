// Hostile and odd inputs: whatever a client sends, the API answers with a 4xx in the error format or
// does the right thing, and never fails with a 500. Text in any script comes back exactly as sent.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db.js';
import { buildWorld, type World } from '../support/world.js';
import { Api, expectError, expectNot500, type CaseJson, type ErrorJson, type PageJson } from './support.js';

describe.each(DIALECTS)('hostile input ($name)', (dialect) => {
  let world: World;
  let api: Api;
  let other: string;
  let caseId: string;

  beforeAll(async () => {
    world = await buildWorld(dialect);
    api = new Api(world);
    await api.loginAll(['solang', 'dispatcher', 'admin']);
    other = world.category('07-999').id;
    caseId = await world.report('solang', { categoryId: other, media: [], description: '原始描述' });
  });
  afterAll(() => world?.close());

  let n = 0;
  const body = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    categoryId: other,
    description: `robustness ${++n}`,
    lat: world.najinPoint.lat,
    lon: world.najinPoint.lon,
    ...overrides,
  });
  const report = (payload: unknown, headers: Record<string, string> = {}) => api.post('solang', '/api/v1/reports', payload as object, headers);
  const raw = (url: string, json: string, who = 'solang') => api.post(who, url, json, { 'content-type': 'application/json' });

  /** A 4xx in the standard error format. */
  const expectClientError = (res: Awaited<ReturnType<typeof report>>, what: string) => {
    expect(res.statusCode, `${what}: ${res.body.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
    expectNot500(res, what);
    expect(res.json<ErrorJson>().error.code, what).toEqual(expect.any(String));
  };

  it('keeps Tibetan, Chinese, emoji and combining text intact in reports and action notes', async () => {
    const texts = [
      'བོད་ཡིག་གི་ཚིག་རྐྱང་འདི་ཡིན། ལམ་སྒྲོན་མི་འབར།',
      '路灯不亮 🔦🚲💥 emoji 👩🏽‍🚒 flags 🇨🇳',
      'combining: é = e\u0301, Tibetan stack: ཀྵ སྐྱ ཧཱུྃ',
      'right-to-left \u202eevil\u202c and zero-width \u200b\u200d joiners',
      '<script>alert("x")</script> \' OR 1=1 -- ; DROP TABLE cases;',
    ];
    for (const description of texts) {
      const res = await report(body({ description, address: description.slice(0, 300) }));
      expect(res.statusCode, res.body.slice(0, 200)).toBe(201);
      const created = res.json<CaseJson>();
      expect(created.description).toBe(description);
      const again = (await api.get('dispatcher', `/api/v1/cases/${created.id}?lang=bo`)).json<CaseJson>();
      expect(again.description).toBe(description);
      expect(again.address).toBe(description);
    }
    const note = 'ཞིབ་བཤེར་བྱས་ཟིན། 已核实 ✅';
    const res = await api.act('dispatcher', caseId, 'accept', { note });
    expect(res.statusCode).toBe(200);
    expect(res.json<CaseJson>().events?.at(-1)?.note).toBe(note);
  });

  it('refuses strings over their limits with 400 naming the field', async () => {
    expectError(await report(body({ description: '🚲'.repeat(2001) })), 400, 'validation_failed', 'description');
    expectError(await report(body({ address: 'ས'.repeat(301) })), 400, 'validation_failed', 'address');
    expectError(await report(body({ categoryId: 'c'.repeat(65) })), 400, 'validation_failed', 'categoryId');
    expectError(await api.post(null, '/api/v1/auth/login', { username: 'u'.repeat(65), password: 'p' }), 400, 'validation_failed', 'username');
    // A JSON body larger than any valid one is refused from its size alone, before it is read.
    expectError(await report(body({ categoryId: 'c'.repeat(100_000) })), 413, 'body_too_large');
    expectError(await api.post(null, '/api/v1/auth/login', { username: 'u'.repeat(100_000), password: 'p' }), 413, 'body_too_large');
    expectError(await api.post(null, '/api/v1/auth/login', { username: 'solang', password: 'p'.repeat(257) }), 400, 'validation_failed', 'password');
    expectError(await api.act('dispatcher', caseId, 'reject', { reason: '理由'.repeat(1001) }), 400, 'validation_failed', 'reason');
    expectError(await api.get('dispatcher', `/api/v1/cases?category=${'c'.repeat(5000)}`), 400, 'validation_failed', 'category');
  });

  it('copes with a very long Idempotency-Key and Accept-Language', async () => {
    const key = 'k'.repeat(10_000);
    const first = await report(body({ description: 'long key' }), { 'idempotency-key': key });
    expect(first.statusCode).toBe(201);
    const again = await report(body({ description: 'long key' }), { 'idempotency-key': key });
    expect(again.statusCode).toBe(200);
    expect(again.json<CaseJson>().id).toBe(first.json<CaseJson>().id);
    const lang = await api.get('dispatcher', `/api/v1/cases/${caseId}`, { 'accept-language': `${'x-'.repeat(2000)}en` });
    expect(lang.statusCode).toBe(200);
    // ?lang= is one language tag: anything else is a 400 naming it, before any work is done.
    expectError(await api.get('dispatcher', `/api/v1/cases/${caseId}?lang=${encodeURIComponent('../../etc/passwd')}`), 400, 'validation_failed', 'lang');
  });

  it('answers null values with 400 naming the field (JSON bodies are never coerced)', async () => {
    for (const field of ['categoryId', 'description', 'urgency', 'media', 'channel', 'clientKey', 'address', 'lat']) {
      expectError(await report(body({ [field]: null })), 400, 'validation_failed', field);
    }
    expectClientError(await raw('/api/v1/reports', 'null'), 'report body null');
    expectClientError(await api.post(null, '/api/v1/auth/login', { username: null, password: null }), 'login nulls');
    expectClientError(await api.act('dispatcher', caseId, 'reject', { reason: null }), 'reject reason null');
    expectClientError(await api.act('dispatcher', caseId, 'close', { closureType: null }), 'close closureType null');
    expectClientError(await raw(`/api/v1/cases/${caseId}/actions/file`, 'null', 'dispatcher'), 'action body null');
  });

  it('answers arrays where objects are expected, and objects where strings are, with 400', async () => {
    expectError(await report([body()]), 400, 'validation_failed');
    expectError(await api.act('dispatcher', caseId, 'file', [{ note: 'x' }]), 400, 'validation_failed');
    expectError(await api.post(null, '/api/v1/auth/login', [{ username: 'solang', password: 'x' }]), 400, 'validation_failed');
    expectError(await api.post('admin', '/api/v1/admin/users', [{ username: 'x' }]), 400, 'validation_failed');
    expectError(await report(body({ description: { zh: '井盖' } })), 400, 'validation_failed', 'description');
    expectError(await report(body({ description: ['井盖', '破了'] })), 400, 'validation_failed', 'description');
    expectError(await report(body({ lat: [29.6, 29.7] })), 400, 'validation_failed', 'lat');
    expectError(await report(body({ urgency: ['urgent', 'normal'] })), 400, 'validation_failed', 'urgency');
    expectError(await api.act('dispatcher', caseId, 'file', { assistingDepartmentIds: 'not-a-list' }), 400, /department_not_found|validation_failed/);
  });

  it('answers deeply nested, huge or odd JSON with 4xx', async () => {
    const nested = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    expectClientError(await raw('/api/v1/reports', `{"categoryId":"x","description":${nested},"lat":1,"lon":1}`), 'deeply nested');
    expectClientError(await raw('/api/v1/reports', '{"lat": 1e999}'), 'infinite number');
    expectClientError(await raw('/api/v1/reports', JSON.stringify(body()).replace('"lat":', '"lat": NaN, "x":')), 'NaN literal');
    expectClientError(await raw('/api/v1/reports', '\u0000'), 'NUL body');
    expectClientError(await raw('/api/v1/reports', '{"a":1}'.repeat(100)), 'concatenated objects');
  });

  it('refuses prototype-poisoning bodies with 400', async () => {
    const poisoned = `{"categoryId":"${other}","description":"proto","lat":${world.najinPoint.lat},"lon":${world.najinPoint.lon},"__proto__":{"role":"admin"}}`;
    expectClientError(await raw('/api/v1/reports', poisoned), '__proto__');
    const ctor = `{"username":"solang","password":"x","constructor":{"prototype":{"role":"admin"}}}`;
    expectClientError(await raw('/api/v1/auth/login', ctor), 'constructor.prototype');
    expect(({} as Record<string, unknown>).role).toBeUndefined();
  });

  it('takes numbers as strings in the query, and repeated scalars without failing', async () => {
    const page = await api.get('dispatcher', '/api/v1/cases?page=1&pageSize=5&overdue=false');
    expect(page.statusCode).toBe(200);
    expect(page.json<PageJson<CaseJson>>().pageSize).toBe(5);
    for (const query of ['page=1&page=2', 'pageSize=5&pageSize=6', 'urgency=urgent&urgency=normal', 'overdue=true&overdue=false', 'page=%20', 'page=0x10', 'page=1e2', 'page=NaN', 'lang[]=en', 'status[]=reported', 'from=2025-05-07T13:00:00Z&from=2025-05-08T13:00:00Z']) {
      expectNot500(await api.get('dispatcher', `/api/v1/cases?${query}`), query);
    }
  });

  // Ajv's type coercion turns the string 'Infinity' into Infinity and lets it through the integer,
  // minimum and maximum checks; the OFFSET/LIMIT then fail in SQL.
  it('answers page=Infinity and pageSize=±Infinity with 400, not 500', async () => {
    for (const query of ['page=Infinity', 'pageSize=Infinity', 'pageSize=-Infinity']) {
      expectNot500(await api.get('dispatcher', `/api/v1/cases?${query}`), `/cases?${query}`);
      expectNot500(await api.get('solang', `/api/v1/me/reports?${query}`), `/me/reports?${query}`);
    }
  });

  it('treats SQL-looking filters as plain values', async () => {
    for (const value of ["' OR '1'='1", '1; DROP TABLE cases; --', '%', '_', '*']) {
      const res = await api.get('dispatcher', `/api/v1/cases?category=${encodeURIComponent(value)}`);
      expect(res.statusCode, value).toBe(200);
      expect(res.json<PageJson<CaseJson>>().total).toBe(0);
    }
    expect((await api.get('dispatcher', '/api/v1/cases')).json<PageJson<CaseJson>>().total).toBeGreaterThan(0);
  });

  it('answers odd ids in paths with 404 or 400', async () => {
    for (const id of ["'%20OR%20'1'='1", '..%2F..%2Fetc%2Fpasswd', '%F0%9F%9A%B2', '%E0%BD%A6', 'null', 'undefined', '-1']) {
      const res = await api.get('dispatcher', `/api/v1/cases/${id}`);
      expect([400, 404], `${id}: ${res.body.slice(0, 200)}`).toContain(res.statusCode);
    }
    expectClientError(await api.act('dispatcher', '%F0%9F%9A%B2', 'accept', {}), 'emoji case id');
  });

  // JSON may carry U+0000; PostgreSQL text cannot store it and the driver error becomes a 500.
  it('answers NUL characters in text with 201 or 400, never 500', async () => {
    expectNot500(await report(body({ description: 'before\u0000after' })), 'NUL in description');
    expectNot500(await report(body({ address: 'addr\u0000' })), 'NUL in address');
    expectNot500(await report(body({ clientKey: 'key\u0000' })), 'NUL in clientKey');
    expectNot500(await api.post(null, '/api/v1/auth/login', { username: 'solang\u0000', password: 'x' }), 'NUL in username');
    expectNot500(await api.act('dispatcher', caseId, 'file', { note: 'note\u0000' }), 'NUL in note');
  });

  it('answers NUL characters in ids and filters with 4xx, never 500', async () => {
    expectNot500(await api.get('dispatcher', '/api/v1/cases/%00'), 'NUL case id');
    expectNot500(await api.get('dispatcher', '/api/v1/media/%00'), 'NUL media id');
    expectNot500(await api.get('dispatcher', '/api/v1/cases?category=%00'), 'NUL category filter');
    expectNot500(await report(body({ media: ['\u0000'] })), 'NUL media id in a report');
  });

  it('answers lone surrogates in text without failing', async () => {
    expectNot500(await raw('/api/v1/reports', JSON.stringify(body()).replace(/robustness \d+/, 'lone \\ud800 surrogate')), 'lone surrogate');
  });

  it('answers unexpected methods and content types in the error format', async () => {
    expectError(await api.call('dispatcher', 'PUT', `/api/v1/cases/${caseId}`, {}), 404, 'route_not_found');
    expectError(await api.call('dispatcher', 'DELETE', `/api/v1/cases/${caseId}`), 404, 'route_not_found');
    expectError(await api.post('solang', '/api/v1/reports', 'categoryId=x&lat=1', { 'content-type': 'application/x-www-form-urlencoded' }), 415);
    expectError(await api.post('solang', '/api/v1/reports', 'description: x', { 'content-type': 'text/yaml' }), 415);
  });
});
