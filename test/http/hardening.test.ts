// Defects found by trying Gridline from outside (issue 8): input read after a commit, bodies read before
// the caller's role is known, actions that move a case out of the actor's jurisdiction, staff internals
// shown to riders, missing security headers, and merges that strand duplicates. Each test failed before
// its fix.

import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPhoto } from '../../src/seed/demo.js';
import { ZHAXI_CODE } from '../../src/seed/najin-data.js';
import { DIALECTS } from '../support/db.js';
import { buildWorld, type World } from '../support/world.js';
import { Api, expectError, type CaseJson, type PageJson } from './support.js';

describe.each(DIALECTS)('hardening ($name)', (dialect) => {
  let world: World;
  let api: Api;

  beforeAll(async () => {
    world = await buildWorld(dialect);
    api = new Api(world);
    await api.loginAll(['solang', 'dispatcher', 'zx-dispatcher', 'municipal', 'supervisor', 'admin']);
  });
  afterAll(() => world?.close());

  const other = () => world.category('07-999').id;
  const countReports = async (username: string) => (await api.get(username, '/api/v1/me/reports?pageSize=1')).json<PageJson<unknown>>().total;
  const eventCount = async (caseId: string) => (await world.services.ctx.uow.autocommit.events.events(caseId)).length;
  const zhaxiGrid = async () => {
    const zhaxi = world.unit(ZHAXI_CODE);
    return (await world.services.ctx.uow.autocommit.reference.jurisdictions()).find((u) => u.level === 'grid' && u.path.startsWith(`${zhaxi.path}/`))!;
  };

  describe('query strings are judged before any write', () => {
    it('refuses a repeated ?lang= on a report with a 400 and creates nothing', async () => {
      const before = await countReports('solang');
      const res = await api.post('solang', '/api/v1/reports?lang=en&lang=bo', { categoryId: other(), description: '路灯不亮', lat: world.najinPoint.lat, lon: world.najinPoint.lon });
      expectError(res, 400, 'validation_failed', 'lang');
      expect(await countReports('solang')).toBe(before);
    });

    it('refuses a repeated ?lang= on an action with a 400 and records no event', async () => {
      const caseId = await world.report('solang', { categoryId: other(), media: [], description: '井盖松动' });
      await api.act('dispatcher', caseId, 'accept');
      const events = await eventCount(caseId);
      expectError(await api.post('dispatcher', `/api/v1/cases/${caseId}/actions/file?lang=en&lang=bo`, {}), 400, 'validation_failed', 'lang');
      expect(await eventCount(caseId)).toBe(events);
      const res = await api.post('dispatcher', `/api/v1/cases/${caseId}/actions/file?lang=en`, {});
      expect(res.statusCode).toBe(200);
      expect(res.json<CaseJson>().statusText).toBe('Registered, waiting to be sent to a department');
    });

    it('still answers one ?lang= and odd Accept-Language headers', async () => {
      const res = await api.get('solang', '/api/v1/me/reports?lang=bo', { 'accept-language': ';;;,en-GB;q=0.9' });
      expect(res.statusCode).toBe(200);
      expectError(await api.get('solang', `/api/v1/me/reports?lang=${'x'.repeat(100)}`), 400, 'validation_failed', 'lang');
    });
  });

  describe('who may call a route is decided before its body is read', () => {
    it('refuses a rider at /admin/boundaries before parsing the body (403, not a JSON error)', async () => {
      const broken = `{"type":"FeatureCollection","features":[${'{"x":1},'.repeat(200_000)}`;
      const res = await api.post('solang', '/api/v1/admin/boundaries', broken, { 'content-type': 'application/json' });
      expectError(res, 403, 'role_not_allowed');
    });

    it('gives the large GeoJSON limit to the boundary import only', async () => {
      const big = JSON.stringify({ kind: 'holiday', pad: 'x'.repeat(200_000) });
      const res = await api.call('admin', 'PUT', '/api/v1/admin/calendar/2025-10-01', big, { 'content-type': 'application/geo+json' });
      expectError(res, 413, 'body_too_large');
      expectError(await api.post('solang', '/api/v1/reports', big, { 'content-type': 'application/json' }), 413, 'body_too_large');
    });

    it('refuses invalid UTF-8 instead of storing U+FFFD', async () => {
      const before = await countReports('solang');
      const json = Buffer.concat([
        Buffer.from(`{"categoryId":"${other()}","description":"路灯`),
        Buffer.from([0xe8, 0xff]),
        Buffer.from(`","lat":${world.najinPoint.lat},"lon":${world.najinPoint.lon}}`),
      ]);
      expectError(await api.post('solang', '/api/v1/reports', json, { 'content-type': 'application/json' }), 400, 'invalid_utf8');
      expect(await countReports('solang')).toBe(before);
    });

    it('refuses a lone surrogate instead of storing U+FFFD', async () => {
      const before = await countReports('solang');
      const json = `{"categoryId":"${other()}","description":"路灯\\ud83d坏了","lat":${world.najinPoint.lat},"lon":${world.najinPoint.lon}}`;
      expectError(await api.post('solang', '/api/v1/reports', json, { 'content-type': 'application/json' }), 400, 'invalid_characters', 'description');
      expect(await countReports('solang')).toBe(before);
      // A whole pair (an emoji) is text like any other.
      const ok = await api.post('solang', '/api/v1/reports', { categoryId: other(), description: '路灯坏了 💡', lat: world.najinPoint.lat, lon: world.najinPoint.lon });
      expect(ok.statusCode).toBe(201);
      expect(ok.json<{ description: string }>().description).toBe('路灯坏了 💡');
    });
  });

  describe('nothing moves a case out of the actor’s jurisdiction except a referral', () => {
    it('refuses filing into another subdistrict’s grid and leaves the case where it was', async () => {
      const caseId = await world.report('solang', { categoryId: other(), media: [], description: '路边垃圾' });
      await api.act('dispatcher', caseId, 'accept');
      const grid = await zhaxiGrid();
      expectError(await api.act('dispatcher', caseId, 'file', { gridId: grid.id }), 403, 'out_of_scope');
      const row = await world.services.ctx.uow.autocommit.cases.find(caseId);
      expect(row?.status).toBe('accepted');
      expect(row?.jurisdictionId).not.toBe(grid.id);
    });

    it('refuses dispatching to another subdistrict’s department, so its handler never gets the case', async () => {
      const caseId = await world.report('solang', { categoryId: other(), media: [], description: '路面结冰' });
      await api.act('dispatcher', caseId, 'accept');
      await api.act('dispatcher', caseId, 'file');
      expectError(await api.act('dispatcher', caseId, 'dispatch', { departmentId: world.department('zx-urban').id }), 403, 'out_of_scope');
      expectError(await api.act('dispatcher', caseId, 'dispatch', { assistingDepartmentIds: [world.department('zx-urban').id] }), 403, 'out_of_scope');
      expectError(await api.get('zx-dispatcher', `/api/v1/cases/${caseId}`), 404, 'case_not_found');
      // A department of the dispatcher's own subdistrict is fine.
      expect((await api.act('dispatcher', caseId, 'dispatch', { departmentId: world.department('nj-urban').id })).statusCode).toBe(200);
    });

    it('refuses assisting departments named twice or naming the lead', async () => {
      const caseId = await world.report('solang', { categoryId: other(), media: [], description: '电线垂下来了' });
      await api.act('dispatcher', caseId, 'accept');
      await api.act('dispatcher', caseId, 'file');
      const urban = world.department('nj-urban').id;
      const municipal = world.department('nj-municipal').id;
      expectError(await api.act('dispatcher', caseId, 'dispatch', { departmentId: municipal, assistingDepartmentIds: [urban, urban] }), 400, 'duplicate_department', 'assistingDepartmentIds');
      expectError(await api.act('dispatcher', caseId, 'dispatch', { departmentId: municipal, assistingDepartmentIds: [municipal] }), 400, 'lead_department_assisting', 'assistingDepartmentIds');
      expect((await world.services.ctx.uow.autocommit.cases.find(caseId))?.status).toBe('filed');
    });
  });

  it('shows a rider their own case in plain words: no staff names, no internal notes', async () => {
    const caseId = await world.report('solang', { categoryId: world.category('01-003').id, description: '井盖破了' });
    await api.act('dispatcher', caseId, 'accept');
    await api.act('dispatcher', caseId, 'file', { note: '内部备注:先派市政' });
    await api.act('dispatcher', caseId, 'dispatch', { departmentId: world.department('nj-municipal').id });
    await api.act('municipal', caseId, 'return', { reason: '退单理由:不归我们管' });
    await api.act('dispatcher', caseId, 'escalate', { reason: '升级理由:职责不清' });
    const res = await api.get('solang', `/api/v1/cases/${caseId}`);
    expect(res.statusCode).toBe(200);
    const text = res.body;
    for (const secret of ['拉巴次仁', '格桑旺堆', '内部备注', '退单理由', '升级理由']) expect(text, secret).not.toContain(secret);
    const view = res.json<{ timeline: { action: string; text: string }[]; events?: unknown; clocks?: unknown }>();
    expect(view.events).toBeUndefined();
    expect(view.clocks).toBeUndefined();
    expect(view.timeline.map((t) => t.action)).toEqual(expect.arrayContaining(['report', 'accept', 'dispatch']));
    // The same case in /me/reports reads the same.
    const mine = (await api.get('solang', '/api/v1/me/reports?pageSize=100')).json<PageJson<{ id: string }>>().items.find((c) => c.id === caseId);
    expect(mine).toEqual(view);
    // Staff still see the whole history.
    const staff = await api.get('dispatcher', `/api/v1/cases/${caseId}`);
    expect(staff.body).toContain('退单理由');
  });

  it('answers broken addresses and the docs’ bad queries in the standard error format, never a 500', async () => {
    for (const url of ['/api/v1/cases/%E0%A4', '/api/v1/cases/%zz', '/api/v1/media/%ED%A0%80']) {
      const res = await api.get('dispatcher', url);
      expectError(res, 400, 'bad_url');
      expect(res.body).not.toContain('%E0');
    }
    expectError(await api.get('dispatcher', `/api/v1/cases/${'x'.repeat(101)}`), 414, 'path_too_long');
    for (const url of ['/docs?lang=%00', '/docs/json?x=%00']) expectError(await world.app.inject({ method: 'GET', url }), 400, 'invalid_characters');
  });

  it('sends nosniff on JSON and a CSP with frame options on /docs', async () => {
    const json = await api.get('dispatcher', '/api/v1/cases?pageSize=1');
    expect(json.headers['x-content-type-options']).toBe('nosniff');
    expect(json.headers['content-security-policy']).toContain("default-src 'none'");
    const docs = await world.app.inject({ method: 'GET', url: '/docs' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-security-policy']).toContain('frame-ancestors');
    expect(docs.headers['x-frame-options']).toBeDefined();
    expect(docs.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });

  it('keeps no photo of a multipart report that is refused after its files were checked', async () => {
    const mediaRows = async () => (await world.services.ctx.uow.autocommit.media.withSha(createHash('sha256').update(photo).digest('hex'))).length;
    const photo = demoPhoto('refused form photo');
    const form = (report: Record<string, unknown>) => [
      { name: 'report', value: JSON.stringify({ categoryId: other(), description: '路灯不亮', lat: world.najinPoint.lat, lon: world.najinPoint.lon, ...report }) },
      { name: 'file', value: photo, filename: 'p.jpg', type: 'image/jpeg' },
    ];
    expectError(await api.postForm('solang', '/api/v1/reports', form({ duplicateOf: randomUUID() })), 400, 'master_not_found');
    expect(await mediaRows()).toBe(0);
    expectError(await api.postForm('solang', '/api/v1/reports?lang=x_', form({})), 400, 'validation_failed', 'lang');
    expect(await mediaRows()).toBe(0);
    // The same form, accepted, stores the photo once, with the case.
    const ok = await api.postForm('solang', '/api/v1/reports', form({}));
    expect(ok.statusCode, ok.body).toBe(201);
    expect(await mediaRows()).toBe(1);
    expect(ok.json<{ media: string[] }>().media).toHaveLength(1);
  });

  it('serves originals with no-store, so a shared phone keeps no resident’s photo', async () => {
    const caseId = await world.report('solang', { description: '井盖没了' });
    const mediaId = (await world.services.ctx.uow.autocommit.cases.find(caseId))!.mediaIds[0]!;
    const original = await api.get('dispatcher', `/api/v1/media/${mediaId}?variant=original`);
    expect(original.statusCode).toBe(200);
    expect(original.headers['cache-control']).toBe('no-store');
    const display = await api.get('dispatcher', `/api/v1/media/${mediaId}`);
    expect(display.headers['cache-control']).toMatch(/^private/);
  });

  it('lets only the handling command centre publish a photo, not the one that referred the case away', async () => {
    // A Najin rider's report from inside Zhaxi goes to Zhaxi; Najin keeps seeing it.
    const caseId = await world.report('solang', { description: '变压器冒烟', lat: world.zhaxiPoint.lat, lon: world.zhaxiPoint.lon });
    const mediaId = (await world.services.ctx.uow.autocommit.cases.find(caseId))!.mediaIds[0]!;
    expect((await api.get('dispatcher', `/api/v1/media/${mediaId}`)).statusCode).toBe(200);
    expectError(await api.post('dispatcher', `/api/v1/media/${mediaId}/publish`, { regions: [] }), 403, 'role_not_allowed');
    expect(await world.services.ctx.uow.autocommit.media.find(mediaId)).toMatchObject({ publicKey: null });
    expect((await api.post('zx-dispatcher', `/api/v1/media/${mediaId}/publish`, { regions: [] })).statusCode).toBe(200);
  });

  it('refuses merging a case that holds merged duplicates, so none is left following a merged case', async () => {
    const master = await world.report('solang', { categoryId: other(), media: [], description: '这里漏水' });
    const dup = await world.report('solang', { categoryId: other(), media: [], description: '这里漏水 again' });
    const target = await world.report('solang', { categoryId: other(), media: [], description: '漏水第三次' });
    expect((await api.act('dispatcher', dup, 'merge', { masterCaseId: master })).statusCode).toBe(200);
    const res = await api.act('dispatcher', master, 'merge', { masterCaseId: target });
    expectError(res, 409, 'merge_master_with_duplicates');
    expect((await world.services.ctx.uow.autocommit.cases.find(master))?.status).toBe('reported');
    // The other way round works: the target joins the master.
    expect((await api.act('dispatcher', target, 'merge', { masterCaseId: master })).statusCode).toBe(200);
  });
});
