// Media over HTTP: raw-body uploads sniffed from their bytes, refusals of anything that is not a photo
// or a video, size limits, and downloads with safe headers for the people allowed to see them.

import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { demoPhoto } from '../../src/seed/demo.js';
import { DIALECTS } from '../support/db.js';
import { buildWorld, type World } from '../support/world.js';
import { Api, expectError, tinyPng, type MediaJson } from './support.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe.each(DIALECTS)('media over HTTP ($name)', (dialect) => {
  let world: World;
  let api: Api;

  beforeAll(async () => {
    world = await buildWorld(dialect);
    api = new Api(world);
    await api.loginAll(['solang', 'tenzin', 'dispatcher', 'municipal', 'zx-dispatcher']);
  });
  afterAll(() => world?.close());

  const uploaded = async (username: string, bytes: Buffer, contentType = 'image/jpeg'): Promise<MediaJson> => {
    const res = await api.upload(username, bytes, contentType);
    expect(res.statusCode, res.body).toBe(201);
    return res.json<MediaJson>();
  };

  it('takes a JPEG as the raw body: 201 with id, kind photo, mime, size and SHA-256', async () => {
    const bytes = demoPhoto('manhole before');
    const media = await uploaded('solang', bytes);
    expect(media).toEqual({ id: expect.any(String), kind: 'photo', mime: 'image/jpeg', bytes: bytes.length, sha256: sha256(bytes) });
  });

  it('takes a PNG and sniffs its type from the bytes, whatever the declared type', async () => {
    const png = tinyPng();
    for (const declared of ['image/png', 'image/jpeg', 'application/octet-stream', 'image/heic']) {
      const media = await uploaded('solang', png, declared);
      expect(media, declared).toMatchObject({ kind: 'photo', mime: 'image/png', bytes: png.length });
    }
    const jpegAsPng = await uploaded('solang', demoPhoto('declared as png'), 'image/png');
    expect(jpegAsPng.mime).toBe('image/jpeg');
  });

  it('accepts a declared type in upper case', async () => {
    expect((await api.upload('solang', demoPhoto('upper case'), 'IMAGE/JPEG')).statusCode).toBe(201);
    expect((await api.upload('solang', demoPhoto('octet params'), 'application/octet-stream; x=1')).statusCode).toBe(201);
  });

  // The content-type parsers are regexes anchored with `$`, so any parameter after the media type
  // makes Fastify answer 415 before the bytes are even sniffed.
  it('accepts a declared image or video type with parameters', async () => {
    for (const declared of ['image/jpeg; charset=binary', 'image/jpeg;name=photo.jpg', 'video/mp4; codecs="avc1.42E01E"']) {
      const res = await api.upload('solang', demoPhoto(declared), declared);
      expect(res.statusCode, `${declared}: ${res.body}`).toBe(201);
    }
  });

  it('recognises WebP photos and MP4/MOV videos', async () => {
    const webp = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x1a, 0, 0, 0]), Buffer.from('WEBPVP8 '), Buffer.alloc(16)]);
    expect(await uploaded('solang', webp, 'image/webp')).toMatchObject({ kind: 'photo', mime: 'image/webp' });
    const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(16)]);
    expect(await uploaded('solang', mp4, 'video/mp4')).toMatchObject({ kind: 'video', mime: 'video/mp4' });
    const mov = Buffer.concat([Buffer.from([0, 0, 0, 0x14]), Buffer.from('ftypqt  '), Buffer.alloc(16)]);
    expect(await uploaded('solang', mov, 'video/quicktime')).toMatchObject({ kind: 'video', mime: 'video/quicktime' });
  });

  it('refuses a Windows executable declared as image/jpeg: 415 unsupported_media_type', async () => {
    const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(58), Buffer.from('This program cannot be run in DOS mode.')]);
    expectError(await api.upload('solang', exe, 'image/jpeg'), 415, 'unsupported_media_type');
    expectError(await api.upload('solang', exe, 'application/octet-stream'), 415, 'unsupported_media_type');
  });

  it('refuses SVG and HTML, however they are declared: 415', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(document.cookie)</script></svg>');
    expectError(await api.upload('solang', svg, 'image/svg+xml'), 415, 'unsupported_media_type');
    const html = Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>');
    expectError(await api.upload('solang', html, 'image/jpeg'), 415, 'unsupported_media_type');
    expectError(await api.upload('solang', html, 'text/html'), 415);
    // Two bytes of a JPEG start are not a JPEG.
    expectError(await api.upload('solang', Buffer.from([0xff, 0xd8]), 'image/jpeg'), 415, 'unsupported_media_type');
  });

  it('refuses an upload without a content type or with a non-media one: 415', async () => {
    const res = await world.app.inject({ method: 'POST', url: '/api/v1/media', payload: demoPhoto('no type'), headers: { authorization: `Bearer ${api.token('solang')}` } });
    expectError(res, 415);
    expectError(await api.upload('solang', demoPhoto('as json'), 'application/json'), 400);
  });

  it('refuses an empty body: 400 empty_upload', async () => {
    const res = await world.app.inject({ method: 'POST', url: '/api/v1/media', headers: { authorization: `Bearer ${api.token('solang')}`, 'content-type': 'image/jpeg' } });
    expectError(res, 400, 'empty_upload');
    expectError(await api.upload('solang', Buffer.alloc(0), 'image/png'), 400, 'empty_upload');
  });

  it('refuses a body over the 15 MB default limit: 413', async () => {
    const big = Buffer.concat([demoPhoto('huge'), Buffer.alloc(15 * 1024 * 1024)]);
    expectError(await api.upload('solang', big, 'image/jpeg'), 413, /too_large/);
  });

  it('needs a login to upload: 401', async () => {
    const res = await world.app.inject({ method: 'POST', url: '/api/v1/media', payload: demoPhoto('anonymous'), headers: { 'content-type': 'image/jpeg' } });
    expectError(res, 401, 'unauthenticated');
  });

  it('stores the same bytes once: two uploads give the same SHA-256', async () => {
    const bytes = demoPhoto('same twice');
    const a = await uploaded('solang', bytes);
    const b = await uploaded('tenzin', bytes, 'application/octet-stream');
    expect(b.sha256).toBe(a.sha256);
    expect(b.sha256).toBe(sha256(bytes));
    expect(b.bytes).toBe(a.bytes);
  });

  it('gives the bytes back to the uploader with the sniffed type and nosniff', async () => {
    const bytes = demoPhoto('download me');
    const media = await uploaded('solang', bytes, 'application/octet-stream');
    const res = await api.get('solang', `/api/v1/media/${media.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-disposition']).toBe('inline');
    expect(res.rawPayload.equals(bytes)).toBe(true);

    const png = await uploaded('solang', tinyPng(), 'image/jpeg');
    const pngRes = await api.get('solang', `/api/v1/media/${png.id}`);
    expect(pngRes.headers['content-type']).toBe('image/png');
    expect(pngRes.rawPayload.equals(tinyPng())).toBe(true);
  });

  it('shows media to those who may see a case carrying them, hides them from everyone else: 404 media_not_found', async () => {
    const media = await uploaded('solang', demoPhoto('private evidence'));
    // Not yet evidence of any case: only the uploader sees it.
    expectError(await api.get('dispatcher', `/api/v1/media/${media.id}`), 404, 'media_not_found');
    await world.report('solang', { media: [media.id] });
    expect((await api.get('dispatcher', `/api/v1/media/${media.id}`)).statusCode).toBe(200);
    // Municipal works has not been sent the case; Zhaxi's command centre does not cover Najin.
    expectError(await api.get('municipal', `/api/v1/media/${media.id}`), 404, 'media_not_found');
    expectError(await api.get('zx-dispatcher', `/api/v1/media/${media.id}`), 404, 'media_not_found');
    const hidden = expectError(await api.get('tenzin', `/api/v1/media/${media.id}`), 404, 'media_not_found');
    const missing = expectError(await api.get('tenzin', '/api/v1/media/no-such-media'), 404, 'media_not_found');
    expect(hidden.code).toBe(missing.code);
    expectError(await world.app.inject({ method: 'GET', url: `/api/v1/media/${media.id}` }), 401, 'unauthenticated');
  });

  it('answers path tricks in a media id with 404 or 400, never with a file', async () => {
    for (const id of ['..%2F..%2Fetc%2Fpasswd', '%2e%2e', 'a'.repeat(64)]) {
      const res = await api.get('dispatcher', `/api/v1/media/${id}`);
      expect(res.statusCode, id).toBe(404);
    }
    expectError(await api.get('dispatcher', `/api/v1/media/${'a'.repeat(65)}`), 400, 'validation_failed', 'id');
  });

  it('attaches uploaded photos to a report', async () => {
    const media = await uploaded('tenzin', demoPhoto('evidence for report'));
    const res = await api.post('tenzin', '/api/v1/reports', {
      categoryId: world.category('01-003').id,
      description: '井盖翘起来了',
      lat: world.najinPoint.lat,
      lon: world.najinPoint.lon,
      media: [media.id, media.id],
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<{ media: string[] }>().media).toEqual([media.id]);
  });
});

describe('media upload limit (sqlite)', () => {
  let world: World;
  let app: FastifyInstance;
  let token: string;

  beforeAll(async () => {
    world = await buildWorld(DIALECTS[0]!);
    app = await buildApp({ database: world.database, services: world.services, maxUploadBytes: 1024 });
    const api = new Api(world);
    token = await api.login('solang');
  });
  afterAll(async () => {
    await app?.close();
    await world?.close();
  });

  const upload = (bytes: Buffer) => app.inject({ method: 'POST', url: '/api/v1/media', payload: bytes, headers: { authorization: `Bearer ${token}`, 'content-type': 'image/jpeg' } });
  const jpegOf = (size: number) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(size - 4)]);

  it('takes a body at the configured limit and refuses one byte more with 413', async () => {
    expect((await upload(jpegOf(1024))).statusCode).toBe(201);
    expectError(await upload(jpegOf(1025)), 413, /too_large/);
  });
});
