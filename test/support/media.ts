// Real photo and video bytes for tests, made on the spot: sharp draws images (with EXIF capture time and
// GPS where asked), ffmpeg encodes short videos when it is installed.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';

export interface PhotoOptions {
  width?: number;
  height?: number;
  format?: 'jpeg' | 'png' | 'webp';
  /** Makes the bytes differ between photos (the colour comes from it). */
  label?: string;
  /** EXIF capture time, local time as a camera writes it ("2025:05:07 20:55:00"), and its UTC offset. */
  takenAt?: string;
  offset?: string;
  /** EXIF GPS position. */
  gps?: { lat: number; lon: number };
  /** EXIF orientation (6 = rotate 90° clockwise to view). */
  orientation?: number;
  /** Random pixels (as a camera's noise): the file is as large as a real photo of that size. */
  noise?: boolean;
}

/** Degrees as EXIF rationals "d/1 m/1 s/10000" (what libvips parses for GPSLatitude/GPSLongitude). */
export function dms(value: number): string {
  const a = Math.abs(value);
  const d = Math.floor(a);
  const m = Math.floor((a - d) * 60);
  const s = Math.round(((a - d) * 60 - m) * 60 * 10000);
  return `${d}/1 ${m}/1 ${s}/10000`;
}

/** Deterministic pseudo-random bytes from a seed (so the same label gives the same photo). */
function randomPixels(n: number, seed: Buffer): Buffer {
  const out = Buffer.alloc(n);
  let x = seed.readUInt32LE(0) || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export async function photo(options: PhotoOptions = {}): Promise<Buffer> {
  const { width = 64, height = 48, format = 'jpeg', label = 'photo' } = options;
  const h = createHash('sha256').update(label).digest();
  const base = options.noise
    ? sharp(randomPixels(width * height * 3, h), { raw: { width, height, channels: 3 } })
    : sharp({ create: { width, height, channels: 3, background: { r: h[0]!, g: h[1]!, b: h[2]! } } });
  let image = base.composite([
    // A bright block in the top-left corner, so orientation can be checked from the pixels.
    { input: { create: { width: Math.max(1, Math.floor(width / 4)), height: Math.max(1, Math.floor(height / 4)), channels: 3, background: { r: 255, g: 255, b: 255 } } }, left: 0, top: 0 },
  ]);
  const exif: Record<string, Record<string, string>> = {};
  if (options.takenAt) exif.IFD2 = { DateTimeOriginal: options.takenAt, ...(options.offset ? { OffsetTimeOriginal: options.offset } : {}) };
  if (options.gps) {
    exif.IFD3 = {
      GPSLatitudeRef: options.gps.lat >= 0 ? 'N' : 'S',
      GPSLatitude: dms(options.gps.lat),
      GPSLongitudeRef: options.gps.lon >= 0 ? 'E' : 'W',
      GPSLongitude: dms(options.gps.lon),
    };
  }
  if (Object.keys(exif).length > 0) image = image.withExif(exif);
  // Orientation goes through withMetadata: an Orientation tag given to withExif is overwritten.
  if (options.orientation) image = image.withMetadata({ orientation: options.orientation });
  if (format === 'png') return image.png().toBuffer();
  if (format === 'webp') return image.webp().toBuffer();
  return image.jpeg({ quality: 85 }).toBuffer();
}

export const ffmpegPath = (): string | null => {
  try {
    return execFileSync('sh', ['-c', 'command -v ffmpeg'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
};

/** A short test-pattern video (MP4 or MOV) with a GPS location tag; null when ffmpeg is not installed. */
export function video(format: 'mp4' | 'mov' = 'mp4', seconds = 1, label = 'video'): Buffer | null {
  const ffmpeg = ffmpegPath();
  if (!ffmpeg) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gridline-video-'));
  try {
    const out = path.join(dir, `v.${format}`);
    execFileSync(ffmpeg, [
      '-hide_banner', '-loglevel', 'error',
      '-f', 'lavfi', '-i', `testsrc=duration=${seconds}:size=160x120:rate=10`,
      '-metadata', 'location=+29.6500+091.1300/', '-metadata', `title=${label}`,
      // MP4 keeps arbitrary tags only with use_metadata_tags; MOV writes location as ©xyz anyway.
      ...(format === 'mp4' ? ['-movflags', 'use_metadata_tags'] : []),
      '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', out,
    ]);
    return fs.readFileSync(out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A PNG from raw chunks with correct CRCs: IHDR for width × height (8-bit, the colour type given), one IDAT, IEND. */
export function pngFromChunks(width: number, height: number, idat: Buffer, colourType = 0): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = colourType; // 0 greyscale, 2 RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * A decompression bomb: a PNG whose header claims width × height pixels (greyscale) but whose data is a
 * few bytes. Decoding it would need width × height bytes of memory; reading its header costs nothing.
 */
export function pngBomb(width: number, height: number): Buffer {
  return pngFromChunks(width, height, zlib.deflateSync(Buffer.alloc((width + 1) * 4))); // the first rows only
}

// ---- ISO base media files (MP4, MOV, HEIC) built by hand ---------------------------------------------------

/** An ISO-BMFF box: 32-bit size, four-character type, then the payload (children concatenated). */
export function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
}

/** A box with a 64-bit size (size field 1, then the largesize). */
export function box64(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const head = Buffer.alloc(16);
  head.writeUInt32BE(1);
  head.write(type, 4, 'latin1');
  head.writeBigUInt64BE(BigInt(16 + body.length), 8);
  return Buffer.concat([head, body]);
}

/** A FullBox: version and flags before the payload. */
export function fullBox(type: string, version: number, ...payload: Buffer[]): Buffer {
  return box(type, Buffer.from([version, 0, 0, 0]), ...payload);
}

const u32 = (...values: number[]) => {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32BE(v, 4 * i));
  return b;
};
const u16 = (...values: number[]) => {
  const b = Buffer.alloc(2 * values.length);
  values.forEach((v, i) => b.writeUInt16BE(v, 2 * i));
  return b;
};

export const ftyp = (major: string, ...compatible: string[]): Buffer => box('ftyp', Buffer.from(major, 'latin1'), u32(0), ...compatible.map((c) => Buffer.from(c, 'latin1')));

/**
 * A structurally complete MP4 (or MOV): ftyp, one video track whose chunk offsets point into the mdat, and
 * an mdat of `mdatBytes` bytes that are no real video. Enough for the structure check, nothing a decoder
 * could play: what a phone's upload looks like to a server without ffmpeg.
 */
export function handMadeMovie(options: { quicktime?: boolean; mdatBytes?: number; largeMdat?: boolean } = {}): Buffer {
  const header = options.quicktime ? ftyp('qt  ', 'qt  ') : ftyp('isom', 'isom', 'iso2', 'mp41');
  const payload = Buffer.alloc(options.mdatBytes ?? 64, 0x5a);
  const build = (chunkOffset: number) =>
    box(
      'moov',
      fullBox('mvhd', 0, Buffer.alloc(96)),
      box(
        'trak',
        fullBox('tkhd', 0, Buffer.alloc(80)),
        box(
          'mdia',
          fullBox('mdhd', 0, Buffer.alloc(20)),
          fullBox('hdlr', 0, u32(0), Buffer.from('vide', 'latin1'), Buffer.alloc(12), Buffer.from('VideoHandler\0', 'latin1')),
          box('minf', fullBox('vmhd', 0, Buffer.alloc(8)), box('stbl', fullBox('stsd', 0, u32(0)), fullBox('stco', 0, u32(1, chunkOffset)))),
        ),
      ),
    );
  const mdatHeader = options.largeMdat ? 16 : 8;
  const moovLength = build(0).length;
  const moov = build(header.length + moovLength + mdatHeader);
  const mdat = options.largeMdat ? box64('mdat', payload) : box('mdat', payload);
  return Buffer.concat([header, moov, mdat]);
}

/**
 * A structurally complete HEIC: ftyp heic, a meta box (hdlr pict, pitm, iinf, iloc, iprp) whose primary
 * item lies in the mdat, and `dataBytes` bytes there that are no real HEVC.
 */
export function handMadeHeic(dataBytes = 64): Buffer {
  const header = ftyp('heic', 'mif1', 'heic');
  const data = Buffer.alloc(dataBytes, 0x33);
  const meta = (offset: number) =>
    fullBox(
      'meta',
      0,
      fullBox('hdlr', 0, u32(0), Buffer.from('pict', 'latin1'), Buffer.alloc(12), Buffer.from('\0', 'latin1')),
      fullBox('pitm', 0, u16(1)),
      fullBox('iinf', 0, u16(1), fullBox('infe', 2, u16(1, 0), Buffer.from('hvc1', 'latin1'), Buffer.from('\0', 'latin1'))),
      // iloc v0: offset_size 4, length_size 4, base_offset_size 0; one item, one extent.
      fullBox('iloc', 0, Buffer.from([0x44, 0x00]), u16(1), u16(1, 0), u16(1), u32(offset, data.length)),
      box('iprp', box('ipco', box('ispe', Buffer.alloc(4), u32(64, 48))), fullBox('ipma', 0, u32(1), u16(1), Buffer.from([1, 0x81]))),
    );
  const metaLength = meta(0).length;
  return Buffer.concat([header, meta(header.length + metaLength + 8), box('mdat', data)]);
}
