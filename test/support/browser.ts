// A real Chromium for the browser tests, on a fresh machine after `npm install`: the system's Chromium if
// there is one (CHROMIUM_PATH, or Debian's /usr/bin/chromium), otherwise the one inside the
// @sparticuz/chromium package (unpacked to /tmp on first use). Never a download.
//
// The machine has no Chinese font; a rider's phone does (Android's is Noto Sans CJK). cjkFont() gives the
// test's pages Noto Sans SC from @fontsource/noto-sans-sc (a dev dependency), the way a phone would have
// it installed: the app's CSS is unchanged and names the font among the phone fonts it may find.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { chromium as playwright, type Browser, type BrowserContext, type BrowserContextOptions } from 'playwright-core';
import type { FastifyInstance } from 'fastify';

const require = createRequire(import.meta.url);

/**
 * The Chromium flags for a closed network: no background connections, no first-run, no sandbox (root); and a
 * fake microphone (a tone) that needs no permission prompt, for the voice notes.
 */
const FLAGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--no-zygote', '--disable-dev-shm-usage'];

export async function chromiumPath(): Promise<string> {
  for (const candidate of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  const { default: packaged } = await import('@sparticuz/chromium');
  return packaged.executablePath();
}

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** A fresh Chromium (playwright gives each launch its own empty profile). */
export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await playwright.launch({ executablePath: await chromiumPath(), headless: true, args: FLAGS });
  return { browser, close: () => browser.close() };
}

/**
 * A Chromium with a profile on disk, for what Chromium keeps from private (incognito) windows, as every
 * context of launchBrowser() is one: Background Sync. The profile goes when it closes.
 */
export async function launchPersistent(options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'gridline-chromium-'));
  const context = await playwright.launchPersistentContext(profile, { ...options, executablePath: await chromiumPath(), headless: true, args: FLAGS });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const FONT_DIR = join(require.resolve('@fontsource/noto-sans-sc/package.json'), '..');

/** Noto Sans SC for the context's pages, as if the phone had it: @font-face rules served from the package. */
export async function cjkFont(context: BrowserContext): Promise<void> {
  const css = readFileSync(join(FONT_DIR, '400.css'), 'utf8').replace(/url\(\.\/files\//g, 'url(/__phone-fonts/');
  await context.route('**/__phone-fonts/**', async (route) => {
    const name = new URL(route.request().url()).pathname.split('/').pop() ?? '';
    if (!/^[\w.-]+\.woff2?$/.test(name)) return route.fulfill({ status: 404 });
    return route.fulfill({ status: 200, contentType: name.endsWith('.woff2') ? 'font/woff2' : 'font/woff', body: readFileSync(join(FONT_DIR, 'files', name)) });
  });
  // A script string, not a function: the test runner's transpiler would put its helpers into a function's source.
  await context.addInitScript(`(() => {
    const add = () => { const style = document.createElement('style'); style.dataset.phoneFonts = ''; style.textContent = ${JSON.stringify(css)}; document.head.append(style); };
    if (document.head) add(); else document.addEventListener('DOMContentLoaded', add, { once: true });
  })();`);
}

/** The app on a real port (the browser needs one), on 127.0.0.1: a secure context for the service worker. */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}
