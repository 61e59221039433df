// The offline queue's storage and its sending, shared by the app (queue.ts) and its service worker (sw.ts),
// so a report waiting on the phone goes when the network returns even with the app closed (Background
// Sync). Nothing here touches the page (no Vue, window or localStorage): the signed-in session the
// service worker sends with is the app's copy in the same IndexedDB.
//
// Every report is a record with its photos, video or voice note as Blobs and an idempotency key (its id).
// Statuses:
//   draft    kept on the phone, not to be sent yet (the rider may keep several)
//   pending  waiting for a network (or for the server, after a 5xx or 429)
//   sending  on its way (one at a time, across tabs and the service worker: navigator.locks)
//   sent     the server has it: the case's ref is shown, and the media are dropped from the phone
//   failed   the server refused it (a 4xx, with its code and field): the rider edits it and sends again
// A retry of the same report carries the same Idempotency-Key, so a report whose answer was lost on the
// way back is never filed twice: the server answers the case it already made.

import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { ApiError, call, type Session } from '../shared/api.js';
import { RESUMABLE_ABOVE, uploadResumable, type UploadState } from './resumable.js';

export type QueueStatus = 'draft' | 'pending' | 'sending' | 'sent' | 'failed';
export type CoordSys = 'wgs84' | 'gcj02' | 'bd09';

export interface QueuedFile {
  name: string;
  type: string;
  kind: 'photo' | 'video' | 'audio';
  blob: Blob;
  /** A video's resumable upload, once started: where it is, and its media id when done. */
  upload?: UploadState;
  /** Bytes of it the server has. */
  sent?: number;
}

export interface ReportForm {
  categoryId: string | null;
  description: string;
  lat: number | null;
  lon: number | null;
  coordSys: CoordSys;
  /** How sure the phone was of the point (metres); null when the rider placed it by hand. */
  accuracyM: number | null;
  /** When the phone fixed the point. */
  locatedAt: string | null;
  address: string;
  emergency: boolean;
  duplicateOf: string | null;
}

export interface QueuedReport {
  /** Also the report's Idempotency-Key. */
  id: string;
  userId: string;
  status: QueueStatus;
  form: ReportForm;
  files: QueuedFile[];
  createdAt: string;
  updatedAt: string;
  attempts: number;
  nextAttemptAt: number;
  error: { status: number; code: string; message: string; field?: string } | null;
  caseId: string | null;
  caseRef: string | null;
}

interface QueueDb extends DBSchema {
  reports: { key: string; value: QueuedReport; indexes: { byUser: string } };
  /** 'session': the app's signed-in session, for the service worker to send with. */
  meta: { key: string; value: Session };
}

let dbPromise: Promise<IDBPDatabase<QueueDb>> | null = null;
export const queueDb = (): Promise<IDBPDatabase<QueueDb>> =>
  (dbPromise ??= openDB<QueueDb>('gridline-rider', 2, {
    upgrade(database, oldVersion) {
      if (oldVersion < 1) database.createObjectStore('reports', { keyPath: 'id' }).createIndex('byUser', 'userId');
      if (oldVersion < 2) database.createObjectStore('meta');
    },
  }));

/** The tabs and the service worker tell each other that the queue changed. */
export const QUEUE_CHANNEL = 'gridline-queue';
/** The Background Sync tag and the lock that keeps sending to one report at a time. */
export const QUEUE_TAG = 'gridline-queue';

export const newKey = (): string => (typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`);

/** Keep (or, signed out, drop) the copy of the session the service worker sends with. */
export async function rememberSession(session: Session | null): Promise<void> {
  const database = await queueDb();
  if (session) await database.put('meta', session, 'session');
  else await database.delete('meta', 'session');
}

/** The app's session, as last kept, while it has not expired. */
export async function rememberedSession(): Promise<Session | null> {
  const session = await (await queueDb()).get('meta', 'session');
  return session && Date.parse(session.expiresAt) > Date.now() ? session : null;
}

export async function queuedOf(userId: string): Promise<QueuedReport[]> {
  return (await queueDb()).getAllFromIndex('reports', 'byUser', userId);
}

/**
 * Run `work` holding the queue's lock: every read-then-write of a queued report goes through it, so the
 * app's tabs and its service worker never write over each other's news (a report marked sent while
 * another read it as pending).
 */
export async function underQueueLock<T>(work: () => Promise<T>): Promise<T> {
  return navigator.locks ? await navigator.locks.request(QUEUE_TAG, work) : await work();
}

/** The report as the server takes it: multipart, the JSON in `report`, the files beside it. */
export function reportRequest(item: QueuedReport): FormData {
  const f = item.form;
  const report: Record<string, unknown> = {
    categoryId: f.categoryId,
    lat: f.lat,
    lon: f.lon,
    coord_sys: f.coordSys,
    channel: 'app',
    clientKey: item.id,
  };
  if (f.description.trim()) report.description = f.description.trim();
  if (f.address.trim()) report.address = f.address.trim();
  if (f.emergency) report.urgency = 'emergency';
  if (f.duplicateOf) report.duplicateOf = f.duplicateOf;
  // Videos already uploaded resumably go by their media id; the rest travel in the form.
  const uploaded = item.files.flatMap((file) => (file.upload?.mediaId ? [file.upload.mediaId] : []));
  if (uploaded.length) report.media = uploaded;
  const form = new FormData();
  form.append('report', JSON.stringify(report));
  item.files.forEach((file, i) => !file.upload?.mediaId && form.append(`file${i}`, file.blob, file.name));
  return form;
}

/** Worth trying again later: no answer, the server's own trouble, or too many requests. */
const transient = (error: unknown) => !(error instanceof ApiError) || error.offline || error.status >= 500 || error.status === 429 || error.status === 408;

/**
 * How long to wait before the next try. No answer at all costs nothing to retry (and a phone does not
 * always say when its signal is back: navigator.onLine can stay true offline), so it is tried again soon,
 * 4 s doubling to a minute; the server's own trouble waits longer, 10 s doubling to five minutes.
 */
const backoffMs = (attempts: number, offline: boolean) => (offline ? Math.min(60_000, 2_000 * 2 ** Math.min(attempts, 5)) : Math.min(5 * 60_000, 5_000 * 2 ** Math.min(attempts, 6)));

/** What a round of sending left: when to try again (null: nothing waits), and whether the session was refused. */
export interface SendOutcome {
  retryInMs: number | null;
  unauthorized: boolean;
}

/**
 * Send every due report of the session's rider, oldest first, one at a time (under the queue's lock, so a
 * tab and the service worker never send the same report together). `changed` is told after each update.
 * `now`: the network is back, so what waited for it goes now, not at its backed-off time.
 */
export function sendDue(session: Session, changed: () => Promise<void>, options: { now?: boolean } = {}): Promise<SendOutcome> {
  return underQueueLock(async () => {
    if (options.now) {
      const database = await queueDb();
      for (const item of await queuedOf(session.user.id)) if (item.status === 'pending' && item.nextAttemptAt > Date.now()) await database.put('reports', { ...item, nextAttemptAt: 0 });
    }
    return sendEach(session, changed);
  });
}

async function sendEach(session: Session, changed: () => Promise<void>): Promise<SendOutcome> {
  const database = await queueDb();
  const put = async (item: QueuedReport) => {
    await database.put('reports', { ...item, updatedAt: new Date().toISOString() });
    await changed();
  };
  for (;;) {
    const items = await queuedOf(session.user.id);
    // Holding the lock, a report still marked sending is one whose tab or phone died on the way: its key makes sending it again safe.
    const due = items.filter((i) => (i.status === 'pending' && i.nextAttemptAt <= Date.now()) || i.status === 'sending').sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0];
    if (!due) {
      const waiting = items.filter((i) => i.status === 'pending').map((i) => i.nextAttemptAt - Date.now());
      return { retryInMs: waiting.length ? Math.max(0, Math.min(...waiting)) : null, unauthorized: false };
    }
    let current: QueuedReport = { ...due, status: 'sending', attempts: due.attempts + 1 };
    await put(current);
    try {
      // Large videos first, resumably; what each upload reached is kept, so the next try goes on from there.
      for (let i = 0; i < current.files.length; i++) {
        const file = current.files[i]!;
        if (file.kind !== 'video' || file.blob.size <= RESUMABLE_ABOVE || file.upload?.mediaId) continue;
        await uploadResumable(file.blob, file.name, file.upload ?? { url: null, mediaId: null }, session, async (upload, sent) => {
          current = { ...current, files: current.files.map((f, j) => (j === i ? { ...f, upload, sent } : f)) };
          await put(current);
        });
      }
      const view = await call<{ id: string; ref: string }>('/reports', { form: reportRequest(current), headers: { 'idempotency-key': due.id }, session });
      // The server has the media now: the phone keeps only what the list shows.
      await put({ ...current, status: 'sent', files: [], error: null, caseId: view.id, caseRef: view.ref });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        await put({ ...current, status: 'pending', error: { status: 401, code: error.code, message: error.message } });
        return { retryInMs: null, unauthorized: true };
      }
      if (transient(error)) {
        const e = error instanceof ApiError ? error : new ApiError(0, 'offline', String(error));
        const waitMs = e.retryAfterS ? e.retryAfterS * 1000 : backoffMs(current.attempts, e.offline);
        await put({ ...current, status: 'pending', nextAttemptAt: Date.now() + waitMs, error: e.offline ? null : { status: e.status, code: e.code, message: e.message } });
        return { retryInMs: waitMs, unauthorized: false };
      }
      const e = error as ApiError;
      await put({ ...current, status: 'failed', error: { status: e.status, code: e.code, message: e.message, ...(e.field ? { field: e.field } : {}) } });
    }
  }
}
