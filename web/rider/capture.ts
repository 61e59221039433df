// What the phone captures: photos shrunk before they are kept (a rider's photo is 3-8 MB; a few hundred
// KB shows the problem as well and goes through a weak signal), and the device's position at the moment of
// capture (browsers strip GPS from the photos they hand to a page, so the photo itself cannot say where).

import type { QueuedFile } from './queue.js';

/** The longest side of a shrunk photo, in pixels. */
export const PHOTO_MAX_SIDE = 1600;
const JPEG_QUALITY = 0.8;

/**
 * A photo as the queue keeps it: decoded with its EXIF orientation applied (so a sideways phone's photo
 * stands up), scaled to PHOTO_MAX_SIDE and encoded as JPEG. Re-encoding also drops the EXIF block, with
 * whatever else it held. A photo the browser cannot decode (HEIC on most Android browsers) is kept as it
 * is: the server converts and checks it.
 */
export async function shrinkPhoto(file: File): Promise<QueuedFile> {
  const original: QueuedFile = { name: file.name || 'photo.jpg', type: file.type || 'application/octet-stream', kind: 'photo', blob: file };
  if (typeof createImageBitmap !== 'function') return original;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    return original;
  }
  try {
    const scale = Math.min(1, PHOTO_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d');
    if (!context) return original;
    context.drawImage(bitmap, 0, 0, width, height);
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', JPEG_QUALITY));
    // Keep whichever is smaller: a small original (already a few KB) is not made bigger.
    if (!blob || blob.size >= file.size) return original;
    return { name: `${(file.name || 'photo').replace(/\.[^.]*$/, '')}.jpg`, type: 'image/jpeg', kind: 'photo', blob };
  } finally {
    bitmap.close();
  }
}

export interface Fix {
  lat: number;
  lon: number;
  accuracyM: number;
  at: string;
}

/** The device's position now (GPS: WGS-84), or null if the rider said no or it took too long. */
export function locate(timeoutMs = 10_000): Promise<Fix | null> {
  if (!('geolocation' in navigator)) return Promise.resolve(null);
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude, accuracyM: Math.round(p.coords.accuracy), at: new Date(p.timestamp).toISOString() }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 30_000 },
    );
  });
}
