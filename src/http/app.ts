// The Fastify app: plugins, the error handler, authentication and the routes under /api/v1.

import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Services } from '../services/index.js';
import type { Database } from '../storage/db.js';
import { registerAuth } from './auth.js';
import { registerErrorHandler } from './errors.js';
import { registerValidation } from './validation.js';
import { authRoutes } from './routes/auth.js';
import { caseRoutes } from './routes/cases.js';
import { mapRoutes } from './routes/map.js';
import { mediaRoutes } from './routes/media.js';
import { referenceRoutes } from './routes/reference.js';

export interface AppOptions {
  database: Database;
  services: Services;
  logLevel?: string;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: options.logLevel ?? 'silent' },
    bodyLimit: 1024 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>();

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
  await app.register(swaggerUi, { routePrefix: '/docs' });

  registerErrorHandler(app);
  registerValidation(app);
  registerAuth(app, options.services);

  app.get('/healthz', { schema: { tags: ['ops'], summary: 'Liveness and database reachability' } }, async (_request, reply) => {
    try {
      await options.services.ctx.uow.read.reference.calendarDays();
      return { status: 'ok', database: options.database.dialect };
    } catch {
      return reply.status(503).send({ status: 'unavailable', database: options.database.dialect });
    }
  });
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/docs'));

  await app.register(
    async (api) => {
      // Multipart forms (several photos, or a report with its photos); per-request limits in uploads.ts.
      await api.register(multipart, { limits: { fileSize: Math.max(options.services.media.limits.photoBytes, options.services.media.limits.videoBytes) } });
      await api.register(authRoutes(options.services));
      await api.register(caseRoutes(options.services));
      await api.register(referenceRoutes(options.services));
      await api.register(mapRoutes(options.services));
      await api.register(mediaRoutes(options.services));
    },
    { prefix: '/api/v1' },
  );
  return app;
}
