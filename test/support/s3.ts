// A throw-away S3 for tests: s3rver on 127.0.0.1 (random port) over a fresh temporary directory, with one
// bucket. When s3rver cannot start, the caller gets { skipped: reason } and should skip with that message.

import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

/** The part of s3rver's API used here (the package ships no types). */
interface S3rverOptions {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
}
interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (options: S3rverOptions) => S3rverServer;

export interface TestS3 {
  /** e.g. http://127.0.0.1:41234 — use with forcePathStyle: true. */
  endpoint: string;
  bucket: string;
  region: string;
  /** s3rver accepts any credentials; these are the ones it documents. */
  accessKeyId: string;
  secretAccessKey: string;
  close(): Promise<void>;
}

export async function startS3(bucket = 'gridline-test'): Promise<TestS3 | { skipped: string }> {
  let directory: string | undefined;
  try {
    // s3rver is CommonJS without type declarations; require it through a typed view.
    const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'gridline-s3rver-'));
    const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, configureBuckets: [{ name: bucket }] });
    const { port } = await server.run();
    const dir = directory;
    return {
      endpoint: `http://127.0.0.1:${port}`,
      bucket,
      region: 'us-east-1',
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      async close() {
        try {
          await server.close();
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    if (directory) fs.rmSync(directory, { recursive: true, force: true });
    return { skipped: `s3rver could not start: ${err instanceof Error ? err.message : String(err)}` };
  }
}
