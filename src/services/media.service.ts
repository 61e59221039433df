// Evidence uploads and their copies. An upload arrives as a stream and is spooled to a private temporary
// file (media/spool.ts: hashed and counted on the way, the photo or video limit enforced as bytes arrive,
// the type sniffed from the first bytes), then sniffed, limited, checked and processed from that file
// (upright, metadata-free WebP display copy and thumbnail; for videos a poster frame and a remuxed copy
// without metadata), and stored content-addressed: the same bytes uploaded twice are stored and processed
// once. Memory per upload stays bounded whatever its size. Preparing (everything that may refuse an
// upload) and committing (store objects, a media row) are separate steps, so a form of several files, or
// a report with its photos, stores nothing when anything in it is refused. The original is kept
// privately. Readers get a copy only if they may see a case that carries the media (or uploaded it);
// public copies exist only once staff publish them, redacted as they choose.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { betterAccess, followsMerged, may, mayPublishCaseMedia, type CaseAccess } from '../domain/access.js';
import { DomainError, forbidden, invalid, notFound } from '../domain/errors.js';
import { detectTools, limitFor, processFile, type MediaTools } from '../media/process.js';
import { redact, type Region } from '../media/redact.js';
import { sniffMedia } from '../media/sniff.js';
import { removeStale, spool, spoolBuffer, WORK_PREFIX, type SpooledFile } from '../media/spool.js';
import { Slots } from '../media/slots.js';
import { DEFAULT_MEDIA_LIMITS, partName, type MediaKind, type MediaLimits, type MediaStore, type ProcessedMedia } from '../media/types.js';
import { newId } from '../domain/ids.js';
import type { MediaRecord, MediaVariant, UploadRecord } from '../domain/records.js';
import type { CaseLoader } from './cases/shared.js';
import { extension, mediaInfo, type MediaInfo } from './media.views.js';
import type { Principal, ServiceContext } from './context.js';

export interface MediaOptions {
  /** Sizes, pixels, copies, and the bytes one user may hold in unfinished resumable uploads. */
  limits: MediaLimits;
  /**
   * Processing jobs at once: default the number of cores. sharp also queues on Node's thread pool (4 threads
   * unless UV_THREADPOOL_SIZE says otherwise), so the smaller of the two bounds memory: 20 twelve-megapixel
   * uploads at once peak near 430 MiB of RSS with 2 (npm run bench).
   */
  concurrency: number;
  /** External tools (ffmpeg, ffprobe, heif-convert); found on PATH when not given. */
  tools?: MediaTools;
  /** How long an unfinished resumable upload is kept (default 24 h). */
  uploadTtlHours: number;
  /** Where uploads are spooled and processed (default the system's temporary directory). */
  tempDir?: string;
}

/** Temporary files older than this are leftovers of a killed process (no upload takes a day). */
const STALE_TEMP_MS = 24 * 3_600_000;

/** Unfinished resumable uploads one user may have at once (each report carries at most 9 files). */
export const MAX_OPEN_UPLOADS = 20;

export const DEFAULT_MEDIA_OPTIONS: MediaOptions = { limits: DEFAULT_MEDIA_LIMITS, concurrency: Math.max(1, os.availableParallelism()), uploadTtlHours: 24 };

/** A served copy: its bytes (WebP copies) or a stream of them (originals and videos), and what to say about them. */
export interface MediaCopy {
  body: Buffer | Readable;
  /** Length of the body in bytes. */
  length: number;
  mime: string;
  /** A download rather than inline display (originals: never rendered by the browser as they came). */
  attachment: boolean;
  filename: string;
}

/** An upload checked and processed, not yet stored: commit() stores it, dispose() forgets it. */
export interface PreparedUpload {
  /** The id the media item has (or will have, once committed). */
  readonly id: string;
  readonly sha256: string;
  readonly bytes: number;
  /** Remove what preparing left on disk (processed copies); safe to call twice, also after commit. */
  dispose(): Promise<void>;
}

interface Prepared extends PreparedUpload {
  readonly uploader: string;
  readonly file: string;
  /** The uploader's own earlier item of the same bytes, a reusable processed item of someone else's, or fresh copies. */
  readonly outcome: { mine: MediaRecord } | { reuse: Copies } | { fresh: ProcessedMedia };
}

/** Sources of a spooled upload: a request body (pass `iterator({ destroyOnReturn: false })`), a part stream, bytes. */
export type UploadSource = AsyncIterable<Buffer | string> | Iterable<Buffer>;

export class MediaService {
  private readonly options: MediaOptions;
  private readonly slots: Slots;
  private tools?: Promise<MediaTools>;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly store: MediaStore,
    private readonly cases: CaseLoader,
    options: Partial<MediaOptions> = {},
  ) {
    this.options = { ...DEFAULT_MEDIA_OPTIONS, ...options, limits: { ...DEFAULT_MEDIA_LIMITS, ...options.limits } };
    this.slots = new Slots(this.options.concurrency);
    if (options.tools) this.tools = Promise.resolve(options.tools);
    // What a process killed mid-upload left in the temporary directory, a day on.
    void removeStale(this.options.tempDir ?? os.tmpdir(), STALE_TEMP_MS).catch(() => undefined);
  }

  get limits(): MediaLimits {
    return this.options.limits;
  }

  get storeDriver(): string {
    return this.store.driver;
  }

  /** The most photos and videos one report or action may carry (and one form may send). */
  get maxFiles(): number {
    return this.ctx.evidence.maxFiles;
  }

  /** The largest upload of any kind (the video limit, normally). */
  get largest(): number {
    return Math.max(this.options.limits.photoBytes, this.options.limits.videoBytes, this.options.limits.audioBytes);
  }

  /** Whether a role sends evidence (the policy's send_media); the HTTP layer refuses the others before reading a body. */
  mayUpload(principal: Principal): boolean {
    return may(principal.actor, 'send_media');
  }

  assertMayUpload(principal: Principal): void {
    if (!this.mayUpload(principal)) throw forbidden('role_not_allowed', 'Administrators manage users and reference data; evidence comes from reporters and staff.', { role: principal.actor.role });
  }

  // ---- spooling ---------------------------------------------------------------------------------

  /**
   * Spool an upload to a temporary file. The video limit holds until the first bytes show the type; a photo
   * then has the photo limit, and anything that is not media is refused before the rest is read. `expected`
   * is the announced length (Content-Length), refused at once when over the limit for the type.
   */
  spool(source: UploadSource, options: { expected?: number } = {}): Promise<SpooledFile> {
    const limits = this.options.limits;
    let kind: MediaKind | undefined;
    return spool(source, {
      dir: this.options.tempDir,
      limit: this.largest,
      ...(options.expected === undefined ? {} : { expected: options.expected }),
      judge: async (head) => {
        kind = (await sniffMedia(head)).kind;
        const limit = limitFor(kind, limits);
        if (options.expected !== undefined && options.expected > limit) throw fileTooLarge(kind, limit, options.expected);
        return limit;
      },
      tooLarge: (limit) => fileTooLarge(kind, limit),
      cutOff: (received, expected) => cutOff(received, expected),
      broken: (received) => broken(received),
    });
  }

  // ---- uploading --------------------------------------------------------------------------------

  /** Bytes in memory (the demo seed, tests): spooled, then uploaded like any file. */
  async upload(principal: Principal, bytes: Buffer): Promise<MediaRecord> {
    const file = await spoolBuffer(bytes, this.options.tempDir);
    try {
      return await this.uploadFile(principal, file);
    } finally {
      await file.discard();
    }
  }

  /** Sniff, check, process and store one spooled upload. Uploading the same bytes again returns the same item. */
  async uploadFile(principal: Principal, file: SpooledFile): Promise<MediaRecord> {
    const prepared = await this.prepare(principal, file);
    try {
      return await this.commit(prepared);
    } finally {
      await prepared.dispose();
    }
  }

  /**
   * Everything that may refuse an upload, with nothing stored: emptiness, type, limits, structure, decoding
   * and the copies (made in a private work directory). The spooled file must stay until commit.
   */
  async prepare(principal: Principal, file: SpooledFile): Promise<PreparedUpload> {
    this.assertMayUpload(principal);
    if (file.bytes === 0) throw new DomainError('invalid', 'empty_upload', 'The upload is empty: send the photo or video bytes.');
    const earlier = await this.ctx.uow.autocommit.media.withSha(file.sha256);
    const base = { sha256: file.sha256, bytes: file.bytes, uploader: principal.user.id, file: file.path };
    // A retry (the phone never heard the answer) or the same photo attached again: the same media item.
    const mine = earlier.find((m) => m.uploadedBy === principal.user.id);
    if (mine) return prepared({ ...base, id: mine.id, outcome: { mine }, dispose: async () => undefined });
    // The same bytes from someone else: a new item of theirs, reusing the copies made the first time.
    const processed = earlier.find((m) => m.preview !== null);
    if (processed) return prepared({ ...base, id: newId(), outcome: { reuse: copiesOf(processed) }, dispose: async () => undefined });
    const workDir = await fs.mkdtemp(path.join(this.options.tempDir ?? os.tmpdir(), WORK_PREFIX));
    const dispose = () => fs.rm(workDir, { recursive: true, force: true });
    try {
      const fresh = await this.process(file, workDir);
      return prepared({ ...base, id: newId(), outcome: { fresh }, dispose });
    } catch (error) {
      await dispose();
      throw error;
    }
  }

  /** Store what prepare made and record the media item. */
  async commit(prepared: PreparedUpload): Promise<MediaRecord> {
    const { record, isNew } = await this.stage(prepared);
    if (isNew) await this.ctx.uow.autocommit.media.insert(record);
    return record;
  }

  /**
   * Put what prepare made into the store and describe the media item, without recording it: the caller
   * inserts a new item in its own transaction (a report with its photos), so a refused report keeps no row.
   */
  async stage(prepared: PreparedUpload): Promise<{ record: MediaRecord; isNew: boolean }> {
    const p = prepared as Prepared;
    if ('mine' in p.outcome) return { record: await this.processed(p.outcome.mine), isNew: false };
    const copies = 'reuse' in p.outcome ? p.outcome.reuse : await this.storeCopies(p.file, p.sha256, p.outcome.fresh);
    const record: MediaRecord = {
      ...copies,
      id: p.id,
      sha256: p.sha256,
      bytes: p.bytes,
      uploadedBy: p.uploader,
      createdAt: this.ctx.now().toISOString(),
      publicKey: null,
      publishedAt: null,
    };
    return { record, isNew: true };
  }

  private async process(file: SpooledFile, workDir: string): Promise<ProcessedMedia> {
    const tools = await this.toolsFound();
    return this.slots.run(() => processFile({ path: file.path, bytes: file.bytes, head: file.head }, this.options.limits, tools, workDir));
  }

  private async storeCopies(file: string, sha256: string, p: ProcessedMedia): Promise<Copies> {
    const put = async (b: Buffer | null, mime: string) => (b ? (await this.store.put(b, mime)).key : null);
    const [original, display, thumb, poster, clean] = await Promise.all([
      this.store.putFile(file, p.mime, sha256).then((r) => r.key),
      put(p.display, 'image/webp'),
      put(p.thumb, 'image/webp'),
      put(p.poster, 'image/webp'),
      p.cleanCopy ? this.store.putFile(p.cleanCopy, p.mime).then((r) => r.key) : null,
    ]);
    return {
      kind: p.kind,
      mime: p.mime,
      storageKey: original,
      width: p.width,
      height: p.height,
      durationS: p.durationS,
      takenAt: p.takenAt,
      takenLat: p.gps?.lat ?? null,
      takenLon: p.gps?.lon ?? null,
      displayKey: display,
      thumbKey: thumb,
      posterKey: poster,
      cleanKey: clean,
      preview: p.preview,
    };
  }

  private toolsFound(): Promise<MediaTools> {
    return (this.tools ??= detectTools());
  }

  /** Media stored before processing existed get their copies on first use. */
  private async processed(record: MediaRecord): Promise<MediaRecord> {
    if (record.preview !== null) return record;
    const original = await this.store.open(record.storageKey);
    const file = await spool(original.stream, { dir: this.options.tempDir, limit: Number.MAX_SAFE_INTEGER, tooLarge: () => new Error('unreachable') });
    const workDir = await fs.mkdtemp(path.join(this.options.tempDir ?? os.tmpdir(), WORK_PREFIX));
    let copies: Copies;
    try {
      copies = await this.storeCopies(file.path, file.sha256, await this.process(file, workDir));
    } finally {
      await fs.rm(workDir, { recursive: true, force: true });
      await file.discard();
    }
    const next = { ...record, ...copies };
    await this.ctx.uow.autocommit.media.update(record.id, {
      width: next.width,
      height: next.height,
      durationS: next.durationS,
      takenAt: next.takenAt,
      takenLat: next.takenLat,
      takenLon: next.takenLon,
      displayKey: next.displayKey,
      thumbKey: next.thumbKey,
      posterKey: next.posterKey,
      cleanKey: next.cleanKey,
      preview: next.preview,
    });
    return next;
  }

  // ---- reading ----------------------------------------------------------------------------------

  /** How the reader may see a media item: as its uploader, or through the best access to a case carrying it. */
  private async reach(principal: Principal, record: MediaRecord): Promise<{ uploader: boolean; access: CaseAccess }> {
    const uploader = record.uploadedBy === principal.user.id;
    const repos = this.ctx.uow.autocommit;
    let access: CaseAccess = 'none';
    for (const caseId of await repos.media.casesOf(record.id)) {
      const loaded = (await this.cases.load(repos, principal, caseId)).access;
      // The policy says who follows a case through a report merged into it (a rider, their own report).
      const a = await followsMerged(principal.actor, loaded, async () => (await repos.cases.mergedInto(caseId)).map((c) => c.reporterId));
      access = betterAccess(access, a);
      if (access === 'handling_chain') break;
    }
    return { uploader, access };
  }

  private async readable(principal: Principal, id: string): Promise<{ record: MediaRecord; uploader: boolean; access: CaseAccess }> {
    const record = await this.ctx.uow.autocommit.media.find(id);
    if (!record) throw notFound('media', id);
    const { uploader, access } = await this.reach(principal, record);
    // Media the reader may not see do not exist for them.
    if (!uploader && access === 'none') throw notFound('media', id);
    return { record: await this.processed(record), uploader, access };
  }

  async info(principal: Principal, id: string): Promise<MediaInfo> {
    const { record, uploader, access } = await this.readable(principal, id);
    return mediaInfo(record, uploader || access === 'handling_chain');
  }

  /**
   * One copy of a media item. Copies (thumb, display, poster, video) go to whoever may see a case that
   * carries it; the original, with its EXIF, only to its uploader and the case's handling chain.
   */
  async read(principal: Principal, id: string, variant: MediaVariant = 'display'): Promise<MediaCopy> {
    const { record, uploader, access } = await this.readable(principal, id);
    const mayOriginal = uploader || access === 'handling_chain';
    // Originals and videos may be large: streamed from the store, never read whole into memory.
    const streamed = async (key: string, attachment: boolean): Promise<MediaCopy> => {
      const { stream, bytes } = await this.store.open(key);
      return { body: stream, length: bytes, mime: record.mime, attachment, filename: `${record.id}${extension(record.mime)}` };
    };
    const original = async (): Promise<MediaCopy> => {
      if (!mayOriginal) throw forbidden('original_not_allowed', 'The original file is kept for its uploader and the staff handling the case; ask for the display copy.');
      return streamed(record.storageKey, true);
    };
    const webp = async (key: string | null, what: string): Promise<MediaCopy> => {
      if (!key) throw notFound(`media_${what}`, id);
      const bytes = await this.store.get(key);
      return { body: bytes, length: bytes.length, mime: 'image/webp', attachment: false, filename: `${record.id}-${what}.webp` };
    };
    switch (variant) {
      case 'original':
        return original();
      case 'thumb':
        return webp(record.thumbKey, 'thumb');
      case 'poster':
        return webp(record.posterKey, 'poster');
      case 'display':
        return record.kind === 'video' ? webp(record.posterKey, 'poster') : record.kind === 'audio' ? webp(record.thumbKey, 'thumb') : webp(record.displayKey ?? record.thumbKey, 'display');
      case 'audio':
        // A voice note as recorded (no place or time in it; an MP4's tags blanked in its clean copy):
        // whoever may see the case may hear it.
        if (record.kind !== 'audio') throw invalid('variant', `This media item is a ${record.kind}: ask for display or thumb.`, 'not_audio');
        return streamed(record.cleanKey ?? record.storageKey, false);
      case 'video':
        if (record.kind !== 'video') throw invalid('variant', `This media item is a ${record.kind}: ask for display or thumb.`, 'not_a_video');
        if (record.cleanKey) return streamed(record.cleanKey, false);
        // Without ffmpeg there is no metadata-free copy: the original is all there is, for those who may have it.
        return original();
    }
  }

  // ---- public copies ----------------------------------------------------------------------------

  /**
   * Publish a photo for the public map: a fresh copy of the display image with the given regions blurred
   * (faces, number plates), no metadata and no link to the reporter. Publishing again replaces it.
   */
  async publish(principal: Principal, id: string, regions: Region[]): Promise<MediaInfo> {
    const record = await this.publishable(principal, id);
    if (record.kind !== 'photo' || !record.displayKey) throw invalid('id', 'Only photos with a display copy can be published.', 'not_publishable');
    const copy = await this.slots.run(async () => redact(await this.store.get(record.displayKey!), regions));
    const { key } = await this.store.put(copy, 'image/webp');
    const now = this.ctx.now().toISOString();
    await this.ctx.transaction(async (repos) => {
      await repos.media.update(id, { publicKey: key, publishedAt: now });
      await repos.media.recordPublication({ id: newId(), mediaId: id, action: 'publish', regions, publicKey: key, actorId: principal.user.id, at: now });
    });
    return mediaInfo({ ...record, publicKey: key, publishedAt: now }, true);
  }

  async withdraw(principal: Principal, id: string): Promise<void> {
    const record = await this.publishable(principal, id);
    if (!record.publicKey) return;
    const now = this.ctx.now().toISOString();
    await this.ctx.transaction(async (repos) => {
      await repos.media.update(id, { publicKey: null, publishedAt: null });
      await repos.media.recordPublication({ id: newId(), mediaId: id, action: 'withdraw', regions: [], publicKey: null, actorId: principal.user.id, at: now });
    });
  }

  /** A media item the reader may publish or withdraw: theirs as the command centre handling its case. */
  private async publishable(principal: Principal, id: string): Promise<MediaRecord> {
    const { record } = await this.readable(principal, id);
    const repos = this.ctx.uow.autocommit;
    for (const caseId of await repos.media.casesOf(record.id)) {
      if (mayPublishCaseMedia(principal.actor, (await this.cases.load(repos, principal, caseId)).facts.jurisdictionPath)) return record;
    }
    throw forbidden('role_not_allowed', 'Only the command centre handling the case may publish or withdraw its photos.');
  }

  /** The public copy, for anyone: only what staff published. */
  async readPublic(id: string): Promise<MediaCopy> {
    const record = await this.ctx.uow.autocommit.media.find(id);
    if (!record?.publicKey) throw notFound('media', id);
    const bytes = await this.store.get(record.publicKey);
    return { body: bytes, length: bytes.length, mime: 'image/webp', attachment: false, filename: `${record.id}.webp` };
  }

  // ---- resumable uploads (tus 1.0 core + creation + termination) ----------------------------------
  // Where each upload stands is in the database (`uploads`, `upload_parts`); its bytes are parts in the
  // media store. Any process can take the next chunk, and the database holds a few rows per upload.

  /**
   * Begin a resumable upload of `length` bytes: at most MAX_OPEN_UPLOADS unfinished ones per user, holding
   * at most `limits.uploadQuotaBytes` together (counted by their declared lengths, reserved here, so a
   * started upload can always finish).
   */
  async createUpload(principal: Principal, length: number, metadata: Record<string, string>): Promise<UploadRecord> {
    this.assertMayUpload(principal);
    const max = this.largest;
    const quota = this.options.limits.uploadQuotaBytes;
    if (!Number.isSafeInteger(length) || length <= 0) throw invalid('Upload-Length', 'Upload-Length must be the whole size of the file in bytes.', 'invalid_upload_length');
    if (length > max) throw new DomainError('too_large', 'file_too_large', `Files may be at most ${mb(max)} MB.`, { bytes: length, limit: max });
    if (length > quota) {
      throw new DomainError('too_large', 'upload_quota_exceeded', `Resumable uploads may hold at most ${mb(quota)} MB per person; this file is ${mb(length)} MB.`, { quotaBytes: quota, heldBytes: 0, requestedBytes: length });
    }
    const now = this.ctx.now();
    const upload: UploadRecord = {
      id: newId(now.getTime()),
      ownerId: principal.user.id,
      length,
      received: 0,
      metadata,
      mediaId: null,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.options.uploadTtlHours * 3_600_000).toISOString(),
    };
    await this.ctx.transaction(async (repos) => {
      await repos.media.lockOwner(principal.user.id);
      const open = await repos.media.openUploads(principal.user.id, now.toISOString());
      if (open.count >= MAX_OPEN_UPLOADS) {
        throw new DomainError('too_many', 'too_many_open_uploads', `You have ${MAX_OPEN_UPLOADS} unfinished uploads: finish or cancel one (DELETE) before starting another.`, { limit: MAX_OPEN_UPLOADS });
      }
      if (open.bytes + length > quota) {
        throw new DomainError(
          'too_many',
          'upload_quota_exceeded',
          `Your unfinished uploads already hold ${mb(open.bytes)} of ${mb(quota)} MB: finish or cancel one (DELETE) before starting this one (${mb(length)} MB).`,
          { quotaBytes: quota, heldBytes: open.bytes, requestedBytes: length },
        );
      }
      await repos.media.createUpload(upload);
    });
    return upload;
  }

  async findUpload(principal: Principal, id: string): Promise<UploadRecord> {
    const upload = await this.ctx.uow.autocommit.media.findUpload(id);
    if (!upload || upload.ownerId !== principal.user.id || upload.expiresAt < this.ctx.now().toISOString()) throw notFound('upload', id);
    return upload;
  }

  /**
   * The upload a chunk from `offset` may go to, checked before the chunk is read: not finished, the offset
   * where the upload stands, and a declared chunk length (`length`, from Content-Length) that fits.
   */
  async uploadFor(principal: Principal, id: string, offset: number, length?: number): Promise<UploadRecord> {
    this.assertMayUpload(principal);
    const upload = await this.findUpload(principal, id);
    if (upload.mediaId) throw new DomainError('conflict', 'upload_complete', 'This upload is already complete.', { mediaId: upload.mediaId });
    if (offset !== upload.received) {
      throw new DomainError('conflict', 'offset_mismatch', `The upload has ${upload.received} bytes; send the next chunk from there.`, { expected: upload.received, got: offset });
    }
    if (length !== undefined && offset + length > upload.length) throw chunkTooLong(upload.length);
    return upload;
  }

  /**
   * Take the chunk at `offset` (at most `chunkLimit` bytes) from `source`: spooled, kept in the store as a
   * part, then recorded; when the last byte is in, the parts are put together and processed like any
   * upload. The chunk at offset 0 is sniffed as it arrives: what is not media, or a photo declared larger
   * than the photo limit, is refused there, and the upload is dropped.
   */
  async appendUpload(principal: Principal, id: string, offset: number, source: UploadSource, options: { chunkLimit: number; expected?: number }): Promise<UploadRecord> {
    const upload = await this.uploadFor(principal, id, offset, options.expected);
    const room = upload.length - offset;
    let chunk: SpooledFile;
    try {
      chunk = await spool(source, {
        dir: this.options.tempDir,
        limit: Math.min(room, options.chunkLimit),
        tooLarge: (limit) => (limit === room ? chunkTooLong(upload.length) : chunkTooLarge(options.chunkLimit)),
        ...(options.expected === undefined ? {} : { expected: options.expected }),
        cutOff: (received, expected) => cutOff(received, expected),
        broken: (received) => broken(received),
        ...(offset === 0 ? { judge: (head: Buffer) => this.judgeUpload(head, upload.length) } : {}),
      });
    } catch (error) {
      if (error instanceof DomainError && (error.kind === 'unsupported' || error.code === 'file_too_large')) await this.dropUpload(id);
      throw error;
    }
    try {
      if (chunk.bytes > 0) {
        const part = partName(offset, randomBytes(8).toString('hex'));
        await this.store.putPart(id, part, chunk.path);
        if (!(await this.ctx.transaction((repos) => repos.media.addPart(id, offset, chunk.bytes, part)))) {
          // The part stays in the store until the upload ends (deleteParts takes every part of it).
          const now = await this.ctx.uow.autocommit.media.findUpload(id);
          throw new DomainError('conflict', 'offset_mismatch', 'Another request sent bytes first; ask for the offset (HEAD) and continue from there.', { expected: now?.received ?? offset, got: offset });
        }
      }
    } finally {
      await chunk.discard();
    }
    const received = offset + chunk.bytes;
    if (received < upload.length) return { ...upload, received };
    return { ...upload, received, mediaId: (await this.finishUpload(principal, upload)).id };
  }

  /** The photo limit as soon as the first chunk shows a photo; what is not media is refused. */
  private async judgeUpload(head: Buffer, length: number): Promise<number> {
    const { kind } = await sniffMedia(head);
    const limit = limitFor(kind, this.options.limits);
    if (length > limit) throw fileTooLarge(kind, limit, length);
    return Number.MAX_SAFE_INTEGER;
  }

  /** All bytes are in: put the parts together (in a temporary file), process and store the file. */
  private async finishUpload(principal: Principal, upload: UploadRecord): Promise<MediaRecord> {
    const parts = await this.ctx.uow.autocommit.media.parts(upload.id);
    let at = 0;
    for (const p of parts) {
      if (p.start !== at) throw new Error(`upload ${upload.id} has a gap at byte ${at}`);
      at += p.bytes;
    }
    if (at !== upload.length) throw new Error(`upload ${upload.id} holds ${at} of ${upload.length} bytes`);
    const store = this.store;
    const whole = async function* () {
      for (const p of parts) yield* await store.openPart(upload.id, p.part);
    };
    let media: MediaRecord;
    try {
      const file = await this.spool(whole());
      try {
        media = await this.uploadFile(principal, file);
      } finally {
        await file.discard();
      }
    } catch (error) {
      // Refused content is not kept: the client learns why, and the upload is gone.
      if (error instanceof DomainError) await this.dropUpload(upload.id);
      throw error;
    }
    await this.ctx.uow.autocommit.media.completeUpload(upload.id, media.id);
    await this.store.deleteParts(upload.id);
    return media;
  }

  async deleteUpload(principal: Principal, id: string): Promise<void> {
    await this.findUpload(principal, id);
    await this.dropUpload(id);
  }

  private async dropUpload(id: string): Promise<void> {
    await this.store.deleteParts(id);
    await this.ctx.uow.autocommit.media.deleteUpload(id);
  }

  /**
   * Drop expired unfinished uploads: their stored bytes first, then their rows (the sweep calls this). An
   * upload whose bytes could not be removed stays for the next sweep to try again.
   */
  async expireUploads(): Promise<number> {
    const stale = await this.ctx.uow.autocommit.media.expiredUploads(this.ctx.now().toISOString(), 1000);
    let dropped = 0;
    for (const id of stale) {
      try {
        await this.dropUpload(id);
        dropped++;
      } catch {
        // Left for the next sweep.
      }
    }
    return dropped;
  }
}

const prepared = (p: Prepared): PreparedUpload => p;

type Copies = Omit<MediaRecord, 'id' | 'sha256' | 'bytes' | 'uploadedBy' | 'createdAt' | 'publicKey' | 'publishedAt'>;

function copiesOf(m: MediaRecord): Copies {
  const { id: _id, sha256: _sha, bytes: _bytes, uploadedBy: _by, createdAt: _at, publicKey: _pk, publishedAt: _pa, ...copies } = m;
  return copies;
}

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);

/** Over the limit for its kind (when known): 413 file_too_large, in the words processing uses. */
function fileTooLarge(kind: MediaKind | undefined, limit: number, bytes?: number): DomainError {
  const what = kind ?? 'file';
  const advice = kind === 'photo' ? ' Upload a smaller photo.' : kind === 'video' ? ' Record a shorter video or lower the camera resolution.' : kind === 'audio' ? ' Record a shorter voice note.' : '';
  const size = bytes === undefined ? 'larger than' : `${mb(bytes)} MB;`;
  return new DomainError('too_large', 'file_too_large', `This ${what} is ${size} the limit for a ${what} is ${mb(limit)} MB.${advice}`, {
    ...(kind ? { kind } : {}),
    ...(bytes === undefined ? {} : { bytes }),
    limit,
  });
}

const cutOff = (received: number, expected: number) =>
  new DomainError('invalid', 'incomplete_body', `The body ended after ${received} of the ${expected} bytes announced; send it again.`, { received, expected });

const broken = (received: number) =>
  new DomainError('invalid', 'incomplete_body', `The upload broke off after ${received} bytes; send it again.`, { received });

const chunkTooLong = (length: number) => invalid('body', `The chunk runs past the declared Upload-Length (${length} bytes).`, 'chunk_too_long');

const chunkTooLarge = (limit: number) =>
  new DomainError('too_large', 'body_too_large', `A chunk may be at most ${mb(limit)} MB; send the rest in the next one.`, { limit });

