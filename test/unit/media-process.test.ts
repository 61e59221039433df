// The media pipeline on real bytes made here: photos from sharp (with real EXIF orientation, time and GPS),
// HEIC from heif-enc, MP4/MOV from ffmpeg's test source, and hostile inputs built by hand (an ELF header, HTML,
// SVG, polyglots, a truncated JPEG, a 50,000 × 50,000 PNG header). Tests that need heif-enc or ffmpeg are
// skipped with a visible "[skipped: … not installed]" in their name when the tool is absent.

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import exifr from 'exifr';
import sharp, { type Exif, type Sharp } from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { DEFAULT_EXIF_UTC_OFFSET, NO_MEDIA_TOOLS, detectTools, processMedia, type ProcessedBytes } from '../../src/media/process.js';
import { sniffMedia } from '../../src/media/sniff.js';
import { DEFAULT_MEDIA_LIMITS, type MediaLimits } from '../../src/media/types.js';
import { box, ftyp, handMadeHeic, handMadeMovie, pngFromChunks } from '../support/media.js';

const run = promisify(execFile);
const LIMITS: MediaLimits = DEFAULT_MEDIA_LIMITS;
const tools = await detectTools();
const heifEnc = await onPath('heif-enc');
const work = await fs.mkdtemp(path.join(os.tmpdir(), 'gridline-media-test-'));
afterAll(() => fs.rm(work, { recursive: true, force: true }));

const skipNote = (tool: string, present: unknown) => (present ? '' : ` [skipped: ${tool} not installed]`);
if (!heifEnc || !tools.heifConvert) console.warn('media-process.test: heif-enc/heif-convert missing, HEIC tests are skipped');
if (!tools.ffmpeg || !tools.ffprobe) console.warn('media-process.test: ffmpeg/ffprobe missing, video tests are skipped');

// --- fixtures -------------------------------------------------------------------------------------------

/** Lhasa, as EXIF rationals: 29°39'0" N, 91°7'48" E = 29.65, 91.13. */
const GPS_IFD = { GPSLatitudeRef: 'N', GPSLatitude: '29/1 39/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '91/1 7/1 48/1' };
const LHASA = { lat: 29.65, lon: 91.13 };

function canvas(width: number, height: number): Sharp {
  return sharp({ create: { width, height, channels: 3, background: { r: 90, g: 140, b: 60 } } });
}

async function photo(format: 'jpeg' | 'png' | 'webp', width: number, height: number, exif?: Exif, orientation?: number): Promise<Buffer> {
  let image = canvas(width, height)[format]();
  if (exif) image = image.withExif(exif);
  if (orientation) image = image.withMetadata({ orientation });
  return image.toBuffer();
}

/** The fourccs of a RIFF/WebP file's chunks. */
function riffChunks(webp: Buffer): string[] {
  expect(webp.toString('latin1', 0, 4)).toBe('RIFF');
  expect(webp.toString('latin1', 8, 12)).toBe('WEBP');
  const chunks: string[] = [];
  for (let at = 12; at + 8 <= webp.length; ) {
    chunks.push(webp.toString('latin1', at, at + 4));
    at += 8 + webp.readUInt32LE(at + 4) + (webp.readUInt32LE(at + 4) % 2);
  }
  return chunks;
}

/** A metadata-free WebP of at most `maxEdge` px; returns its size. */
async function expectCleanWebp(copy: Buffer | null, maxEdge: number): Promise<{ width: number; height: number }> {
  expect(copy).not.toBeNull();
  const bytes = copy as Buffer;
  const chunks = riffChunks(bytes);
  expect(chunks.every((c) => ['VP8 ', 'VP8L', 'VP8X', 'ALPH'].includes(c)), `chunks ${chunks.join(',')}`).toBe(true);
  const meta = await sharp(bytes).metadata();
  expect(meta.format).toBe('webp');
  expect([meta.exif, meta.xmp, meta.icc, meta.iptc]).toEqual([undefined, undefined, undefined, undefined]);
  expect(Math.max(meta.width, meta.height)).toBeLessThanOrEqual(maxEdge);
  return { width: meta.width, height: meta.height };
}

async function expectDomainError(work: Promise<unknown>, kind: string, code: string): Promise<DomainError> {
  const error: unknown = await work.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(DomainError);
  const domain = error as DomainError;
  expect([domain.kind, domain.code, domain.message]).toEqual([kind, code, expect.any(String)]);
  return domain;
}

const png = (width: number, height: number, idat: Buffer): Buffer => pngFromChunks(width, height, idat, 2);

/** Just an ftyp box and an empty mdat: an MP4 to the sniffer, nothing to a decoder, no movie to the structure check. */
const BARE_MP4 = Buffer.concat([
  Buffer.from('00000018667479706973686f6d0000020069736f6d69736f32', 'hex'),
  Buffer.from('000000086d646174', 'hex'),
]);

async function onPath(name: string): Promise<string | null> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, name);
    if (await fs.access(file, fs.constants.X_OK).then(() => true, () => false)) return file;
  }
  return null;
}

// --- photos ---------------------------------------------------------------------------------------------

describe('photos', () => {
  it.each(['jpeg', 'png', 'webp'] as const)('accepts %s from its bytes and makes WebP display and thumb copies', async (format) => {
    const media = await processMedia(await photo(format, 2000, 1000), LIMITS, NO_MEDIA_TOOLS);
    expect(media).toMatchObject({ kind: 'photo', mime: `image/${format}`, width: 2000, height: 1000, preview: 'full' });
    expect(media).toMatchObject({ durationS: null, poster: null, cleanCopy: null, takenAt: null, gps: null });
    expect(await expectCleanWebp(media.display, LIMITS.displayPx)).toEqual({ width: 1600, height: 800 });
    expect(await expectCleanWebp(media.thumb, LIMITS.thumbPx)).toEqual({ width: 320, height: 160 });
  });

  it('never enlarges a small photo', async () => {
    const media = await processMedia(await photo('png', 200, 100), LIMITS, NO_MEDIA_TOOLS);
    expect(await expectCleanWebp(media.display, LIMITS.displayPx)).toEqual({ width: 200, height: 100 });
    expect(await expectCleanWebp(media.thumb, LIMITS.thumbPx)).toEqual({ width: 200, height: 100 });
  });

  it('turns a JPEG with EXIF orientation 6 upright (the pixels, not just the numbers)', async () => {
    // Stored 400 × 300 with a red top half and a blue bottom half; orientation 6 = rotate 90° clockwise to view.
    const half = (r: number, b: number) => ({ create: { width: 400, height: 150, channels: 3 as const, background: { r, g: 0, b } } });
    const stored = await canvas(400, 300)
      .composite([{ input: half(255, 0), top: 0, left: 0 }, { input: half(0, 255), top: 150, left: 0 }])
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(stored).metadata()).orientation).toBe(6);
    const media = await processMedia(stored, LIMITS, NO_MEDIA_TOOLS);
    expect([media.width, media.height]).toEqual([300, 400]);
    expect(await expectCleanWebp(media.display, LIMITS.displayPx)).toEqual({ width: 300, height: 400 });
    const { data } = await sharp(media.display as Buffer).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => [data[(y * 300 + x) * 3], data[(y * 300 + x) * 3 + 2]];
    expect(at(250, 200)[0]).toBeGreaterThan(200); // the stored top (red) is now on the right
    expect(at(50, 200)[1]).toBeGreaterThan(200); // the stored bottom (blue) on the left
  });

  it('reads capture time with its EXIF offset, and assumes +08:00 without one', async () => {
    expect(DEFAULT_EXIF_UTC_OFFSET).toBe('+08:00');
    const at = async (exif: Exif) => (await processMedia(await photo('jpeg', 64, 48, exif), LIMITS, NO_MEDIA_TOOLS)).takenAt;
    expect(await at({ IFD2: { DateTimeOriginal: '2024:05:01 10:11:12', OffsetTimeOriginal: '+05:30' } })).toBe('2024-05-01T04:41:12.000Z');
    expect(await at({ IFD2: { DateTimeOriginal: '2024:05:01 10:11:12' } })).toBe('2024-05-01T02:11:12.000Z');
    expect(await at({ IFD2: { DateTimeOriginal: '2024:01:01 03:00:00', OffsetTimeOriginal: '-05:00' } })).toBe('2024-01-01T08:00:00.000Z');
    // CreateDate (DateTimeDigitized) when DateTimeOriginal is absent; unset clocks are no time at all.
    expect(await at({ IFD2: { DateTimeDigitized: '2023:12:31 23:59:59' } })).toBe('2023-12-31T15:59:59.000Z');
    expect(await at({ IFD2: { DateTimeOriginal: '0000:00:00 00:00:00' } })).toBeNull();
    expect(await at({ IFD0: { Make: 'NoClock' } })).toBeNull();
  });

  it.each(['jpeg', 'png', 'webp'] as const)('reads GPS from %s EXIF and strips it from every copy', async (format) => {
    const original = await photo(format, 800, 600, { IFD2: { DateTimeOriginal: '2024:05:01 10:11:12' }, IFD3: GPS_IFD });
    // The GPS really is in the upload (exifr cannot open WebP containers; sharp's EXIF block proves it there).
    const source = format === 'webp' ? ((await sharp(original).metadata()).exif as Buffer).subarray(6) : original;
    expect(await exifr.gps(source)).toMatchObject({ latitude: 29.65, longitude: 91.13 });

    const media = await processMedia(original, LIMITS, NO_MEDIA_TOOLS);
    expect(media.gps?.lat).toBeCloseTo(LHASA.lat, 6);
    expect(media.gps?.lon).toBeCloseTo(LHASA.lon, 6);
    for (const copy of [media.display, media.thumb]) {
      await expectCleanWebp(copy, LIMITS.displayPx);
      // No EXIF/XMP chunk (checked above) and no TIFF header anywhere an EXIF reader could find one.
      expect(await exifr.parse(copy as Buffer).catch(() => undefined)).toBeUndefined();
      expect(await exifr.gps(copy as Buffer).catch(() => undefined)).toBeUndefined();
    }
  });

  it('reads southern/western GPS as negative and ignores 0,0', async () => {
    const south = { GPSLatitudeRef: 'S', GPSLatitude: '33/1 52/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '70/1 30/1 0/1' };
    const gps = async (ifd: Record<string, string>) => (await processMedia(await photo('jpeg', 64, 48, { IFD3: ifd }), LIMITS, NO_MEDIA_TOOLS)).gps;
    expect(await gps(south)).toEqual({ lat: expect.closeTo(-33.866667, 5), lon: -70.5 });
    expect(await gps({ GPSLatitudeRef: 'N', GPSLatitude: '0/1 0/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '0/1 0/1 0/1' })).toBeNull();
  });
});

// --- hostile and broken input ---------------------------------------------------------------------------

describe('refusals', () => {
  it('refuses empty bytes as invalid', async () => {
    await expectDomainError(processMedia(Buffer.alloc(0), LIMITS, NO_MEDIA_TOOLS), 'invalid', 'empty_upload');
  });

  it('refuses an executable "named" photo.jpg — only the bytes count', async () => {
    // A minimal 64-byte ELF64 header (x86-64 executable).
    const elf = Buffer.alloc(64);
    Buffer.from('7f454c46020101000000000000000000', 'hex').copy(elf);
    elf.writeUInt16LE(2, 16); // ET_EXEC
    elf.writeUInt16LE(0x3e, 18); // x86-64
    const upload = { name: 'photo.jpg', type: 'image/jpeg', bytes: elf };
    const error = await expectDomainError(processMedia(upload.bytes, LIMITS, NO_MEDIA_TOOLS), 'unsupported', 'unsupported_media_type');
    expect(error.details).toEqual({ detected: 'application/x-elf' });
    expect(error.message).toMatch(/JPEG, PNG, WebP or HEIC\/HEIF.*MP4 or MOV/);
    const pe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200)]);
    expect((await expectDomainError(sniffMedia(pe), 'unsupported', 'unsupported_media_type')).details).toEqual({ detected: 'application/x-msdownload' });
  });

  it.each([
    ['HTML', '<!DOCTYPE html><html><body><script>alert(1)</script></body></html>', 'text/html'],
    ['HTML without a doctype', '  <script>fetch("/api/me")</script>', 'text/html'],
    ['SVG', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>', 'image/svg+xml'],
    ['SVG with an XML prolog', '\uFEFF<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', 'image/svg+xml'],
    ['plain text', 'pothole on Beijing Road', 'unknown'],
    ['PDF', '%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF', 'application/pdf'],
  ])('refuses %s with 415', async (_name, text, detected) => {
    const error = await expectDomainError(processMedia(Buffer.from(text), LIMITS, NO_MEDIA_TOOLS), 'unsupported', 'unsupported_media_type');
    expect(error.details).toEqual({ detected });
  });

  it('refuses GIF, AVIF and ZIP by their bytes', async () => {
    const detected = async (bytes: Buffer) => (await expectDomainError(sniffMedia(bytes), 'unsupported', 'unsupported_media_type')).details.detected;
    expect(await detected(await canvas(8, 8).gif().toBuffer())).toBe('image/gif');
    expect(await detected(await canvas(8, 8).avif().toBuffer())).toBe('image/avif');
    expect(await detected(Buffer.from('504b0304140000000000000000000000000000000000000000000000000000', 'hex'))).toBe('application/zip');
  });

  it('accepts a JPEG with an HTML payload after EOI, but serves only fresh WebP without the payload', async () => {
    const payload = Buffer.from('<html><script>alert("gridline-polyglot")</script></html>');
    const polyglot = Buffer.concat([await photo('jpeg', 640, 480), payload]);
    const media = await processMedia(polyglot, LIMITS, NO_MEDIA_TOOLS);
    expect(media.mime).toBe('image/jpeg');
    for (const copy of [media.display, media.thumb]) {
      await expectCleanWebp(copy, LIMITS.displayPx);
      expect((copy as Buffer).includes(Buffer.from('gridline-polyglot'))).toBe(false);
      expect((copy as Buffer).includes(Buffer.from('<script'))).toBe(false);
    }
  });

  it('refuses a GIF/JavaScript polyglot (GIF is not accepted)', async () => {
    const gifJs = Buffer.concat([Buffer.from('GIF89a/*'), Buffer.alloc(16), Buffer.from('*/=1;alert(document.cookie);')]);
    const error = await expectDomainError(processMedia(gifJs, LIMITS, NO_MEDIA_TOOLS), 'unsupported', 'unsupported_media_type');
    expect(error.details).toEqual({ detected: 'image/gif' });
  });

  it('refuses truncated JPEGs as undecodable (header cut, or data cut)', async () => {
    const full = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg().toBuffer();
    for (const cut of [200, Math.floor(full.length / 2)]) {
      const error = await expectDomainError(processMedia(full.subarray(0, cut), LIMITS, NO_MEDIA_TOOLS), 'unsupported', 'undecodable_media');
      expect(error.details).toMatchObject({ kind: 'photo', reason: expect.any(String) });
    }
  });

  it('refuses a 50,000 × 50,000 PNG bomb from its header, without decoding', async () => {
    const bomb = png(50_000, 50_000, zlib.deflateSync(Buffer.alloc(1024)));
    expect(bomb.length).toBeLessThan(200);
    const started = performance.now();
    const error = await expectDomainError(processMedia(bomb, LIMITS, NO_MEDIA_TOOLS), 'too_large', 'image_too_large');
    expect(performance.now() - started).toBeLessThan(500);
    expect(error.details).toEqual({ width: 50_000, height: 50_000, maxPixels: LIMITS.maxPixels });
  });

  it('refuses a photo or video over the byte limit with 413', async () => {
    const jpeg = await photo('jpeg', 64, 48);
    const small = { ...LIMITS, photoBytes: 100, videoBytes: 10 };
    const error = await expectDomainError(processMedia(jpeg, small, NO_MEDIA_TOOLS), 'too_large', 'file_too_large');
    expect(error.details).toEqual({ kind: 'photo', bytes: jpeg.length, limit: 100 });
    const video = await expectDomainError(processMedia(BARE_MP4, small, NO_MEDIA_TOOLS), 'too_large', 'file_too_large');
    expect(video.details).toEqual({ kind: 'video', bytes: BARE_MP4.length, limit: 10 });
  });
});

// --- HEIC -----------------------------------------------------------------------------------------------

describe('HEIC', () => {
  const ready = heifEnc !== null;
  let heic: Buffer | null = null;
  async function makeHeic(): Promise<Buffer> {
    if (heic) return heic;
    const source = path.join(work, 'heic-source.jpg');
    await fs.writeFile(source, await photo('jpeg', 640, 480, { IFD2: { DateTimeOriginal: '2024:05:01 10:11:12' }, IFD3: GPS_IFD }));
    await run(heifEnc as string, ['-q', '40', source, '-o', path.join(work, 'photo.heic')], { timeout: 15_000 });
    heic = await fs.readFile(path.join(work, 'photo.heic'));
    return heic;
  }

  it.skipIf(!ready)(`is recognised as image/heic from the bytes${skipNote('heif-enc', ready)}`, async () => {
    const bytes = await makeHeic();
    expect(bytes.toString('latin1', 4, 12)).toBe('ftypheic');
    expect(await sniffMedia(bytes)).toEqual({ kind: 'photo', mime: 'image/heic' });
  });

  const convert = ready && tools.heifConvert !== null;
  it.skipIf(!convert)(`is decoded with heif-convert into clean WebP copies${skipNote('heif-enc/heif-convert', convert)}`, async () => {
    const media = await processMedia(await makeHeic(), LIMITS, tools);
    expect(media).toMatchObject({ kind: 'photo', mime: 'image/heic', width: 640, height: 480, preview: 'full', takenAt: '2024-05-01T02:11:12.000Z' });
    expect(media.gps).toEqual({ lat: expect.closeTo(LHASA.lat, 6), lon: expect.closeTo(LHASA.lon, 6) });
    expect(await expectCleanWebp(media.display, LIMITS.displayPx)).toEqual({ width: 640, height: 480 });
    expect(await expectCleanWebp(media.thumb, LIMITS.thumbPx)).toEqual({ width: 320, height: 240 });
  });

  it.skipIf(!ready)(`without a HEVC decoder gives a placeholder and says why${skipNote('heif-enc', ready)}`, async () => {
    const media = await processMedia(await makeHeic(), LIMITS, NO_MEDIA_TOOLS);
    expect(media).toMatchObject({ mime: 'image/heic', preview: 'no_heif_decoder', display: null, width: 640, height: 480 });
    expect(media.gps).not.toBeNull(); // EXIF is read from the container even when the pixels cannot be
    await expectCleanWebp(media.thumb, LIMITS.thumbPx);
  });
});

// --- videos ---------------------------------------------------------------------------------------------

describe('videos', () => {
  const ready = tools.ffmpeg !== null && tools.ffprobe !== null;
  const LOCATION = '+29.6500+091.1300/';

  async function testVideo(name: string, extra: string[] = []): Promise<Buffer> {
    const file = path.join(work, name);
    await run(tools.ffmpeg as string, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=duration=2:size=320x240:rate=10', '-pix_fmt', 'yuv420p',
      '-metadata', `location=${LOCATION}`, '-metadata', 'creation_time=2024-05-01T10:11:12Z', ...extra, file], { timeout: 20_000 });
    return fs.readFile(file);
  }

  async function formatTags(bytes: Buffer, name: string): Promise<Record<string, string>> {
    const file = path.join(work, name);
    await fs.writeFile(file, bytes);
    const { stdout } = await run(tools.ffprobe as string, ['-v', 'error', '-show_entries', 'format_tags:stream_tags', '-of', 'json', file]);
    const json = JSON.parse(stdout) as { format?: { tags?: Record<string, string> }; streams?: { tags?: Record<string, string> }[] };
    return Object.assign({}, json.format?.tags, ...(json.streams ?? []).map((s) => s.tags ?? {}));
  }

  async function expectFullVideo(media: ProcessedBytes, mime: string): Promise<void> {
    expect(media).toMatchObject({ kind: 'video', mime, width: 320, height: 240, display: null, preview: 'full', takenAt: '2024-05-01T10:11:12.000Z' });
    expect(media.durationS).toBeCloseTo(2, 1);
    expect(media.gps).toEqual({ lat: 29.65, lon: 91.13 });
    expect(await expectCleanWebp(media.poster, LIMITS.displayPx)).toEqual({ width: 320, height: 240 });
    expect(await expectCleanWebp(media.thumb, LIMITS.thumbPx)).toEqual({ width: 320, height: 240 });
  }

  it.skipIf(!ready)(`MP4: duration, poster, and a clean copy without the location tag${skipNote('ffmpeg', ready)}`, async () => {
    const mp4 = await testVideo('in.mp4');
    expect((await formatTags(mp4, 'check-in.mp4')).location).toBe(LOCATION);
    const media = await processMedia(mp4, LIMITS, tools);
    await expectFullVideo(media, 'video/mp4');
    const clean = media.cleanCopy as Buffer;
    expect(clean.toString('latin1', 4, 8)).toBe('ftyp');
    const tags = await formatTags(clean, 'check-clean.mp4');
    expect(Object.keys(tags).filter((k) => /location|creation_time|©xyz/i.test(k))).toEqual([]);
    expect(clean.includes(Buffer.from('+29.6500'))).toBe(false);
  });

  it.skipIf(!ready)(`MOV: recognised as video/quicktime and cleaned into a MOV${skipNote('ffmpeg', ready)}`, async () => {
    const mov = await testVideo('in.mov');
    expect(mov.toString('latin1', 4, 10)).toBe('ftypqt');
    const media = await processMedia(mov, LIMITS, tools);
    await expectFullVideo(media, 'video/quicktime');
    const clean = media.cleanCopy as Buffer;
    expect(clean.toString('latin1', 4, 10)).toBe('ftypqt');
    expect(await formatTags(clean, 'check-clean.mov')).not.toHaveProperty('location');
    expect(clean.includes(Buffer.from('+29.6500'))).toBe(false);
  });

  it.skipIf(!ready)(`a phone video recorded in portrait reports upright size and poster${skipNote('ffmpeg', ready)}`, async () => {
    const landscape = path.join(work, 'in.mp4');
    if (!(await fs.stat(landscape).catch(() => null))) await testVideo('in.mp4');
    const rotated = path.join(work, 'rotated.mp4');
    await run(tools.ffmpeg as string, ['-v', 'error', '-y', '-i', landscape, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', rotated]);
    const media = await processMedia(await fs.readFile(rotated), LIMITS, tools);
    expect([media.width, media.height]).toEqual([240, 320]);
    expect(await expectCleanWebp(media.poster, LIMITS.displayPx)).toEqual({ width: 240, height: 320 });
  });

  it.skipIf(!ready)(`refuses an MP4 container with nothing decodable in it${skipNote('ffmpeg', ready)}`, async () => {
    const error = await expectDomainError(processMedia(BARE_MP4, LIMITS, tools), 'unsupported', 'undecodable_media');
    expect(error.details).toMatchObject({ kind: 'video' });
  });

  it('without ffmpeg: placeholder poster and thumb, no clean copy, preview no_ffmpeg', async () => {
    const movie = handMadeMovie();
    const media = await processMedia(movie, LIMITS, NO_MEDIA_TOOLS);
    expect(media).toMatchObject({ kind: 'video', mime: 'video/mp4', durationS: null, cleanCopy: null, display: null, preview: 'no_ffmpeg' });
    await expectCleanWebp(media.poster, LIMITS.displayPx);
    await expectCleanWebp(media.thumb, LIMITS.thumbPx);
    const again = await processMedia(handMadeMovie({ quicktime: true }), LIMITS, NO_MEDIA_TOOLS);
    expect(again).toMatchObject({ mime: 'video/quicktime', preview: 'no_ffmpeg' });
    expect(again.thumb).toBe(media.thumb); // generated once, cached
  });

  // Defect 8: without the tools, junk behind a valid header used to pass as a video.
  it('without ffmpeg: junk behind an MP4 or MOV header is refused as undecodable, from the container structure', async () => {
    const junk = Buffer.alloc(5000);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919) % 251;
    const cases: [string, Buffer][] = [
      ['ftyp and junk', Buffer.concat([ftyp('isom', 'isom', 'mp41'), junk])],
      ['ftyp and an empty mdat, no moov', BARE_MP4],
      ['a movie with junk after its last box', Buffer.concat([handMadeMovie(), junk.subarray(0, 100)])],
      ['a movie cut short', handMadeMovie({ mdatBytes: 1000 }).subarray(0, 900)],
      ['a QuickTime header and junk', Buffer.concat([ftyp('qt  ', 'qt  '), junk])],
      ['a movie without a video track', Buffer.concat([ftyp('isom', 'isom'), box('moov', box('mvhd', Buffer.alloc(100))), box('mdat', junk)])],
    ];
    for (const [what, bytes] of cases) {
      const error = await expectDomainError(processMedia(bytes, LIMITS, NO_MEDIA_TOOLS), 'unsupported', 'undecodable_media');
      expect(error.details, what).toMatchObject({ kind: 'video', reason: expect.any(String) });
    }
  });
});

describe('HEIC without heif-convert', () => {
  it('takes a structurally sound HEIC with a placeholder, and refuses junk behind a HEIC header', async () => {
    const media = await processMedia(handMadeHeic(), LIMITS, NO_MEDIA_TOOLS);
    expect(media).toMatchObject({ kind: 'photo', mime: 'image/heic', display: null, preview: 'no_heif_decoder' });
    const junk = Buffer.alloc(4000, 0x41);
    for (const bytes of [Buffer.concat([ftyp('heic', 'mif1', 'heic'), junk]), Buffer.concat([handMadeHeic(), junk]), handMadeHeic(4000).subarray(0, 3000)]) {
      const error = await expectDomainError(processMedia(bytes, LIMITS, NO_MEDIA_TOOLS), 'unsupported', 'undecodable_media');
      expect(error.details).toMatchObject({ kind: 'photo' });
    }
  });
});

describe('detectTools', () => {
  it('looks the tools up once and returns absolute paths or null', async () => {
    expect(await detectTools()).toBe(tools);
    for (const tool of Object.values(tools)) if (tool !== null) expect(path.isAbsolute(tool)).toBe(true);
  });
});
