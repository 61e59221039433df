// What an upload is, decided from its bytes alone: never from a file name or a declared Content-Type,
// which the client controls. file-type reads the magic numbers; two refinements on top of it:
//  - ISO-BMFF ("ftyp") files are classified by their brands, so a HEIF that announces itself only through a
//    compatible brand is a photo and an AVIF that poses as a generic 'mif1' HEIF is refused;
//  - text markup (HTML, SVG), which file-type does not recognise, is named in the refusal's details.

import { fileTypeFromBuffer } from 'file-type';
import { DomainError } from '../domain/errors.js';
import type { AcceptedMime, MediaKind } from './types.js';

export interface SniffedMedia {
  kind: MediaKind;
  mime: AcceptedMime;
}

/** What the refusal message offers instead. */
export const ACCEPTED_DESCRIPTION = 'a photo (JPEG, PNG, WebP or HEIC/HEIF), a video (MP4 or MOV) or a voice note (WebM or Ogg with Opus, or MP4 with AAC)';

const PHOTO = (mime: AcceptedMime): SniffedMedia => ({ kind: 'photo', mime });
const VIDEO = (mime: AcceptedMime): SniffedMedia => ({ kind: 'video', mime });
const AUDIO = (mime: AcceptedMime): SniffedMedia => ({ kind: 'audio', mime });

/** file-type's MIME -> what we accept it as. Everything not listed is refused. */
const ACCEPTED_BY_FILE_TYPE: Readonly<Record<string, SniffedMedia>> = {
  'image/jpeg': PHOTO('image/jpeg'),
  'image/png': PHOTO('image/png'),
  'image/webp': PHOTO('image/webp'),
  'image/heic': PHOTO('image/heic'),
  'image/heic-sequence': PHOTO('image/heic'),
  'image/heif': PHOTO('image/heif'),
  'image/heif-sequence': PHOTO('image/heif'),
  'video/mp4': VIDEO('video/mp4'),
  'video/x-m4v': VIDEO('video/mp4'),
  'video/quicktime': VIDEO('video/quicktime'),
  // A voice note from MediaRecorder (Chrome and Android: WebM; Firefox: Ogg). A WebM with a video track is
  // refused when the whole file is read (audio.ts): videos come as MP4 or MOV.
  'audio/webm': AUDIO('audio/webm'),
  'video/webm': AUDIO('audio/webm'),
  'audio/ogg': AUDIO('audio/ogg'),
  'audio/opus': AUDIO('audio/ogg'),
  // An MP4 that says it is audio (M4A); Safari's recordings say iso5 and look like a video until their
  // tracks are read (process.ts: an MP4 with sound alone is a voice note).
  'audio/x-m4a': AUDIO('audio/mp4'),
  'audio/mp4': AUDIO('audio/mp4'),
};

/** HEVC-coded HEIF brands (single image, sequence, multi-layer). */
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs']);
/** Generic HEIF structural brands: the codec is only known from the compatible brands. */
const GENERIC_HEIF_BRANDS = new Set(['mif1', 'msf1', 'mif2', 'miaf']);
const AVIF_BRANDS = new Set(['avif', 'avis']);

/** The major and compatible brands of a leading ftyp box, or null when the bytes do not start with one. */
function ftypBrands(bytes: Buffer): { major: string; compatible: string[] } | null {
  if (bytes.length < 16 || bytes.toString('latin1', 4, 8) !== 'ftyp') return null;
  const boxEnd = Math.min(bytes.readUInt32BE(0), bytes.length, 4096);
  const compatible: string[] = [];
  for (let at = 16; at + 4 <= boxEnd; at += 4) compatible.push(bytes.toString('latin1', at, at + 4));
  return { major: bytes.toString('latin1', 8, 12), compatible };
}

/** Refines file-type's answer for ISO-BMFF files from their brands; other answers pass through. */
function refineIsoBmff(bytes: Buffer, mime: string): string {
  const brands = ftypBrands(bytes);
  if (!brands) return mime;
  const all = [brands.major, ...brands.compatible];
  if (HEIC_BRANDS.has(brands.major)) return 'image/heic';
  if (GENERIC_HEIF_BRANDS.has(brands.major)) {
    if (all.some((b) => HEIC_BRANDS.has(b))) return 'image/heic';
    if (all.some((b) => AVIF_BRANDS.has(b))) return 'image/avif';
    return 'image/heif';
  }
  return mime;
}

/** Names text markup that file-type leaves unrecognised (or calls generic XML), for the refusal's details. */
function sniffMarkup(bytes: Buffer): string | null {
  const head = bytes.toString('utf8', 0, Math.min(bytes.length, 2048)).replace(/^\uFEFF/, '').trimStart().toLowerCase();
  if (!head.startsWith('<')) return null;
  if (/<svg[\s>/]/.test(head)) return 'image/svg+xml';
  if (/<!doctype html|<(html|head|body|script|iframe|meta)[\s>/]/.test(head)) return 'text/html';
  if (head.startsWith('<?xml')) return 'application/xml';
  return null;
}

/**
 * The kind and MIME type of an upload, from its bytes. Throws DomainError 'invalid' (empty_upload) for no
 * bytes and 'unsupported' (unsupported_media_type, details.detected = what the bytes are, or 'unknown')
 * for anything but the accepted photo, video and voice-note types.
 */
export async function sniffMedia(bytes: Buffer): Promise<SniffedMedia> {
  if (bytes.length === 0) {
    throw new DomainError('invalid', 'empty_upload', `The uploaded file is empty. Choose ${ACCEPTED_DESCRIPTION} and try again.`, {
      bytes: 0,
    });
  }
  const found = await fileTypeFromBuffer(bytes);
  let detected = found ? refineIsoBmff(bytes, found.mime) : 'unknown';
  const accepted = ACCEPTED_BY_FILE_TYPE[detected];
  if (accepted) return accepted;
  if (detected === 'unknown' || detected === 'application/xml') detected = sniffMarkup(bytes) ?? detected;
  throw new DomainError(
    'unsupported',
    'unsupported_media_type',
    `This file is not a supported photo, video or voice note (it looks like ${detected === 'unknown' ? 'an unknown type' : detected}). ` +
      `Upload ${ACCEPTED_DESCRIPTION}.`,
    { detected },
  );
}
