// Uploads arrive as streams and go to a private temporary file as they arrive, hashed (SHA-256, the media
// key) and counted on the way, so memory per upload stays a few hundred kB whatever its size. The first
// HEAD_BYTES are kept in memory and judged as soon as they are in (the type is sniffed from them), which
// may lower the limit (a photo's) or refuse the upload before the rest is read. Processing then reads the
// file (sharp, exifr, ffmpeg and heif-convert all take paths). A spooled file is removed by whoever holds
// it (`discard`), and by the spool itself when anything goes wrong on the way, an aborted request included.

import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';

/** Bytes kept for sniffing: file-type reads at most 4100 of them; the HEIF brands and markup checks fewer. */
export const HEAD_BYTES = 64 * 1024;

const TEMP_PREFIX = 'gridline-upload-';
/** The prefix of the private directories processing works in (MediaService). */
export const WORK_PREFIX = 'gridline-media-';

/** An upload on local disk: its bytes, their SHA-256 and their first HEAD_BYTES. */
export class SpooledFile {
  constructor(
    readonly path: string,
    readonly bytes: number,
    readonly sha256: string,
    readonly head: Buffer,
  ) {}

  /** Remove the file; removing it twice, or a file already gone, is fine. */
  async discard(): Promise<void> {
    await fs.rm(this.path, { force: true });
  }
}

export interface SpoolOptions {
  /** Where the temporary file goes (default the system's temporary directory). */
  dir?: string;
  /** Most bytes accepted (until `judge` says otherwise). */
  limit: number;
  /** The error for a body over the limit in force (`limit`, or what `judge` returned). */
  tooLarge: (limit: number) => Error;
  /**
   * Called once with the first HEAD_BYTES (all of them when the upload is smaller, never for none): returns
   * the limit for the whole upload (at most `limit`), or throws to refuse it before the rest is read.
   */
  judge?: (head: Buffer) => number | Promise<number>;
  /** The length the client announced (Content-Length): a body that ends short of it is refused as cut off. */
  expected?: number;
  /** The error for a body that ended before `expected`. */
  cutOff?: (received: number, expected: number) => Error;
  /** The error for a source that failed after `received` bytes (a dropped connection); default its own. */
  broken?: (received: number, cause: unknown) => Error;
}

/**
 * Write `source` to a new temporary file, enforcing the limits as bytes arrive. For a request body pass
 * `request.iterator({ destroyOnReturn: false })`: a refusal then leaves the socket to the HTTP layer, which
 * answers and closes the connection, rather than destroying it under the answer.
 */
export async function spool(source: AsyncIterable<Buffer | string> | Iterable<Buffer>, options: SpoolOptions): Promise<SpooledFile> {
  const file = path.join(options.dir ?? os.tmpdir(), `${TEMP_PREFIX}${randomUUID()}`);
  const handle = await fs.open(file, 'wx', 0o600);
  const hash = createHash('sha256');
  const headParts: Buffer[] = [];
  let headBytes = 0;
  let judged = options.judge === undefined;
  let limit = options.limit;
  let bytes = 0;
  const judge = async () => {
    judged = true;
    limit = Math.min(limit, await options.judge!(Buffer.concat(headParts, headBytes)));
    if (bytes > limit) throw options.tooLarge(limit);
  };
  const pieces = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : (source as Iterable<Buffer>)[Symbol.iterator]();
  let drained = false;
  try {
    for (;;) {
      let next: IteratorResult<Buffer | string>;
      try {
        next = await pieces.next();
      } catch (error) {
        // The source broke (a client that went away mid-body): say so in the caller's words.
        drained = true;
        throw options.broken?.(bytes, error) ?? error;
      }
      if (next.done) {
        drained = true;
        break;
      }
      const piece = next.value;
      const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
      if (chunk.length === 0) continue;
      bytes += chunk.length;
      if (bytes > limit) throw options.tooLarge(limit);
      if (headBytes < HEAD_BYTES) {
        const take = chunk.subarray(0, HEAD_BYTES - headBytes);
        headParts.push(Buffer.from(take));
        headBytes += take.length;
      }
      hash.update(chunk);
      await writeAll(handle, chunk);
      if (!judged && headBytes >= HEAD_BYTES) await judge();
    }
    if (!judged && bytes > 0) await judge();
    if (options.expected !== undefined && bytes !== options.expected) {
      throw options.cutOff?.(bytes, options.expected) ?? new Error(`the body ended after ${bytes} of ${options.expected} bytes`);
    }
    await handle.close();
  } catch (error) {
    // Stopped early: let the source go (a request body's iterator leaves its socket to the HTTP layer).
    if (!drained) await Promise.resolve(pieces.return?.()).catch(() => undefined);
    await handle.close().catch(() => undefined);
    await fs.rm(file, { force: true });
    throw error;
  }
  return new SpooledFile(file, bytes, hash.digest('hex'), Buffer.concat(headParts, headBytes));
}

/** Bytes already in memory (tests, the demo seed) as a spooled file. */
export function spoolBuffer(bytes: Buffer, dir?: string): Promise<SpooledFile> {
  return spool([bytes], { limit: Number.MAX_SAFE_INTEGER, tooLarge: () => new Error('unreachable'), ...(dir ? { dir } : {}) });
}

/** The SHA-256 of a file, read as a stream. */
export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await fs.open(file, 'r');
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** Copy a stream into a file (created or truncated), with backpressure; the file is removed if it fails. */
export async function streamToFile(stream: Readable, file: string): Promise<void> {
  const handle = await fs.open(file, 'w', 0o600);
  try {
    for await (const chunk of stream) await writeAll(handle, chunk as Buffer);
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.rm(file, { force: true });
    throw error;
  }
}

/**
 * Remove spooled files and processing directories older than `olderThanMs` from `dir`: what a process
 * killed mid-upload left behind (every other path removes its own). Several processes may share the
 * directory; no upload takes anywhere near that long, so nothing in use is touched.
 */
export async function removeStale(dir: string, olderThanMs: number, now = Date.now()): Promise<number> {
  let removed = 0;
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(TEMP_PREFIX) && !name.startsWith(WORK_PREFIX)) continue;
    const file = path.join(dir, name);
    const stat = await fs.lstat(file).catch(() => null);
    if (!stat || now - stat.mtimeMs < olderThanMs) continue;
    await fs.rm(file, { recursive: true, force: true }).catch(() => undefined);
    removed++;
  }
  return removed;
}

/** FileHandle.write may write less than asked; this does not. */
async function writeAll(handle: fs.FileHandle, chunk: Buffer): Promise<void> {
  for (let at = 0; at < chunk.length; ) at += (await handle.write(chunk, at, chunk.length - at)).bytesWritten;
}
