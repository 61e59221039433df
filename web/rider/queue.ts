// The offline queue as the app shows and drives it (its storage and sending are outbox.ts, shared with the
// service worker). Every report the rider makes is first written to IndexedDB, then sent: now, when the
// network returns, when the app opens or comes to the foreground, on a backing-off timer in between, and,
// with the app closed, by the service worker when the phone's network returns (Background Sync, where the
// browser has it: Chrome and every Android browser built on it).

import { ref } from 'vue';
import { ApiError, loadSession, onSessionChange, saveSession } from '../shared/api.js';
import { onReconnect } from './network.js';
import { newKey, queueDb, queuedOf, QUEUE_CHANNEL, QUEUE_TAG, rememberSession, sendDue, underQueueLock, type QueuedFile, type QueuedReport, type QueueStatus, type ReportForm } from './outbox.js';

export { newKey, type CoordSys, type QueuedFile, type QueuedReport, type QueueStatus, type ReportForm } from './outbox.js';

/** The signed-in rider's queue, newest first; the screens watch it. */
export const queueItems = ref<QueuedReport[]>([]);
export const queueCounts = ref<Record<QueueStatus, number>>({ draft: 0, pending: 0, sending: 0, sent: 0, failed: 0 });

const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(QUEUE_CHANNEL) : null;

export async function refreshQueue(): Promise<void> {
  const session = loadSession();
  const items = session ? await queuedOf(session.user.id) : [];
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
  await (await queueDb()).put('reports', { ...item, updatedAt: new Date().toISOString() });
  await changed();
}

export async function getQueued(id: string): Promise<QueuedReport | undefined> {
  return (await queueDb()).get('reports', id);
}

/** Keep a report (new or edited): as a draft, or to be sent now. An edited failed report gets a new key: it is a new request. */
export async function saveReport(input: { id?: string; form: ReportForm; files: QueuedFile[]; send: boolean }): Promise<QueuedReport> {
  const session = loadSession();
  if (!session) throw new ApiError(401, 'unauthenticated', 'Sign in first.');
  const earlier = input.id ? await getQueued(input.id) : undefined;
  const now = new Date().toISOString();
  // A report the server refused comes back edited: its old key named a refused request, so a new key.
  const id = !earlier || earlier.status === 'failed' ? newKey() : earlier.id;
  if (earlier && earlier.id !== id) await (await queueDb()).delete('reports', earlier.id);
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
  if (input.send) {
    void syncLater();
    void flushQueue();
  }
  return item;
}

/** Drop a draft or a failed report (the rider's own choice; a sent one just leaves the list). */
export async function removeQueued(id: string): Promise<void> {
  await (await queueDb()).delete('reports', id);
  await changed();
}

/** Send a failed or waiting report again now. */
export async function retryQueued(id: string): Promise<void> {
  const retried = await underQueueLock(async () => {
    const item = await getQueued(id);
    if (!item || item.status === 'sent' || item.status === 'sending') return false;
    await put({ ...item, status: 'pending', nextAttemptAt: 0, error: null });
    return true;
  });
  if (!retried) return;
  void syncLater();
  void flushQueue();
}

/**
 * Asks the service worker to send what waits when the phone's network returns, even with the app closed
 * (Background Sync). Where the browser has no such thing the app sends it the next time it is open.
 */
async function syncLater(): Promise<void> {
  try {
    const registration = (await navigator.serviceWorker?.getRegistration('/rider/')) as (ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } }) | undefined;
    await registration?.sync?.register(QUEUE_TAG);
  } catch {
    // Refused (no permission, or a browser without it): the app's own timer and triggers remain.
  }
}

let flushing: Promise<void> | null = null;

/** Send every pending report that is due, one at a time; `now`: the network is back, so without waiting out the backoff. */
export function flushQueue(now = false): Promise<void> {
  // One round at a time; asked to go now while one runs, another follows it.
  if (flushing) return now ? flushing.then(() => flushQueue(true)) : flushing;
  const run = (async () => {
    const session = loadSession();
    if (!session) return;
    const outcome = await sendDue(session, changed, { now });
    // The server no longer knows this sign-in: the rider signs in again, and the report waits for it.
    if (outcome.unauthorized && loadSession()?.token === session.token) saveSession(null);
    if (outcome.retryInMs !== null) scheduleFlush(outcome.retryInMs);
  })();
  // Cleared once settled (not from inside: a run that ends at once would clear it before it is set).
  flushing = run;
  const clear = () => {
    if (flushing === run) flushing = null;
  };
  run.then(clear, clear);
  return run;
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
  // The service worker sends with the app's session: it keeps a copy of every sign-in and sign-out.
  void rememberSession(loadSession());
  onSessionChange((session) => void rememberSession(session));
  const kick = () => {
    void (async () => {
      await refreshQueue();
      if (queueCounts.value.pending > 0) void syncLater();
      await flushQueue(true);
      // Whatever another tab or the service worker did meanwhile, shown now.
      await refreshQueue();
    })();
  };
  channel?.addEventListener('message', () => void refreshQueue());
  onReconnect(kick);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && kick());
  setInterval(() => void flushQueue(), 30_000);
  kick();
}
