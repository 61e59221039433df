// Evidence over HTTP (issue 4), on both dialects: uploads as raw bodies, multipart forms and inline with a
// report; types from the bytes; limits; EXIF read, compared with the case and stripped from every copy;
// the same bytes stored once; copies only for those who may see the case, originals only for the
// handling chain; before/after pairing; redacted public copies; resumable (tus) uploads.

import { createHash } from 'node:crypto';
import exifr from 'exifr';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { MemoryMediaStore } from '../../src/media/memory.js';
import { MAX_OPEN_UPLOADS } from '../../src/services/media.service.js';
import { buildServices } from '../../src/compose.js';
import { DIALECTS } from '../support/db.js';
import { toHandling } from '../support/cases.js';
import { ffmpegPath, handMadeMovie, photo, pngBomb, video } from '../support/media.js';
import { buildWorld, type World } from '../support/world.js';
import { Api, expectError, type CaseJson, type MediaJson } from './support.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface EvidenceItemJson {
  media: MediaJson;
  eventSeq: number;
  flags?: { code: string; distanceM?: number; hours?: number; minutes?: number }[];
}
interface EvidenceJson {
  before: EvidenceItemJson[];
  after: EvidenceItemJson[];
  earlierAfter: EvidenceItemJson[];
  other: EvidenceItemJson[];
}

/** Local time in Lhasa (UTC+8) as EXIF writes it, for an instant. */
const exifTime = (iso: string): string => new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ').replace(/-/g, ':');

describe.each(DIALECTS)('evidence over HTTP ($name)', (dialect) => {
  let world: World;
  let api: Api;

  beforeAll(async () => {
    world = await buildWorld(dialect);
    api = new Api(world);
    await api.loginAll(['solang', 'tenzin', 'dispatcher', 'municipal', 'zx-dispatcher', 'admin']);
  });
  afterAll(() => world?.close());

  const store = () => (world.services.media as unknown as { store: MemoryMediaStore }).store;
  const uploaded = async (username: string, bytes: Buffer, contentType = 'image/jpeg'): Promise<MediaJson> => {
    const res = await api.upload(username, bytes, contentType);
    expect(res.statusCode, res.body).toBe(201);
    return res.json<MediaJson>();
  };
  const copy = async (username: string, url: string) => {
    const res = await api.get(username, url);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    return res;
  };
  const caseView = async (username: string, id: string) => (await copy(username, `/api/v1/cases/${id}`)).json<CaseJson & { evidence: EvidenceJson }>();

  describe('upload', () => {
    it('takes JPEG, PNG and WebP in one multipart form: 201 with what each became', async () => {
      const files = [await photo({ label: 'form jpeg', width: 80, height: 60 }), await photo({ label: 'form png', format: 'png' }), await photo({ label: 'form webp', format: 'webp' })];
      const res = await api.postForm('solang', '/api/v1/media', [
        // Names and declared types are the client's story; the bytes decide.
        { name: 'file', value: files[0]!, filename: 'a.png', type: 'image/png' },
        { name: 'file', value: files[1]!, filename: 'b.jpg', type: 'image/jpeg' },
        { name: 'file', value: files[2]!, filename: 'c.txt', type: 'text/plain' },
      ]);
      expect(res.statusCode, res.body).toBe(201);
      const { media } = res.json<{ media: MediaJson[] }>();
      expect(media.map((m) => m.mime)).toEqual(['image/jpeg', 'image/png', 'image/webp']);
      expect(media[0]).toMatchObject({ kind: 'photo', width: 80, height: 60, bytes: files[0]!.length, sha256: sha256(files[0]!), preview: 'full' });
      for (const m of media) expect(m.urls).toMatchObject({ thumb: `/api/v1/media/${m.id}?variant=thumb`, display: `/api/v1/media/${m.id}?variant=display` });
    });

    it('serves an upright WebP display copy and thumbnail with no EXIF, and the original only as a download', async () => {
      const taken = '2025:05:07 20:55:00';
      const bytes = await photo({ label: 'exif', width: 400, height: 300, takenAt: taken, offset: '+08:00', gps: { lat: 29.6512, lon: 91.1402 }, orientation: 6 });
      expect((await exifr.gps(bytes))?.latitude).toBeCloseTo(29.6512, 3); // the test photo really carries GPS
      const media = await uploaded('solang', bytes, 'application/octet-stream');
      // Orientation 6: the upright photo is 300 wide, 400 high.
      expect(media).toMatchObject({ width: 300, height: 400, takenAt: '2025-05-07T12:55:00.000Z' });
      for (const variant of ['display', 'thumb']) {
        const res = await copy('solang', `/api/v1/media/${media.id}?variant=${variant}`);
        expect(res.headers['content-type']).toBe('image/webp');
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['content-security-policy']).toContain('sandbox');
        expect(res.headers['content-disposition']).toMatch(/^inline/);
        const meta = await sharp(res.rawPayload).metadata();
        expect(meta.format).toBe('webp');
        expect(meta.exif, `${variant} has no EXIF`).toBeUndefined();
        expect(await exifr.gps(res.rawPayload).catch(() => undefined)).toBeUndefined();
        expect(meta.height! > meta.width!, `${variant} upright`).toBe(true);
        if (variant === 'thumb') expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(320);
      }
      const original = await copy('solang', `/api/v1/media/${media.id}?variant=original`);
      expect(original.rawPayload.equals(bytes)).toBe(true);
      expect(original.headers['content-type']).toBe('image/jpeg');
      expect(original.headers['content-disposition']).toMatch(/^attachment/);
    });

    it('refuses a renamed executable, SVG and HTML with 415 and the detected type', async () => {
      const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120)]);
      const err = expectError(await api.postForm('solang', '/api/v1/media', [{ name: 'file', value: elf, filename: 'photo.jpg', type: 'image/jpeg' }]), 415, 'unsupported_media_type');
      expect(err.details).toMatchObject({ detected: 'application/x-elf', file: { index: 0, field: 'file', name: 'photo.jpg' } });
      expect(err.message).toMatch(/^photo\.jpg: /);
      // In a form with good photos too, the refusal names the bad one; sending the form again without it
      // gives back the same media for the good ones.
      const good = await photo({ label: 'good beside bad' });
      const mixed = expectError(
        await api.postForm('solang', '/api/v1/media', [
          { name: 'file', value: good, filename: 'IMG_1.JPG' },
          { name: 'file', value: elf, filename: 'IMG_2.JPG' },
        ]),
        415,
        'unsupported_media_type',
      );
      expect(mixed.details).toMatchObject({ file: { index: 1, name: 'IMG_2.JPG' } });
      const again = await api.postForm('solang', '/api/v1/media', [{ name: 'file', value: good, filename: 'IMG_1.JPG' }]);
      expect(again.json<{ media: MediaJson[] }>().media[0]!.sha256).toBe(sha256(good));
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>');
      expectError(await api.upload('solang', svg, 'image/svg+xml'), 415, 'unsupported_media_type');
      expectError(await api.upload('solang', Buffer.from('<!doctype html><script>alert(1)</script>'), 'image/jpeg'), 415, 'unsupported_media_type');
      // A JPEG cut off after its first bytes cannot be shown: refused, not stored.
      const cut = (await photo({ label: 'truncated', width: 200, height: 200 })).subarray(0, 300);
      const undecodable = expectError(await api.upload('solang', cut), 415, 'undecodable_media');
      // The reason names no server path (the upload is decoded from a temporary file).
      expect(JSON.stringify(undecodable)).not.toMatch(/gridline-|\/tmp\//);
      if (ffmpegPath()) {
        // A movie sound in structure whose samples ffmpeg cannot decode: ffprobe's message names its input.
        const junkVideo = expectError(await api.upload('solang', handMadeMovie(), 'video/mp4'), 415, 'undecodable_media');
        expect(JSON.stringify(junkVideo)).not.toMatch(/gridline-|\/tmp\//);
      }
    });

    it('serves a JPEG/HTML polyglot only as fresh WebP copies that do not carry the payload', async () => {
      const payload = '<html><script>alert(document.cookie)</script></html>';
      const bytes = Buffer.concat([await photo({ label: 'polyglot' }), Buffer.from(payload)]);
      const media = await uploaded('solang', bytes, 'application/octet-stream');
      expect(media.mime).toBe('image/jpeg');
      for (const variant of ['display', 'thumb']) {
        const res = await copy('solang', `/api/v1/media/${media.id}?variant=${variant}`);
        expect(res.headers['content-type']).toBe('image/webp');
        expect(res.rawPayload.includes(Buffer.from('<script>'))).toBe(false);
      }
      // The original is the uploader's and is only ever a download.
      expect((await copy('solang', `/api/v1/media/${media.id}?variant=original`)).headers['content-disposition']).toMatch(/^attachment/);
    });

    it('refuses a pixel bomb before decoding it: 413 image_too_large', async () => {
      // 30,000 × 30,000 pixels claimed by a PNG of a few hundred bytes.
      const bomb = pngBomb(30_000, 30_000);
      expect(bomb.length).toBeLessThan(2048);
      const err = expectError(await api.upload('solang', bomb, 'image/png'), 413, 'image_too_large');
      expect(err.details).toMatchObject({ width: 30_000, height: 30_000 });
    });

    it('stores the same bytes once, whoever uploads them', async () => {
      const bytes = await photo({ label: 'same twice', width: 120, height: 90 });
      const before = store().objects.size;
      const a = await uploaded('solang', bytes);
      const added = store().objects.size - before;
      expect(added).toBe(3); // original, display, thumb
      const b = await uploaded('tenzin', bytes);
      expect(store().objects.size - before).toBe(added);
      expect(b.id).not.toBe(a.id);
      expect(b.sha256).toBe(a.sha256);
      // A retry by the same rider (the answer was lost on a weak network) is the same item, not a second one.
      const retry = await api.upload('solang', bytes);
      expect(retry.statusCode).toBe(201);
      expect(retry.json<MediaJson>().id).toBe(a.id);
    });

    it('refuses more files than a report may carry, an empty body and anonymous uploads', async () => {
      const files = await Promise.all(Array.from({ length: 10 }, (_, i) => photo({ label: `many ${i}` })));
      expectError(await api.postForm('solang', '/api/v1/media', files.map((f, i) => ({ name: 'file', value: f, filename: `${i}.jpg` }))), 400, 'too_many_media');
      expectError(await api.postForm('solang', '/api/v1/media', [{ name: 'note', value: 'no files' }]), 400, 'no_files');
      expectError(await api.upload('solang', Buffer.alloc(0)), 400, 'empty_upload');
      expectError(await world.app.inject({ method: 'POST', url: '/api/v1/media', payload: await photo(), headers: { 'content-type': 'image/jpeg' } }), 401, 'unauthenticated');
    });

    it('makes the copies of media stored before processing existed on first use', async () => {
      // As an upload from before migration 004 left it: the original only, no copies, no preview.
      const bytes = await photo({ label: 'legacy', width: 90, height: 60 });
      const { key } = await store().put(bytes, 'image/jpeg');
      const id = `legacy-${sha256(bytes).slice(0, 8)}`;
      const nulls = { width: null, height: null, durationS: null, takenAt: null, takenLat: null, takenLon: null, displayKey: null, thumbKey: null, posterKey: null, cleanKey: null, preview: null, publicKey: null, publishedAt: null };
      await world.services.ctx.uow.autocommit.media.insert({ id, sha256: sha256(bytes), kind: 'photo', mime: 'image/jpeg', bytes: bytes.length, storageKey: key, uploadedBy: world.users.get('solang')!.id, createdAt: world.clock.now().toISOString(), ...nulls });
      const res = await copy('solang', `/api/v1/media/${id}?variant=thumb`);
      expect(res.headers['content-type']).toBe('image/webp');
      expect(await world.services.ctx.uow.autocommit.media.find(id)).toMatchObject({ width: 90, height: 60, preview: 'full', thumbKey: expect.any(String) });
    });

    it('answers path tricks in a media id with 404 or 400, never with a file', async () => {
      for (const id of ['..%2F..%2Fetc%2Fpasswd', '%2e%2e', 'a'.repeat(64)]) expect((await api.get('dispatcher', `/api/v1/media/${id}`)).statusCode, id).toBe(404);
      expectError(await api.get('dispatcher', `/api/v1/media/${'a'.repeat(65)}`), 400, 'validation_failed', 'id');
      expectError(await api.get('dispatcher', `/api/v1/media/x?variant=../../etc/passwd`), 400, 'validation_failed', 'variant');
    });
  });

  describe('evidence on cases', () => {
    it('takes a report with its photos inline (multipart) and pairs them as the case’s before', async () => {
      const res = await api.postForm('tenzin', '/api/v1/reports', [
        { name: 'report', value: JSON.stringify({ categoryId: world.category('01-003').id, description: '井盖翘起来了', lat: world.najinPoint.lat, lon: world.najinPoint.lon }) },
        { name: 'photo', value: await photo({ label: 'inline 1' }), filename: 'IMG_0001.JPG' },
        { name: 'photo', value: await photo({ label: 'inline 2', format: 'png' }), filename: 'IMG_0002.PNG' },
      ]);
      expect(res.statusCode, res.body).toBe(201);
      const created = res.json<CaseJson>();
      expect(created.media).toHaveLength(2);
      const view = await caseView('dispatcher', created.id);
      expect(view.evidence.before.map((e) => e.media.id)).toEqual(created.media);
      expect(view.evidence.after).toEqual([]);
      // The report's own fields are validated as for JSON; nothing half-made.
      const bad = await api.postForm('tenzin', '/api/v1/reports', [{ name: 'report', value: '{"description":"x"' }, { name: 'photo', value: await photo({ label: 'bad json' }) }]);
      expectError(bad, 400, 'invalid_json', 'report');
      expectError(await api.postForm('tenzin', '/api/v1/reports', [{ name: 'photo', value: await photo({ label: 'no report' }) }]), 400, 'report_field_required');
    });

    it('refuses a report without the photo its category requires', async () => {
      const res = await api.post('tenzin', '/api/v1/reports', { categoryId: world.category('01-003').id, description: '井盖坏了', lat: world.najinPoint.lat, lon: world.najinPoint.lon });
      expectError(res, 400, 'media_required', 'media');
    });

    it('flags a photo taken far away or long ago, and an after-photo older than the report; pairs before and after', async () => {
      const now = world.clock.now().toISOString();
      const far = await uploaded('solang', await photo({ label: 'far away', takenAt: exifTime(now), offset: '+08:00', gps: { lat: 29.70, lon: 91.20 } }));
      const old = await uploaded('solang', await photo({ label: 'long ago', takenAt: exifTime(new Date(Date.parse(now) - 5 * 86_400_000).toISOString()) }));
      const fine = await uploaded('solang', await photo({ label: 'right here', takenAt: exifTime(now), gps: world.najinPoint }));
      const caseId = await world.report('solang', { media: [far.id, old.id, fine.id] });
      const view = await caseView('dispatcher', caseId);
      const flags = Object.fromEntries(view.evidence.before.map((e) => [e.media.id, (e.flags ?? []).map((f) => f.code)]));
      expect(flags[far.id]).toEqual(['taken_far_away']);
      expect(view.evidence.before.find((e) => e.media.id === far.id)!.flags![0]!.distanceM).toBeGreaterThan(5000);
      expect(flags[old.id]).toEqual(['taken_long_ago']);
      expect(flags[fine.id]).toEqual([]);
      // The rider sees their photos but not the dispatcher's flags.
      const mine = await caseView('solang', caseId);
      expect(mine.evidence.before).toHaveLength(3);
      expect(mine.evidence.before[0]!.flags).toBeUndefined();

      // Another rider recognises the problem and reports straight into the case.
      const joined = await world.report('tenzin', { duplicateOf: caseId });

      // Through to resolution: the handler's after-photo was taken before the problem was reported.
      await toHandling(world, caseId);
      expectError(await api.act('municipal', caseId, 'resolve', { note: '已修复' }), 400, 'after_photo_required', 'media');
      const stale = await uploaded('municipal', await photo({ label: 'stale after', takenAt: exifTime(new Date(Date.parse(now) - 3 * 3_600_000).toISOString()) }));
      const res = await api.act('municipal', caseId, 'resolve', { note: '已修复', media: [stale.id] });
      expect(res.statusCode, res.body).toBe(200);
      const resolved = await caseView('dispatcher', caseId);
      expect(resolved.evidence.before.map((e) => e.media.id).sort()).toEqual([far.id, old.id, fine.id].sort());
      expect(resolved.evidence.after.map((e) => e.media.id)).toEqual([stale.id]);
      expect(resolved.evidence.after[0]!.flags!.map((f) => f.code)).toEqual(['taken_before_report']);
      // The reporter sees the after-photo (the result comes back to the rider), as copies.
      expect((await api.get('solang', `/api/v1/media/${stale.id}?variant=display`)).statusCode).toBe(200);
      expectError(await api.get('solang', `/api/v1/media/${stale.id}?variant=original`), 403, 'original_not_allowed');
      // The rider whose report was merged in sees the repair too, in their own reports.
      const mine2 = (await copy('tenzin', '/api/v1/me/reports')).json<{ items: { id: string; evidence: EvidenceJson }[] }>().items.find((r) => r.id === joined)!;
      expect(mine2.evidence.after.map((e) => e.media.id)).toEqual([stale.id]);
      expect((await api.get('tenzin', mine2.evidence.after[0]!.media.urls.display)).statusCode).toBe(200);
      const solangs = (await copy('solang', '/api/v1/me/reports')).json<{ items: { id: string; evidence: EvidenceJson }[] }>().items.find((r) => r.id === caseId)!;
      expect(solangs.evidence.before).toHaveLength(3);
      expect(solangs.evidence.after[0]!.media.urls.original).toBeUndefined();
    });

    it('shows media to those who may see a case carrying them, and hides them from everyone else', async () => {
      const media = await uploaded('solang', await photo({ label: 'private evidence' }));
      // Not yet evidence of any case: only the uploader sees it.
      expectError(await api.get('dispatcher', `/api/v1/media/${media.id}`), 404, 'media_not_found');
      await world.report('solang', { media: [media.id] });
      expect((await api.get('dispatcher', `/api/v1/media/${media.id}?variant=thumb`)).statusCode).toBe(200);
      expect((await api.get('dispatcher', `/api/v1/media/${media.id}?variant=original`)).statusCode).toBe(200);
      // Oversight (the district admin) sees copies but not the original with its EXIF.
      expect((await api.get('admin', `/api/v1/media/${media.id}`)).statusCode).toBe(200);
      expectError(await api.get('admin', `/api/v1/media/${media.id}?variant=original`), 403, 'original_not_allowed');
      // Municipal works has not been sent the case; Zhaxi's command centre does not cover Najin; another rider.
      for (const who of ['municipal', 'zx-dispatcher', 'tenzin']) expectError(await api.get(who, `/api/v1/media/${media.id}`), 404, 'media_not_found');
      expectError(await world.app.inject({ method: 'GET', url: `/api/v1/media/${media.id}` }), 401, 'unauthenticated');
      // Someone else's upload cannot be attached to a report.
      expectError(await api.post('tenzin', '/api/v1/reports', { categoryId: world.category('01-003').id, description: '借用照片', lat: world.najinPoint.lat, lon: world.najinPoint.lon, media: [media.id] }), 400, 'media_not_yours');
    });
  });

  describe('public copies', () => {
    it('are published by the command centre with regions blurred, served without sign-in or metadata, and can be withdrawn', async () => {
      const bytes = await photo({ label: 'public', width: 200, height: 100, gps: world.najinPoint, takenAt: exifTime(world.clock.now().toISOString()) });
      const media = await uploaded('solang', bytes);
      await world.report('solang', { media: [media.id] });
      expectError(await world.app.inject({ method: 'GET', url: `/api/v1/public/media/${media.id}` }), 404, 'media_not_found');
      expectError(await api.post('solang', `/api/v1/media/${media.id}/publish`, { regions: [] }), 403, 'role_not_allowed');
      expectError(await api.post('dispatcher', `/api/v1/media/${media.id}/publish`, { regions: [{ x: 0.9, y: 0, width: 0.5, height: 0.5 }] }), 400, 'invalid_region');

      // Blur the top-left quarter, where the test photo has its white block on a coloured ground.
      const res = await api.post('dispatcher', `/api/v1/media/${media.id}/publish`, { regions: [{ x: 0, y: 0, width: 0.5, height: 0.5 }] });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<MediaJson>().urls.public).toBe(`/api/v1/public/media/${media.id}`);
      const pub = await world.app.inject({ method: 'GET', url: `/api/v1/public/media/${media.id}` });
      expect(pub.statusCode).toBe(200);
      expect(pub.headers['content-type']).toBe('image/webp');
      expect(pub.headers['content-disposition']).not.toMatch(/solang|tenzin/);
      expect((await sharp(pub.rawPayload).metadata()).exif).toBeUndefined();
      const display = await copy('dispatcher', `/api/v1/media/${media.id}?variant=display`);
      const pixels = async (b: Buffer) => sharp(b).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const [d, p] = [await pixels(display.rawPayload), await pixels(pub.rawPayload)];
      type Raw = { data: Buffer; info: { width: number } };
      const meanDiff = (a: Raw, b: Raw, x0: number, y0: number, x1: number, y1: number) => {
        let sum = 0;
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) for (let c = 0; c < 3; c++) sum += Math.abs(a.data[(y * a.info.width + x) * 3 + c]! - b.data[(y * b.info.width + x) * 3 + c]!);
        return sum / ((x1 - x0) * (y1 - y0) * 3);
      };
      // Around the white block's edge inside the region the public copy is smeared; the untouched bottom
      // right is as it was (up to WebP's own loss).
      expect(meanDiff(d, p, 30, 10, 70, 40)).toBeGreaterThan(8);
      expect(meanDiff(d, p, 120, 60, 200, 100)).toBeLessThan(4);

      const withdrawn = await world.app.inject({ method: 'DELETE', url: `/api/v1/media/${media.id}/publish`, headers: { authorization: `Bearer ${api.token('dispatcher')}` } });
      expect(withdrawn.statusCode).toBe(204);
      expectError(await world.app.inject({ method: 'GET', url: `/api/v1/public/media/${media.id}` }), 404, 'media_not_found');
      const history = await world.services.ctx.uow.autocommit.media.publications(media.id);
      expect(history.map((h) => h.action)).toEqual(['publish', 'withdraw']);
    });
  });

  describe('resumable uploads (tus 1.0)', () => {
    const tus = (username: string, method: 'POST' | 'PATCH' | 'HEAD' | 'DELETE', url: string, headers: Record<string, string>, payload?: Buffer) =>
      world.app.inject({ method, url, ...(payload ? { payload } : {}), headers: { authorization: `Bearer ${api.token(username)}`, 'tus-resumable': '1.0.0', ...headers } });

    it('takes a file in chunks, resumes from the server’s offset after a lost connection, and finishes as media', async () => {
      const bytes = await photo({ label: 'chunked', width: 300, height: 200 });
      const created = await tus('solang', 'POST', '/api/v1/uploads', { 'upload-length': String(bytes.length), 'upload-metadata': `filename ${Buffer.from('IMG_1.JPG').toString('base64')}` });
      expect(created.statusCode, created.body).toBe(201);
      const url = created.headers.location as string;
      expect(url).toMatch(/^\/api\/v1\/uploads\//);
      const third = Math.floor(bytes.length / 3);
      const patch = (offset: number, chunk: Buffer) => tus('solang', 'PATCH', url, { 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' }, chunk);
      const first = await patch(0, bytes.subarray(0, third));
      expect(first.statusCode, first.body).toBe(204);
      expect(first.headers['upload-offset']).toBe(String(third));
      // The connection dropped: the client asks where to go on from.
      const head = await tus('solang', 'HEAD', url, {});
      expect(head.headers['upload-offset']).toBe(String(third));
      expect(head.headers['upload-length']).toBe(String(bytes.length));
      // A chunk from the wrong offset changes nothing.
      expectError(await patch(0, bytes.subarray(0, third)), 409, 'offset_mismatch');
      expect((await patch(third, bytes.subarray(third, 2 * third))).statusCode).toBe(204);
      const last = await patch(2 * third, bytes.subarray(2 * third));
      expect(last.statusCode, last.body).toBe(200);
      const media = last.json<MediaJson>();
      expect(last.headers['gridline-media-id']).toBe(media.id);
      expect(media).toMatchObject({ kind: 'photo', mime: 'image/jpeg', sha256: sha256(bytes), width: 300, height: 200 });
      // Someone else cannot see or continue it.
      expect((await tus('tenzin', 'HEAD', url, {})).statusCode).toBe(404);
    });

    it('refuses a missing Tus-Resumable, a length over the limit, a chunk past the end, and content that is not media', async () => {
      const noVersion = await world.app.inject({ method: 'POST', url: '/api/v1/uploads', headers: { authorization: `Bearer ${api.token('solang')}`, 'upload-length': '10' } });
      expectError(noVersion, 400, 'tus_version_unsupported');
      expectError(await tus('solang', 'POST', '/api/v1/uploads', { 'upload-length': String(200 * 1024 * 1024) }), 413, 'file_too_large');
      expectError(await tus('solang', 'POST', '/api/v1/uploads', { 'upload-length': 'lots' }), 400, 'invalid_header');
      const created = await tus('solang', 'POST', '/api/v1/uploads', { 'upload-length': '16' });
      const url = created.headers.location as string;
      expectError(await tus('solang', 'PATCH', url, { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, Buffer.alloc(17)), 400, 'chunk_too_long');
      const done = await tus('solang', 'PATCH', url, { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, Buffer.from('#!/bin/sh\nrm -rf'.padEnd(16, ' ')));
      expectError(done, 415, 'unsupported_media_type');
      // Refused content is not kept: the upload is gone.
      expect((await tus('solang', 'HEAD', url, {})).statusCode).toBe(404);
      const abandoned = await tus('solang', 'POST', '/api/v1/uploads', { 'upload-length': '100' });
      expect((await tus('solang', 'DELETE', abandoned.headers.location as string, {})).statusCode).toBe(204);
      // A few uploads on the go, not hundreds: past the limit, finish or cancel one first.
      const open: string[] = [];
      for (let i = 0; i < MAX_OPEN_UPLOADS; i++) {
        const res = await tus('tenzin', 'POST', '/api/v1/uploads', { 'upload-length': '100' });
        if (res.statusCode !== 201) break;
        open.push(res.headers.location as string);
      }
      expect(open).toHaveLength(MAX_OPEN_UPLOADS);
      expectError(await tus('tenzin', 'POST', '/api/v1/uploads', { 'upload-length': '100' }), 429, 'too_many_open_uploads');
      await tus('tenzin', 'DELETE', open[0]!, {});
      expect((await tus('tenzin', 'POST', '/api/v1/uploads', { 'upload-length': '100' })).statusCode).toBe(201);
    });
  });

  describe('video', () => {
    const clips = { mp4: video('mp4', 1, 'test mp4'), mov: video('mov', 1, 'test mov') };
    it.skipIf(!clips.mp4)('MP4 and MOV get their duration, a poster frame and a copy without their GPS location tag (ffmpeg)', async () => {
      for (const [format, mime] of [['mp4', 'video/mp4'], ['mov', 'video/quicktime']] as const) {
        const clip = clips[format]!;
        expect(clip.includes(Buffer.from('+29.6500+091.1300')), `${format} carries a location`).toBe(true);
        const media = await uploaded('solang', clip, 'application/octet-stream');
        expect(media, format).toMatchObject({ kind: 'video', mime, preview: 'full' });
        expect(media.durationS, format).toBeCloseTo(1, 0);
        const poster = await copy('solang', `/api/v1/media/${media.id}?variant=poster`);
        expect(poster.headers['content-type']).toBe('image/webp');
        expect((await sharp(poster.rawPayload).metadata()).width).toBe(160);
        const clean = await copy('solang', `/api/v1/media/${media.id}?variant=video`);
        expect(clean.headers['content-type']).toBe(mime);
        expect(clean.rawPayload.includes(Buffer.from('+29.6500+091.1300')), `${format} clean copy`).toBe(false);
        expect(clean.rawPayload.length).toBeGreaterThan(1000);
      }
    });
    if (!clips.mp4) console.warn('media.test: ffmpeg is not installed; the video test is skipped (install Debian’s ffmpeg)');
  });
});

describe('configured limits (sqlite)', () => {
  let world: World;
  let app: FastifyInstance;
  let api: Api;

  beforeAll(async () => {
    world = await buildWorld(DIALECTS[0]!);
    const services = buildServices(world.database, { clock: world.clock, mediaStore: new MemoryMediaStore(), media: { limits: { photoBytes: 4096, videoBytes: 8192, audioBytes: 4096, audioSeconds: 120, maxPixels: 1_000_000, displayPx: 1600, thumbPx: 320, uploadQuotaBytes: 16_384 } }, evidence: { maxFiles: 2 } });
    app = await buildApp({ database: world.database, services });
    api = new Api({ ...world, app });
    await api.login('solang');
  });
  afterAll(async () => {
    await app?.close();
    await world?.close();
  });

  it('refuses a photo over the photo limit with 413 file_too_large, and a third file with too_many_media', async () => {
    const small = await photo({ label: 'small' });
    expect(small.length).toBeLessThan(4096);
    expect((await api.upload('solang', small)).statusCode).toBe(201);
    const big = await photo({ label: 'big', width: 200, height: 150, format: 'png', noise: true });
    expect(big.length).toBeGreaterThan(4096);
    expectError(await api.upload('solang', big, 'image/png'), 413, 'file_too_large');
    const files = await Promise.all([1, 2, 3].map((i) => photo({ label: `three ${i}` })));
    expectError(await api.postForm('solang', '/api/v1/media', files.map((f) => ({ name: 'file', value: f }))), 400, 'too_many_media');
    // Over the pixel limit however small the file.
    const wide = pngBomb(2000, 1000);
    expect(wide.length).toBeLessThan(4096);
    expectError(await api.upload('solang', wide, 'image/png'), 413, 'image_too_large');
  });
});
