// Evidence uploads. Issue 2 keeps the originals as sent; processing (thumbnails, EXIF) comes later.

import { DomainError, notFound } from '../domain/errors.js';
import type { MediaStore } from '../media/store.js';
import { sniff } from '../media/store.js';
import type { MediaRecord } from '../storage/media.repository.js';
import { newId } from '../storage/ids.js';
import type { CaseService } from './case.service.js';
import type { Principal, ServiceContext } from './context.js';

export class MediaService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly store: MediaStore,
    private readonly cases: CaseService,
  ) {}

  async upload(principal: Principal, bytes: Buffer): Promise<MediaRecord> {
    if (bytes.length === 0) throw new DomainError('invalid', 'empty_upload', 'The upload is empty: send the photo or video bytes as the request body.');
    const type = sniff(bytes);
    if (!type) {
      throw new DomainError('unsupported', 'unsupported_media_type', 'Only photos (JPEG, PNG, WebP, HEIC) and videos (MP4, MOV) are accepted.');
    }
    const { key, sha256 } = await this.store.put(bytes);
    const now = this.ctx.now().toISOString();
    const record: MediaRecord = { id: newId(), sha256, kind: type.kind, mime: type.mime, bytes: bytes.length, storageKey: key, uploadedBy: principal.user.id, createdAt: now };
    await this.ctx.uow.read.media.insert({
      id: record.id,
      sha256,
      kind: record.kind,
      mime: record.mime,
      bytes: record.bytes,
      storage_key: key,
      uploaded_by: record.uploadedBy,
      created_at: now,
    });
    return record;
  }

  /** Media are readable by their uploader and by whoever may see a case that carries them as evidence. */
  async read(principal: Principal, id: string): Promise<{ record: MediaRecord; bytes: Buffer }> {
    const record = await this.ctx.uow.read.media.find(id);
    if (!record || !(record.uploadedBy === principal.user.id || (await this.seenThroughCase(principal, id)))) throw notFound('media', id);
    return { record, bytes: await this.store.get(record.storageKey) };
  }

  private async seenThroughCase(principal: Principal, mediaId: string): Promise<boolean> {
    const repos = this.ctx.uow.read;
    for (const caseId of await repos.cases.casesWithEvidence(mediaId)) {
      if ((await this.cases.load(repos, principal, caseId)).access !== 'none') return true;
    }
    return false;
  }
}
