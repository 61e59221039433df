// Redaction for public copies: blur rectangular regions (faces, number plates) of an image and return a
// fresh WebP with no metadata. Regions are fractions of the image (0..1), so they hold for any copy size.

import sharp from 'sharp';
import { invalid } from '../domain/errors.js';

export interface Region {
  /** Left edge, top edge, width and height as fractions of the image's width and height. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export const MAX_REGIONS = 50;

export function checkRegions(regions: Region[]): void {
  if (regions.length > MAX_REGIONS) throw invalid('regions', `Blur at most ${MAX_REGIONS} regions at a time.`, 'too_many_regions');
  for (const [i, r] of regions.entries()) {
    const ok = [r.x, r.y, r.width, r.height].every((v) => Number.isFinite(v) && v >= 0 && v <= 1) && r.width > 0 && r.height > 0 && r.x + r.width <= 1.000001 && r.y + r.height <= 1.000001;
    if (!ok) throw invalid(`regions[${i}]`, 'Each region is x, y, width, height as fractions of the image (0 to 1), inside the image.', 'invalid_region');
  }
}

/** The image with each region replaced by a heavy blur of itself, as WebP without metadata. */
export async function redact(image: Buffer, regions: Region[]): Promise<Buffer> {
  checkRegions(regions);
  const { width = 0, height = 0 } = await sharp(image).metadata();
  const patches = await Promise.all(
    regions.map(async (r) => {
      const left = Math.min(width - 1, Math.floor(r.x * width));
      const top = Math.min(height - 1, Math.floor(r.y * height));
      const w = Math.max(1, Math.min(width - left, Math.ceil(r.width * width)));
      const h = Math.max(1, Math.min(height - top, Math.ceil(r.height * height)));
      // Pixelate then blur: nothing of the original detail survives, whatever the blur radius.
      const small = await sharp(image).extract({ left, top, width: w, height: h }).resize(Math.max(1, Math.round(w / 16)), Math.max(1, Math.round(h / 16)), { fit: 'fill' }).toBuffer();
      const input = await sharp(small).resize(w, h, { fit: 'fill', kernel: 'nearest' }).blur(Math.max(0.3, Math.min(w, h) / 12)).toBuffer();
      return { input, left, top };
    }),
  );
  return sharp(image).composite(patches).webp({ quality: 80 }).toBuffer();
}
