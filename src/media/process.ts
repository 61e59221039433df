// From an upload to what the platform keeps and serves (ProcessedMedia): the type from the bytes
// (sniff.ts), size and pixel limits before any decoding, the container's structure for MP4/MOV/HEIC
// (container.ts), capture time and place from EXIF or the video's tags, and fresh copies that carry no
// metadata at all — WebP display and thumbnail for photos, a WebP poster and a remuxed, tag-free video for
// videos. HEIC needs heif-convert (the prebuilt sharp decodes AV1 only, not HEVC) and videos need
// ffmpeg/ffprobe; without them a placeholder stands in and `preview` says why. The upload is read from its
// file (spool.ts), never whole into memory; external tools run with execFile (argument arrays, timeouts)
// and write into the caller's private work directory under fixed names; no user-supplied name ever reaches
// a path.

import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import exifr from 'exifr';
import sharp, { type Metadata } from 'sharp';
import { DomainError } from '../domain/errors.js';
import { AudioError, sniffAudio } from './audio.js';
import { checkContainerFile, isoSoundFile, type IsoSound } from './container.js';
import { sniffMedia } from './sniff.js';
import { HEAD_BYTES } from './spool.js';
import type { AcceptedMime, MediaKind, MediaLimits, ProcessedMedia } from './types.js';

// Inputs are files with unique names, removed after use: libvips must not keep them open in its cache.
sharp.cache({ files: 0 });

/** The UTC offset assumed for EXIF times without OffsetTime* tags: China Standard Time. */
export const DEFAULT_EXIF_UTC_OFFSET = '+08:00';

/** Absolute paths of the external tools, or null where one is not installed. */
export interface MediaTools {
  ffmpeg: string | null;
  ffprobe: string | null;
  heifConvert: string | null;
}

/** No external tools: every photo but HEIC and no video gets real copies (placeholders stand in). */
export const NO_MEDIA_TOOLS: Readonly<MediaTools> = Object.freeze({ ffmpeg: null, ffprobe: null, heifConvert: null });

const DISPLAY_QUALITY = 80;
const THUMB_QUALITY = 70;
/** libwebp effort 0-6 (sharp's default 4); 2 roughly halves encoding time for a barely larger file. */
const WEBP_EFFORT = 2;
const HEIF_JPEG_QUALITY = '92';
const TEMP_PREFIX = 'gridline-media-';
/** A path into one of our temp dirs, up to and including the dir, or a spooled upload's whole path (tool
 *  and decoder messages name their input). */
const TEMP_PATH = /[^\s'"]*gridline-(?:media-[^/\s'"]*\/|upload-[0-9a-f-]{36})/g;
const TIMEOUT_MS = { probe: 15_000, poster: 30_000, remux: 120_000, heif: 30_000 };
/** Capture times outside [1990, now + 1 day] are unset clocks (1970, 1904, 0000:00:00), not facts. */
const EARLIEST_CAPTURE_MS = Date.UTC(1990, 0, 1);

// ---------------------------------------------------------------------------------------------------------
// Entry points

let toolsOnPath: Promise<MediaTools> | null = null;

/** The tools found on PATH, looked up once per process. */
export function detectTools(): Promise<MediaTools> {
  toolsOnPath ??= (async () => ({
    ffmpeg: await findOnPath(['ffmpeg']),
    ffprobe: await findOnPath(['ffprobe']),
    // libheif >= 1.17 calls it heif-dec; heif-convert is the older name (Debian 12).
    heifConvert: await findOnPath(['heif-dec', 'heif-convert']),
  }))();
  return toolsOnPath;
}

/** An upload on local disk: its path, its length and its first bytes (at most HEAD_BYTES) for sniffing. */
export interface MediaFile {
  path: string;
  bytes: number;
  head: Buffer;
}

/**
 * Everything the platform needs from an upload in a file. Throws DomainError: 'invalid' empty_upload,
 * 'unsupported' unsupported_media_type / undecodable_media, 'too_large' file_too_large / image_too_large.
 * Tools write into `workDir` (the caller's, private, removed by the caller), where `cleanCopy` stays.
 */
export async function processFile(input: MediaFile, limits: MediaLimits, tools: MediaTools, workDir: string): Promise<ProcessedMedia> {
  let { kind, mime } = await sniffMedia(input.head);
  // An MP4 with sound alone is a voice note, whatever its brand says (Safari records them as iso5).
  let sound: IsoSound | null = null;
  if (mime === 'video/mp4' || mime === 'audio/mp4') {
    try {
      sound = await isoSoundFile(input.path);
    } catch (error) {
      // Not a sound file: a video's own check says what is wrong with it.
      if (mime === 'audio/mp4') throw undecodable('audio', error);
    }
    if (sound) ({ kind, mime } = { kind: 'audio', mime: 'audio/mp4' });
    else if (mime === 'audio/mp4') ({ kind, mime } = { kind: 'video', mime: 'video/mp4' });
  }
  checkFileSize(kind, input.bytes, limits);
  await checkStructure(input.path, kind, mime);
  if (kind === 'audio') return processAudio(input.path, limits, sound, workDir);
  return kind === 'photo' ? processPhoto(input.path, mime, limits, tools, workDir) : processVideo(input.path, mime, limits, tools, workDir);
}

/** What processMedia makes of bytes in memory: the same, with the clean video's bytes. */
export type ProcessedBytes = Omit<ProcessedMedia, 'cleanCopy'> & { cleanCopy: Buffer | null };

/**
 * processFile for bytes in memory (tests, benchmarks). `tools` defaults to detectTools(); pass
 * NO_MEDIA_TOOLS (or a partial set) to force the placeholder paths.
 */
export async function processMedia(bytes: Buffer, limits: MediaLimits, tools?: MediaTools): Promise<ProcessedBytes> {
  const available = tools ?? (await detectTools());
  return withTempDir(async (dir) => {
    const file = path.join(dir, 'upload');
    await fs.writeFile(file, bytes, { mode: 0o600 });
    const media = await processFile({ path: file, bytes: bytes.length, head: bytes.subarray(0, HEAD_BYTES) }, limits, available, dir);
    return { ...media, cleanCopy: media.cleanCopy === null ? null : await fs.readFile(media.cleanCopy) };
  });
}

/** ISO-BMFF files (MP4, MOV, HEIC/HEIF) must be what their header says, tools or no tools (container.ts). */
async function checkStructure(file: string, kind: MediaKind, mime: AcceptedMime): Promise<void> {
  const heif = mime === 'image/heic' || mime === 'image/heif';
  if ((kind === 'photo' && !heif) || kind === 'audio') return;
  try {
    await checkContainerFile(file, heif ? 'heif' : 'video', mime === 'video/quicktime');
  } catch (error) {
    throw undecodable(kind, error);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Limits and errors

const mb = (bytes: number) => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;

function checkFileSize(kind: MediaKind, bytes: number, limits: MediaLimits): void {
  const limit = limitFor(kind, limits);
  if (bytes <= limit) return;
  const advice = kind === 'photo' ? 'Upload a smaller photo.' : kind === 'audio' ? 'Record a shorter voice note.' : 'Record a shorter video or lower the camera resolution.';
  const what = kind === 'audio' ? 'voice note' : kind;
  const message = `This ${what} is ${mb(bytes)}; the limit for a ${what} is ${mb(limit)}. ${advice}`;
  throw new DomainError('too_large', 'file_too_large', message, { kind, bytes, limit });
}

/** The most bytes an upload of this kind may have. */
export const limitFor = (kind: MediaKind, limits: MediaLimits): number => (kind === 'photo' ? limits.photoBytes : kind === 'audio' ? limits.audioBytes : limits.videoBytes);

function checkPixels({ width, height }: { width: number; height: number }, limits: MediaLimits): void {
  if (width * height <= limits.maxPixels) return;
  const megapixels = (n: number) => `${Math.round(n / 1e5) / 10} megapixels`;
  const message =
    `This photo is ${width} × ${height} pixels (${megapixels(width * height)}); ` +
    `the most accepted is ${megapixels(limits.maxPixels)}. Resize it and upload it again.`;
  throw new DomainError('too_large', 'image_too_large', message, { width, height, maxPixels: limits.maxPixels });
}

/** A short, path-free reason for logs and error details. */
function reasonOf(error: unknown): string {
  const text =
    error instanceof ToolFailure ? `${error.tool}: ${error.timedOut ? 'timed out' : lastLine(error.stderr) || 'failed'}`
    : error instanceof Error ? lastLine(error.message)
    : String(error);
  return text.replace(TEMP_PATH, '').slice(0, 200);
}
const lastLine = (text: string) => text.trim().split('\n').filter(Boolean).at(-1)?.trim() ?? '';

function undecodable(kind: MediaKind, error: unknown): DomainError {
  const message =
    kind === 'photo' ? 'This photo could not be read: the file is damaged or incomplete. Take or export the photo again and upload it.'
    : kind === 'audio' ? `This voice note could not be used: ${error instanceof AudioError ? error.message : 'the file is damaged or incomplete'}. Record it again and upload it.`
    : 'This video could not be read: the file is damaged, incomplete or uses an unusual format. Record it again and upload it.';
  return new DomainError('unsupported', 'undecodable_media', message, { kind, reason: reasonOf(error) });
}

// ---------------------------------------------------------------------------------------------------------
// Photos

async function processPhoto(input: string, mime: AcceptedMime, limits: MediaLimits, tools: MediaTools, workDir: string): Promise<ProcessedMedia> {
  if (mime === 'image/heic' || mime === 'image/heif') return processHeif(input, mime, limits, tools, workDir);
  const header = await readHeader(input, 'photo');
  checkPixels(header, limits);
  const facts = await readExif(header.exif ?? input);
  return { ...photoFields(mime, facts), ...(await renderCopies(input, header, true, limits, 'photo')) };
}

/**
 * HEIC/HEIF: sharp's libheif parses the container (dimensions, EXIF) but cannot decode HEVC, so the pixels
 * come from heif-convert when it is installed, and a placeholder stands in when it is not.
 */
async function processHeif(input: string, mime: AcceptedMime, limits: MediaLimits, tools: MediaTools, workDir: string): Promise<ProcessedMedia> {
  const header = await readHeader(input, 'photo').catch(() => null);
  if (header) checkPixels(header, limits); // before heif-convert spends any time on it
  const fields = photoFields(mime, await readExif(header?.exif ?? input));
  if (!tools.heifConvert) {
    const thumb = await placeholder('photo', limits.thumbPx);
    return { ...fields, width: header?.width ?? null, height: header?.height ?? null, display: null, thumb, preview: 'no_heif_decoder' };
  }
  const jpeg = await decodeHeif(tools.heifConvert, input, workDir);
  const converted = await readHeader(jpeg, 'photo');
  checkPixels(converted, limits);
  // libheif has applied the HEIF transforms (irot/imir); an EXIF Orientation it copied along must not apply twice.
  return { ...fields, ...(await renderCopies(jpeg, converted, false, limits, 'photo')) };
}

const photoFields = (mime: AcceptedMime, facts: CaptureFacts) =>
  ({ kind: 'photo', mime, durationS: null, poster: null, cleanCopy: null, ...facts }) as const;

/** Dimensions, orientation and EXIF from the header alone. No pixel limit here: nothing is decoded, and
 *  the dimensions it reports are what checkPixels judges. */
async function readHeader(input: Buffer | string, kind: MediaKind): Promise<Metadata> {
  try {
    return await sharp(input, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw undecodable(kind, error);
  }
}

/**
 * Upright WebP copies without metadata: `display` fits displayPx, `thumb` fits thumbPx. The image is decoded
 * once, straight to display size (JPEG shrink-on-load), and both copies are encoded from those pixels — the
 * fastest of the variants measured (two pipelines from the original, or the thumb from the display WebP).
 * `width`/`height` are the upright dimensions of the whole image.
 */
async function renderCopies(input: Buffer | string, header: Metadata, autoOrient: boolean, limits: MediaLimits, kind: MediaKind) {
  const [width, height] = autoOrient ? [header.autoOrient.width, header.autoOrient.height] : [header.width, header.height];
  try {
    const shrunk = sharp(input, { limitInputPixels: limits.maxPixels, failOn: 'error', autoOrient }).resize(limits.displayPx, limits.displayPx, {
      fit: 'inside',
      withoutEnlargement: true,
    });
    // A colour profile (an iPhone's Display P3) is converted to sRGB after shrinking, not before: at 12 MP
    // the conversion alone costs as much as everything else (bench: ~360 ms against ~170 ms per photo).
    const { data, info } = header.hasProfile
      ? await sharp(await shrunk.keepIccProfile().tiff({ compression: 'none' }).toBuffer()).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true })
      : await shrunk.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
    const [display, thumb] = await Promise.all([
      sharp(data, raw).webp({ quality: DISPLAY_QUALITY, effort: WEBP_EFFORT }).toBuffer(),
      sharp(data, raw)
        .resize(limits.thumbPx, limits.thumbPx, { fit: 'inside', withoutEnlargement: true })
        .webp({ quality: THUMB_QUALITY, effort: WEBP_EFFORT })
        .toBuffer(),
    ]);
    return { width, height, display, thumb, preview: 'full' as const };
  } catch (error) {
    throw undecodable(kind, error);
  }
}

/** HEIC/HEIF -> JPEG with heif-convert (primary image; transforms applied), in a directory of its own under workDir. */
async function decodeHeif(tool: string, input: string, workDir: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(workDir, 'heif-'));
  try {
    await run(tool, ['-q', HEIF_JPEG_QUALITY, input, path.join(dir, 'output.jpg')], TIMEOUT_MS.heif);
  } catch (error) {
    throw undecodable('photo', error);
  }
  // A file with several top-level images becomes output-1.jpg, output-2.jpg, ...
  const files = await fs.readdir(dir);
  const output = files.includes('output.jpg') ? 'output.jpg' : files.includes('output-1.jpg') ? 'output-1.jpg' : null;
  if (!output) throw undecodable('photo', new Error('heif-convert wrote no image'));
  return path.join(dir, output);
}

// ---------------------------------------------------------------------------------------------------------
// EXIF

interface CaptureFacts {
  takenAt: string | null;
  gps: { lat: number; lon: number } | null;
}
const NO_FACTS: CaptureFacts = { takenAt: null, gps: null };

const EXIFR_OPTIONS = {
  tiff: true, exif: true, gps: true, ifd1: false, interop: false, xmp: false, icc: false, iptc: false, jfif: false, ihdr: false,
  makerNote: false, userComment: false,
  // Raw strings, not Dates: a Date would be built in the server's time zone.
  reviveValues: false, translateValues: false,
};

/**
 * Capture time and position from EXIF. `source` is sharp's EXIF block (TIFF, possibly behind "Exif\0\0")
 * where sharp found one — exifr cannot read WebP containers, nor some valid HEIC — else the original file,
 * which exifr reads in chunks. Anything missing or malformed gives nulls, never an error.
 */
async function readExif(source: Buffer | string): Promise<CaptureFacts> {
  const tiff = typeof source === 'string' || source.subarray(0, 6).toString('latin1') !== 'Exif\0\0' ? source : source.subarray(6);
  let tags: unknown;
  try {
    tags = await exifr.parse(tiff, EXIFR_OPTIONS);
  } catch {
    return NO_FACTS;
  }
  const t = record(tags);
  if (!t) return NO_FACTS;
  const original = str(t.DateTimeOriginal);
  const takenAt = original ? exifInstant(original, str(t.OffsetTimeOriginal)) : exifInstant(str(t.CreateDate), str(t.OffsetTimeDigitized));
  return { takenAt, gps: position(num(t.latitude), num(t.longitude)) };
}

/** "YYYY:MM:DD HH:MM:SS" at a UTC offset ("+05:30"; DEFAULT_EXIF_UTC_OFFSET when absent) as an ISO instant. */
function exifInstant(dateTime: string | null, offset: string | null): string | null {
  const m = dateTime?.trim().match(/^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})/);
  if (!m) return null;
  const minutes = offsetMinutes(offset) ?? offsetMinutes(DEFAULT_EXIF_UTC_OFFSET) ?? 0;
  return instant(m.slice(1, 7).map(Number), minutes);
}

/** "+08:00", "-0330", "Z" -> minutes east of UTC; null for anything else. */
function offsetMinutes(offset: string | null): number | null {
  const text = offset?.trim();
  if (text === 'Z') return 0;
  const m = text?.match(/^([+-])(\d{2}):?(\d{2})$/);
  if (!m) return null;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return minutes > 14 * 60 ? null : (m[1] === '-' ? -minutes : minutes);
}

/** Calendar fields at an offset -> ISO instant, or null when they are not a real, plausible moment. */
function instant(fields: number[], offsetMin: number): string | null {
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = fields;
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(local);
  const real = check.getUTCFullYear() === year && check.getUTCMonth() === month - 1 && check.getUTCDate() === day;
  if (!real || hour > 23 || minute > 59 || second > 59) return null;
  const utc = local - offsetMin * 60_000;
  return utc < EARLIEST_CAPTURE_MS || utc > Date.now() + 86_400_000 ? null : new Date(utc).toISOString();
}

/** A WGS-84 position, or null for missing, out-of-range or the 0,0 that unset receivers write. */
function position(lat: number | null, lon: number | null): CaptureFacts['gps'] {
  if (lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
  if (Math.abs(lat) < 1e-6 && Math.abs(lon) < 1e-6) return null;
  return { lat, lon };
}

const record = (v: unknown): Record<string, unknown> | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};

// ---------------------------------------------------------------------------------------------------------
// Videos

interface Probe {
  durationS: number | null;
  width: number | null;
  height: number | null;
  facts: CaptureFacts;
}

async function processVideo(input: string, mime: AcceptedMime, limits: MediaLimits, tools: MediaTools, dir: string): Promise<ProcessedMedia> {
  const base = { kind: 'video' as const, mime, display: null };
  if (!tools.ffmpeg && !tools.ffprobe) {
    return { ...base, width: null, height: null, durationS: null, ...NO_FACTS, ...(await videoPlaceholders(limits)) };
  }
  const probe = tools.ffprobe ? await probeVideo(tools.ffprobe, input) : null;
  const { facts = NO_FACTS, ...size } = probe ?? { width: null, height: null, durationS: null };
  const known = { ...size, ...facts };
  if (!tools.ffmpeg) return { ...base, ...known, ...(await videoPlaceholders(limits)) };
  const frame = await posterFrame(tools.ffmpeg, input, dir, known.durationS, limits);
  const cleanCopy = await stripVideo(tools.ffmpeg, input, dir, mime);
  const copies = await renderCopies(frame, await readHeader(frame, 'video'), false, limits, 'video');
  return { ...base, ...known, poster: copies.display, thumb: copies.thumb, cleanCopy, preview: 'full' };
}

async function videoPlaceholders(limits: MediaLimits) {
  return {
    poster: await placeholder('video', Math.min(limits.displayPx, 640)),
    thumb: await placeholder('video', limits.thumbPx),
    cleanCopy: null,
    preview: 'no_ffmpeg' as const,
  };
}

/** Duration, upright size, creation time and ISO 6709 location from ffprobe; undecodable without a video stream. */
async function probeVideo(ffprobe: string, input: string): Promise<Probe> {
  let json: unknown;
  try {
    const { stdout } = await run(ffprobe, ['-v', 'error', '-f', 'mov', '-select_streams', 'V', '-show_entries',
      'format=duration:format_tags:stream=codec_type,width,height:stream_side_data=rotation', '-of', 'json', input], TIMEOUT_MS.probe);
    json = JSON.parse(stdout);
  } catch (error) {
    throw undecodable('video', error);
  }
  const format = record(record(json)?.format);
  const streams = record(json)?.streams;
  // -select_streams V: real video, not cover art (an attached picture may be a JPEG with its own EXIF).
  const video = (Array.isArray(streams) ? streams : []).map(record).find((s) => s?.codec_type === 'video');
  if (!video) throw undecodable('video', new Error('no video stream'));
  // Phones store portrait video as landscape frames plus a display-matrix rotation (-90/90/270).
  const sideData = Array.isArray(video.side_data_list) ? video.side_data_list : [];
  const rotation = sideData.map((d) => num(record(d)?.rotation)).find((r) => r !== null) ?? 0;
  const turned = Math.abs(rotation) % 180 === 90;
  const [w, h] = [num(video.width), num(video.height)];
  const tags = record(format?.tags) ?? {};
  const duration = num(format?.duration);
  return {
    durationS: duration !== null && duration >= 0 ? duration : null,
    width: turned ? h : w,
    height: turned ? w : h,
    facts: {
      takenAt: isoInstant(str(tags['com.apple.quicktime.creationdate'])) ?? isoInstant(str(tags.creation_time)),
      gps: iso6709(str(tags['com.apple.quicktime.location.ISO6709']) ?? str(tags.location)),
    },
  };
}

/** "2024-05-01T10:11:12.000000Z" / "2024-05-01T18:11:12+0800" -> ISO instant; no zone means UTC (QuickTime). */
function isoInstant(text: string | null): string | null {
  const m = text?.trim().match(/^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?$/);
  if (!m) return null;
  const offset = m[7] === undefined ? 0 : offsetMinutes(m[7]);
  return offset === null ? null : instant(m.slice(1, 7).map(Number), offset);
}

/** "+29.6500+091.1300/" or "+29.6500+091.1300+3650.000/" (decimal degrees) -> position. */
function iso6709(text: string | null): CaptureFacts['gps'] {
  const m = text?.trim().match(/^([+-]\d{1,2}(?:\.\d+)?)([+-]\d{1,3}(?:\.\d+)?)/);
  return m ? position(Number(m[1]), Number(m[2])) : null;
}

/** One upright frame a little into the video, at most displayPx on its longest edge, as PNG bytes. */
async function posterFrame(ffmpeg: string, input: string, dir: string, durationS: number | null, limits: MediaLimits): Promise<Buffer> {
  const output = path.join(dir, 'poster.png');
  const fit = `scale='min(iw,${limits.displayPx})':'min(ih,${limits.displayPx})':force_original_aspect_ratio=decrease`;
  const grab = (at: number) => run(ffmpeg, ['-v', 'error', '-nostdin', '-y', '-ss', at.toFixed(3), '-f', 'mov', '-i', input,
    '-frames:v', '1', '-an', '-sn', '-dn', '-vf', fit, '-c:v', 'png', '-compression_level', '1', '-f', 'image2', output], TIMEOUT_MS.poster);
  const seek = durationS ? Math.min(1, durationS / 4) : 0;
  try {
    await grab(seek);
    // Seeking past the only keyframes of a very short clip can produce nothing: try the first frame.
    if (seek > 0 && !(await nonEmpty(output))) await grab(0);
    return await fs.readFile(output);
  } catch (error) {
    throw undecodable('video', error);
  }
}

/**
 * The video and audio streams remuxed without a single tag, chapter, data track or cover art (-c copy, so no
 * quality loss): QuickTime/MP4 keep GPS (©xyz, com.apple.quicktime.location.ISO6709), device and time in
 * metadata, and phones add timed-metadata tracks that may carry position too. `-map 0:V -map 0:a?` rather
 * than `-map 0`: those data tracks (mebx, camera motion) are exactly what must go, and the MP4 muxer would
 * refuse some of them anyway.
 */
async function stripVideo(ffmpeg: string, input: string, dir: string, mime: AcceptedMime): Promise<string> {
  const mov = mime === 'video/quicktime';
  const output = path.join(dir, mov ? 'clean.mov' : 'clean.mp4');
  try {
    await run(ffmpeg, ['-v', 'error', '-nostdin', '-y', '-f', 'mov', '-i', input, '-map', '0:V', '-map', '0:a?', '-map_metadata', '-1',
      '-map_chapters', '-1', '-c', 'copy', '-movflags', '+faststart', '-f', mov ? 'mov' : 'mp4', output], TIMEOUT_MS.remux);
    if (!(await nonEmpty(output))) throw new Error('ffmpeg wrote no video');
    return output;
  } catch (error) {
    throw undecodable('video', error);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Voice notes

/**
 * A voice note is kept as it was recorded (a phone's MediaRecorder writes no place or time into it): its
 * whole structure is checked and its length measured from the bytes (audio.ts for WebM and Ogg,
 * container.ts for MP4), and one longer than limits.audioSeconds is refused. An MP4 may carry tags (udta,
 * meta: an exported memo can hold where it was made): the copy that is served has them blanked, box for
 * box, so no offset in the file moves. Its thumbnail is a placeholder with a sound glyph.
 */
async function processAudio(input: string, limits: MediaLimits, sound: IsoSound | null, workDir: string): Promise<ProcessedMedia> {
  let info: { mime: AcceptedMime; durationS: number } | null;
  try {
    info = sound ? { mime: 'audio/mp4', durationS: sound.durationS } : sniffAudio(await fs.readFile(input));
  } catch (error) {
    throw undecodable('audio', error);
  }
  if (!info) throw undecodable('audio', new AudioError('not WebM, Ogg or MP4'));
  if (info.durationS > limits.audioSeconds) {
    throw new DomainError('too_large', 'audio_too_long', `This voice note is ${Math.round(info.durationS)} s long; the most is ${limits.audioSeconds} s. Record a shorter one.`, {
      kind: 'audio',
      durationS: info.durationS,
      limitS: limits.audioSeconds,
    });
  }
  return {
    kind: 'audio',
    mime: info.mime,
    width: null,
    height: null,
    durationS: info.durationS,
    takenAt: null,
    gps: null,
    display: null,
    thumb: await placeholder('audio', limits.thumbPx),
    poster: null,
    cleanCopy: sound && sound.metadata.length > 0 ? await blankBoxes(input, sound.metadata, path.join(workDir, 'voice-clean.m4a')) : null,
    preview: 'full',
  };
}

/** A copy of `input` in which each of `boxes` is a `free` box of the same size, full of zeros. */
async function blankBoxes(input: string, boxes: { start: number; end: number }[], output: string): Promise<string> {
  await fs.copyFile(input, output, fsConstants.COPYFILE_EXCL);
  const handle = await fs.open(output, 'r+');
  try {
    for (const box of boxes) {
      // The size fields stay (a 64-bit size too): only the type and the payload change.
      const head = Buffer.alloc(8);
      await handle.read(head, 0, 8, box.start);
      const headerBytes = head.readUInt32BE(0) === 1 ? 16 : 8;
      await handle.write(Buffer.from('free', 'latin1'), 0, 4, box.start + 4);
      const zeros = Buffer.alloc(Math.min(64 * 1024, box.end - box.start - headerBytes));
      for (let at = box.start + headerBytes; at < box.end; at += zeros.length) await handle.write(zeros, 0, Math.min(zeros.length, box.end - at), at);
    }
  } finally {
    await handle.close();
  }
  return output;
}

// ---------------------------------------------------------------------------------------------------------
// Placeholders

const placeholders = new Map<string, Promise<Buffer>>();

/**
 * A neutral grey 4:3 WebP tile with a photo or play glyph; cached. No words: the server may have no CJK or
 * Tibetan font, and clients say "preview unavailable" in the reader's language from `preview`.
 */
function placeholder(glyph: MediaKind, width: number): Promise<Buffer> {
  const key = `${glyph}:${width}`;
  let tile = placeholders.get(key);
  if (!tile) {
    tile = renderPlaceholder(glyph, width);
    tile.catch(() => placeholders.delete(key));
    placeholders.set(key, tile);
  }
  return tile;
}

function renderPlaceholder(glyph: MediaKind, width: number): Promise<Buffer> {
  const height = Math.round((width * 3) / 4);
  const icon = glyph === 'audio'
    ? '<rect x="146" y="72" width="28" height="56" rx="14" fill="#8c8c8c"/><path d="M128 116 a32 32 0 0 0 64 0" fill="none" stroke="#8c8c8c" stroke-width="8"/>' +
      '<rect x="156" y="148" width="8" height="22" fill="#8c8c8c"/><rect x="136" y="168" width="48" height="8" rx="4" fill="#8c8c8c"/>'
    : glyph === 'video'
    ? '<circle cx="160" cy="120" r="42" fill="#8c8c8c"/><path d="M146 97 L146 143 L184 120 Z" fill="#e0e0e0"/>'
    : '<rect x="112" y="87" width="96" height="68" rx="8" fill="#8c8c8c"/><circle cx="160" cy="121" r="22" fill="#e0e0e0"/>' +
      '<circle cx="160" cy="121" r="13" fill="#8c8c8c"/><rect x="124" y="79" width="26" height="12" rx="3" fill="#8c8c8c"/>';
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 320 240">
    <rect width="320" height="240" fill="#e0e0e0"/>${icon}</svg>`;
  return sharp(Buffer.from(svg)).webp({ quality: 80 }).toBuffer();
}

// ---------------------------------------------------------------------------------------------------------
// Processes and files

class ToolFailure extends Error {
  constructor(readonly tool: string, readonly stderr: string, readonly timedOut: boolean) {
    super(`${tool} failed${timedOut ? ' (timed out)' : ''}: ${lastLine(stderr)}`);
  }
}

/** execFile with an argument array (no shell), a timeout (SIGKILL) and stderr kept for the error. */
function run(file: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const options = { timeout: timeoutMs, killSignal: 'SIGKILL' as const, maxBuffer: 8 * 1024 * 1024, encoding: 'utf8' as const };
    execFile(file, args, options, (error, stdout, stderr) => {
      if (error) reject(new ToolFailure(path.basename(file), stderr.trim() || error.message, error.killed === true));
      else resolve({ stdout, stderr });
    });
  });
}

async function withTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), TEMP_PREFIX));
  try {
    return await work(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function nonEmpty(file: string): Promise<boolean> {
  return fs.stat(file).then((s) => s.size > 0, () => false);
}

async function findOnPath(names: string[]): Promise<string | null> {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => path.isAbsolute(dir));
  for (const name of names) {
    for (const dir of dirs) {
      const file = path.join(dir, name);
      const usable = await fs.access(file, fsConstants.X_OK).then(() => fs.stat(file).then((s) => s.isFile()), () => false);
      if (usable) return file;
    }
  }
  return null;
}
