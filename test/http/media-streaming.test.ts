// Issue 8, on both dialects. Uploads are streamed, never buffered (defect 3): limits hold as bytes arrive
// (the photo limit as soon as the first bytes show a photo), refusals come before the rest of the body is
// read, temporary files go in every case, and only the roles that send evidence may send a body at all.
// Resumable uploads keep their bytes in the media store, not the database, within a per-user quota, and
// expire with their bytes (defect 7). A report form is checked whole before anything is stored, and junk
// behind an MP4 or HEIC header is refused without ffmpeg or heif-convert (defect 8). These tests talk to
// a listening server where it matters that the server answers before the client has sent everything.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { MemoryMediaStore } from '../../src/media/memory.js';
import { NO_MEDIA_TOOLS } from '../../src/media/process.js';
import { DEFAULT_MEDIA_LIMITS } from '../../src/media/types.js';
import { ManualClock } from '../../src/ports.js';
import { buildServices, type Services } from '../../src/compose.js';
import { DIALECTS } from '../support/db.js';
import { ftyp, handMadeHeic, handMadeMovie, photo } from '../support/media.js';
import { buildWorld, type World } from '../support/world.js';
import { Api, expectError, form, type MediaJson } from './support.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const LIMITS = { ...DEFAULT_MEDIA_LIMITS, photoBytes: 256 * KiB, videoBytes: 4 * MiB, audioBytes: 256 * KiB, uploadQuotaBytes: 3 * MiB };
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Bytes of the body the client had written when the answer came. */
  sent: number;
}

/** Writes `chunks` (then ends, unless `end` is false) and resolves with the answer as soon as it comes. */
function rawRequest(base: string, options: { method: string; path: string; headers: Record<string, string>; chunks: Buffer[]; end?: boolean }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    const url = new URL(options.path, base);
    const req = http.request({ host: url.hostname, port: url.port, method: options.method, path: url.pathname, headers: options.headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts).toString(), sent });
        req.destroy();
      });
    });
    req.on('error', (error) => (sent > 0 ? undefined : reject(error)));
    req.flushHeaders();
    void (async () => {
      for (const chunk of options.chunks) {
        if (req.destroyed) return;
        sent += chunk.length;
        if (!req.write(chunk)) await new Promise((ok) => req.once('drain', ok));
      }
      if (options.end !== false) req.end();
    })();
  });
}

async function eventually(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`never happened: ${what}`);
}

/** A JPEG of noise larger than the photo limit (256 KiB here). */
const bigPhoto = () => photo({ label: 'big photo', width: 640, height: 640, noise: true });
const elf = (bytes: number) => Buffer.concat([Buffer.from('7f454c46020101000000000000000000', 'hex'), Buffer.alloc(bytes - 16, 0x90)]);

describe.each(DIALECTS)('streamed uploads ($name)', (dialect) => {
  let world: World;
  let services: Services;
  let app: FastifyInstance;
  let api: Api;
  let base: string;
  let tempDir: string;
  let store: MemoryMediaStore;
  let clock: ManualClock;

  beforeAll(async () => {
    world = await buildWorld(dialect);
    tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gridline-spool-test-'));
    store = new MemoryMediaStore();
    clock = new ManualClock(world.clock.now());
    // No ffmpeg or heif-convert here: videos get placeholders, and only the structure check stands between junk and the store.
    services = buildServices(world.database, { clock, mediaStore: store, media: { tempDir, limits: LIMITS, tools: NO_MEDIA_TOOLS } });
    app = await buildApp({ database: world.database, services });
    api = new Api({ ...world, app });
    await api.loginAll(['solang', 'tenzin', 'admin', 'dispatcher']);
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await world?.close();
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  });

  const auth = (username: string) => ({ authorization: `Bearer ${api.token(username)}` });
  const tempFiles = () => fs.readdirSync(tempDir);
  const noTempFiles = () => eventually(() => tempFiles().length === 0, `temporary files removed (left: ${tempFiles().join(', ')})`);
  /** What uploads have left behind: store objects and media rows. */
  const stored = async () => ({
    objects: [...store.objects.keys()].sort(),
    media: (await world.database.db.selectFrom('media').select('id').execute()).map((m) => m.id).sort(),
  });
  const json = <T>(res: RawResponse) => JSON.parse(res.body) as T;

  describe('raw and multipart bodies (defect 3)', () => {
    it('refuses a photo over the photo limit as soon as its first bytes show a photo, long before the rest is sent', async () => {
      const bytes = await bigPhoto();
      expect(bytes.length).toBeGreaterThan(LIMITS.photoBytes);
      const before = await stored();
      // Announced: refused once the first 64 kB show a photo. The client has sent 128 kB of it and waits.
      const announced = await rawRequest(base, {
        method: 'POST',
        path: '/api/v1/media',
        headers: { ...auth('solang'), 'content-type': 'image/jpeg', 'content-length': String(bytes.length) },
        chunks: [bytes.subarray(0, 128 * KiB)],
        end: false,
      });
      expect(announced.status, announced.body).toBe(413);
      expect(json<{ error: { code: string; details: object } }>(announced).error).toMatchObject({ code: 'file_too_large', details: { kind: 'photo', limit: LIMITS.photoBytes, bytes: bytes.length } });
      expect(announced.headers.connection).toBe('close');
      // Not announced (chunked): refused once more than the photo limit has arrived, not at the video limit.
      const chunked = await rawRequest(base, {
        method: 'POST',
        path: '/api/v1/media',
        headers: { ...auth('solang'), 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
        chunks: Array.from({ length: Math.ceil(bytes.length / (16 * KiB)) }, (_, i) => bytes.subarray(i * 16 * KiB, (i + 1) * 16 * KiB)),
        end: false,
      });
      expect(chunked.status, chunked.body).toBe(413);
      expect(json<{ error: { code: string; details: object } }>(chunked).error).toMatchObject({ code: 'file_too_large', details: { kind: 'photo', limit: LIMITS.photoBytes } });
      expect(await stored()).toEqual(before);
      await noTempFiles();
    });

    it('refuses what is not media after its first bytes, and an announced length over the largest limit before reading a byte', async () => {
      const notMedia = await rawRequest(base, {
        method: 'POST',
        path: '/api/v1/media',
        headers: { ...auth('solang'), 'content-type': 'image/jpeg', 'content-length': String(3 * MiB) },
        chunks: [elf(100 * KiB)],
        end: false,
      });
      expect(notMedia.status, notMedia.body).toBe(415);
      expect(json<{ error: { code: string; details: object } }>(notMedia).error).toMatchObject({ code: 'unsupported_media_type', details: { detected: 'application/x-elf' } });
      const tooLong = await rawRequest(base, {
        method: 'POST',
        path: '/api/v1/media',
        headers: { ...auth('solang'), 'content-type': 'video/mp4', 'content-length': String(LIMITS.videoBytes + 1) },
        chunks: [],
        end: false,
      });
      expect(tooLong.status, tooLong.body).toBe(413);
      expect(json<{ error: { code: string } }>(tooLong).error.code).toBe('file_too_large');
      expect(tooLong.headers.connection).toBe('close');
      await noTempFiles();
    });

    it('takes a video up to the video limit as a stream, and serves the original back as a stream with its length', async () => {
      const movie = handMadeMovie({ mdatBytes: 3 * MiB });
      const res = await rawRequest(base, { method: 'POST', path: '/api/v1/media', headers: { ...auth('solang'), 'content-type': 'video/mp4', 'content-length': String(movie.length) }, chunks: [movie] });
      expect(res.status, res.body).toBe(201);
      const media = json<MediaJson>(res);
      expect(media).toMatchObject({ kind: 'video', mime: 'video/mp4', bytes: movie.length, sha256: sha256(movie), preview: 'no_ffmpeg' });
      const original = await api.get('solang', `/api/v1/media/${media.id}?variant=original`);
      expect(original.statusCode).toBe(200);
      expect(original.headers['content-length']).toBe(String(movie.length));
      expect(original.rawPayload.equals(movie)).toBe(true);
      await noTempFiles();
    });

    it('removes the temporary file of a request aborted mid-body, and keeps serving', async () => {
      const movie = handMadeMovie({ mdatBytes: 2 * MiB });
      const req = http.request(`${base}/api/v1/media`, { method: 'POST', agent: false, headers: { ...auth('solang'), 'content-type': 'video/mp4', 'content-length': String(movie.length) } });
      req.on('error', () => undefined);
      req.write(movie.subarray(0, 512 * KiB));
      await eventually(() => tempFiles().length === 1, 'the upload is being spooled');
      req.destroy();
      await noTempFiles();
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      expect(store.objects.has(sha256(movie))).toBe(false);
      // The same for a form: its first file spooled whole, the second cut off.
      const { body, contentType } = await form([
        { name: 'file', value: await photo({ label: 'before the cut' }), filename: 'IMG_1.JPG' },
        { name: 'file', value: movie, filename: 'VID_2.MP4' },
      ]);
      const formReq = http.request(`${base}/api/v1/media`, { method: 'POST', agent: false, headers: { ...auth('solang'), 'content-type': contentType, 'content-length': String(body.length) } });
      formReq.on('error', () => undefined);
      formReq.write(body.subarray(0, 1 * MiB));
      await eventually(() => tempFiles().length === 2, 'both files are being spooled');
      formReq.destroy();
      await noTempFiles();
    });

    it('stores nothing of a form with a refused file, names the file, and leaves no temporary files', async () => {
      const before = await stored();
      const small = await photo({ label: 'form beside a big one' });
      const res = await api.postForm('solang', '/api/v1/media', [
        { name: 'file', value: small, filename: 'IMG_1.JPG' },
        { name: 'file', value: await bigPhoto(), filename: 'IMG_2.JPG' },
      ]);
      const err = expectError(res, 413, 'file_too_large');
      expect(err.details).toMatchObject({ kind: 'photo', limit: LIMITS.photoBytes, file: { index: 1, name: 'IMG_2.JPG' } });
      const junk = await api.postForm('solang', '/api/v1/media', [
        { name: 'file', value: small, filename: 'IMG_1.JPG' },
        { name: 'file', value: Buffer.concat([ftyp('isom', 'isom', 'mp41'), Buffer.alloc(4000, 0x20)]), filename: 'VID_2.MP4' },
      ]);
      expect(expectError(junk, 415, 'undecodable_media').details).toMatchObject({ kind: 'video', file: { index: 1, name: 'VID_2.MP4' } });
      expect(await stored()).toEqual(before);
      await noTempFiles();
      // Without the refused file the form goes through.
      expect((await api.postForm('solang', '/api/v1/media', [{ name: 'file', value: small, filename: 'IMG_1.JPG' }])).statusCode).toBe(201);
    });

    it('refuses media from administrators before reading the body (403 role_not_allowed)', async () => {
      const raw = await rawRequest(base, { method: 'POST', path: '/api/v1/media', headers: { ...auth('admin'), 'content-type': 'video/mp4', 'content-length': String(2 * MiB) }, chunks: [], end: false });
      expect(raw.status, raw.body).toBe(403);
      expect(json<{ error: { code: string } }>(raw).error.code).toBe('role_not_allowed');
      expectError(await api.post('admin', '/api/v1/uploads', undefined, { 'tus-resumable': '1.0.0', 'upload-length': '100' }), 403, 'role_not_allowed');
      const report = await api.postForm('admin', '/api/v1/reports', [
        { name: 'report', value: JSON.stringify({ categoryId: world.category('01-003').id, description: '井盖', lat: world.najinPoint.lat, lon: world.najinPoint.lon }) },
        { name: 'photo', value: await photo({ label: 'from admin' }) },
      ]);
      expectError(report, 403, 'role_not_allowed');
      // Every other role sends evidence.
      expect((await api.upload('dispatcher', await photo({ label: 'dispatcher evidence' }))).statusCode).toBe(201);
      await noTempFiles();
    });
  });

  describe('junk behind a valid header, without ffmpeg or heif-convert (defect 8)', () => {
    it('refuses junk behind an MP4, MOV or HEIC header with 415 undecodable_media, and takes sound files with placeholders', async () => {
      const before = await stored();
      const junk = Buffer.alloc(8000, 0x7a);
      for (const [bytes, kind] of [
        [Buffer.concat([ftyp('isom', 'isom', 'mp41'), junk]), 'video'],
        [Buffer.concat([ftyp('qt  ', 'qt  '), junk]), 'video'],
        [Buffer.concat([handMadeMovie(), junk]), 'video'],
        [Buffer.concat([ftyp('heic', 'mif1', 'heic'), junk]), 'photo'],
        [Buffer.concat([handMadeHeic(), junk]), 'photo'],
      ] as const) {
        const err = expectError(await api.upload('solang', bytes, 'application/octet-stream'), 415, 'undecodable_media');
        expect(err.details).toMatchObject({ kind });
      }
      expect(await stored()).toEqual(before);
      const heic = await api.upload('solang', handMadeHeic(), 'image/heic');
      expect(heic.statusCode, heic.body).toBe(201);
      expect(heic.json<MediaJson>()).toMatchObject({ kind: 'photo', mime: 'image/heic', preview: 'no_heif_decoder' });
      const mov = await api.upload('solang', handMadeMovie({ quicktime: true }), 'video/quicktime');
      expect(mov.json<MediaJson>()).toMatchObject({ kind: 'video', mime: 'video/quicktime', preview: 'no_ffmpeg' });
    });
  });

  describe('a report with its photos inline is checked whole before anything is stored (defect 8)', () => {
    const report = (extra: object = {}) => ({ categoryId: world.category('01-003').id, description: '井盖翘起来了', lat: world.najinPoint.lat, lon: world.najinPoint.lon, ...extra });
    const refusedForm = async (parts: Parameters<typeof form>[0], status: number, code: string, field?: string) => {
      const before = await stored();
      const err = expectError(await api.postForm('tenzin', '/api/v1/reports', parts), status, code, field);
      expect(await stored(), code).toEqual(before);
      await noTempFiles();
      return err;
    };

    it('stores no photo when the report does not match the schema', async () => {
      const file = { name: 'photo', value: await photo({ label: 'schema refusal' }), filename: 'IMG_1.JPG' };
      await refusedForm([{ name: 'report', value: JSON.stringify(report({ lat: 'north' })) }, file], 400, 'validation_failed', 'lat');
      await refusedForm([{ name: 'report', value: JSON.stringify({ description: '没有分类' }) }, file], 400, 'validation_failed', 'categoryId');
      await refusedForm([{ name: 'report', value: JSON.stringify(report({ media: 'not a list' })) }, file], 400, 'validation_failed', 'media');
      await refusedForm([{ name: 'report', value: '{"description":' }, file], 400, 'invalid_json', 'report');
    });

    it('refuses NUL, a lone surrogate and bytes that are not UTF-8 anywhere in the report, as a JSON report would be', async () => {
      const file = { name: 'photo', value: await photo({ label: 'text refusal' }) };
      await refusedForm([{ name: 'report', value: JSON.stringify(report({ description: '井盖\u0000坏了' })) }, file], 400, 'invalid_characters', 'description');
      await refusedForm([{ name: 'report', value: JSON.stringify(report({ address: '纳金路\ud800' })) }, file], 400, 'invalid_characters', 'address');
      await refusedForm([{ name: 'report', value: JSON.stringify(report()).replace('"井盖', '"\\ud800井盖') }, file], 400, 'invalid_characters', 'description');
      const bytes = Buffer.concat([Buffer.from(JSON.stringify(report()).slice(0, -1)), Buffer.from(',"address":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]);
      await refusedForm([{ name: 'report', value: bytes, filename: 'report.json', type: 'application/json' }, file], 400, 'invalid_utf8', 'report');
      // The same through a text field: the raw bytes are judged, not what a lenient decoder made of them.
      const boundary = 'gridline-test-boundary';
      const raw = Buffer.concat([
        Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="report"\r\n\r\n`),
        bytes,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      expectError(await api.post('tenzin', '/api/v1/reports', raw, { 'content-type': `multipart/form-data; boundary=${boundary}` }), 400, 'invalid_utf8', 'report');
    });

    it('stores none of the photos when one of them is refused, or when there are more than a report may carry', async () => {
      const good = await photo({ label: 'good inline' });
      const err = await refusedForm(
        [{ name: 'report', value: JSON.stringify(report()) }, { name: 'photo', value: good, filename: 'IMG_1.JPG' }, { name: 'photo', value: elf(2000), filename: 'IMG_2.JPG' }],
        415,
        'unsupported_media_type',
      );
      expect(err.details).toMatchObject({ file: { index: 1, name: 'IMG_2.JPG' } });
      const nine = Array.from({ length: 9 }, (_, i) => `not-yet-${i}`);
      await refusedForm([{ name: 'report', value: JSON.stringify(report({ media: nine })) }, { name: 'photo', value: good }], 400, 'too_many_media', 'media');
    });

    it('takes the report as a text field or as a JSON file part, with its photos', async () => {
      for (const [label, reportPart] of [
        ['text field', (r: object) => ({ name: 'report', value: JSON.stringify(r) })],
        ['JSON blob', (r: object) => ({ name: 'report', value: Buffer.from(JSON.stringify(r)), filename: 'blob', type: 'application/json' })],
      ] as const) {
        const bytes = await photo({ label: `inline ${label}` });
        const res = await api.postForm('tenzin', '/api/v1/reports', [reportPart(report({ description: `井盖 (${label}) ✓ ལྷ་ས` })), { name: 'photo', value: bytes }]);
        expect(res.statusCode, res.body).toBe(201);
        const created = res.json<{ media: string[]; description: string }>();
        expect(created.media).toHaveLength(1);
        expect(created.description).toBe(`井盖 (${label}) ✓ ལྷ་ས`);
        const info = (await api.get('tenzin', `/api/v1/media/${created.media[0]}/info`)).json<MediaJson>();
        expect(info.sha256).toBe(sha256(bytes));
      }
      await noTempFiles();
    });
  });

  describe('resumable uploads keep their bytes in the media store (defect 7)', () => {
    const tus = (username: string, method: 'POST' | 'PATCH' | 'HEAD' | 'DELETE', url: string, headers: Record<string, string>, payload?: Buffer, on: FastifyInstance = app) =>
      on.inject({ method, url, ...(payload ? { payload } : {}), headers: { ...auth(username), 'tus-resumable': '1.0.0', ...headers } });
    const create = async (username: string, length: number) => {
      const res = await tus(username, 'POST', '/api/v1/uploads', { 'upload-length': String(length) });
      expect(res.statusCode, res.body).toBe(201);
      return res.headers.location as string;
    };
    const patch = (username: string, url: string, offset: number, chunk: Buffer, on?: FastifyInstance) =>
      tus(username, 'PATCH', url, { 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' }, chunk, on);
    const idOf = (url: string) => url.split('/').at(-1)!;
    const dbBytes = async () => {
      const rows = await world.database.db.selectFrom('upload_parts').selectAll().execute();
      return rows.reduce((n, r) => n + Number(r.bytes), 0);
    };

    it('keeps each chunk as a part in the store and only its place in the database; the last chunk assembles the file', async () => {
      const movie = handMadeMovie({ mdatBytes: 600 * KiB });
      const url = await create('solang', movie.length);
      const id = idOf(url);
      const half = 300 * KiB;
      expect((await patch('solang', url, 0, movie.subarray(0, half))).statusCode).toBe(204);
      const parts = store.parts.get(id)!;
      expect([...parts.values()].map((b) => b.equals(movie.subarray(0, half)))).toEqual([true]);
      const rows = await world.database.db.selectFrom('upload_parts').selectAll().where('upload_id', '=', id).execute();
      expect(rows.map((r) => ({ start: Number(r.start_byte), bytes: Number(r.bytes), part: r.part }))).toEqual([{ start: 0, bytes: half, part: [...parts.keys()][0] }]);
      const last = await patch('solang', url, half, movie.subarray(half));
      expect(last.statusCode, last.body).toBe(200);
      expect(last.json<MediaJson>()).toMatchObject({ kind: 'video', sha256: sha256(movie), bytes: movie.length });
      expect(store.parts.has(id)).toBe(false);
      expect(await world.database.db.selectFrom('upload_parts').selectAll().where('upload_id', '=', id).execute()).toEqual([]);
      expect((await tus('solang', 'HEAD', url, {})).headers['gridline-media-id']).toBe(last.json<MediaJson>().id);
      await noTempFiles();
    });

    it('lets any process take the next chunk: the state is in the database, the bytes in the shared store', async () => {
      const other = await buildApp({ database: world.database, services: buildServices(world.database, { clock, mediaStore: store, media: { tempDir, limits: LIMITS, tools: NO_MEDIA_TOOLS } }) });
      try {
        const bytes = await photo({ label: 'two processes', width: 200, height: 150, noise: true });
        const half = Math.floor(bytes.length / 2);
        const url = await create('tenzin', bytes.length);
        expect((await patch('tenzin', url, 0, bytes.subarray(0, half))).statusCode).toBe(204);
        const head = await tus('tenzin', 'HEAD', url, {}, undefined, other);
        expect(head.headers['upload-offset']).toBe(String(half));
        const done = await patch('tenzin', url, half, bytes.subarray(half), other);
        expect(done.statusCode, done.body).toBe(200);
        expect(done.json<MediaJson>()).toMatchObject({ sha256: sha256(bytes), width: 200, height: 150 });
      } finally {
        await other.close();
      }
    });

    it('takes one of two chunks racing for the same offset, and the file comes out whole', async () => {
      const bytes = await photo({ label: 'racing chunks', width: 120, height: 90, noise: true });
      const half = Math.floor(bytes.length / 2);
      const url = await create('tenzin', bytes.length);
      const first = bytes.subarray(0, half);
      const statuses = (await Promise.all([patch('tenzin', url, 0, first), patch('tenzin', url, 0, first)])).map((r) => r.statusCode).sort();
      expect(statuses).toEqual([204, 409]);
      const done = await patch('tenzin', url, half, bytes.subarray(half));
      expect(done.statusCode, done.body).toBe(200);
      expect(done.json<MediaJson>().sha256).toBe(sha256(bytes));
    });

    it('refuses a first chunk that is not media, or a photo declared over the photo limit, and drops the upload', async () => {
      const url = await create('tenzin', 100 * KiB);
      expectError(await patch('tenzin', url, 0, elf(10 * KiB)), 415, 'unsupported_media_type');
      expect((await tus('tenzin', 'HEAD', url, {})).statusCode).toBe(404);
      const big = await create('tenzin', LIMITS.photoBytes + 1);
      const jpeg = await photo({ label: 'declared too big' });
      expect(expectError(await patch('tenzin', big, 0, jpeg), 413, 'file_too_large').details).toMatchObject({ kind: 'photo', limit: LIMITS.photoBytes });
      expect((await tus('tenzin', 'HEAD', big, {})).statusCode).toBe(404);
      expect(store.parts.has(idOf(url)) || store.parts.has(idOf(big))).toBe(false);
      await noTempFiles();
    });

    it('holds each user to a quota of bytes in unfinished uploads (413 or 429 upload_quota_exceeded), freed by finishing or cancelling', async () => {
      // A file larger than the whole quota can never be sent this way.
      const whole = expectError(await tus('solang', 'POST', '/api/v1/uploads', { 'upload-length': String(LIMITS.uploadQuotaBytes + 1) }), 413, 'upload_quota_exceeded');
      expect(whole.details).toMatchObject({ quotaBytes: LIMITS.uploadQuotaBytes, requestedBytes: LIMITS.uploadQuotaBytes + 1 });
      const a = await create('solang', 2 * MiB);
      const b = await create('solang', MiB);
      const over = expectError(await tus('solang', 'POST', '/api/v1/uploads', { 'upload-length': '1' }), 429, 'upload_quota_exceeded');
      expect(over.details).toEqual({ quotaBytes: LIMITS.uploadQuotaBytes, heldBytes: 3 * MiB, requestedBytes: 1 });
      // Another user's quota is their own.
      const theirs = await create('tenzin', 2 * MiB);
      expect((await tus('solang', 'DELETE', a, {})).statusCode).toBe(204);
      const c = await create('solang', 2 * MiB);
      for (const [who, url] of [['solang', b], ['solang', c], ['tenzin', theirs]] as const) expect((await tus(who, 'DELETE', url, {})).statusCode).toBe(204);
    });

    it('expires abandoned uploads in the sweep, their bytes in the store with them', async () => {
      const url = await create('solang', 500 * KiB);
      expect((await patch('solang', url, 0, handMadeMovie({ mdatBytes: 600 * KiB }).subarray(0, 100 * KiB))).statusCode).toBe(204);
      expect(store.parts.has(idOf(url))).toBe(true);
      expect(await dbBytes()).toBeGreaterThan(0);
      clock.advance(25 * 60);
      const swept = await services.sweep.run();
      expect(swept.uploadsExpired).toBeGreaterThanOrEqual(1);
      expect(store.parts.has(idOf(url))).toBe(false);
      expect(await world.database.db.selectFrom('uploads').select('id').where('id', '=', idOf(url)).execute()).toEqual([]);
      expect(await dbBytes()).toBe(0);
    });
  });
});
