// The S3 media store: the same content-addressed bytes as the local store, kept as objects in an S3 (or
// S3-compatible: MinIO, Ceph, s3rver) bucket. Keys are checked before any object key is built. Files are
// uploaded as streams with their length and their SHA-256 (which is their key, so S3 verifies every byte),
// and read back as streams. Resumable uploads keep each chunk as an object of its own under
// `${prefix}uploads/<upload id>/<part>`: chunks may be of any size (S3 multipart parts would have to be
// 5 MiB but the last), and the finished file is assembled where it is processed anyway.

import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { hashFile } from './spool.js';
import { assertMediaKey, isMediaKey, mediaKeyOf } from './store.js';
import { assertPartName, MediaMissingError, type MediaStore } from './types.js';

export interface S3MediaStoreOptions {
  bucket: string;
  /** Prepended to every object key; a trailing '/' is added when missing (default: none). */
  prefix?: string;
  /** An S3-compatible endpoint such as http://127.0.0.1:9000 (default: AWS). */
  endpoint?: string;
  /** Default: the SDK's chain (AWS_REGION, profile), or us-east-1 when an endpoint is given. */
  region?: string;
  /** Address buckets as https://host/bucket rather than https://bucket.host (most S3-compatibles want this). */
  forcePathStyle?: boolean;
  /** Both or neither; when absent the SDK's default chain applies (AWS_ACCESS_KEY_ID/…, profile, role). */
  accessKeyId?: string;
  secretAccessKey?: string;
}

/** Objects at `${prefix}${key.slice(0, 2)}/${key}`, uploaded once: a put of stored bytes is a HEAD only. */
export class S3MediaStore implements MediaStore {
  readonly driver = 's3';
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;

  constructor(options: S3MediaStoreOptions) {
    if (!options.bucket) throw new Error('S3MediaStore needs a bucket name');
    if (Boolean(options.accessKeyId) !== Boolean(options.secretAccessKey)) {
      throw new Error('S3MediaStore needs both accessKeyId and secretAccessKey, or neither (to use the SDK default chain)');
    }
    this.bucket = options.bucket;
    const prefix = (options.prefix ?? '').replace(/^\/+/, '');
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    const config: S3ClientConfig = {};
    if (options.endpoint) config.endpoint = options.endpoint;
    const region = options.region ?? (options.endpoint ? 'us-east-1' : undefined);
    if (region) config.region = region;
    if (options.forcePathStyle !== undefined) config.forcePathStyle = options.forcePathStyle;
    if (options.accessKeyId && options.secretAccessKey) {
      config.credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
    }
    this.client = new S3Client(config);
  }

  /** The object key of a media key; throws for anything that is not a media key. */
  objectKey(key: string): string {
    assertMediaKey(key);
    return `${this.prefix}${key.slice(0, 2)}/${key}`;
  }

  async put(bytes: Buffer, contentType: string): Promise<{ key: string; created: boolean }> {
    const key = mediaKeyOf(bytes);
    if (await this.has(key)) return { key, created: false };
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.objectKey(key),
        Body: bytes,
        ContentLength: bytes.length,
        ContentType: contentType,
        Metadata: { sha256: key },
      }),
    );
    return { key, created: true };
  }

  async putFile(file: string, contentType: string, sha256?: string): Promise<{ key: string; created: boolean }> {
    const key = sha256 ?? (await hashFile(file));
    if (await this.has(key)) return { key, created: false };
    await this.upload(this.objectKey(key), file, key, contentType, { sha256: key });
    return { key, created: true };
  }

  /** A file streamed to an object, with its length and SHA-256 (S3 refuses the object if a byte differs). */
  private async upload(objectKey: string, file: string, sha256: string, contentType: string, metadata: Record<string, string> = {}): Promise<void> {
    const { size } = await fs.stat(file);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: objectKey,
        Body: createReadStream(file),
        ContentLength: size,
        ContentType: contentType,
        ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
        Metadata: metadata,
      }),
    );
  }

  async get(key: string): Promise<Buffer> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      if (!res.Body) return Buffer.alloc(0);
      const bytes = await res.Body.transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (err) {
      if (isMissingObject(err)) throw new MediaMissingError(key);
      throw err;
    }
  }

  async open(key: string): Promise<{ stream: Readable; bytes: number }> {
    const { stream, bytes } = await this.stream(this.objectKey(key), key);
    return { stream, bytes };
  }

  private async stream(objectKey: string, name: string): Promise<{ stream: Readable; bytes: number }> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      const body = res.Body;
      if (!body) return { stream: Readable.from([]), bytes: 0 };
      return { stream: body instanceof Readable ? body : Readable.fromWeb(body.transformToWebStream() as never), bytes: res.ContentLength ?? 0 };
    } catch (err) {
      if (isMissingObject(err)) throw new MediaMissingError(name);
      throw err;
    }
  }

  // ---- parts of resumable uploads ----

  private partsPrefix(upload: string): string {
    assertPartName(upload);
    return `${this.prefix}uploads/${upload}/`;
  }

  async putPart(upload: string, part: string, file: string): Promise<void> {
    assertPartName(upload, part);
    await this.upload(`${this.partsPrefix(upload)}${part}`, file, await hashFile(file), 'application/octet-stream');
  }

  async openPart(upload: string, part: string): Promise<Readable> {
    assertPartName(upload, part);
    return (await this.stream(`${this.partsPrefix(upload)}${part}`, `${upload}/${part}`)).stream;
  }

  async deleteParts(upload: string): Promise<void> {
    const prefix = this.partsPrefix(upload);
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
      await Promise.all((page.Contents ?? []).map((o) => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: o.Key! }))));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async has(key: string): Promise<boolean> {
    if (!isMediaKey(key)) return false;
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return true;
    } catch (err) {
      if (isMissingObject(err)) return false;
      throw err;
    }
  }

  /** Set-up: creates the bucket unless it already exists (and is reachable with these credentials). */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      if (!(err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404)) throw err;
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
  }

  /** Releases the client's sockets. */
  close(): void {
    this.client.destroy();
  }
}

/** NoSuchKey (GET) or a bare 404 (HEAD has no body to name the error) — but never a missing bucket, which
 *  is a configuration mistake to surface rather than "no media". A HEAD on a missing bucket is a bare 404
 *  too, so `has` answers false there; the put that follows then fails with NoSuchBucket. */
function isMissingObject(err: unknown): boolean {
  if (!(err instanceof S3ServiceException) || err.name === 'NoSuchBucket') return false;
  return err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata.httpStatusCode === 404;
}
