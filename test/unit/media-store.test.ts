// The MediaStore contract, run against both drivers: the local disk (in a temporary directory) and S3
// (against s3rver). Also the parsing of the media store configuration string.

import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryMediaStore } from '../../src/media/memory.js';
import { S3MediaStore } from '../../src/media/s3.js';
import { LocalMediaStore } from '../../src/media/store.js';
import { mediaStoreFromUrl, parseMediaStoreUrl } from '../../src/media/stores.js';
import { MediaMissingError, type MediaStore } from '../../src/media/types.js';
import { startS3, type TestS3 } from '../support/s3.js';

const started = await startS3();
const s3: TestS3 | undefined = 'skipped' in started ? undefined : started;
const s3Skipped = 'skipped' in started ? started.skipped : undefined;
if (s3Skipped) console.warn(`media-store: S3 driver tests skipped: ${s3Skipped}`);
afterAll(async () => {
  await s3?.close();
});

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** One driver under test, fresh for each test. */
interface Harness {
  store: MediaStore;
  /** Everything stored, relative to the store's root (local) or prefix (S3), sorted. */
  stored(): Promise<string[]>;
  /** Where a key's bytes should be, in the same terms as stored(). */
  expectedPath(key: string): string;
  /** A picture of every side effect the store could have had: compare before and after. */
  sideEffects(): Promise<unknown>;
  done(): Promise<void>;
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

function openLocal(): Harness {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gridline-media-'));
  // A file next to (not inside) the root: no key may reach it.
  fs.writeFileSync(path.join(base, 'secret.txt'), 'outside the store');
  const root = path.join(base, 'root');
  return {
    store: new LocalMediaStore(root),
    stored: async () => listFiles(root),
    expectedPath: (key) => `${key.slice(0, 2)}/${key.slice(2, 4)}/${key}`,
    sideEffects: async () => fs.readdirSync(base, { recursive: true }).map(String).sort(),
    done: async () => fs.rmSync(base, { recursive: true, force: true }),
  };
}

let prefixCounter = 0;

async function listObjects(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const res = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (res.Contents ?? []).map((o) => (o.Key ?? '').slice(prefix.length)).sort();
}

/** The commands a store's client sent, recorded by a middleware. */
function recordCommands(store: S3MediaStore): string[] {
  const sent: string[] = [];
  store.client.middlewareStack.add(
    (next, context) => (args) => {
      sent.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return sent;
}

function openS3(server: TestS3): Harness {
  const store = new S3MediaStore({
    bucket: server.bucket,
    prefix: `contract-${++prefixCounter}-${Date.now()}`,
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
  });
  const sent = recordCommands(store);
  const lister = new S3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials: server });
  return {
    store,
    stored: () => listObjects(lister, server.bucket, store.prefix),
    expectedPath: (key) => `${key.slice(0, 2)}/${key}`,
    sideEffects: async () => ({ requests: [...sent], objects: await listObjects(lister, server.bucket, '') }),
    done: async () => {
      store.close();
      lister.destroy();
    },
  };
}

function openMemory(): Harness {
  const store = new MemoryMediaStore();
  return {
    store,
    stored: async () => [...store.objects.keys(), ...[...store.parts].flatMap(([upload, parts]) => [...parts.keys()].map((p) => `uploads/${upload}/${p}`))].sort(),
    expectedPath: (key) => key,
    sideEffects: async () => [...store.objects.keys()].sort(),
    done: async () => undefined,
  };
}

const drivers: { name: string; skip: string | undefined; open(): Harness }[] = [
  { name: 'local', skip: undefined, open: openLocal },
  { name: 's3', skip: s3Skipped, open: () => openS3(s3!) },
  { name: 'memory', skip: undefined, open: openMemory },
];

/** A file with these bytes in a fresh temporary directory (removed with the test's scratch). */
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gridline-store-scratch-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));
let scratchCounter = 0;
function fileOf(bytes: Buffer): string {
  const file = path.join(scratch, `f${++scratchCounter}`);
  fs.writeFileSync(file, bytes);
  return file;
}
const streamed = async (stream: NodeJS.ReadableStream): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
};
const UPLOAD = '01a2b3c4-d5e6-7f80-9a1b-2c3d4e5f6a7b';

/** Not keys: each must be refused before it reaches a path or an object key. */
const VALID = sha256(Buffer.from('a valid key'));
const TRICKS = [
  '',
  '../../etc/passwd',
  '../secret.txt',
  '..%2F..%2Fetc%2Fpasswd',
  '..%2F..',
  '/abs/path',
  '/etc/passwd',
  'ab/../cd',
  '..\\..\\secret.txt',
  `${VALID.slice(0, 2)}/${VALID.slice(2, 4)}/../../../secret.txt`,
  VALID.toUpperCase(),
  `${VALID.slice(0, 63)}A`,
  `${VALID.slice(0, 63)}\0`,
  `${VALID}\0`,
  `${VALID}\n`,
  ` ${VALID}`,
  VALID.slice(0, 63),
  `${VALID}0`,
  `${VALID.slice(0, 62)}/.`,
];

describe.each(drivers)('MediaStore contract: $name', ({ name, skip, open }) => {
  let h: Harness;
  beforeEach(() => {
    h = open();
  });
  afterEach(async () => {
    await h.done();
  });

  it.skipIf(skip)(`[${name}] put returns the SHA-256 of the bytes as key and stores them there`, async () => {
    const bytes = Buffer.from('a photo, or something like one');
    const result = await h.store.put(bytes, 'image/jpeg');
    expect(result).toEqual({ key: sha256(bytes), created: true });
    expect(await h.stored()).toEqual([h.expectedPath(result.key)]);
    expect(await h.store.has(result.key)).toBe(true);
    expect(await h.store.get(result.key)).toEqual(bytes);
    expect(h.store.driver).toBe(name);
  });

  it.skipIf(skip)(`[${name}] the same bytes twice give the same key, created false, stored once`, async () => {
    const bytes = randomBytes(4096);
    const first = await h.store.put(bytes, 'image/png');
    const second = await h.store.put(Buffer.from(bytes), 'image/png');
    expect(first.created).toBe(true);
    expect(second).toEqual({ key: first.key, created: false });
    expect(await h.stored()).toEqual([h.expectedPath(first.key)]);
    const other = await h.store.put(randomBytes(4096), 'image/png');
    expect(other.key).not.toBe(first.key);
    expect(await h.stored()).toEqual([h.expectedPath(first.key), h.expectedPath(other.key)].sort());
  });

  it.skipIf(skip)(`[${name}] get returns identical bytes: 3 MB of random bytes`, async () => {
    const bytes = randomBytes(3 * 1024 * 1024);
    const { key } = await h.store.put(bytes, 'video/mp4');
    const back = await h.store.get(key);
    expect(back.length).toBe(bytes.length);
    expect(back.equals(bytes)).toBe(true);
  });

  it.skipIf(skip)(`[${name}] get returns identical bytes: one byte and none`, async () => {
    for (const bytes of [Buffer.from([0x2a]), Buffer.alloc(0)]) {
      const { key, created } = await h.store.put(bytes, 'application/octet-stream');
      expect(created).toBe(true);
      expect(key).toBe(sha256(bytes));
      expect((await h.store.get(key)).equals(bytes)).toBe(true);
    }
  });

  it.skipIf(skip)(`[${name}] an unknown (valid) key is missing: get throws MediaMissingError, has is false`, async () => {
    const key = sha256(Buffer.from('never stored'));
    expect(await h.store.has(key)).toBe(false);
    const err: unknown = await h.store.get(key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaMissingError);
    expect((err as MediaMissingError).key).toBe(key);
  });

  it.skipIf(skip)(`[${name}] putFile streams a file in under its SHA-256 (given or computed), open streams it back`, async () => {
    const bytes = randomBytes(2 * 1024 * 1024 + 17);
    const file = fileOf(bytes);
    const first = await h.store.putFile(file, 'video/mp4');
    expect(first).toEqual({ key: sha256(bytes), created: true });
    expect(await h.store.putFile(file, 'video/mp4', sha256(bytes))).toEqual({ key: first.key, created: false });
    expect(await h.store.put(bytes, 'video/mp4')).toEqual({ key: first.key, created: false });
    expect(await h.stored()).toEqual([h.expectedPath(first.key)]);
    expect(fs.existsSync(file)).toBe(true); // the file stays the caller's
    const { stream, bytes: length } = await h.store.open(first.key);
    expect(length).toBe(bytes.length);
    expect((await streamed(stream)).equals(bytes)).toBe(true);
    await expect(h.store.open(sha256(Buffer.from('never stored')))).rejects.toBeInstanceOf(MediaMissingError);
  });

  it.skipIf(skip)(`[${name}] keeps the parts of a resumable upload apart from media, reads them back, and deletes them all`, async () => {
    const chunks = [randomBytes(100_000), randomBytes(10), randomBytes(70_000)];
    const names = ['000000000000000-00000000000000aa', '000000000100000-00000000000000bb', '000000000100010-00000000000000cc'];
    for (const [i, chunk] of chunks.entries()) await h.store.putPart(UPLOAD, names[i]!, fileOf(chunk));
    for (const [i, chunk] of chunks.entries()) expect((await streamed(await h.store.openPart(UPLOAD, names[i]!))).equals(chunk)).toBe(true);
    const { key } = await h.store.put(Buffer.from('a photo beside the parts'), 'image/jpeg');
    await h.store.deleteParts(UPLOAD);
    expect(await h.stored()).toEqual([h.expectedPath(key)]);
    await expect(h.store.openPart(UPLOAD, names[0]!)).rejects.toBeInstanceOf(MediaMissingError);
    await h.store.deleteParts(UPLOAD); // nothing there: no error
    // Upload ids and part names are checked before any path or object key is built.
    for (const [upload, part] of [['../../etc', names[0]!], [UPLOAD, '../secret.txt'], [UPLOAD, `${names[0]}/..`], [`${UPLOAD}/..`, names[0]!]] as const) {
      await expect(h.store.putPart(upload, part, fileOf(Buffer.from('x'))), `${upload} ${part}`).rejects.toThrow(/invalid upload/);
      await expect(h.store.openPart(upload, part)).rejects.toThrow(/invalid upload/);
    }
    await expect(h.store.deleteParts('../..')).rejects.toThrow(/invalid upload id/);
  });

  it.skipIf(skip)(`[${name}] keys that are not 64 lowercase hex characters are refused before any I/O`, async () => {
    await h.store.put(Buffer.from('something stored'), 'image/jpeg');
    const before = await h.sideEffects();
    for (const trick of TRICKS) {
      expect(await h.store.has(trick), JSON.stringify(trick)).toBe(false);
      const err: unknown = await h.store.get(trick).catch((e: unknown) => e);
      expect(err, JSON.stringify(trick)).toBeInstanceOf(Error);
      expect(err, JSON.stringify(trick)).not.toBeInstanceOf(MediaMissingError);
      expect((err as Error).message).toMatch(/^invalid media key/);
    }
    expect(await h.sideEffects()).toEqual(before);
  });
});

describe('LocalMediaStore', () => {
  let base: string;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'gridline-media-'));
  });
  afterEach(() => {
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('keeps what another instance stored, leaves no temporary files, and never reads outside its root', async () => {
    const bytes = Buffer.from('kept across restarts');
    const { key } = await new LocalMediaStore(path.join(base, 'media')).put(bytes, 'image/jpeg');
    const again = new LocalMediaStore(path.join(base, 'media'));
    expect(await again.put(bytes, 'image/jpeg')).toEqual({ key, created: false });
    expect(listFiles(base)).toEqual([`media/${key.slice(0, 2)}/${key.slice(2, 4)}/${key}`]);
    await expect(again.get('../../../../../../etc/passwd')).rejects.toThrow(/invalid media key/);
  });

  it('treats its shard directories as nothing stored, not as keys', async () => {
    const store = new LocalMediaStore(base);
    const { key } = await store.put(Buffer.from('x'), 'image/jpeg');
    expect(await store.has(key.slice(0, 2))).toBe(false);
    await expect(store.get(`${key.slice(0, 2)}/${key.slice(2, 4)}`)).rejects.toThrow(/invalid media key/);
  });
});

describe.skipIf(s3Skipped)('S3MediaStore', () => {
  const make = (server: TestS3, bucket = server.bucket, prefix = `s3-${Date.now()}-${++prefixCounter}`): S3MediaStore =>
    new S3MediaStore({ bucket, prefix, endpoint: server.endpoint, forcePathStyle: true, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });

  it('puts objects at prefix/k[0..2]/key with their content type, and a second put is a HEAD only', async () => {
    const store = make(s3!);
    const sent = recordCommands(store);
    const bytes = Buffer.from('content type kept');
    const { key } = await store.put(bytes, 'image/webp');
    expect(store.objectKey(key)).toBe(`${store.prefix}${key.slice(0, 2)}/${key}`);
    expect(sent).toEqual(['HeadObjectCommand', 'PutObjectCommand']);
    const head = await store.client.send(new HeadObjectCommand({ Bucket: store.bucket, Key: store.objectKey(key) }));
    expect(head.ContentType).toBe('image/webp');
    expect(head.Metadata?.sha256).toBe(key);
    sent.length = 0;
    expect(await store.put(bytes, 'image/webp')).toEqual({ key, created: false });
    expect(sent).toEqual(['HeadObjectCommand']);
    store.close();
  });

  it('ensureBucket creates a missing bucket once; a missing bucket is an error, not missing media', async () => {
    const store = make(s3!, `gridline-new-${Date.now()}`);
    const err: unknown = await store.get(sha256(Buffer.from('y'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(MediaMissingError);
    await store.ensureBucket();
    await store.ensureBucket();
    const { key } = await store.put(Buffer.from('in a new bucket'), 'image/png');
    expect((await store.get(key)).toString()).toBe('in a new bucket');
    store.close();
  });
});

describe('mediaStoreFromUrl', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('reads a bare path, local:DIR and file:///DIR as the local store', () => {
    expect(parseMediaStoreUrl('data/media')).toEqual({ driver: 'local', root: 'data/media' });
    expect(parseMediaStoreUrl('local:/srv/media')).toEqual({ driver: 'local', root: '/srv/media' });
    expect(parseMediaStoreUrl('file:///srv/media')).toEqual({ driver: 'local', root: '/srv/media' });
    const store = mediaStoreFromUrl('data/media');
    expect(store).toBeInstanceOf(LocalMediaStore);
    expect(store.driver).toBe('local');
    expect((store as LocalMediaStore).root).toBe(path.resolve('data/media'));
  });

  it('reads s3://BUCKET/PREFIX with endpoint, region and forcePathStyle', async () => {
    const url = 's3://gridline-media/prod/uploads?endpoint=http://127.0.0.1:9000&region=eu-west-1&forcePathStyle=true';
    expect(parseMediaStoreUrl(url)).toEqual({
      driver: 's3',
      options: { bucket: 'gridline-media', prefix: 'prod/uploads', endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1', forcePathStyle: true },
    });
    const store = mediaStoreFromUrl(url);
    expect(store).toBeInstanceOf(S3MediaStore);
    const s3store = store as S3MediaStore;
    expect([s3store.driver, s3store.bucket, s3store.prefix]).toEqual(['s3', 'gridline-media', 'prod/uploads/']);
    expect(await s3store.client.config.region()).toBe('eu-west-1');
    expect(s3store.client.config.forcePathStyle).toBe(true);
    s3store.close();
    expect(parseMediaStoreUrl('s3://bucket')).toEqual({ driver: 's3', options: { bucket: 'bucket', prefix: '' } });
  });

  it('refuses what it cannot use, saying what it accepts', () => {
    expect(() => mediaStoreFromUrl('gs://bucket/media')).toThrow(/unsupported media store "gs:\/\/bucket\/media".*local:DIR.*s3:\/\/BUCKET/);
    expect(() => mediaStoreFromUrl('')).toThrow(/empty.*local:DIR/);
    expect(() => mediaStoreFromUrl('local:')).toThrow(/names no directory/);
    expect(() => mediaStoreFromUrl('s3://bucket/p?forcepathstyle=true')).toThrow(/unknown S3 media store parameter "forcepathstyle"/);
    expect(() => mediaStoreFromUrl('s3://bucket/p?forcePathStyle=yes')).toThrow(/true or false/);
    expect(() => mediaStoreFromUrl('s3://bucket/p?endpoint=localhost:9000')).toThrow(/http:\/\/ or https:\/\//);
    expect(() => mediaStoreFromUrl('s3://key:secret@bucket/p')).toThrow(/AWS_ACCESS_KEY_ID/);
  });

  it.skipIf(s3Skipped)('gives a working S3 store with credentials from the environment', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
    const store = mediaStoreFromUrl(`s3://${s3!.bucket}/from-url-${Date.now()}?endpoint=${s3!.endpoint}&forcePathStyle=true`);
    const bytes = randomBytes(1000);
    const { key, created } = await store.put(bytes, 'image/jpeg');
    expect(created).toBe(true);
    expect((await store.get(key)).equals(bytes)).toBe(true);
    (store as S3MediaStore).close();
  });
});
