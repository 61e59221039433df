// A media store in memory, for tests, benchmarks and throwaway demos: the same contract as the local
// and S3 stores (content-addressed, idempotent), nothing written to disk.

import { mediaKeyOf } from './store.js';
import { MediaMissingError, type MediaStore } from './types.js';

export class MemoryMediaStore implements MediaStore {
  readonly driver = 'memory';
  readonly objects = new Map<string, { bytes: Buffer; contentType: string }>();

  async put(bytes: Buffer, contentType: string): Promise<{ key: string; created: boolean }> {
    const key = mediaKeyOf(bytes);
    const created = !this.objects.has(key);
    if (created) this.objects.set(key, { bytes: Buffer.from(bytes), contentType });
    return { key, created };
  }

  async get(key: string): Promise<Buffer> {
    const found = this.objects.get(key);
    if (!found) throw new MediaMissingError(key);
    return found.bytes;
  }

  async has(key: string): Promise<boolean> {
    return this.objects.has(key);
  }
}
