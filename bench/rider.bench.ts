// The rider's cold start on a cheap phone with a weak signal: how long from opening /rider/ until the
// report screen is usable (the camera button and the category grid on screen), on Chrome DevTools' "Slow
// 3G" profile (400 ms round trips, 400 kbit/s each way) with the CPU slowed fourfold, nothing cached and
// no service worker (a first visit, or one after the cache was cleared). Target: under 3 s.
//
// Baseline, same run, same throttling: the server's page at / (a few KB of HTML, nothing else), the least
// any page can cost on that network. Also reported: the same load with the service worker's shell (a
// return visit), and the bytes the cold load moved.
//
// Needs the build (npm run build:web) and a Chromium (test/support/browser.ts). Knobs: BENCH_RIDER_RUNS (5);
// BENCH_RIDER_WATERFALL=1 prints every request of the last cold load (start, first byte, end, bytes), to
// see where the time goes.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { buildApp } from '../src/http/app.js';
import { buildServices } from '../src/compose.js';
import { MemoryMediaStore } from '../src/media/memory.js';
import { seedDemo } from '../src/seed/demo.js';
import { connect, migrate } from '../src/storage/db.js';
import { launchBrowser, listen } from '../test/support/browser.js';
import { runIfMain, type BenchResult } from './routing.bench.js';

const RUNS = Number(process.env.BENCH_RIDER_RUNS ?? 5);
const WATERFALL = process.env.BENCH_RIDER_WATERFALL === '1';
const SLOW_3G = { offline: false, latency: 400, downloadThroughput: 50_000, uploadThroughput: 50_000 };
const CPU_SLOWDOWN = 4;
const TARGET_MS = 3_000;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function run(log: (line: string) => void): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gridline-rider-bench-'));
  const database = connect(path.join(dir, 'rider.sqlite'));
  await migrate(database);
  const mediaStore = new MemoryMediaStore();
  await seedDemo(database, { password: 'bench-password', cases: 0, mediaStore });
  const services = buildServices(database, { mediaStore });
  // The build beside the package (the compiled bench runs from dist-bench/, not beside dist/).
  const app = await buildApp({ database, services, web: { root: path.resolve('dist/web') } });
  const base = await listen(app);
  const chrome = await launchBrowser();
  try {
    // Signed in once, unthrottled: the session the phone keeps.
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'rider01', password: 'bench-password' }) });
    const session = (await login.json()) as { token: string; expiresAt: string; user: Record<string, string> };
    const init = `localStorage.setItem('gridline.session', ${JSON.stringify(JSON.stringify({ ...session, user: { ...session.user, locale: 'zh-CN' } }))});`;

    const landing: number[] = [];
    const cold: number[] = [];
    const warm: number[] = [];
    let coldBytes = 0;
    for (let i = 0; i < RUNS; i++) {
      landing.push((await load(chrome.browser, `${base}/`, 'body h1', init, 'block')).ms);
      const c = await load(chrome.browser, `${base}/rider/`, '.category', init, 'block');
      cold.push(c.ms);
      coldBytes = c.bytes;
      if (WATERFALL && i === RUNS - 1) for (const line of c.waterfall) log(`  ${line}`);
      warm.push((await load(chrome.browser, `${base}/rider/`, '.category', init, 'allow', true)).ms);
    }
    const l = median(landing);
    const c = median(cold);
    const w = median(warm);
    log(`rider: cold load on slow 3G + ${CPU_SLOWDOWN}x CPU, median of ${RUNS}: ${c.toFixed(0)} ms (${(coldBytes / 1024).toFixed(0)} KB moved); landing page ${l.toFixed(0)} ms; with the service worker's shell ${w.toFixed(0)} ms`);
    return [
      { name: 'rider report screen usable, cold, slow 3G (ms)', value: Math.round(c), unit: 'ms', baseline: { name: 'landing page /', value: Math.round(l) }, ratio: c / l, target: `< ${TARGET_MS} ms`, pass: c < TARGET_MS },
      { name: 'rider cold load bytes over the wire (KB)', value: Math.round(coldBytes / 1024), unit: 'KB' },
      { name: 'rider report screen usable, service worker shell, slow 3G (ms)', value: Math.round(w), unit: 'ms', baseline: { name: 'cold', value: Math.round(c) }, ratio: w / c },
    ];
  } finally {
    await chrome.close();
    await app.close();
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** In the page: when `selector` first matches, the time of the next frame (from the navigation's start) in window.__benchSeenAt. */
const seenAt = (selector: string) => `(() => {
  const seen = () => {
    if (!document.querySelector(${JSON.stringify(selector)})) return false;
    requestAnimationFrame(() => (window.__benchSeenAt = performance.now()));
    return true;
  };
  const observer = new MutationObserver(() => seen() && observer.disconnect());
  observer.observe(document, { subtree: true, childList: true });
})();`;

/** One load in a fresh context (nothing cached), throttled, timed from navigation to `ready` on screen. */
async function load(browser: Browser, url: string, ready: string, init: string, serviceWorkers: 'allow' | 'block', primeFirst = false): Promise<{ ms: number; bytes: number; waterfall: string[] }> {
  // A Chinese phone: the rider's language is the app's first.
  const context: BrowserContext = await browser.newContext({ viewport: { width: 360, height: 640 }, locale: 'zh-CN', serviceWorkers });
  try {
    await context.addInitScript(init);
    const page = await context.newPage();
    if (primeFirst) {
      // A return visit: the service worker installed its shell on the first one.
      await page.goto(url);
      await page.waitForSelector(ready);
      await page.waitForFunction(`navigator.serviceWorker.getRegistration('/rider/').then((r) => Boolean(r && r.active))`);
    }
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    if (!primeFirst) await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', SLOW_3G);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
    let bytes = 0;
    const requests = new Map<string, { url: string; sent: number; firstByte?: number; done?: number; bytes?: number }>();
    cdp.on('Network.requestWillBeSent', (event: { requestId: string; timestamp: number; request: { url: string } }) => requests.set(event.requestId, { url: event.request.url, sent: event.timestamp }));
    cdp.on('Network.responseReceived', (event: { requestId: string; timestamp: number }) => { const r = requests.get(event.requestId); if (r) r.firstByte = event.timestamp; });
    cdp.on('Network.loadingFinished', (event: { requestId: string; timestamp: number; encodedDataLength: number }) => {
      bytes += event.encodedDataLength;
      const r = requests.get(event.requestId);
      if (r) Object.assign(r, { done: event.timestamp, bytes: event.encodedDataLength });
    });
    // Timed in the page: from the navigation's start to the first frame painted with `ready` in it (a
    // selector polled from outside would add its own lag under the CPU throttling, a few hundred ms).
    await page.addInitScript(seenAt(ready));
    await page.goto(url, { waitUntil: 'commit' });
    await page.waitForSelector(ready, { timeout: 60_000 });
    const ms = (await (await page.waitForFunction('window.__benchSeenAt', undefined, { timeout: 60_000 })).jsonValue()) as number;
    const all = [...requests.values()];
    const page0 = all.filter((r) => r.url === url);
    const zero = Math.min(...(page0.length > 0 ? page0 : all).map((r) => r.sent));
    const at = (t?: number) => (t === undefined ? '   -' : String(Math.round((t - zero) * 1000)).padStart(5));
    const waterfall = all.map((r) => `${at(r.sent)} ${at(r.firstByte)} ${at(r.done)} ms ${String(Math.round((r.bytes ?? 0) / 1024)).padStart(4)} KB ${r.url.replace(/^https?:\/\/[^/]+/, '')}`);
    return { ms, bytes, waterfall: [`ready at ${Math.round(ms)} ms; requests (sent, first byte, done):`, ...waterfall] };
  } finally {
    await context.close();
  }
}

await runIfMain(import.meta.url, run);
