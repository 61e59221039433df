import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../services/index.js';
import { principalOf } from '../auth.js';
import { IdParams } from '../schemas.js';

export const mediaRoutes =
  (services: Services, maxBytes: number): FastifyPluginAsyncTypebox =>
  async (app) => {
    // Raw bytes in; the type is sniffed from the bytes, whatever the client declares.
    for (const type of [/^image\/[\w.+-]+(\s*;.*)?$/, /^video\/[\w.+-]+(\s*;.*)?$/, 'application/octet-stream']) {
      app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) => done(null, body));
    }

    app.post(
      '/media',
      {
        onRequest: app.authenticate,
        bodyLimit: maxBytes,
        schema: { tags: ['media'], summary: 'Upload one photo or video as the raw request body; returns its id', security: [{ bearer: [] }] },
      },
      async (request, reply) => {
        const bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const media = await services.media.upload(principalOf(request), bytes);
        return reply.status(201).send({ id: media.id, kind: media.kind, mime: media.mime, bytes: media.bytes, sha256: media.sha256 });
      },
    );

    app.get('/media/:id', { onRequest: app.authenticate, schema: { tags: ['media'], summary: 'Download a media file', security: [{ bearer: [] }], params: IdParams } }, async (request, reply) => {
      const { record, bytes } = await services.media.read(principalOf(request), request.params.id);
      return reply
        .header('content-type', record.mime)
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', 'inline')
        .header('cache-control', 'private, max-age=3600')
        .send(bytes);
    });
  };
