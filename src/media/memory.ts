// A media store in memory, for tests, benchmarks and throwaway demos: the same contract as the local
// and S3 stores (content-addressed, idempotent), nothing written to disk but what callers hand it.

import fs from 'node:fs/promises';
import { Readable } from 'node:stream';
import { hashFile } from './spool.js';
import { assertMediaKey, isMediaKey, mediaKeyOf } from './store.js';
import { assertPartName, MediaMissingError, type MediaStore } from './types.js';

export class MemoryMediaStore implements MediaStore {
  readonly driver = 'memory';
  readonly objects = new Map<string, { bytes: Buffer; contentType: string }>();
  /** Parts of resumable uploads: upload id -> part name -> bytes. */
  readonly parts = new Map<string, Map<string, Buffer>>();

  async put(bytes: Buffer, contentType: string): Promise<{ key: string; created: boolean }> {
    const key = mediaKeyOf(bytes);
    const created = !this.objects.has(key);
    if (created) this.objects.set(key, { bytes: Buffer.from(bytes), contentType });
    return { key, created };
  }

  async putFile(file: string, contentType: string, sha256?: string): Promise<{ key: string; created: boolean }> {
    const key = sha256 ?? (await hashFile(file));
    assertMediaKey(key);
    if (this.objects.has(key)) return { key, created: false };
    this.objects.set(key, { bytes: await fs.readFile(file), contentType });
    return { key, created: true };
  }

  async get(key: string): Promise<Buffer> {
    assertMediaKey(key);
    const found = this.objects.get(key);
    if (!found) throw new MediaMissingError(key);
    return found.bytes;
  }

  async open(key: string): Promise<{ stream: Readable; bytes: number }> {
    const bytes = await this.get(key);
    return { stream: Readable.from([bytes]), bytes: bytes.length };
  }

  async has(key: string): Promise<boolean> {
    return isMediaKey(key) && this.objects.has(key);
  }

  async putPart(upload: string, part: string, file: string): Promise<void> {
    assertPartName(upload, part);
    const bytes = await fs.readFile(file);
    let parts = this.parts.get(upload);
    if (!parts) this.parts.set(upload, (parts = new Map()));
    parts.set(part, bytes);
  }

  async openPart(upload: string, part: string): Promise<Readable> {
    assertPartName(upload, part);
    const bytes = this.parts.get(upload)?.get(part);
    if (!bytes) throw new MediaMissingError(`${upload}/${part}`);
    return Readable.from([bytes]);
  }

  async deleteParts(upload: string): Promise<void> {
    assertPartName(upload);
    this.parts.delete(upload);
  }
}
