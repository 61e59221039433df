// Resumable uploads with a real tus client (tus-js-client, as a browser or app would use it) against a
// listening Gridline server: the protocol is the standard one, small chunks arrive in order, and an upload
// interrupted mid-way resumes from the server's offset instead of starting again.

import type { AddressInfo } from 'node:net';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db.js';
import { photo } from '../support/media.js';
import { buildWorld, type World } from '../support/world.js';
import { Api, type MediaJson } from './support.js';

describe('tus-js-client against Gridline (sqlite)', () => {
  let world: World;
  let api: Api;
  let base: string;

  beforeAll(async () => {
    world = await buildWorld(DIALECTS[0]!);
    api = new Api(world);
    await api.login('solang');
    await world.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(world.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => world?.close());

  const upload = (bytes: Buffer, options: Partial<tus.UploadOptions>) =>
    new tus.Upload(bytes, {
      endpoint: `${base}/api/v1/uploads`,
      headers: { authorization: `Bearer ${api.token('solang')}` },
      metadata: { filename: 'IMG_0042.JPG', filetype: 'image/jpeg' },
      chunkSize: 16 * 1024,
      retryDelays: [0, 10, 50],
      ...options,
    });

  it('uploads a photo in 16 KiB chunks, and resumes an interrupted upload from the server’s offset', async () => {
    const bytes = await photo({ label: 'tus client', width: 400, height: 300, noise: true });
    expect(bytes.length).toBeGreaterThan(64 * 1024);

    // Start, and stop after the second chunk (the rider rode into a tunnel).
    let url = '';
    const first = upload(bytes, {});
    await new Promise<void>((resolve, reject) => {
      let chunks = 0;
      first.options.onError = reject;
      first.options.onSuccess = () => reject(new Error('should have been interrupted'));
      first.options.onChunkComplete = () => {
        if (++chunks === 2) {
          url = first.url!;
          void first.abort().then(resolve);
        }
      };
      first.start();
    });
    expect(url).toMatch(/\/api\/v1\/uploads\//);
    const head = await fetch(url, { method: 'HEAD', headers: { authorization: `Bearer ${api.token('solang')}`, 'tus-resumable': '1.0.0' } });
    expect(head.headers.get('upload-offset')).toBe(String(32 * 1024));

    // Out of the tunnel: the client resumes from the server's offset, sending only what is missing.
    let sentFrom = -1;
    const resumed = upload(bytes, { uploadUrl: url });
    const mediaId = await new Promise<string>((resolve, reject) => {
      resumed.options.onError = reject;
      resumed.options.onProgress = (sent) => {
        if (sentFrom < 0) sentFrom = sent;
      };
      resumed.options.onAfterResponse = (_req, res) => {
        const id = res.getHeader('gridline-media-id');
        if (id) resolve(id);
      };
      resumed.start();
    });
    expect(sentFrom).toBeGreaterThanOrEqual(32 * 1024);
    const info = await api.get('solang', `/api/v1/media/${mediaId}/info`);
    expect(info.json<MediaJson>()).toMatchObject({ kind: 'photo', mime: 'image/jpeg', width: 400, height: 300, bytes: bytes.length });
  });
});
