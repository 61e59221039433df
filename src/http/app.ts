// The Fastify app: plugins, the error handler, authentication and the routes under /api/v1.

import accepts from '@fastify/accepts';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Services } from '../services/index.js';
import type { Database } from '../storage/db.js';
import { registerAuth } from './auth.js';
import { registerErrorHandler } from './errors.js';
import { registerRateLimit } from './rate-limit.js';
import { checkResponses } from './response-check.js';
import { registerCompression } from './compression.js';
import { kpiRoutes } from './routes/kpis/index.js';
import { registerWeb, type WebOptions } from './web.js';
import { JSON_BODY_LIMIT, registerValidation } from './validation.js';
import { Health, withLang } from './schemas.js';
import { authRoutes } from './routes/auth/index.js';
import { caseRoutes } from './routes/cases/index.js';
import { mapRoutes } from './routes/map/index.js';
import { mediaRoutes } from './routes/media/index.js';
import { referenceRoutes } from './routes/reference/index.js';
import { throttleRoutes } from './routes/throttle/index.js';
import { dispatchRuleRoutes } from './routes/dispatch-rules/index.js';
import { notifyRoutes } from './routes/notify/index.js';
import { memberRoutes } from './routes/members/index.js';
import { pointsRoutes } from './routes/points/index.js';
import { eventRoutes } from './routes/events/index.js';

export interface AppOptions {
  database: Database;
  services: Services;
  logLevel?: string;
  /** Where log lines go (default stdout); tests collect them. */
  logStream?: { write(line: string): void };
  /** Fastify's trustProxy (TRUST_PROXY): true, or the proxies' addresses/CIDRs, to take request.ip from X-Forwarded-For. Default off. */
  trustProxy?: boolean | string;
  /** Check every answer against its route's response schema (default: under Vitest). */
  checkResponses?: boolean;
  /** Where the browser app's build is and which map tile origins its pages may load. */
  web?: WebOptions;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: options.logLevel ?? 'silent', ...(options.logStream ? { stream: options.logStream } : {}) },
    trustProxy: options.trustProxy ?? false,
    bodyLimit: JSON_BODY_LIMIT,
    // Errors the router meets before any route runs (a broken %-escape, an over-long path parameter) get
    // the standard error body too, without echoing the URL back.
    frameworkErrors: (error, _request, reply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      void (reply as FastifyReply).status(tooLong ? 414 : 400).send({
        error: tooLong
          ? { code: 'path_too_long', message: 'A part of the address is longer than any id Gridline uses.' }
          : { code: 'bad_url', message: 'The address is not valid: check its %-escapes.' },
      });
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Before any plugin: routes that plugins add (swagger-ui's /docs) answer errors in the same format.
  registerErrorHandler(app);

  // nosniff, frame options and a CSP that allows nothing on every answer; /docs gets swagger-ui's own CSP.
  await app.register(helmet, { contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } } });

  // request.languages(): Accept-Language negotiation with q-values, for localeOf (auth.ts).
  await app.register(accepts);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Gridline API',
        version: '1',
        description: 'Report street-level problems and close them through the whole loop: 上报 → 受理/立案 → 派遣 → 签收 → 处置 → 核查 → 结案 → 回访.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  // Loopback and LAN demos are served over plain http: no upgrade-insecure-requests there.
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, '') });

  registerValidation(app);
  // Under the test runner every answer is checked against its response schema (response-check.ts).
  if (options.checkResponses ?? Boolean(process.env.VITEST)) checkResponses(app);
  // JSON answers compressed for clients that accept it (after the check above has read them).
  registerCompression(app);
  // Every API route validates its whole query string before its handler: `lang` included.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/')) route.schema = { ...route.schema, querystring: withLang(route.schema?.querystring) };
    // Each route's own limit, or the small JSON one: a content-type parser's larger limit (media,
    // boundaries) never reaches a route that did not ask for it.
    route.bodyLimit ??= JSON_BODY_LIMIT;
  });
  registerAuth(app, options.services);
  registerRateLimit(app, options.services);

  app.get('/healthz', { schema: { tags: ['ops'], summary: 'Liveness and database reachability', response: { 200: Health, 503: Health } } }, async (_request, reply) => {
    if (await options.services.reference.databaseAnswers()) return { status: 'ok', database: options.database.dialect };
    return reply.status(503).send({ status: 'unavailable', database: options.database.dialect });
  });
  // The browser app (dist/web) and the page at / that says what is where.
  registerWeb(app, options.web);

  // One folder per resource (routes/<resource>/: its routes and their schemas); each registers its signed-in
  // routes once, inside `authenticated(...)` (auth.ts), and leaves the public ones outside.
  await app.register(
    async (api) => {
      // Multipart forms (several photos, or a report with its photos); per-request limits in uploads.ts.
      await api.register(multipart, { limits: { fileSize: options.services.media.largest } });
      await api.register(authRoutes(options.services));
      await api.register(caseRoutes(options.services));
      await api.register(referenceRoutes(options.services));
      await api.register(mapRoutes(options.services));
      await api.register(mediaRoutes(options.services));
      await api.register(throttleRoutes(options.services));
      await api.register(dispatchRuleRoutes(options.services));
      await api.register(notifyRoutes(options.services));
      await api.register(memberRoutes(options.services));
      await api.register(pointsRoutes(options.services));
      await api.register(eventRoutes(options.services));
      await api.register(kpiRoutes(options.services));
    },
    { prefix: '/api/v1' },
  );
  return app;
}
