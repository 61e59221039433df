// Voice notes as phones record them: a real WebM/Opus recording from Chromium's MediaRecorder (3 s, no
// Duration in its header, as live recordings are), hand-built Ogg files and AAC in MP4 as Safari records it,
// measured from their bytes; and what is refused (video in WebM, several tracks, cut short, junk) with a
// bounded walk.

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AudioError, oggAudio, sniffAudio, webmAudio } from '../../src/media/audio.js';
import { checkContainer, ContainerError, isoSound } from '../../src/media/container.js';
import { DEFAULT_MEDIA_LIMITS } from '../../src/media/types.js';
import { handMadeMovie } from '../support/media.js';
import { NO_MEDIA_TOOLS, processMedia } from '../../src/media/process.js';
import { sniffMedia } from '../../src/media/sniff.js';

const WEBM = readFileSync(new URL('../fixtures/voice-3s.webm', import.meta.url));

/** One Ogg page: its header (granule, serial, sequence) and its body in 255-byte lacing. */
function oggPage(body: Buffer, granule: bigint, serial = 1, sequence = 0, flags = 0): Buffer {
  const lacing: number[] = [];
  let left = body.length;
  while (left >= 255) {
    lacing.push(255);
    left -= 255;
  }
  lacing.push(left);
  const header = Buffer.alloc(27);
  header.write('OggS', 0, 'latin1');
  header[5] = flags;
  header.writeBigInt64LE(granule, 6);
  header.writeUInt32LE(serial, 14);
  header.writeUInt32LE(sequence, 18);
  header[26] = lacing.length;
  return Buffer.concat([header, Buffer.from(lacing), body]);
}

function opusOgg(seconds: number, preSkip = 312): Buffer {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1;
  head[9] = 1;
  head.writeUInt16LE(preSkip, 10);
  head.writeUInt32LE(48_000, 12);
  const tags = Buffer.concat([Buffer.from('OpusTags', 'latin1'), Buffer.alloc(8)]);
  const pages = [oggPage(head, 0n, 1, 0, 2), oggPage(tags, 0n, 1, 1)];
  for (let s = 1; s <= seconds; s++) pages.push(oggPage(Buffer.alloc(300, s), BigInt(s * 48_000 + preSkip), 1, s + 1, s === seconds ? 4 : 0));
  return Buffer.concat(pages);
}

describe('voice notes', () => {
  it("measures a live WebM recording from its blocks (it has no Duration): Chromium's 3-second Opus note", () => {
    const info = webmAudio(WEBM);
    expect(info.mime).toBe('audio/webm');
    expect(info.codec).toBe('opus');
    expect(info.durationS).toBeGreaterThan(2.5);
    expect(info.durationS).toBeLessThan(3.5);
  });

  it('is sniffed as audio from its first bytes, and processed whole into a voice note with a placeholder thumbnail', async () => {
    expect(await sniffMedia(WEBM.subarray(0, 4096))).toEqual({ kind: 'audio', mime: 'audio/webm' });
    const media = await processMedia(WEBM, DEFAULT_MEDIA_LIMITS, NO_MEDIA_TOOLS);
    expect(media).toMatchObject({ kind: 'audio', mime: 'audio/webm', width: null, height: null, gps: null, takenAt: null, display: null, poster: null, preview: 'full' });
    expect(media.durationS).toBeCloseTo(webmAudio(WEBM).durationS, 3);
    expect(media.thumb.subarray(8, 12).toString('latin1')).toBe('WEBP');
  });

  it('refuses a voice note over the length limit (413 audio_too_long) and over the size limit (file_too_large)', async () => {
    await expect(processMedia(WEBM, { ...DEFAULT_MEDIA_LIMITS, audioSeconds: 2 }, NO_MEDIA_TOOLS)).rejects.toMatchObject({ kind: 'too_large', code: 'audio_too_long', details: { limitS: 2 } });
    await expect(processMedia(WEBM, { ...DEFAULT_MEDIA_LIMITS, audioBytes: 10_000 }, NO_MEDIA_TOOLS)).rejects.toMatchObject({ kind: 'too_large', code: 'file_too_large', details: { kind: 'audio' } });
  });

  it('refuses a WebM with a video track, one cut short, and one with a foreign codec, saying why', async () => {
    // TrackType (0x83), size 1, value 2 (audio) -> 1 (video).
    const at = WEBM.indexOf(Buffer.from([0x83, 0x81, 0x02]));
    expect(at).toBeGreaterThan(0);
    const video = Buffer.from(WEBM);
    video[at + 2] = 1;
    expect(() => webmAudio(video)).toThrow(/video/);
    await expect(processMedia(video, DEFAULT_MEDIA_LIMITS, NO_MEDIA_TOOLS)).rejects.toMatchObject({ kind: 'unsupported', code: 'undecodable_media', details: { kind: 'audio' } });
    expect(() => webmAudio(WEBM.subarray(0, 200))).toThrow(AudioError);
    const codec = WEBM.indexOf(Buffer.from('A_OPUS', 'latin1'));
    const mp3 = Buffer.from(WEBM);
    mp3.write('A_MPEG', codec, 'latin1');
    expect(() => webmAudio(mp3)).toThrow(/not Opus or Vorbis/);
  });

  it('measures Ogg Opus from its last granule less the pre-skip, and Ogg Vorbis at its own sample rate', () => {
    expect(oggAudio(opusOgg(5))).toEqual({ mime: 'audio/ogg', codec: 'opus', durationS: 5 });
    const vorbisHead = Buffer.alloc(30);
    vorbisHead[0] = 1;
    vorbisHead.write('vorbis', 1, 'latin1');
    vorbisHead.writeUInt32LE(44_100, 12);
    const vorbis = Buffer.concat([oggPage(vorbisHead, 0n), oggPage(Buffer.alloc(100), 44_100n * 7n, 1, 1)]);
    expect(sniffAudio(vorbis)).toEqual({ mime: 'audio/ogg', codec: 'vorbis', durationS: 7 });
  });

  it('refuses Ogg with two streams, cut short, or holding something else', () => {
    const two = Buffer.concat([opusOgg(2), oggPage(Buffer.alloc(10), 10n, 2, 9)]);
    expect(() => oggAudio(two)).toThrow(/several streams/);
    const ogg = opusOgg(3);
    expect(() => oggAudio(ogg.subarray(0, ogg.length - 10))).toThrow(/cut short/);
    expect(() => oggAudio(oggPage(Buffer.from('FLAC-ish header'), 0n))).toThrow(/neither Opus nor Vorbis/);
  });

  it('answers any bytes after an EBML or Ogg signature with a measurement or an AudioError, quickly', () => {
    const prefixes = [WEBM.subarray(0, 4), Buffer.from('OggS'), WEBM.subarray(0, 300)];
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 4000 }), fc.nat(WEBM.length), (prefix, tail, cut) => {
        for (const bytes of [Buffer.concat([prefix, Buffer.from(tail)]), Buffer.concat([WEBM.subarray(0, cut), Buffer.from(tail)])]) {
          const started = performance.now();
          try {
            const info = sniffAudio(bytes);
            if (info) expect(info.durationS).toBeGreaterThanOrEqual(0);
          } catch (error) {
            expect(error).toBeInstanceOf(AudioError);
          }
          expect(performance.now() - started).toBeLessThan(200);
        }
      }),
      { numRuns: 300, seed: 20261203 },
    );
  });
});

// Safari (every browser on an iPhone) records a voice note as AAC in a fragmented MP4 that calls itself
// iso5, like a video: its length is in its fragments, not its header. The fixture was made by ffmpeg in the
// same shape (empty moov, one moof per second, default-base-is-moof); the second is a plain M4A memo with a
// title in its tags, as a memo exported from another app would have.
const SAFARI = readFileSync(new URL('../fixtures/voice-3s-safari.m4a', import.meta.url));
const MEMO = readFileSync(new URL('../fixtures/voice-memo-located.m4a', import.meta.url));

describe('voice notes in MP4 (Safari)', () => {
  it('measures a fragmented recording from its samples, and takes it as a voice note though its brand says video', async () => {
    expect(await sniffMedia(SAFARI.subarray(0, 4096))).toEqual({ kind: 'video', mime: 'video/mp4' });
    const sound = (await isoSound(SAFARI))!;
    expect(sound.codec).toBe('aac');
    expect(sound.durationS).toBeGreaterThan(2.9);
    expect(sound.durationS).toBeLessThan(3.2);
    const media = await processMedia(SAFARI, DEFAULT_MEDIA_LIMITS, NO_MEDIA_TOOLS);
    expect(media).toMatchObject({ kind: 'audio', mime: 'audio/mp4', width: null, height: null, gps: null, takenAt: null, display: null, poster: null, preview: 'full', durationS: sound.durationS });
  });

  it('measures a plain M4A from its track header, and serves a copy with its tags blanked and nothing else moved', async () => {
    expect(await sniffMedia(MEMO.subarray(0, 4096))).toEqual({ kind: 'audio', mime: 'audio/mp4' });
    expect(MEMO.includes(Buffer.from('纳金路'))).toBe(true);
    const media = await processMedia(MEMO, DEFAULT_MEDIA_LIMITS, NO_MEDIA_TOOLS);
    expect(media).toMatchObject({ kind: 'audio', mime: 'audio/mp4' });
    expect(media.durationS).toBeCloseTo(3, 1);
    const clean = media.cleanCopy!;
    expect(clean.length).toBe(MEMO.length);
    expect(clean.includes(Buffer.from('纳金路'))).toBe(false);
    expect(clean.includes(Buffer.from('Lavf', 'latin1'))).toBe(false);
    // Still the same sound, chunk for chunk: the blanked boxes kept their sizes.
    expect((await isoSound(clean))!.durationS).toBe(media.durationS);
    await expect(checkContainer(clean, 'video')).rejects.toThrow(/^no video track$/);
  });

  it('refuses one over the length limit, one with two sound tracks, one coded otherwise, and one cut short', async () => {
    await expect(processMedia(SAFARI, { ...DEFAULT_MEDIA_LIMITS, audioSeconds: 2 }, NO_MEDIA_TOOLS)).rejects.toMatchObject({ code: 'audio_too_long' });
    // mdhd's duration (version 0: at 16 past its payload) says 200 s: the plain file is measured from it.
    const long = Buffer.from(MEMO);
    const mdhd = long.indexOf(Buffer.from('mdhd', 'latin1')) + 4;
    long.writeUInt32BE(long.readUInt32BE(mdhd + 12) * 200, mdhd + 16);
    await expect(processMedia(long, DEFAULT_MEDIA_LIMITS, NO_MEDIA_TOOLS)).rejects.toMatchObject({ code: 'audio_too_long', details: { limitS: 120 } });
    const alac = Buffer.from(SAFARI);
    alac.write('alac', alac.indexOf(Buffer.from('mp4a', 'latin1')), 'latin1');
    await expect(isoSound(alac)).rejects.toThrow(/coded as "alac"/);
    await expect(processMedia(SAFARI.subarray(0, SAFARI.length - 500), DEFAULT_MEDIA_LIMITS, NO_MEDIA_TOOLS)).rejects.toMatchObject({ kind: 'unsupported' });
    // A second sound track: the one trak copied in after the first (moov's size grows by as much).
    const moovAt = MEMO.indexOf(Buffer.from('moov', 'latin1')) - 4;
    const trakAt = MEMO.indexOf(Buffer.from('trak', 'latin1')) - 4;
    const trak = MEMO.subarray(trakAt, trakAt + MEMO.readUInt32BE(trakAt));
    const doubled = Buffer.concat([MEMO.subarray(0, trakAt + trak.length), trak, MEMO.subarray(trakAt + trak.length)]);
    doubled.writeUInt32BE(MEMO.readUInt32BE(moovAt) + trak.length, moovAt);
    await expect(isoSound(doubled)).rejects.toThrow(/2 sound tracks/);
  });

  it('takes an MP4 with a video track as a video, never as a voice note', async () => {
    expect(await isoSound(await handMadeMovie())).toBeNull();
  });

  it('answers any cut or tail of an MP4 voice note with a measurement or a ContainerError, quickly', () => {
    fc.assert(
      fc.asyncProperty(fc.constantFrom(SAFARI, MEMO), fc.nat(12_000), fc.uint8Array({ maxLength: 2000 }), async (file, cut, tail) => {
        const bytes = Buffer.concat([file.subarray(0, cut), Buffer.from(tail)]);
        const started = performance.now();
        try {
          const sound = await isoSound(bytes);
          if (sound) expect(sound.durationS).toBeGreaterThan(0);
        } catch (error) {
          expect(error).toBeInstanceOf(ContainerError);
        }
        expect(performance.now() - started).toBeLessThan(200);
      }),
      { numRuns: 300, seed: 20261204 },
    );
  });
});
