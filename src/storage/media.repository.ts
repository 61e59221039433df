// Metadata of uploaded media (the bytes live in the media store), the links from cases' events to their
// evidence, the history of public copies, and resumable uploads: where each stands and which stored part
// holds which bytes (the bytes themselves are in the media store too).

import { selectRows } from './compiled.js';
import type { Kysely } from 'kysely';
import type { EvidenceFlag } from '../domain/evidence.js';
import { fromJson, isPostgres, toJson } from './dialect.js';
import { linkRow } from './case.mappers.js';
import type { DB, MediaLinkTable, MediaTable, UploadTable } from './schema.js';
import type { MediaPublication, MediaRecord, MediaLink, UploadRecord } from '../domain/records.js';
import type { MediaRecordStore } from '../ports.js';

const toMedia = (r: MediaTable): MediaRecord => ({
  id: r.id,
  sha256: r.sha256,
  kind: r.kind,
  mime: r.mime,
  bytes: r.bytes,
  storageKey: r.storage_key,
  uploadedBy: r.uploaded_by,
  createdAt: r.created_at,
  width: r.width,
  height: r.height,
  durationS: r.duration_s,
  takenAt: r.taken_at,
  takenLat: r.taken_lat,
  takenLon: r.taken_lon,
  displayKey: r.display_key,
  thumbKey: r.thumb_key,
  posterKey: r.poster_key,
  cleanKey: r.clean_key,
  preview: r.preview,
  publicKey: r.public_key,
  publishedAt: r.published_at,
});

/** Each field's column, in the table's order; a record's changes become the columns they set, in their own order. */
const MEDIA_COLUMNS: { [K in keyof MediaRecord]: keyof MediaTable } = {
  id: 'id',
  sha256: 'sha256',
  kind: 'kind',
  mime: 'mime',
  bytes: 'bytes',
  storageKey: 'storage_key',
  uploadedBy: 'uploaded_by',
  createdAt: 'created_at',
  width: 'width',
  height: 'height',
  durationS: 'duration_s',
  takenAt: 'taken_at',
  takenLat: 'taken_lat',
  takenLon: 'taken_lon',
  displayKey: 'display_key',
  thumbKey: 'thumb_key',
  posterKey: 'poster_key',
  cleanKey: 'clean_key',
  preview: 'preview',
  publicKey: 'public_key',
  publishedAt: 'published_at',
};

const mediaColumns = (changes: Partial<MediaRecord>): Partial<MediaTable> =>
  Object.fromEntries(Object.entries(changes).map(([field, value]) => [MEDIA_COLUMNS[field as keyof MediaRecord], value])) as Partial<MediaTable>;

/** A record's row, its columns in the table's order. */
const fromMedia = (m: MediaRecord): MediaTable =>
  Object.fromEntries((Object.keys(MEDIA_COLUMNS) as (keyof MediaRecord)[]).map((field) => [MEDIA_COLUMNS[field], m[field]])) as unknown as MediaTable;

const toLink = (r: MediaLinkTable): MediaLink => ({
  mediaId: r.media_id,
  caseId: r.case_id,
  eventSeq: r.event_seq,
  role: r.role,
  flags: fromJson<EvidenceFlag[]>(r.flags, []),
  createdAt: r.created_at,
});

const toUpload = (r: UploadTable): UploadRecord => ({
  id: r.id,
  ownerId: r.owner_id,
  length: Number(r.length),
  received: Number(r.received),
  metadata: fromJson<Record<string, string>>(r.metadata, {}),
  mediaId: r.media_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

const uploadRow = (u: UploadRecord): UploadTable => ({
  id: u.id,
  owner_id: u.ownerId,
  length: u.length,
  received: u.received,
  metadata: toJson(u.metadata),
  media_id: u.mediaId,
  created_at: u.createdAt,
  expires_at: u.expiresAt,
});

export class MediaRepository implements MediaRecordStore {
  constructor(private readonly db: Kysely<DB>) {}

  async insert(record: MediaRecord): Promise<void> {
    await this.db.insertInto('media').values(fromMedia(record)).execute();
  }

  async insertMany(records: MediaRecord[]): Promise<void> {
    if (records.length > 0) await this.db.insertInto('media').values(records.map(fromMedia)).execute();
  }

  async update(id: string, changes: Partial<Omit<MediaRecord, 'id'>>): Promise<void> {
    await this.db.updateTable('media').set(mediaColumns(changes)).where('id', '=', id).execute();
  }

  async find(id: string): Promise<MediaRecord | undefined> {
    const row = await this.db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toMedia(row);
  }

  async findMany(ids: string[]): Promise<MediaRecord[]> {
    if (ids.length === 0) return [];
    return (await selectRows(this.db, 'media.findMany', { ids }, (v) => this.db.selectFrom('media').selectAll().where('id', 'in', v.ids))).map(toMedia);
  }

  /** Earlier uploads of the same bytes, oldest first. */
  async withSha(sha256: string): Promise<MediaRecord[]> {
    return (await this.db.selectFrom('media').selectAll().where('sha256', '=', sha256).orderBy('created_at').execute()).map(toMedia);
  }

  async link(links: MediaLink[]): Promise<void> {
    if (links.length === 0) return;
    await this.db
      .insertInto('media_links')
      .values(links.map(linkRow))
      .execute();
  }

  /** The cases whose events carry this media. */
  async casesOf(mediaId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('media_links').select('case_id').distinct().where('media_id', '=', mediaId).execute();
    return rows.map((r) => r.case_id);
  }

  async linksOf(caseIds: string[]): Promise<MediaLink[]> {
    if (caseIds.length === 0) return [];
    const rows = await this.db.selectFrom('media_links').selectAll().where('case_id', 'in', caseIds).orderBy('case_id').orderBy('event_seq').execute();
    return rows.map(toLink);
  }

  async recordPublication(row: MediaPublication): Promise<void> {
    await this.db
      .insertInto('media_publications')
      .values({ id: row.id, media_id: row.mediaId, action: row.action, regions: toJson(row.regions), public_key: row.publicKey, actor_id: row.actorId, at: row.at })
      .execute();
  }

  async publications(mediaId: string): Promise<{ action: string; regions: unknown[]; actorId: string; at: string }[]> {
    const rows = await this.db.selectFrom('media_publications').selectAll().where('media_id', '=', mediaId).orderBy('at').orderBy('id').execute();
    return rows.map((r) => ({ action: r.action, regions: fromJson<unknown[]>(r.regions, []), actorId: r.actor_id, at: r.at }));
  }

  // ---- resumable uploads ----

  async createUpload(upload: UploadRecord): Promise<void> {
    await this.db.insertInto('uploads').values(uploadRow(upload)).execute();
  }

  /**
   * Inside a transaction, before counting a user's open uploads: on PostgreSQL the user's row is locked, so
   * two uploads started at once by one user are counted one after the other (SQLite runs one writing
   * transaction at a time anyway).
   */
  async lockOwner(ownerId: string): Promise<void> {
    if (isPostgres(this.db)) await this.db.selectFrom('users').select('id').where('id', '=', ownerId).forUpdate().execute();
  }

  /** Unfinished, unexpired uploads of a user: how many, and the bytes they may grow to (their declared lengths). */
  async openUploads(ownerId: string, now: string): Promise<{ count: number; bytes: number }> {
    const row = await this.db
      .selectFrom('uploads')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('length').as('bytes')])
      .where('owner_id', '=', ownerId)
      .where('media_id', 'is', null)
      .where('expires_at', '>=', now)
      .executeTakeFirstOrThrow();
    return { count: Number(row.n), bytes: Number(row.bytes ?? 0) };
  }

  async findUpload(id: string): Promise<UploadRecord | undefined> {
    const row = await this.db.selectFrom('uploads').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toUpload(row);
  }

  /**
   * Record that stored part `part` holds `bytes` bytes from `offset`, moving the upload's offset; false when
   * another request moved it first (nothing recorded: the caller removes its part). Run in a transaction.
   */
  async addPart(id: string, offset: number, bytes: number, part: string): Promise<boolean> {
    const moved = await this.db
      .updateTable('uploads')
      .set({ received: offset + bytes })
      .where('id', '=', id)
      .where('received', '=', offset)
      .where('media_id', 'is', null)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) return false;
    await this.db.insertInto('upload_parts').values({ upload_id: id, start_byte: offset, bytes, part }).execute();
    return true;
  }

  /** The parts of an upload in order. */
  async parts(id: string): Promise<{ start: number; bytes: number; part: string }[]> {
    const rows = await this.db.selectFrom('upload_parts').select(['start_byte', 'bytes', 'part']).where('upload_id', '=', id).orderBy('start_byte').execute();
    return rows.map((r) => ({ start: Number(r.start_byte), bytes: Number(r.bytes), part: r.part }));
  }

  async completeUpload(id: string, mediaId: string): Promise<void> {
    await this.db.updateTable('uploads').set({ media_id: mediaId }).where('id', '=', id).execute();
    await this.db.deleteFrom('upload_parts').where('upload_id', '=', id).execute();
  }

  async deleteUpload(id: string): Promise<void> {
    await this.db.deleteFrom('upload_parts').where('upload_id', '=', id).execute();
    await this.db.deleteFrom('uploads').where('id', '=', id).execute();
  }

  /** Unfinished uploads past their expiry (the sweep removes their bytes, then the rows). */
  async expiredUploads(now: string, limit: number): Promise<string[]> {
    const rows = await this.db.selectFrom('uploads').select('id').where('expires_at', '<', now).where('media_id', 'is', null).limit(limit).execute();
    return rows.map((r) => r.id);
  }
}
