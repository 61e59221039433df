// The contracts of the media layer: where bytes live (MediaStore) and what processing makes of an upload
// (ProcessedMedia). Services depend on these, never on sharp, ffmpeg or S3 directly.

/** Bytes behind one interface. Keys are content addresses (SHA-256 hex), so no user-controlled text ever
 *  reaches a path or an object key, and the same bytes stored twice are stored once. */
export interface MediaStore {
  /** 'local' or 's3', for logs and /healthz. */
  readonly driver: string;
  /** Store bytes; returns their key (the SHA-256 hex of the bytes). Idempotent for identical bytes. */
  put(bytes: Buffer, contentType: string): Promise<{ key: string; created: boolean }>;
  /** The bytes of a key; throws MediaMissingError when nothing is stored under it. */
  get(key: string): Promise<Buffer>;
  has(key: string): Promise<boolean>;
}

export class MediaMissingError extends Error {
  override readonly name = 'MediaMissingError';
  constructor(readonly key: string) {
    super(`no media stored under ${key}`);
  }
}

export type MediaKind = 'photo' | 'video';

/** The accepted types, recognised from the bytes alone. */
export const ACCEPTED_MIME = ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif', 'video/mp4', 'video/quicktime'] as const;
export type AcceptedMime = (typeof ACCEPTED_MIME)[number];

export interface MediaLimits {
  /** Largest photo in bytes (default 15 MB). */
  photoBytes: number;
  /** Largest video in bytes (default 100 MB). */
  videoBytes: number;
  /** Most pixels (width × height) a photo may decode to (default 100 megapixels). */
  maxPixels: number;
  /** Longest edge of the display copy in px (default 1600). */
  displayPx: number;
  /** Longest edge of the thumbnail in px (default 320). */
  thumbPx: number;
}

export const DEFAULT_MEDIA_LIMITS: MediaLimits = {
  photoBytes: 15 * 1024 * 1024,
  videoBytes: 100 * 1024 * 1024,
  maxPixels: 100_000_000,
  displayPx: 1600,
  thumbPx: 320,
};

/** What the bytes of an upload turned out to be. */
export interface ProcessedMedia {
  kind: MediaKind;
  mime: AcceptedMime;
  /** Upright dimensions (after EXIF orientation) where known. */
  width: number | null;
  height: number | null;
  /** Seconds, for videos where ffprobe is available. */
  durationS: number | null;
  /** Capture time from EXIF (or a video's creation_time), as an ISO instant; null when absent. */
  takenAt: string | null;
  /** Capture position from EXIF GPS (WGS-84 as phones record it); null when absent. */
  gps: { lat: number; lon: number } | null;
  /** Upright WebP display copy (longest edge <= displayPx), no metadata; null for videos. */
  display: Buffer | null;
  /** Upright WebP thumbnail (longest edge <= thumbPx), no metadata; for videos the poster's thumbnail. */
  thumb: Buffer;
  /** Video poster frame as WebP (or a placeholder); null for photos. */
  poster: Buffer | null;
  /** A video copy with every metadata atom removed (ffmpeg remux), or null when ffmpeg is missing. */
  cleanVideo: Buffer | null;
  /** 'full' when every copy was made from the content; otherwise why a placeholder stands in. */
  preview: 'full' | 'no_ffmpeg' | 'no_heif_decoder';
}
