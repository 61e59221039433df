// The rider's service worker, built on its own into one classic script at /rider/sw.js (its scope is
// /rider/) by web/build/plugins.ts, which fills in the shell's files and their version. It
//  - precaches the rider's shell only and answers every navigation under /rider/ with the cached page, so
//    the app opens without signal;
//  - keeps each hashed asset it fetched (the other screens, the Tibetan font) for next time;
//  - never caches the API: reports, photos and personal data stay in the app's IndexedDB or on the server;
//  - sends the reports waiting in the queue when the phone's network returns, even with the app closed
//    (Background Sync: the app asks for it when it queues a report), with the same code and the same
//    idempotency keys as the app (outbox.ts), one at a time under the same lock.

import { QUEUE_CHANNEL, QUEUE_TAG, rememberedSession, sendDue } from './outbox.js';

declare const __SW_VERSION__: string;
declare const __SW_SHELL__: string[];

// The service-worker events, as far as this worker uses them (the app's TypeScript is typed for pages).
interface LifecycleEvent extends Event {
  waitUntil(work: Promise<unknown>): void;
}
interface FetchRequestEvent extends LifecycleEvent {
  readonly request: Request;
  respondWith(answer: Response | Promise<Response>): void;
}
interface SyncRequestEvent extends LifecycleEvent {
  readonly tag: string;
  /** The browser's last try for this sync: after it, the app sends what is left when next open. */
  readonly lastChance: boolean;
}
interface Scope {
  readonly location: Location;
  readonly clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (event: LifecycleEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchRequestEvent) => void): void;
  addEventListener(type: 'sync', listener: (event: SyncRequestEvent) => void): void;
}

const worker = self as unknown as Scope;
const SHELL = __SW_SHELL__;
const CACHE = `gridline-rider-${__SW_VERSION__}`;

worker.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => worker.skipWaiting()),
  );
});

worker.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('gridline-rider-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => worker.clients.claim()),
  );
});

worker.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== worker.location.origin || url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate' && url.pathname.startsWith('/rider/')) {
    event.respondWith(caches.match('/rider/', { cacheName: CACHE }).then((hit) => hit ?? fetch(request)));
    return;
  }
  if (url.pathname.startsWith('/assets/') || SHELL.includes(url.pathname)) {
    event.respondWith(
      caches.open(CACHE).then(async (cache) => {
        const hit = await cache.match(request);
        if (hit) return hit;
        const answer = await fetch(request);
        if (answer.ok && url.pathname.startsWith('/assets/')) await cache.put(request, answer.clone());
        return answer;
      }),
    );
  }
});

worker.addEventListener('sync', (event) => {
  if (event.tag === QUEUE_TAG) event.waitUntil(sendWaiting(event.lastChance));
});

/** Send the signed-in rider's waiting reports; open tabs are told of each change (queue.ts listens). */
async function sendWaiting(lastChance: boolean): Promise<void> {
  const session = await rememberedSession();
  if (!session) return;
  const channel = new BroadcastChannel(QUEUE_CHANNEL);
  try {
    const outcome = await sendDue(session, async () => channel.postMessage('changed'), { now: true });
    // Some still wait (no signal after all, or the server's own trouble): failing the sync has the browser
    // try it again later, with its own backoff.
    if (outcome.retryInMs !== null && !outcome.unauthorized && !lastChance) throw new Error('reports are still waiting to be sent');
  } finally {
    channel.close();
  }
}
