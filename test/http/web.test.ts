// The browser app as the server hands it out: the rider's pages (any address under /rider/ is the app),
// its hashed files cached for good and compressed ahead of time, the service worker and the pages under
// the app's own CSP, and nothing outside the build reachable. Needs the build (`npm run build:web`;
// `npm test` runs it first).

import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { DEFAULT_WEB_ROOT, inlineScriptHashes, tileOrigin } from '../../src/http/web.js';
import { DIALECTS } from '../support/db.js';
import { buildWorld, type World } from '../support/world.js';

const built = existsSync(join(DEFAULT_WEB_ROOT, 'rider', 'index.html'));

describe('the browser app, served', () => {
  let world: World;
  let entry: string;

  beforeAll(async () => {
    if (!built) throw new Error(`No build in ${DEFAULT_WEB_ROOT}: run \`npm run build:web\` first (npm test does).`);
    world = await buildWorld(DIALECTS[0]!);
    entry = /src="(\/assets\/rider-[\w-]+\.js)"/.exec(readFileSync(join(DEFAULT_WEB_ROOT, 'rider', 'index.html'), 'utf8'))![1]!;
  });
  afterAll(async () => world?.close());

  const get = (url: string, headers: Record<string, string> = {}) => world.app.inject({ method: 'GET', url, headers });

  it('answers every address under /rider/ with the app, under its own CSP and never cached stale', async () => {
    for (const url of ['/rider/', '/rider/signin', '/rider/reports/01HX?x=1', '/rider/inbox']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toContain(entry);
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("'unsafe-eval'");
    }
    const bare = await get('/rider');
    expect(bare.statusCode).toBe(302);
    expect(bare.headers.location).toBe('/rider/');
  });

  it('serves hashed files for a year, as brotli or gzip bytes made at build time, or plain', async () => {
    const plain = await get(entry);
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-encoding']).toBeUndefined();
    const br = await get(entry, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toBe('accept-encoding');
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(plain.body);
    expect(br.rawPayload.length).toBeLessThan(plain.rawPayload.length / 2);
    const gz = await get(entry, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(plain.body);
  });

  it('serves the manifest, the icons and the service worker, whose scope is the rider app and whose CSP lets it fetch the app', async () => {
    const manifest = await get('/rider/manifest.webmanifest');
    expect(manifest.headers['content-type']).toBe('application/manifest+json; charset=utf-8');
    const m = manifest.json<{ start_url: string; scope: string; display: string; icons: { src: string; sizes: string }[] }>();
    expect(m).toMatchObject({ start_url: '/rider/', scope: '/rider/', display: 'standalone' });
    for (const icon of m.icons) {
      const res = await get(icon.src);
      expect(res.headers['content-type']).toBe('image/png');
      expect(res.rawPayload.subarray(1, 4).toString()).toBe('PNG');
    }
    const sw = await get('/rider/sw.js');
    expect(sw.statusCode).toBe(200);
    expect(sw.headers['cache-control']).toBe('no-cache');
    expect(String(sw.headers['content-security-policy'])).toContain("connect-src 'self'");
    // Its precache list is the rider's shell: the entry and what it loads statically, not the lazily loaded screens.
    // (The worker is minified: its list is the array that starts with the page.)
    const shell = /\[([`"']\/rider\/[`"'][^\]]*)\]/.exec(sw.body)![1]!.split(',').map((f) => f.slice(1, -1));
    expect(shell).toContain('/rider/');
    expect(shell).toContain(entry);
    expect(shell.some((f) => /ReportsView|InboxView|MeView|CaseView/.test(f))).toBe(false);
    // ...and what the report screen loads after its first paint: a rider offline from the first visit on
    // still gets the map, the toast and a switch of language. One missing file and the worker never installs.
    for (const part of [/\/assets\/MapPicker-[\w-]+\.js$/, /\/assets\/toast-[\w-]+\.js$/, /\/assets\/en-[\w-]+\.js$/, /\/assets\/bo-[\w-]+\.js$/]) expect(shell.some((f) => part.test(f)), String(part)).toBe(true);
    for (const file of shell) expect((await get(file)).statusCode, file).toBe(200);
  });

  it("allows the page's one inline script by its hash, and the script fills in where the languages are", async () => {
    const page = await get('/rider/');
    const script = /<script>([\s\S]*?)<\/script>/.exec(page.body)![1]!;
    expect(String(page.headers['content-security-policy'])).toContain(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(inlineScriptHashes(page.body)).toHaveLength(1);
    const languages = JSON.parse(/var languages = (\{[^}]*\})/.exec(script)![1]!) as Record<string, string>;
    expect(Object.keys(languages).sort()).toEqual(['bo', 'en']);
    for (const file of Object.values(languages)) expect((await get(file)).statusCode).toBe(200);
    // No other page or file gets a script hash it does not carry.
    expect(String((await get('/rider/sw.js')).headers['content-security-policy'])).not.toContain('sha256-');
  });

  it('refuses what is not in the build: 404 in the error format, nothing outside it readable', async () => {
    for (const url of ['/assets/nope.js', '/assets/../package.json', '/assets/%2e%2e/%2e%2e/package.json', '/rider/../../package.json', '/rider/nope.js', '/rider/sw.js.br', '/assets/x.js.gz']) {
      const res = await get(url);
      expect(res.statusCode, url).toBeGreaterThanOrEqual(300);
      expect(res.statusCode, url).toBeLessThan(500);
      expect(res.body, url).not.toContain('"name": "gridline"');
    }
    const missing = await get('/assets/nope.js');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'not_found' } });
    expect((await world.app.inject({ method: 'POST', url: '/rider/', payload: {} })).statusCode).toBe(404);
  });

  it('says how to build the app when the build is missing, instead of failing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'gridline-noweb-'));
    const app = await buildApp({ database: world.database, services: world.services, web: { root: empty } });
    try {
      const res = await app.inject({ method: 'GET', url: '/rider/' });
      expect(res.statusCode).toBe(503);
      expect(res.body).toContain('npm run build:web');
      expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(200);
    } finally {
      await app.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('tells the app of no tile server by default, and of a configured one with its origin allowed in the CSP', async () => {
    const none = await get('/rider/config.json');
    expect(none.statusCode).toBe(200);
    expect(none.json()).toEqual({ tiles: null });
    const tiles = { url: 'https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}', coordSys: 'gcj02' as const, attribution: '© 高德地图', maxZoom: 18 };
    const app = await buildApp({ database: world.database, services: world.services, web: { tiles } });
    try {
      expect((await app.inject({ method: 'GET', url: '/rider/config.json' })).json()).toEqual({ tiles });
      const page = await app.inject({ method: 'GET', url: '/rider/' });
      expect(String(page.headers['content-security-policy'])).toContain("img-src 'self' blob: data: https://*.is.autonavi.com");
    } finally {
      await app.close();
    }
    expect(() => tileOrigin('ftp://tiles.example/{z}/{x}/{y}.png')).toThrow(/http/);
    expect(tileOrigin('https://tile.openstreetmap.org/{z}/{x}/{y}.png')).toBe('https://tile.openstreetmap.org');
    expect(() => tileOrigin("https://a.example';script-src *;/{z}")).toThrow();
  });

  it('keeps the rider entry under its JavaScript budget (150 KB gzipped), as the build measured it', () => {
    const sizes = JSON.parse(readFileSync(join(DEFAULT_WEB_ROOT, 'sizes.json'), 'utf8')) as Record<string, { jsGzipBytes: number; limit: number | null; files: string[] }>;
    expect(sizes.rider!.limit).toBe(150 * 1024);
    expect(sizes.rider!.files.map((f) => `/${f}`)).toContain(entry);
    expect(sizes.rider!.jsGzipBytes).toBeGreaterThan(10 * 1024);
    expect(sizes.rider!.jsGzipBytes).toBeLessThanOrEqual(sizes.rider!.limit!);
  });
});
