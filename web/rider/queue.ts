// The offline queue: every report the rider makes is first written to IndexedDB (with its photos, video
// or voice note as Blobs and an idempotency key), then sent. It survives closing the app and rebooting
// the phone; it is sent when the network returns, when the app opens or comes to the foreground, and on a
// backing-off timer in between. Statuses:
//   draft    kept on the phone, not to be sent yet (the rider may keep several)
//   pending  waiting for a network (or for the server, after a 5xx or 429)
//   sending  on its way (one at a time, across tabs too: navigator.locks)
//   sent     the server has it: the case's ref is shown, and the media are dropped from the phone
//   failed   the server refused it (a 4xx, with its code and field): the rider edits it and sends again
// A retry of the same report carries the same Idempotency-Key, so a report whose answer was lost on the
// way back is never filed twice: the server answers the case it already made.

import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { ref } from 'vue';
import { ApiError, call, loadSession } from '../shared/api.js';
import { onReconnect } from './network.js';
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
}

let dbPromise: Promise<IDBPDatabase<QueueDb>> | null = null;
const db = () =>
  (dbPromise ??= openDB<QueueDb>('gridline-rider', 1, {
    upgrade(database) {
      database.createObjectStore('reports', { keyPath: 'id' }).createIndex('byUser', 'userId');
    },
  }));

/** The signed-in rider's queue, newest first; the screens watch it. */
export const queueItems = ref<QueuedReport[]>([]);
export const queueCounts = ref<Record<QueueStatus, number>>({ draft: 0, pending: 0, sending: 0, sent: 0, failed: 0 });

const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('gridline-queue') : null;

export async function refreshQueue(): Promise<void> {
  const session = loadSession();
  const items = session ? await (await db()).getAllFromIndex('reports', 'byUser', session.user.id) : [];
  items.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  queueItems.value = items;
  const counts: Record<QueueStatus, number> = { draft: 0, pending: 0, sending: 0, sent: 0, failed: 0 };
  for (const item of items) counts[item.status] += 1;
  queueCounts.value = counts;
}

/** The screens (this tab's and the others') read the queue again. */
async function changed(): Promise<void> {
  await refreshQueue();
  channel?.postMessage('changed');
}

async function put(item: QueuedReport): Promise<void> {
  await (await db()).put('reports', { ...item, updatedAt: new Date().toISOString() });
  await changed();
}

export async function getQueued(id: string): Promise<QueuedReport | undefined> {
  return (await db()).get('reports', id);
}

export const newKey = (): string => (typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`);

/** Keep a report (new or edited): as a draft, or to be sent now. An edited failed report gets a new key: it is a new request. */
export async function saveReport(input: { id?: string; form: ReportForm; files: QueuedFile[]; send: boolean }): Promise<QueuedReport> {
  const session = loadSession();
  if (!session) throw new ApiError(401, 'unauthenticated', 'Sign in first.');
  const earlier = input.id ? await getQueued(input.id) : undefined;
  const now = new Date().toISOString();
  // A report the server refused comes back edited: its old key named a refused request, so a new key.
  const id = !earlier || earlier.status === 'failed' ? newKey() : earlier.id;
  if (earlier && earlier.id !== id) await (await db()).delete('reports', earlier.id);
  const item: QueuedReport = {
    id,
    userId: session.user.id,
    status: input.send ? 'pending' : 'draft',
    form: { ...input.form },
    files: input.files.map((f) => ({ ...f })),
    createdAt: earlier?.createdAt ?? now,
    updatedAt: now,
    attempts: 0,
    nextAttemptAt: 0,
    error: null,
    caseId: null,
    caseRef: null,
  };
  await put(item);
  if (input.send) void flushQueue();
  return item;
}

/** Drop a draft or a failed report (the rider's own choice; a sent one just leaves the list). */
export async function removeQueued(id: string): Promise<void> {
  await (await db()).delete('reports', id);
  await changed();
}

/** Send a failed or waiting report again now. */
export async function retryQueued(id: string): Promise<void> {
  const item = await getQueued(id);
  if (!item || item.status === 'sent' || item.status === 'sending') return;
  await put({ ...item, status: 'pending', nextAttemptAt: 0, error: null });
  void flushQueue();
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

let flushing: Promise<void> | null = null;

/** Send every pending report that is due, one at a time. */
export function flushQueue(): Promise<void> {
  flushing ??= (async () => {
    try {
      const run = () => sendDue();
      if (navigator.locks) await navigator.locks.request('gridline-queue', run);
      else await run();
    } finally {
      flushing = null;
    }
  })();
  return flushing;
}

async function sendDue(): Promise<void> {
  const session = loadSession();
  if (!session) return;
  const database = await db();
  for (;;) {
    const items = await database.getAllFromIndex('reports', 'byUser', session.user.id);
    // Holding the lock, a report still marked sending is one whose tab or phone died on the way: its key makes sending it again safe.
    const due = items.filter((i) => (i.status === 'pending' && i.nextAttemptAt <= Date.now()) || i.status === 'sending').sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0];
    if (!due) return;
    let current: QueuedReport = { ...due, status: 'sending', attempts: due.attempts + 1 };
    await put(current);
    try {
      // Large videos first, resumably; what each upload reached is kept, so the next try goes on from there.
      for (let i = 0; i < current.files.length; i++) {
        const file = current.files[i]!;
        if (file.kind !== 'video' || file.blob.size <= RESUMABLE_ABOVE || file.upload?.mediaId) continue;
        await uploadResumable(file.blob, file.name, file.upload ?? { url: null, mediaId: null }, async (upload, sent) => {
          current = { ...current, files: current.files.map((f, j) => (j === i ? { ...f, upload, sent } : f)) };
          await put(current);
        });
      }
      const uploadedDue = current;
      const view = await call<{ id: string; ref: string }>('/reports', { form: reportRequest(uploadedDue), headers: { 'idempotency-key': due.id } });
      // The server has the media now: the phone keeps only what the list shows.
      await put({ ...current, status: 'sent', files: [], error: null, caseId: view.id, caseRef: view.ref });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        await put({ ...current, status: 'pending', error: { status: 401, code: error.code, message: error.message } });
        return;
      }
      if (transient(error)) {
        const e = error instanceof ApiError ? error : new ApiError(0, 'offline', String(error));
        const waitMs = e.retryAfterS ? e.retryAfterS * 1000 : backoffMs(current.attempts, e.offline);
        await put({ ...current, status: 'pending', nextAttemptAt: Date.now() + waitMs, error: e.offline ? null : { status: e.status, code: e.code, message: e.message } });
        scheduleFlush(waitMs);
        return;
      }
      const e = error as ApiError;
      await put({ ...current, status: 'failed', error: { status: e.status, code: e.code, message: e.message, ...(e.field ? { field: e.field } : {}) } });
    }
  }
}

let timer: ReturnType<typeof setTimeout> | null = null;
function scheduleFlush(ms: number): void {
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => {
    timer = null;
    void flushQueue();
  }, ms);
}

let started = false;
/** Load the queue and send what waits: now, when the network returns, when the app comes back to the front. */
export function startQueue(): void {
  if (started) return;
  started = true;
  const kick = () => {
    // The network is back: what waited for it goes now, not at its backed-off time.
    void (async () => {
      const database = await db();
      const session = loadSession();
      if (session) {
        for (const item of await database.getAllFromIndex('reports', 'byUser', session.user.id)) {
          if (item.status === 'pending' && item.nextAttemptAt > Date.now()) await database.put('reports', { ...item, nextAttemptAt: 0 });
        }
      }
      await refreshQueue();
      await flushQueue();
    })();
  };
  channel?.addEventListener('message', () => void refreshQueue());
  onReconnect(kick);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && kick());
  setInterval(() => void flushQueue(), 30_000);
  kick();
}
