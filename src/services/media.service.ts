// Evidence uploads and their copies. An upload is sniffed from its bytes, limited, processed (upright,
// metadata-free WebP display copy and thumbnail; for videos a poster frame and a remuxed copy without
// metadata), and stored content-addressed: the same bytes uploaded twice are stored and processed once.
// The original is kept privately. Readers get a copy only if they may see a case that carries the media
// (or uploaded it); public copies exist only once staff publish them, redacted as they choose.

import os from 'node:os';
import type { CaseAccess } from '../domain/access.js';
import { DomainError, forbidden, invalid, notFound } from '../domain/errors.js';
import { detectTools, processMedia, type MediaTools } from '../media/process.js';
import { redact, type Region } from '../media/redact.js';
import { mediaKeyOf } from '../media/store.js';
import { Slots } from '../media/slots.js';
import { DEFAULT_MEDIA_LIMITS, type MediaLimits, type MediaStore, type ProcessedMedia } from '../media/types.js';
import { toJson } from '../storage/dialect.js';
import { newId } from '../storage/ids.js';
import type { MediaRecord, MediaVariant, UploadRecord } from '../storage/media.repository.js';
import type { CaseService } from './case.service.js';
import { extension, mediaInfo, type MediaInfo } from './media.views.js';
import type { Principal, ServiceContext } from './context.js';

export interface MediaOptions {
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
}

/** Unfinished resumable uploads one user may have at once (each report carries at most 9 files). */
export const MAX_OPEN_UPLOADS = 20;

export const DEFAULT_MEDIA_OPTIONS: MediaOptions = { limits: DEFAULT_MEDIA_LIMITS, concurrency: Math.max(1, os.availableParallelism()), uploadTtlHours: 24 };

/** A served copy: its bytes and what to say about them. */
export interface MediaCopy {
  bytes: Buffer;
  mime: string;
  /** A download rather than inline display (originals: never rendered by the browser as they came). */
  attachment: boolean;
  filename: string;
}

export class MediaService {
  private readonly options: MediaOptions;
  private readonly slots: Slots;
  private tools?: Promise<MediaTools>;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly store: MediaStore,
    private readonly cases: CaseService,
    options: Partial<MediaOptions> = {},
  ) {
    this.options = { ...DEFAULT_MEDIA_OPTIONS, ...options, limits: { ...DEFAULT_MEDIA_LIMITS, ...options.limits } };
    this.slots = new Slots(this.options.concurrency);
    if (options.tools) this.tools = Promise.resolve(options.tools);
  }

  get limits(): MediaLimits {
    return this.options.limits;
  }

  get storeDriver(): string {
    return this.store.driver;
  }

  /** Sniff, check, process and store one upload. Uploading the same bytes again returns the same item. */
  async upload(principal: Principal, bytes: Buffer): Promise<MediaRecord> {
    if (bytes.length === 0) throw new DomainError('invalid', 'empty_upload', 'The upload is empty: send the photo or video bytes.');
    const sha256 = mediaKeyOf(bytes);
    const repos = this.ctx.uow.read;
    const earlier = await repos.media.withSha(sha256);
    // A retry (the phone never heard the answer) or the same photo attached again: the same media item.
    const mine = earlier.find((m) => m.uploadedBy === principal.user.id);
    if (mine) return this.processed(mine);
    // The same bytes from someone else: a new item of theirs, reusing the copies made the first time.
    const processed = earlier.find((m) => m.preview !== null);
    const copies = processed ? copiesOf(processed) : await this.processAndStore(bytes);
    const record: MediaRecord = {
      ...copies,
      id: newId(),
      sha256,
      bytes: bytes.length,
      uploadedBy: principal.user.id,
      createdAt: this.ctx.now().toISOString(),
      publicKey: null,
      publishedAt: null,
    };
    await repos.media.insert(record);
    return record;
  }

  private async processAndStore(bytes: Buffer): Promise<Copies> {
    const tools = await this.toolsFound();
    const processed = await this.slots.run(() => processMedia(bytes, this.options.limits, tools));
    return this.storeCopies(bytes, processed);
  }

  private async storeCopies(bytes: Buffer, p: ProcessedMedia): Promise<Copies> {
    const put = async (b: Buffer | null, mime: string) => (b ? (await this.store.put(b, mime)).key : null);
    const [original, display, thumb, poster, clean] = await Promise.all([
      put(bytes, p.mime),
      put(p.display, 'image/webp'),
      put(p.thumb, 'image/webp'),
      put(p.poster, 'image/webp'),
      put(p.cleanVideo, p.mime),
    ]);
    return {
      kind: p.kind,
      mime: p.mime,
      storageKey: original!,
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
    const copies = await this.processAndStore(await this.store.get(record.storageKey));
    const next = { ...record, ...copies };
    await this.ctx.uow.read.media.update(record.id, {
      width: next.width,
      height: next.height,
      duration_s: next.durationS,
      taken_at: next.takenAt,
      taken_lat: next.takenLat,
      taken_lon: next.takenLon,
      display_key: next.displayKey,
      thumb_key: next.thumbKey,
      poster_key: next.posterKey,
      clean_key: next.cleanKey,
      preview: next.preview,
    });
    return next;
  }

  // ---- reading ----------------------------------------------------------------------------------

  /** How the reader may see a media item: as its uploader, or through the best access to a case carrying it. */
  private async reach(principal: Principal, record: MediaRecord): Promise<{ uploader: boolean; access: CaseAccess }> {
    const uploader = record.uploadedBy === principal.user.id;
    const repos = this.ctx.uow.read;
    const rank: CaseAccess[] = ['none', 'oversight', 'reporter', 'handling_chain'];
    let access: CaseAccess = 'none';
    for (const caseId of await repos.media.casesOf(record.id)) {
      let a = (await this.cases.load(repos, principal, caseId)).access;
      // A rider whose report was merged into this case follows it, repair photos included.
      if (a === 'none' && principal.actor.role === 'reporter' && (await repos.cases.mergedInto(caseId)).some((c) => c.reporterId === principal.user.id)) a = 'reporter';
      if (rank.indexOf(a) > rank.indexOf(access)) access = a;
      if (access === 'handling_chain') break;
    }
    return { uploader, access };
  }

  private async readable(principal: Principal, id: string): Promise<{ record: MediaRecord; uploader: boolean; access: CaseAccess }> {
    const record = await this.ctx.uow.read.media.find(id);
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
    const original = async (): Promise<MediaCopy> => {
      if (!mayOriginal) throw forbidden('original_not_allowed', 'The original file is kept for its uploader and the staff handling the case; ask for the display copy.');
      return { bytes: await this.store.get(record.storageKey), mime: record.mime, attachment: true, filename: `${record.id}${extension(record.mime)}` };
    };
    const webp = async (key: string | null, what: string): Promise<MediaCopy> => {
      if (!key) throw notFound(`media_${what}`, id);
      return { bytes: await this.store.get(key), mime: 'image/webp', attachment: false, filename: `${record.id}-${what}.webp` };
    };
    switch (variant) {
      case 'original':
        return original();
      case 'thumb':
        return webp(record.thumbKey, 'thumb');
      case 'poster':
        return webp(record.posterKey, 'poster');
      case 'display':
        return record.kind === 'video' ? webp(record.posterKey, 'poster') : webp(record.displayKey ?? record.thumbKey, 'display');
      case 'video':
        if (record.kind !== 'video') throw invalid('variant', 'This media item is a photo: ask for display or thumb.', 'not_a_video');
        if (record.cleanKey) return { bytes: await this.store.get(record.cleanKey), mime: record.mime, attachment: false, filename: `${record.id}${extension(record.mime)}` };
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
      await repos.media.update(id, { public_key: key, published_at: now });
      await repos.media.recordPublication({ id: newId(), mediaId: id, action: 'publish', regions, publicKey: key, actorId: principal.user.id, at: now });
    });
    return mediaInfo({ ...record, publicKey: key, publishedAt: now }, true);
  }

  async withdraw(principal: Principal, id: string): Promise<void> {
    const record = await this.publishable(principal, id);
    if (!record.publicKey) return;
    const now = this.ctx.now().toISOString();
    await this.ctx.transaction(async (repos) => {
      await repos.media.update(id, { public_key: null, published_at: null });
      await repos.media.recordPublication({ id: newId(), mediaId: id, action: 'withdraw', regions: [], publicKey: null, actorId: principal.user.id, at: now });
    });
  }

  /** A media item the reader may publish or withdraw: theirs as the command centre handling its case. */
  private async publishable(principal: Principal, id: string): Promise<MediaRecord> {
    const { record, access } = await this.readable(principal, id);
    if (access !== 'handling_chain' || !['dispatcher', 'supervisor'].includes(principal.actor.role)) {
      throw forbidden('role_not_allowed', 'Only the command centre handling the case may publish or withdraw its photos.');
    }
    return record;
  }

  /** The public copy, for anyone: only what staff published. */
  async readPublic(id: string): Promise<MediaCopy> {
    const record = await this.ctx.uow.read.media.find(id);
    if (!record?.publicKey) throw notFound('media', id);
    return { bytes: await this.store.get(record.publicKey), mime: 'image/webp', attachment: false, filename: `${record.id}.webp` };
  }

  // ---- resumable uploads (tus 1.0 core + creation + termination) ----------------------------------

  /** Begin a resumable upload of `length` bytes. */
  async createUpload(principal: Principal, length: number, metadata: Record<string, string>): Promise<UploadRecord> {
    const max = Math.max(this.options.limits.photoBytes, this.options.limits.videoBytes);
    if (!Number.isSafeInteger(length) || length <= 0) throw invalid('Upload-Length', 'Upload-Length must be the whole size of the file in bytes.', 'invalid_upload_length');
    if (length > max) throw new DomainError('too_large', 'file_too_large', `Files may be at most ${mb(max)} MB.`, { bytes: length, limit: max });
    const now = this.ctx.now();
    // Each open upload holds its chunks in the database: a rider has a few on the go, not hundreds.
    if ((await this.ctx.uow.read.media.openUploads(principal.user.id, now.toISOString())) >= MAX_OPEN_UPLOADS) {
      throw new DomainError('too_many', 'too_many_open_uploads', `You have ${MAX_OPEN_UPLOADS} unfinished uploads: finish or cancel one (DELETE) before starting another.`, { limit: MAX_OPEN_UPLOADS });
    }
    const row = {
      id: newId(now.getTime()),
      owner_id: principal.user.id,
      length,
      received: 0,
      metadata: toJson(metadata),
      media_id: null,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + this.options.uploadTtlHours * 3_600_000).toISOString(),
    };
    await this.ctx.uow.read.media.createUpload(row);
    return { id: row.id, ownerId: row.owner_id, length, received: 0, metadata, mediaId: null, createdAt: row.created_at, expiresAt: row.expires_at };
  }

  async findUpload(principal: Principal, id: string): Promise<UploadRecord> {
    const upload = await this.ctx.uow.read.media.findUpload(id);
    if (!upload || upload.ownerId !== principal.user.id || upload.expiresAt < this.ctx.now().toISOString()) throw notFound('upload', id);
    return upload;
  }

  /** Append bytes at `offset`; when the last byte arrives the file is processed like any upload. */
  async appendUpload(principal: Principal, id: string, offset: number, chunk: Buffer): Promise<UploadRecord> {
    const upload = await this.findUpload(principal, id);
    if (upload.mediaId) throw new DomainError('conflict', 'upload_complete', 'This upload is already complete.', { mediaId: upload.mediaId });
    if (offset !== upload.received) {
      throw new DomainError('conflict', 'offset_mismatch', `The upload has ${upload.received} bytes; send the next chunk from there.`, { expected: upload.received, got: offset });
    }
    if (offset + chunk.length > upload.length) {
      throw invalid('body', `The chunk runs past the declared Upload-Length (${upload.length} bytes).`, 'chunk_too_long');
    }
    if (chunk.length > 0 && !(await this.ctx.transaction((repos) => repos.media.appendChunk(id, offset, chunk)))) {
      const now = await this.ctx.uow.read.media.findUpload(id);
      throw new DomainError('conflict', 'offset_mismatch', 'Another request sent bytes first; ask for the offset (HEAD) and continue from there.', { expected: now?.received ?? offset, got: offset });
    }
    const received = offset + chunk.length;
    if (received < upload.length) return { ...upload, received };
    const bytes = await this.ctx.uow.read.media.chunks(id);
    let media: MediaRecord;
    try {
      media = await this.upload(principal, bytes);
    } catch (error) {
      // Refused content is not kept: the client learns why, and the upload is gone.
      await this.ctx.uow.read.media.deleteUpload(id);
      throw error;
    }
    await this.ctx.uow.read.media.completeUpload(id, media.id);
    return { ...upload, received, mediaId: media.id };
  }

  async deleteUpload(principal: Principal, id: string): Promise<void> {
    await this.findUpload(principal, id);
    await this.ctx.uow.read.media.deleteUpload(id);
  }

  /** Drop expired unfinished uploads (run by the sweep). */
  expireUploads(): Promise<number> {
    return this.ctx.uow.read.media.expireUploads(this.ctx.now().toISOString());
  }
}

type Copies = Omit<MediaRecord, 'id' | 'sha256' | 'bytes' | 'uploadedBy' | 'createdAt' | 'publicKey' | 'publishedAt'>;

function copiesOf(m: MediaRecord): Copies {
  const { id: _id, sha256: _sha, bytes: _bytes, uploadedBy: _by, createdAt: _at, publicKey: _pk, publishedAt: _pa, ...copies } = m;
  return copies;
}

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);

