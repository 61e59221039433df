// Metadata of uploaded media; the bytes live in the media store.

import type { Kysely } from 'kysely';
import type { DB, MediaTable } from './schema.js';

export interface MediaRecord {
  id: string;
  sha256: string;
  kind: 'photo' | 'video';
  mime: string;
  bytes: number;
  storageKey: string;
  uploadedBy: string;
  createdAt: string;
}

const toMedia = (r: MediaTable): MediaRecord => ({
  id: r.id,
  sha256: r.sha256,
  kind: r.kind as MediaRecord['kind'],
  mime: r.mime,
  bytes: r.bytes,
  storageKey: r.storage_key,
  uploadedBy: r.uploaded_by,
  createdAt: r.created_at,
});

export class MediaRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async insert(row: MediaTable): Promise<void> {
    await this.db.insertInto('media').values(row).execute();
  }

  async find(id: string): Promise<MediaRecord | undefined> {
    const row = await this.db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toMedia(row);
  }

  async findMany(ids: string[]): Promise<MediaRecord[]> {
    if (ids.length === 0) return [];
    return (await this.db.selectFrom('media').selectAll().where('id', 'in', ids).execute()).map(toMedia);
  }
}
