// The API's JSON answers, compressed for the client that says it can read them (Accept-Encoding). Riders
// are on slow, metered signal: a list of categories or cases shrinks to a fifth. Only whole answers the
// server has already serialized are compressed (bounded work: no larger than the answer itself), never a
// stream (the live event stream, media downloads), and never what is already compressed (photos, video,
// the browser app's files, which carry their own .br/.gz copies: web.ts).

import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { FastifyInstance } from 'fastify';

/** Below this an answer goes as it is: compressing it would save less than a packet. */
const THRESHOLD = 1024;
const COMPRESSIBLE = /^application\/(?:[\w.+-]*\+)?json\b/;

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

type Encoding = 'br' | 'gzip';

/**
 * The encoding to answer in, of those at hand: brotli where the client takes it (browsers do over https),
 * else gzip; null for the bytes as they are.
 */
export function negotiateEncoding(header: string | undefined, available: { br: boolean; gzip: boolean } = { br: true, gzip: true }): Encoding | null {
  if (!header) return null;
  const accepted = new Map<string, number>();
  for (const part of header.split(',').slice(0, 20)) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q ? Number(q.slice(2)) : 1;
    if (name) accepted.set(name, Number.isFinite(weight) ? weight : 0);
  }
  const weight = (name: Encoding) => accepted.get(name) ?? accepted.get('*') ?? 0;
  const br = available.br ? weight('br') : 0;
  const gzip = available.gzip ? weight('gzip') : 0;
  if (br > 0 && br >= gzip) return 'br';
  if (gzip > 0) return 'gzip';
  return null;
}

export function registerCompression(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    if (reply.hasHeader('content-encoding')) return payload;
    const type = String(reply.getHeader('content-type') ?? '');
    if (!COMPRESSIBLE.test(type)) return payload;
    // Whatever the size, the answer depends on Accept-Encoding: caches must know.
    reply.header('vary', appendVary(reply.getHeader('vary'), 'Accept-Encoding'));
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    if (body.length < THRESHOLD) return payload;
    const encoding = negotiateEncoding(request.headers['accept-encoding']);
    if (!encoding) return payload;
    const compressed =
      encoding === 'br'
        ? await brotli(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length } })
        : await gzip(body, { level: 6 });
    reply.header('content-encoding', encoding);
    reply.header('content-length', compressed.length);
    return compressed;
  });
}

function appendVary(current: unknown, name: string): string {
  const list = current === undefined ? [] : String(current).split(',').map((v) => v.trim()).filter(Boolean);
  return list.some((v) => v.toLowerCase() === name.toLowerCase() || v === '*') ? list.join(', ') : [...list, name].join(', ');
}
