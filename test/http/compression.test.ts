// Riders pay for every byte on a slow, metered signal: the API's JSON answers come compressed to a client
// that asks (Accept-Encoding), say so (Content-Encoding, Vary), and decompress to exactly the same answer.
// Small answers, refusals a person reads in a log, and photos go as they are.

import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { negotiateEncoding } from '../../src/http/compression.js';
import { DIALECTS } from '../support/db.js';
import { photo } from '../support/media.js';
import { buildWorld, type World } from '../support/world.js';
import { Api } from './support.js';

describe('Accept-Encoding negotiation', () => {
  it('prefers brotli, honours q-values and refusals, and falls back to identity', () => {
    expect(negotiateEncoding('gzip, deflate, br, zstd')).toBe('br');
    expect(negotiateEncoding('gzip, deflate')).toBe('gzip');
    expect(negotiateEncoding('br;q=0.5, gzip')).toBe('gzip');
    expect(negotiateEncoding('br;q=0, gzip;q=0')).toBeNull();
    expect(negotiateEncoding('*')).toBe('br');
    expect(negotiateEncoding('identity')).toBeNull();
    expect(negotiateEncoding('gzip;q=nonsense')).toBeNull();
    expect(negotiateEncoding(undefined)).toBeNull();
  });
});

describe.each(DIALECTS)('compressed answers ($name)', (dialect) => {
  let world: World;
  let api: Api;

  beforeAll(async () => {
    world = await buildWorld(dialect);
    api = new Api(world);
    await api.login('solang');
  });
  afterAll(async () => world?.close());

  it('sends the categories gzipped or in brotli to a client that asks, the same answer once decompressed', async () => {
    const plain = await api.get('solang', '/api/v1/categories');
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toMatch(/Accept-Encoding/i);
    expect(plain.rawPayload.length).toBeGreaterThan(1024);

    const gzipped = await api.get('solang', '/api/v1/categories', { 'accept-encoding': 'gzip, deflate' });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(Number(gzipped.headers['content-length'])).toBe(gzipped.rawPayload.length);
    expect(gzipped.rawPayload.length).toBeLessThan(plain.rawPayload.length / 3);
    expect(JSON.parse(zlib.gunzipSync(gzipped.rawPayload).toString())).toEqual(plain.json());

    const brotli = await api.get('solang', '/api/v1/categories', { 'accept-encoding': 'gzip, deflate, br' });
    expect(brotli.headers['content-encoding']).toBe('br');
    expect(JSON.parse(zlib.brotliDecompressSync(brotli.rawPayload).toString())).toEqual(plain.json());
  });

  it('leaves small answers, and media that is compressed already, as they are', async () => {
    const small = await api.get('solang', '/api/v1/me', { 'accept-encoding': 'gzip' });
    expect(small.statusCode).toBe(200);
    expect(small.rawPayload.length).toBeLessThan(1024);
    expect(small.headers['content-encoding']).toBeUndefined();

    const bytes = await photo({ label: 'compression', width: 400, height: 300 });
    const upload = await api.postForm('solang', '/api/v1/media', [{ name: 'file', value: bytes, filename: 'a.jpg', type: 'image/jpeg' }]);
    expect(upload.statusCode, upload.body).toBe(201);
    const id = upload.json<{ media: { id: string }[] }>().media[0]!.id;
    const original = await api.get('solang', `/api/v1/media/${id}?variant=original`, { 'accept-encoding': 'gzip, br' });
    expect(original.statusCode).toBe(200);
    expect(original.headers['content-encoding']).toBeUndefined();
    expect(Buffer.compare(original.rawPayload, bytes)).toBe(0);
  });

  it('compresses a refusal too, which still reads as the same error once decompressed', async () => {
    const res = await api.get('solang', `/api/v1/cases?status=${'x'.repeat(2000)}`, { 'accept-encoding': 'gzip' });
    expect(res.statusCode).toBe(400);
    const body = res.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(res.rawPayload).toString() : res.body;
    expect(JSON.parse(body)).toMatchObject({ error: { code: expect.any(String) } });
  });
});
