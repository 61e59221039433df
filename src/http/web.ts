// The browser app, served by the Gridline server itself: the build in dist/web (web/, `npm run build:web`)
// at /rider/ (the riders' PWA: any path under it is the app's own page, so a reload or a link to a screen
// works), its hashed files at /assets/, and at / a short page that says what is where.
//
// The files are listed once when the server starts (a map from address to file), so a request never
// touches the disk for a path that is not in the build and no `..` can reach outside it. Each text file
// has a .br and a .gz beside it (web/build/plugins.ts): the server answers those bytes as they are, by
// the request's Accept-Encoding, without compressing anything per request. Hashed files are cached for a
// year; the pages, the manifest and the service worker are revalidated every time, so an update reaches
// riders at their next visit.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { negotiateEncoding } from './compression.js';

/** dist/web beside dist/http (and beside src/http when the server runs from source). */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

interface WebFile {
  path: string;
  type: string;
  br: boolean;
  gz: boolean;
  /** Content-hashed (under /assets/): never changes at this address. */
  immutable: boolean;
  /** A page's inline scripts, by their CSP hashes ('sha256-…'): the only inline code its policy allows. */
  scriptHashes: string[];
}

/** The CSP hash of every inline <script> of a page (one with a src is allowed as 'self' instead). */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (/\bsrc\s*=/i.test(match[1]!) || match[2]!.length === 0) continue;
    hashes.push(`'sha256-${createHash('sha256').update(match[2]!).digest('base64')}'`);
  }
  return hashes;
}

/** Every file of the build by its address ('/rider/sw.js', '/assets/rider-1a2b.js'), compressed copies aside. */
export function listWebFiles(root: string): Map<string, WebFile> {
  const files = new Map<string, WebFile>();
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!/\.(br|gz)$/.test(name) && TYPES[extname(name)]) {
        const address = `/${relative(root, path).split(sep).join('/')}`;
        const has = (suffix: string) => {
          try {
            return statSync(`${path}${suffix}`).isFile();
          } catch {
            return false;
          }
        };
        const type = TYPES[extname(name)]!;
        const scriptHashes = type.startsWith('text/html') ? inlineScriptHashes(readFileSync(path, 'utf8')) : [];
        files.set(address, { path, type, br: has('.br'), gz: has('.gz'), immutable: address.startsWith('/assets/'), scriptHashes });
      }
    }
  };
  walk(root);
  return files;
}

/** A tile server for the rider's map (MAP_TILE_URL and friends); without one the map draws the polygons alone. */
export interface TileOptions {
  /** A Leaflet URL template: {z}/{x}/{y}, and {s} for the subdomains 1-4 (Amap's webrd0{s}). */
  url: string;
  coordSys: 'wgs84' | 'gcj02';
  attribution: string;
  maxZoom: number;
}

export interface WebOptions {
  /** The build's folder (default dist/web). */
  root?: string;
  /** The map's tiles, if any: told to the app at /rider/config.json, and their origin allowed in its CSP. */
  tiles?: TileOptions | null;
}

/** The origin a tile template loads from, for the CSP ({s} becomes a wildcard subdomain). */
export function tileOrigin(url: string): string {
  const match = /^(https?:)\/\/([^/?#]+)/i.exec(url);
  if (!match) throw new Error(`MAP_TILE_URL must start with http:// or https:// (got ${JSON.stringify(url.slice(0, 80))})`);
  const host = match[2]!.replace(/^[^.]*\{s\}[^.]*\./, '*.');
  if (/[{}\s;,']/.test(host)) throw new Error(`MAP_TILE_URL's host may hold {s} only as its first label (got ${JSON.stringify(match[2])})`);
  return `${match[1]!.toLowerCase()}//${host}`;
}

/** What the app's pages may load: its own files, photos it made (blob:), the configured map tiles, and the page's own inline scripts by hash. */
export function appCsp(tileOrigins: string[] = [], scriptHashes: string[] = []): string {
  return [
    "default-src 'self'",
    ["script-src 'self'", ...scriptHashes].join(' '),
    // Vant and Leaflet position things with inline styles.
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' blob: data: ${tileOrigins.join(' ')}`.trim(),
    "media-src 'self' blob:",
    // Vant's icon font is inlined as a data: URL.
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function registerWeb(app: FastifyInstance, options: WebOptions = {}): void {
  const root = options.root ?? DEFAULT_WEB_ROOT;
  const files = listWebFiles(root);
  const tiles = options.tiles ?? null;
  const origins = tiles ? [tileOrigin(tiles.url)] : [];
  const riderPage = files.get('/rider/index.html');

  const send = async (request: FastifyRequest, reply: FastifyReply, file: WebFile) => {
    const encoding = negotiateEncoding(request.headers['accept-encoding'], { br: file.br, gzip: file.gz });
    const bytes = await readFile(encoding === 'br' ? `${file.path}.br` : encoding === 'gzip' ? `${file.path}.gz` : file.path);
    if (encoding) reply.header('content-encoding', encoding);
    if (file.br || file.gz) reply.header('vary', 'accept-encoding');
    reply.header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    // Pages and the service worker get the app's policy (a worker's own answer sets what it may fetch);
    // everything else keeps helmet's default-src 'none'.
    if (file.type.startsWith('text/html') || file.path.endsWith('sw.js')) reply.header('content-security-policy', appCsp(origins, file.scriptHashes));
    return reply.type(file.type).send(bytes);
  };

  const notBuilt = (reply: FastifyReply) =>
    reply.status(503).type('text/plain; charset=utf-8').send('The rider app is not built: run `npm run build:web` (npm start does it), then restart the server.\n');

  // Only GET and HEAD: the app's files never take a body.
  const routes = { schema: { hide: true } } as const;
  app.get('/rider', routes, async (_request, reply) => reply.redirect('/rider/'));
  // What the app needs to know of this server's setup: the map's tiles.
  app.get('/rider/config.json', routes, async (_request, reply) => reply.header('cache-control', 'no-cache').send({ tiles }));
  app.get('/rider/*', routes, async (request, reply) => {
    const path = request.url.split('?')[0]!;
    const file = files.get(path);
    if (file) return send(request, reply, file);
    // The app's own screens (/rider/, /rider/reports/…) are its page; the app's router reads the address.
    if (!riderPage) return notBuilt(reply);
    if (extname(path) && !path.endsWith('.html')) return reply.status(404).send({ error: { code: 'not_found', message: 'No such file in the rider app.' } });
    return send(request, reply, riderPage);
  });
  app.get('/assets/*', routes, async (request, reply) => {
    const file = files.get(request.url.split('?')[0]!);
    if (!file) return reply.status(404).send({ error: { code: 'not_found', message: 'No such file: the app may have been updated; reload it.' } });
    return send(request, reply, file);
  });
  app.get('/', routes, async (_request, reply) => reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'").type('text/html; charset=utf-8').send(LANDING));
}

const LANDING = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gridline · 纳金随手拍</title>
<style>
body { font: 16px/1.6 system-ui, -apple-system, "PingFang SC", "Noto Sans SC", "Noto Sans CJK SC", sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { color: #c8102e; margin-bottom: 0; }
a { color: #c8102e; font-weight: 600; }
li { margin: .6rem 0; }
</style>
</head>
<body>
<h1>Gridline</h1>
<p>随手拍、随手报：骑手和快递小哥发现街面问题，拍照上报，网格派单，限时办结，结果回告。<br>
Riders and couriers report street-level problems; each case is located to its grid, sent to the department that owns it, handled against per-stage time limits, and the result goes back to the rider.</p>
<ul>
<li><a href="/rider/">/rider/</a> — 骑手随手拍（手机打开，可添加到主屏幕，没有网络也能上报）· the riders' app (install it; it works offline)</li>
<li><a href="/docs">/docs</a> — API 文档 · the API (OpenAPI) for staff tools and integrators</li>
<li><a href="/healthz">/healthz</a> — 服务状态 · liveness and database</li>
</ul>
</body>
</html>
`;
