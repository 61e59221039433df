// The rider's service worker (generated at build by web/build/plugins.ts: VERSION and SHELL are filled in).
// It precaches the rider's shell only, answers every navigation under /rider/ with the cached page (so the
// app opens without signal), keeps each hashed asset it fetched (lazily loaded screens, the Tibetan font)
// for next time, and never caches the API: reports, photos and personal data stay in the app's IndexedDB
// or on the server.
const VERSION = __VERSION__;
const SHELL = __SHELL__;
const CACHE = `gridline-rider-${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('gridline-rider-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate' && url.pathname.startsWith('/rider/')) {
    event.respondWith(caches.match('/rider/', { cacheName: CACHE }).then((hit) => hit || fetch(request)));
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
