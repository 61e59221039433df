// The local-disk media store: bytes in files named by their SHA-256 under one root directory. Keys are
// content addresses checked against /^[0-9a-f]{64}$/ before any path is built, so no user-controlled text
// ever reaches the file system, and the same file uploaded twice is stored once. Resumable uploads keep
// their chunks as files under <root>/uploads/<upload id>/ (ids and part names checked the same way), so
// processes sharing the directory (a network file system) share unfinished uploads too.

import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { hashFile } from './spool.js';
import { assertPartName, MediaMissingError, type MediaStore } from './types.js';

// Modules written against the older interface imported the type from here.
export type { MediaStore } from './types.js';

const MEDIA_KEY = /^[0-9a-f]{64}$/;

/** Whether `key` is a media key: exactly 64 lowercase hex characters (a SHA-256). */
export function isMediaKey(key: string): boolean {
  return MEDIA_KEY.test(key);
}

/** Throws unless `key` is a media key. The message quotes (and trims) the key, never trusts it. */
export function assertMediaKey(key: string): void {
  if (!isMediaKey(key)) throw new Error(`invalid media key ${JSON.stringify(String(key).slice(0, 80))}: expected 64 lowercase hex characters`);
}

/** The key of some bytes: their SHA-256 as lowercase hex. */
export function mediaKeyOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Files at `<root>/<k[0..2]>/<k[2..4]>/<key>`, written to a unique temporary file and renamed into place. */
export class LocalMediaStore implements MediaStore {
  readonly driver = 'local';
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** The file of a key; throws for anything that is not a media key. */
  private file(key: string): string {
    assertMediaKey(key);
    return path.join(this.root, key.slice(0, 2), key.slice(2, 4), key);
  }

  async put(bytes: Buffer, _contentType: string): Promise<{ key: string; created: boolean }> {
    const key = mediaKeyOf(bytes);
    const file = this.file(key);
    if (await exists(file)) return { key, created: false };
    await this.place(file, async (handle) => {
      await handle.writeFile(bytes);
    });
    return { key, created: true };
  }

  async putFile(source: string, _contentType: string, sha256?: string): Promise<{ key: string; created: boolean }> {
    const key = sha256 ?? (await hashFile(source));
    const file = this.file(key);
    if (await exists(file)) return { key, created: false };
    // copyFile lets the kernel move the bytes (copy_file_range, or a reflink): none pass through this process.
    await this.place(file, async (_handle, tmp) => {
      await fs.copyFile(source, tmp);
    });
    return { key, created: true };
  }

  /**
   * Write a unique temporary file next to `file`, flush it and rename it into place, so neither a reader
   * nor a crash ever leaves half a file under a key (a later put would trust it). Two concurrent puts of
   * the same bytes may both report created: true; both rename identical content into place, so that is
   * harmless.
   */
  private async place(file: string, write: (handle: fs.FileHandle, tmp: string) => Promise<void>): Promise<void> {
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomUUID()}.tmp`;
    try {
      const handle = await fs.open(tmp, 'wx');
      try {
        await write(handle, tmp);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.file(key));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new MediaMissingError(key);
      throw err;
    }
  }

  async open(key: string): Promise<{ stream: Readable; bytes: number }> {
    return openFile(this.file(key), key);
  }

  async has(key: string): Promise<boolean> {
    return isMediaKey(key) && exists(this.file(key));
  }

  // ---- parts of resumable uploads ----

  private partsDir(upload: string): string {
    assertPartName(upload);
    return path.join(this.root, 'uploads', upload);
  }

  async putPart(upload: string, part: string, source: string): Promise<void> {
    assertPartName(upload, part);
    await this.place(path.join(this.partsDir(upload), part), async (_handle, tmp) => {
      await fs.copyFile(source, tmp);
    });
  }

  async openPart(upload: string, part: string): Promise<Readable> {
    assertPartName(upload, part);
    return (await openFile(path.join(this.partsDir(upload), part), `${upload}/${part}`)).stream;
  }

  async deleteParts(upload: string): Promise<void> {
    await fs.rm(this.partsDir(upload), { recursive: true, force: true });
  }
}

/** A read stream on a file that exists now (opened before returning, so a missing file is MediaMissingError). */
async function openFile(file: string, key: string): Promise<{ stream: Readable; bytes: number }> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new MediaMissingError(key);
    throw err;
  }
  try {
    const { size } = await handle.stat();
    return { stream: handle.createReadStream(), bytes: size }; // closes the handle at the end (autoClose)
  } catch (err) {
    await handle.close();
    throw err;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}
