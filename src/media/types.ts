// The contracts of the media layer: where bytes live (MediaStore) and what processing makes of an upload
// (ProcessedMedia). Services depend on these, never on sharp, ffmpeg or S3 directly.

import type { Readable } from 'node:stream';

/** Bytes behind one interface. Keys are content addresses (SHA-256 hex), so no user-controlled text ever
 *  reaches a path or an object key, and the same bytes stored twice are stored once. Large bytes move as
 *  files and streams (putFile, open), never whole in memory; resumable uploads keep their chunks here too,
 *  as parts named by the upload and the chunk (putPart, openPart, deleteParts), so any process can take the
 *  next chunk while the database holds only where each upload stands. */
export interface MediaStore {
  /** 'local', 's3' or 'memory', for logs and /healthz. */
  readonly driver: string;
  /** Store bytes; returns their key (the SHA-256 hex of the bytes). Idempotent for identical bytes. */
  put(bytes: Buffer, contentType: string): Promise<{ key: string; created: boolean }>;
  /**
   * Store the bytes of a local file, streamed. `sha256` is the key when the caller hashed the bytes as it
   * wrote the file (spool.ts does); otherwise the store hashes the file first. The file stays the caller's.
   */
  putFile(file: string, contentType: string, sha256?: string): Promise<{ key: string; created: boolean }>;
  /** The bytes of a key; throws MediaMissingError when nothing is stored under it. */
  get(key: string): Promise<Buffer>;
  /** The bytes of a key as a stream, with their length; throws MediaMissingError when nothing is stored. */
  open(key: string): Promise<{ stream: Readable; bytes: number }>;
  has(key: string): Promise<boolean>;
  /** Keep one chunk of a resumable upload (the bytes of a local file) as part `part` of upload `upload`. */
  putPart(upload: string, part: string, file: string): Promise<void>;
  /** One stored part; throws MediaMissingError when it is not there. */
  openPart(upload: string, part: string): Promise<Readable>;
  /** Remove every part of an upload (finished, cancelled or expired); nothing there is no error. */
  deleteParts(upload: string): Promise<void>;
}

/** Upload ids are our own UUIDs; part names are the chunk's offset and a random suffix. Both are checked
 *  before any path or object key is built from them. */
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PART_NAME = /^[0-9]{15}-[0-9a-f]{16}$/;

export function assertPartName(upload: string, part?: string): void {
  if (!UPLOAD_ID.test(upload)) throw new Error(`invalid upload id ${JSON.stringify(String(upload).slice(0, 80))}`);
  if (part !== undefined && !PART_NAME.test(part)) throw new Error(`invalid upload part ${JSON.stringify(String(part).slice(0, 80))}`);
}

/** The name of a new part at `offset`: sortable by offset, unique per attempt (two racing chunks never share one). */
export function partName(offset: number, random: string): string {
  return `${String(offset).padStart(15, '0')}-${random}`;
}

export class MediaMissingError extends Error {
  override readonly name = 'MediaMissingError';
  constructor(readonly key: string) {
    super(`no media stored under ${key}`);
  }
}

export type { MediaKind } from '../domain/records.js';
import type { MediaKind } from '../domain/records.js';

/** The accepted types, recognised from the bytes alone. */
export const ACCEPTED_MIME = ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif', 'video/mp4', 'video/quicktime', 'audio/webm', 'audio/ogg', 'audio/mp4'] as const;
export type AcceptedMime = (typeof ACCEPTED_MIME)[number];

export interface MediaLimits {
  /** Largest photo in bytes (default 15 MB). */
  photoBytes: number;
  /** Largest video in bytes (default 100 MB). */
  videoBytes: number;
  /** Largest voice note in bytes (default 5 MB: two minutes of Opus is about 1 MB). */
  audioBytes: number;
  /** Longest voice note in seconds (default 120). */
  audioSeconds: number;
  /** Most pixels (width × height) a photo may decode to (default 100 megapixels). */
  maxPixels: number;
  /** Longest edge of the display copy in px (default 1600). */
  displayPx: number;
  /** Longest edge of the thumbnail in px (default 320). */
  thumbPx: number;
  /** Most bytes one user may hold in unfinished resumable uploads, counted by their declared lengths (default 300 MB). */
  uploadQuotaBytes: number;
}

export const DEFAULT_MEDIA_LIMITS: MediaLimits = {
  photoBytes: 15 * 1024 * 1024,
  videoBytes: 100 * 1024 * 1024,
  audioBytes: 5 * 1024 * 1024,
  audioSeconds: 120,
  maxPixels: 100_000_000,
  displayPx: 1600,
  thumbPx: 320,
  uploadQuotaBytes: 300 * 1024 * 1024,
};

/** What the bytes of an upload turned out to be. */
export interface ProcessedMedia {
  kind: MediaKind;
  mime: AcceptedMime;
  /** Upright dimensions (after EXIF orientation) where known. */
  width: number | null;
  height: number | null;
  /** Seconds: a voice note's always, a video's where ffprobe is available. */
  durationS: number | null;
  /** Capture time from EXIF (or a video's creation_time), as an ISO instant; null when absent. */
  takenAt: string | null;
  /** Capture position from EXIF GPS (WGS-84 as phones record it); null when absent. */
  gps: { lat: number; lon: number } | null;
  /** Upright WebP display copy (longest edge <= displayPx), no metadata; null for videos and voice notes. */
  display: Buffer | null;
  /** Upright WebP thumbnail (longest edge <= thumbPx), no metadata; for videos the poster's thumbnail, for voice notes a placeholder. */
  thumb: Buffer;
  /** Video poster frame as WebP (or a placeholder); null for photos. */
  poster: Buffer | null;
  /** A video copy with every metadata atom removed (ffmpeg remux), as a file in the work directory the
   *  caller gave processFile; null when ffmpeg is missing. */
  cleanCopy: string | null;
  /** 'full' when every copy was made from the content; otherwise why a placeholder stands in. */
  preview: 'full' | 'no_ffmpeg' | 'no_heif_decoder';
}
