// Evidence stored in S3-compatible object storage (issue 4), through the whole HTTP path: an upload lands
// in the bucket as its original and copies under content-addressed keys, is served back from there, and
// the same bytes uploaded again add nothing. Runs against a local s3rver started here (skipped, with a
// message, where it cannot start).

import { createHash } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { S3MediaStore } from '../../src/media/s3.js';
import { buildServices } from '../../src/compose.js';
import { DIALECTS } from '../support/db.js';
import { photo } from '../support/media.js';
import { startS3, type TestS3 } from '../support/s3.js';
import { buildWorld, type World } from '../support/world.js';
import { Api, type MediaJson } from './support.js';

const started = await startS3('gridline-evidence');
const s3: TestS3 | undefined = 'skipped' in started ? undefined : started;
const skipped = 'skipped' in started ? started.skipped : undefined;
if (skipped) console.warn(`media-s3.test: skipped, no S3-compatible server: ${skipped}`);

describe.skipIf(skipped)('evidence in S3 (sqlite)', () => {
  let world: World;
  let app: FastifyInstance;
  let api: Api;
  let store: S3MediaStore;

  beforeAll(async () => {
    world = await buildWorld(DIALECTS[0]!);
    store = new S3MediaStore({ bucket: s3!.bucket, prefix: 'evidence/', endpoint: s3!.endpoint, region: s3!.region, forcePathStyle: true, accessKeyId: s3!.accessKeyId, secretAccessKey: s3!.secretAccessKey });
    const services = buildServices(world.database, { clock: world.clock, mediaStore: store });
    app = await buildApp({ database: world.database, services });
    api = new Api({ ...world, app });
    await api.loginAll(['solang', 'dispatcher']);
  });
  afterAll(async () => {
    await app?.close();
    await world?.close();
    store?.close();
    await s3?.close();
  });

  const objects = async (prefix = 'evidence/') => {
    const listed = await store.client.send(new ListObjectsV2Command({ Bucket: s3!.bucket, Prefix: prefix }));
    return (listed.Contents ?? []).map((o) => o.Key!).sort();
  };

  it('stores the original and its copies in the bucket, serves them back, and stores repeats once', async () => {
    const bytes = await photo({ label: 's3 photo', width: 640, height: 480, gps: world.najinPoint, takenAt: '2025:05:07 20:55:00' });
    const res = await api.upload('solang', bytes);
    expect(res.statusCode, res.body).toBe(201);
    const media = res.json<MediaJson>();
    const keys = await objects();
    expect(keys).toHaveLength(3); // original, display, thumb
    expect(keys).toContain(`evidence/${media.sha256.slice(0, 2)}/${media.sha256}`);
    for (const key of keys) expect(key).toMatch(/^evidence\/[0-9a-f]{2}\/[0-9a-f]{64}$/);

    await world.report('solang', { media: [media.id] });
    const display = await api.get('dispatcher', `/api/v1/media/${media.id}?variant=display`);
    expect(display.statusCode).toBe(200);
    expect((await sharp(display.rawPayload).metadata()).width).toBe(640);
    const original = await api.get('dispatcher', `/api/v1/media/${media.id}?variant=original`);
    expect(original.rawPayload.equals(bytes)).toBe(true);

    expect((await api.upload('solang', bytes)).statusCode).toBe(201);
    expect(await objects()).toEqual(keys);
  });

  it('keeps the chunks of a resumable upload as objects of their own, then assembles them into one original', async () => {
    const bytes = await photo({ label: 's3 chunked', width: 300, height: 200, noise: true });
    const tus = (method: 'POST' | 'PATCH', url: string, headers: Record<string, string>, payload?: Buffer) =>
      app.inject({ method, url, ...(payload ? { payload } : {}), headers: { authorization: `Bearer ${api.token('solang')}`, 'tus-resumable': '1.0.0', ...headers } });
    const created = await tus('POST', '/api/v1/uploads', { 'upload-length': String(bytes.length) });
    const url = created.headers.location as string;
    const id = url.split('/').at(-1)!;
    // Chunks smaller than S3's 5 MiB multipart minimum are fine: each is an object.
    const third = Math.floor(bytes.length / 3);
    for (const at of [0, third]) {
      const res = await tus('PATCH', url, { 'upload-offset': String(at), 'content-type': 'application/offset+octet-stream' }, bytes.subarray(at, at + third));
      expect(res.statusCode, res.body).toBe(204);
    }
    expect(await objects(`evidence/uploads/${id}/`)).toHaveLength(2);
    const last = await tus('PATCH', url, { 'upload-offset': String(2 * third), 'content-type': 'application/offset+octet-stream' }, bytes.subarray(2 * third));
    expect(last.statusCode, last.body).toBe(200);
    const media = last.json<MediaJson>();
    expect(media.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(await objects(`evidence/uploads/${id}/`)).toEqual([]);
    expect(await objects()).toContain(`evidence/${media.sha256.slice(0, 2)}/${media.sha256}`);
    const original = await api.get('solang', `/api/v1/media/${media.id}?variant=original`);
    expect(original.rawPayload.equals(bytes)).toBe(true);
  });
});
