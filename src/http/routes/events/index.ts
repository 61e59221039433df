// Live events (GET /api/v1/events): a Server-Sent Events stream of the case events the signed-in user may
// see (services/notify/live.ts decides who sees what), resumable with Last-Event-ID after a reconnect.
//
// The stream is written straight to the socket (reply.hijack()): Fastify's onSend hooks and serializer
// do not run, so the headers a proxy and a browser need are set here (no caching, no transforming, no
// buffering behind nginx, nosniff; helmet's headers were already set on the socket in onRequest). Nothing
// is buffered per client beyond a bound: a client that cannot keep up is dropped and reconnects.
//
// EventSource cannot send headers, so this route (and only this one) also takes the token as
// ?access_token=. That query parameter never reaches the request log: the route's request serializer
// writes the URL with it masked.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { invalid } from '../../../domain/errors.js';
import type { Services } from '../../../services/index.js';
import type { LiveMessage } from '../../../services/notify/live.js';
import { authenticated, principalOf } from '../../auth.js';
import { EventsHeaders, EventsQuery, EventStreamAnswer } from './schema.js';

type StopReason = 'gone' | 'slow' | 'closing' | 'expired';

/** Query parameters whose values never reach a log line (their names, percent-decoded, contain "token"). */
const SECRET_PARAM = /token/i;

/** The URL with any token in its query string masked: what the request log may show. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const pairs = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // Not valid %-escapes: judge the name as written.
      }
      return SECRET_PARAM.test(name) && eq >= 0 ? `${rawName}=[redacted]` : pair;
    });
  return `${url.slice(0, q)}?${pairs.join('&')}`;
}

/** Fastify's request serializer (logger-pino.js asReqValue) with the URL redacted. */
const redactedRequest = (req: FastifyRequest) => ({
  method: req.method,
  url: redactUrl(req.url),
  version: req.headers['accept-version'],
  host: req.host,
  remoteAddress: req.ip,
  remotePort: req.socket?.remotePort,
});

/** Where to resume: Last-Event-ID, else ?lastEventId=; a value that is not an event number is a 400 before the stream opens. */
function resumeFrom(header: string | string[] | undefined, query: string | undefined): number | undefined {
  const value = typeof header === 'string' && header !== '' ? header : query;
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,15}$/.test(value)) {
    throw invalid('lastEventId', 'Last-Event-ID must be the number of an event this stream sent you (its id: line), or left out to start from now.', 'invalid_last_event_id');
  }
  return Number(value);
}

/** One message as SSE lines. JSON never holds a raw line break, so `data:` is one line. */
export function frame(m: LiveMessage): string {
  switch (m.type) {
    case 'case':
      return `id: ${m.seq}\nevent: case\ndata: ${JSON.stringify(m.event)}\n\n`;
    case 'reset':
      return `id: ${m.seq}\nevent: reset\ndata: ${JSON.stringify({ seq: m.seq, reason: m.reason })}\n\n`;
    case 'ready':
      return `id: ${m.seq}\nevent: ready\ndata: ${JSON.stringify({ seq: m.seq })}\n\n`;
  }
}

export const eventRoutes = (services: Services): FastifyPluginAsyncTypebox => async (app) => {
  const live = services.live;
  live.attachLog({ error: (data, message) => app.log.error(data, message) });

  // Open streams end when the app closes: Fastify's close waits for open connections, so without this a
  // SIGTERM (or a test's app.close()) would wait for every client to leave. preClose runs before the
  // server stops taking connections and waits for them.
  const open = new Set<(reason: StopReason) => void>();
  app.addHook('preClose', async () => {
    for (const stop of [...open]) stop('closing');
  });

  // EventSource cannot set headers: here, and only here, ?access_token= stands in for the Authorization
  // header (which wins when both are sent). Before authentication, which reads the header.
  app.addHook('onRequest', async (request) => {
    const token = (request.query as { access_token?: unknown } | undefined)?.access_token;
    if (typeof token === 'string' && token !== '' && request.headers.authorization === undefined) request.headers.authorization = `Bearer ${token}`;
  });

  await app.register(
    authenticated(async (api) => {
      api.get(
        '/events',
        {
          // No HEAD twin: a HEAD request would hold a stream open with nothing to send.
          exposeHeadRoute: false,
          // The URL may hold ?access_token=: the request log shows it masked.
          logSerializers: { req: redactedRequest },
          schema: {
            tags: ['notifications'],
            summary:
              'Live events of the cases I may see (Server-Sent Events): resume with Last-Event-ID; the token may come as ?access_token= for EventSource',
            querystring: EventsQuery,
            headers: EventsHeaders,
            response: { 200: EventStreamAnswer },
          },
        },
        async (request, reply) => {
          const principal = principalOf(request);
          const lastEventId = resumeFrom(request.headers['last-event-id'], request.query.lastEventId);
          const options = live.options;
          const res = reply.raw;
          const opened = Date.now();
          let sent = 0;
          let stopped = false;
          let heartbeat: NodeJS.Timeout | undefined;
          let lifetime: NodeJS.Timeout | undefined;

          /** Write unless the client is gone or has more than the bound waiting: false then. */
          const write = (text: string): boolean => {
            if (stopped || res.destroyed || res.writableEnded) return false;
            if (res.writableLength > options.maxBufferedBytes) return false;
            res.write(text);
            return true;
          };

          const stop = (reason: StopReason) => {
            if (stopped) return;
            stopped = true;
            open.delete(stop);
            clearInterval(heartbeat);
            clearTimeout(lifetime);
            unsubscribe();
            // A slow client's backlog is dropped with its socket; otherwise the stream ends cleanly (the
            // client reconnects after `retry` and resumes; on close the idle socket is then let go).
            if (reason === 'slow') res.destroy();
            else if (!res.writableEnded) res.end();
            request.log.info({ reason, ms: Date.now() - opened, events: sent, userId: principal.user.id }, 'event stream closed');
          };

          // Refusals (403, 429 too_many_streams, 503) are thrown here, before the stream opens: the usual error body.
          // The feed sends nothing before this returns, so the stream's head goes out first.
          const unsubscribe = live.subscribe(
            principal,
            lastEventId,
            (message) => {
              if (!write(frame(message))) return false;
              if (message.type === 'case') sent++;
              return true;
            },
            (reason) => stop(reason === 'slow' && res.destroyed ? 'gone' : reason),
          );

          reply.hijack();
          open.add(stop);
          request.raw.on('close', () => stop('gone'));
          res.on('close', () => stop('gone'));
          res.on('error', () => stop('gone'));
          // Not every socket is a TCP one (an injected request has none that can): only where it can.
          request.raw.socket?.setNoDelay?.(true);
          res.writeHead(200, {
            'Content-Type': 'text/event-stream; charset=utf-8',
            'Cache-Control': 'no-cache, no-transform',
            Connection: 'keep-alive',
            // nginx: pass each event on at once instead of buffering the answer.
            'X-Accel-Buffering': 'no',
            'X-Content-Type-Options': 'nosniff',
          });
          res.write(`retry: ${options.retryMs}\n\n`);
          heartbeat = setInterval(() => {
            if (!write(': ping\n\n')) stop(res.destroyed || res.writableEnded ? 'gone' : 'slow');
          }, options.heartbeatMs);
          heartbeat.unref();
          lifetime = setTimeout(() => stop('expired'), options.maxStreamMs);
          lifetime.unref();
        },
      );
    }),
  );
};
