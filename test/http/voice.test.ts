// A voice note through the API, as the rider app sends one: uploaded (alone or inside the report's form),
// measured, played back to whoever may see the case, and enough for a report with no words.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db.js';
import { buildWorld, type World } from '../support/world.js';
import { Api, expectError, type MediaJson } from './support.js';

const WEBM = readFileSync(new URL('../fixtures/voice-3s.webm', import.meta.url));
const SAFARI = readFileSync(new URL('../fixtures/voice-3s-safari.m4a', import.meta.url));

describe.each(DIALECTS)('voice notes over HTTP ($name)', (dialect) => {
  let world: World;
  let api: Api;

  beforeAll(async () => {
    world = await buildWorld(dialect);
    api = new Api(world);
    await api.loginAll(['solang', 'lobsang', 'dispatcher']);
  });
  afterAll(async () => world?.close());

  it('takes a WebM/Opus note: 201 audio with its length, playable at urls.display', async () => {
    const res = await api.postForm('solang', '/api/v1/media', [{ name: 'file', value: WEBM, filename: 'voice.webm', type: 'audio/webm;codecs=opus' }]);
    expect(res.statusCode, res.body).toBe(201);
    const [note] = res.json<{ media: MediaJson[] }>().media;
    expect(note).toMatchObject({ kind: 'audio', mime: 'audio/webm', bytes: WEBM.length, width: null, height: null, takenAt: null, preview: 'full' });
    expect(note!.durationS).toBeGreaterThan(2.5);
    expect(note!.urls.display).toBe(`/api/v1/media/${note!.id}?variant=audio`);
    const played = await api.get('solang', note!.urls.display);
    expect(played.statusCode).toBe(200);
    expect(played.headers['content-type']).toMatch(/^audio\/webm/);
    expect(played.headers['content-disposition'] ?? '').not.toMatch(/attachment/);
    expect(Buffer.compare(played.rawPayload, WEBM)).toBe(0);
    expect((await api.get('solang', `/api/v1/media/${note!.id}?variant=thumb`)).headers['content-type']).toBe('image/webp');
  });

  it("takes an iPhone's note (AAC in MP4, which calls itself a video) as a voice note, played back without its tags", async () => {
    const res = await api.postForm('solang', '/api/v1/media', [{ name: 'file', value: SAFARI, filename: 'voice.m4a', type: 'audio/mp4' }]);
    expect(res.statusCode, res.body).toBe(201);
    const [note] = res.json<{ media: MediaJson[] }>().media;
    expect(note).toMatchObject({ kind: 'audio', mime: 'audio/mp4', bytes: SAFARI.length, width: null, height: null, preview: 'full' });
    expect(note!.durationS).toBeCloseTo(3, 0);
    const played = await api.get('solang', note!.urls.display);
    expect(played.statusCode).toBe(200);
    expect(played.headers['content-type']).toMatch(/^audio\/mp4/);
    // The same recording, its tag box (the encoder's name here; a place or a title elsewhere) blanked.
    expect(played.rawPayload.length).toBe(SAFARI.length);
    expect(SAFARI.includes(Buffer.from('Lavf', 'latin1'))).toBe(true);
    expect(played.rawPayload.includes(Buffer.from('Lavf', 'latin1'))).toBe(false);
    expect(played.rawPayload.subarray(0, 600).equals(SAFARI.subarray(0, 600))).toBe(true);
  });

  it('files a report that is only a voice note (no words), which the dispatcher can play and another rider cannot', async () => {
    const res = await api.postForm('solang', '/api/v1/reports', [
      { name: 'report', value: JSON.stringify({ categoryId: world.category('07-999').id, lat: world.najinPoint.lat, lon: world.najinPoint.lon, channel: 'app' }) },
      { name: 'file0', value: WEBM, filename: 'voice.webm', type: 'audio/webm' },
    ]);
    expect(res.statusCode, res.body).toBe(201);
    const view = res.json<{ id: string; description: string; media: string[] }>();
    expect(view.description).toBe('');
    expect(view.media).toHaveLength(1);
    const heard = await api.get('dispatcher', `/api/v1/media/${view.media[0]}?variant=audio`);
    expect(heard.statusCode).toBe(200);
    expect(heard.rawPayload.length).toBe(WEBM.length);
    expect((await api.get('lobsang', `/api/v1/media/${view.media[0]}?variant=audio`)).statusCode).toBe(404);
  });

  it('refuses a note over the length limit with a reason a person can act on, and variant=audio of a photo', async () => {
    const long = await buildWorld(dialect, undefined, { media: { limits: { photoBytes: 15 << 20, videoBytes: 100 << 20, audioBytes: 5 << 20, audioSeconds: 2, maxPixels: 1e8, displayPx: 1600, thumbPx: 320, uploadQuotaBytes: 300 << 20 } } });
    try {
      const longApi = new Api(long);
      await longApi.login('solang');
      const error = expectError(await longApi.postForm('solang', '/api/v1/media', [{ name: 'file', value: WEBM, filename: 'voice.webm', type: 'audio/webm' }]), 413, 'audio_too_long');
      expect(error.message).toMatch(/the most is 2 s/);
    } finally {
      await long.close();
    }
    const photo = await world.photo('solang');
    expectError(await api.get('solang', `/api/v1/media/${photo}?variant=audio`), 400, 'not_audio', 'variant');
  });
});
