// What clients learn about a media item: its type, size, dimensions, capture time and the addresses of
// its copies — never the uploader's identity or raw EXIF.

import type { MediaKind, MediaRecord } from '../domain/records.js';

/** What clients learn about a media item (never the uploader's identity or raw EXIF). */
export interface MediaInfo {
  id: string;
  kind: MediaKind;
  mime: string;
  bytes: number;
  sha256: string;
  width: number | null;
  height: number | null;
  durationS: number | null;
  takenAt: string | null;
  /** 'full' when every copy was made from the content; otherwise why a placeholder stands in. */
  preview: string;
  urls: { thumb: string; display: string; original?: string; public?: string };
  createdAt: string;
}

export function extension(mime: string): string {
  return { 'image/jpeg': '.jpg', 'image/png': '.png', 'image/webp': '.webp', 'image/heic': '.heic', 'image/heif': '.heif', 'video/mp4': '.mp4', 'video/quicktime': '.mov', 'audio/webm': '.webm', 'audio/ogg': '.ogg', 'audio/mp4': '.m4a' }[mime] ?? '';
}

export function mediaInfo(record: MediaRecord, mayOriginal: boolean): MediaInfo {
  const base = `/api/v1/media/${record.id}`;
  return {
    id: record.id,
    kind: record.kind,
    mime: record.mime,
    bytes: record.bytes,
    sha256: record.sha256,
    width: record.width,
    height: record.height,
    durationS: record.durationS,
    takenAt: record.takenAt,
    preview: record.preview ?? 'pending',
    urls: {
      thumb: `${base}?variant=thumb`,
      // What to show or play: the display image, the video, the voice note.
      display: `${base}?variant=${record.kind === 'photo' ? 'display' : record.kind}`,
      ...(mayOriginal ? { original: `${base}?variant=original` } : {}),
      ...(record.publicKey ? { public: `/api/v1/public/media/${record.id}` } : {}),
    },
    createdAt: record.createdAt,
  };
}
