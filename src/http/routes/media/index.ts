// Media over HTTP: uploads (raw body, multipart with several files, or resumable tus 1.0 for video on weak
// networks), copies for those who may see them, and public copies that staff publish with redactions.
// Whatever a client declares, the type comes from the bytes; served copies never run as active content.
// Upload bodies are streamed to temporary files (uploads.ts), never buffered: the limit is decided before
// the body is read (the route's bodyLimit against Content-Length, then the photo or video limit as the
// bytes arrive), and only the roles that send evidence may send one (onRequest, before any byte is read).
// Each part (media items, tus uploads) registers its signed-in routes once, in `authenticated(...)`;
// public copies and tus discovery need no sign-in.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../../domain/errors.js';
import type { MediaCopy } from '../../../services/media.service.js';
import { mediaInfo } from '../../../services/media.views.js';
import type { Services } from '../../../services/index.js';
import { authenticated, principalOf } from '../../auth.js';
import { IdParams, MediaInfoSchema } from '../../schemas.js';
import { closeIfUnread, contentLength, discardAll, mediaRole, pendingBody, readFiles, streamedBody, uploadAll } from '../../uploads.js';
import { PublishBody, UploadAnswer, VariantQuery } from './schema.js';

const TUS_VERSION = '1.0.0';

/** Send a copy with headers that keep a browser from running or sniffing it. */
function sendCopy(reply: FastifyReply, copy: MediaCopy, cache: string): FastifyReply {
  return reply
    .header('content-type', copy.mime)
    .header('content-length', String(copy.length))
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('content-disposition', `${copy.attachment ? 'attachment' : 'inline'}; filename="${copy.filename}"`)
    .header('cache-control', cache)
    .send(copy.body);
}

/** tus metadata: "key base64value,key2 base64value2". */
function tusMetadata(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const pair of header.split(',')) {
    const [key, value] = pair.trim().split(' ');
    if (!key || !/^[\w.-]{1,64}$/.test(key)) throw new DomainError('invalid', 'invalid_upload_metadata', 'Upload-Metadata is "key base64value" pairs separated by commas.', { field: 'Upload-Metadata' });
    out[key] = value ? Buffer.from(value, 'base64').toString('utf8').slice(0, 500) : '';
  }
  return out;
}

function headerInt(request: FastifyRequest, name: string): number {
  const raw = request.headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || !/^\d{1,15}$/.test(value)) {
    throw new DomainError('invalid', 'invalid_header', `${name} must be a whole number of bytes.`, { field: name });
  }
  return Number(value);
}

export const mediaRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    const largest = services.media.largest;
    const chunkLimit = 16 * 1024 * 1024;
    // Raw bytes in, unread until the handler streams them; the type is sniffed from the bytes, whatever the client declares.
    for (const type of [/^image\/[\w.+-]+(\s*;.*)?$/, /^video\/[\w.+-]+(\s*;.*)?$/, 'application/octet-stream', 'application/offset+octet-stream']) {
      app.addContentTypeParser(type, streamedBody);
    }
    // A refusal before the body was read through: answer, then close rather than read the rest.
    app.addHook('onError', async (request, reply) => closeIfUnread(request, reply));

    // Only the roles that send evidence may send bytes: decided after authentication, before the body is read.
    const sends = { onRequest: mediaRole(services) };

    // ---- media items: copies for those who may see them, public copies for anyone ----

    await app.register(
      authenticated(async (app) => {
        app.post(
          '/media',
          {
            ...sends,
            bodyLimit: largest,
            config: { bodyIsFile: true },
            schema: {
              tags: ['media'],
              summary: `Upload photos or videos: one file as the raw request body, or up to ${services.media.maxFiles} as multipart/form-data. Returns what each became.`,
              response: { 201: UploadAnswer },
            },
          },
          async (request, reply) => {
            const principal = principalOf(request);
            if (request.isMultipart()) {
              const { files } = await readFiles(request, services);
              try {
                if (files.length === 0) throw new DomainError('invalid', 'no_files', 'The form carries no files: add the photos or videos as file fields.', { field: 'file' });
                const media = await uploadAll(services, principal, files);
                return reply.status(201).send({ media: media.map((m) => mediaInfo(m, true)) });
              } finally {
                await discardAll(files);
              }
            }
            const expected = contentLength(request);
            const file = await services.media.spool(pendingBody(request), expected === undefined ? {} : { expected });
            try {
              const media = await services.media.uploadFile(principal, file);
              return reply.status(201).send(mediaInfo(media, true));
            } finally {
              await file.discard();
            }
          },
        );

        app.get(
          '/media/:id',
          { schema: { tags: ['media'], summary: 'A copy of a media item: display (default), thumb, poster, video, or the original (uploader and handling staff only)', params: IdParams, querystring: VariantQuery } },
          async (request, reply) => {
            const variant = request.query.variant ?? 'display';
            const copy = await services.media.read(principalOf(request), request.params.id, variant as Parameters<typeof services.media.read>[2]);
            // An original (the only copy sent as an attachment) carries the resident's full photo and its EXIF:
            // nothing may keep it (a shared phone's cache); the stripped copies may stay in the reader's own.
            return sendCopy(reply, copy, copy.attachment ? 'no-store' : 'private, max-age=86400');
          },
        );

        app.get('/media/:id/info', { schema: { tags: ['media'], summary: 'What a media item is: type, size, dimensions, capture time, its copies', params: IdParams, response: { 200: MediaInfoSchema } } }, async (request) =>
          services.media.info(principalOf(request), request.params.id),
        );

        app.post(
          '/media/:id/publish',
          { schema: { tags: ['media'], summary: 'Publish a photo for the public map, with regions blurred (faces, number plates); publishing again replaces the public copy', params: IdParams, body: PublishBody, response: { 200: MediaInfoSchema } } },
          async (request) => services.media.publish(principalOf(request), request.params.id, request.body.regions ?? []),
        );

        app.delete('/media/:id/publish', { schema: { tags: ['media'], summary: 'Withdraw a public copy', params: IdParams } }, async (request, reply) => {
          await services.media.withdraw(principalOf(request), request.params.id);
          return reply.status(204).send();
        });
      }),
    );

    app.get('/public/media/:id', { config: { rateLimit: 'public' }, schema: { tags: ['media'], summary: 'A published (redacted, metadata-free) photo; no sign-in', params: IdParams } }, async (request, reply) =>
      sendCopy(reply, await services.media.readPublic(request.params.id), 'public, max-age=300'),
    );

    // ---- tus 1.0 resumable uploads (core, creation, termination) ----

    const tusHeaders = (reply: FastifyReply) => reply.header('tus-resumable', TUS_VERSION).header('cache-control', 'no-store');
    const checkTus = (request: FastifyRequest) => {
      if (request.headers['tus-resumable'] !== TUS_VERSION) {
        throw new DomainError('invalid', 'tus_version_unsupported', `Send Tus-Resumable: ${TUS_VERSION}.`, { field: 'Tus-Resumable' });
      }
    };

    app.options('/uploads', { schema: { tags: ['media'], summary: 'tus discovery: version, extensions and the largest file' } }, async (_request, reply) =>
      tusHeaders(reply).header('tus-version', TUS_VERSION).header('tus-extension', 'creation,termination').header('tus-max-size', String(largest)).status(204).send(),
    );

    await app.register(
      authenticated(async (app) => {
        app.post(
          '/uploads',
          { ...sends, schema: { tags: ['media'], summary: 'Start a resumable upload (tus 1.0 creation): Upload-Length and optional Upload-Metadata headers' } },
          async (request, reply) => {
            checkTus(request);
            const upload = await services.media.createUpload(principalOf(request), headerInt(request, 'upload-length'), tusMetadata(request.headers['upload-metadata'] as string | undefined));
            return tusHeaders(reply).header('location', `/api/v1/uploads/${upload.id}`).header('upload-offset', '0').header('upload-expires', new Date(upload.expiresAt).toUTCString()).status(201).send();
          },
        );

        app.head('/uploads/:id', { schema: { tags: ['media'], summary: 'How many bytes of a resumable upload have arrived', params: IdParams } }, async (request, reply) => {
          const upload = await services.media.findUpload(principalOf(request), request.params.id);
          tusHeaders(reply).header('upload-offset', String(upload.received)).header('upload-length', String(upload.length));
          if (upload.mediaId) reply.header('gridline-media-id', upload.mediaId);
          return reply.status(200).send();
        });

        app.patch(
          '/uploads/:id',
          { ...sends, bodyLimit: chunkLimit, schema: { tags: ['media'], summary: 'Send the next chunk (Content-Type: application/offset+octet-stream, Upload-Offset); the last one returns the media', params: IdParams } },
          async (request, reply) => {
            checkTus(request);
            if (!String(request.headers['content-type'] ?? '').startsWith('application/offset+octet-stream')) {
              throw new DomainError('unsupported', 'invalid_chunk_type', 'Send chunks as Content-Type: application/offset+octet-stream.');
            }
            const principal = principalOf(request);
            const expected = contentLength(request);
            const upload = await services.media.appendUpload(principal, request.params.id, headerInt(request, 'upload-offset'), pendingBody(request), {
              chunkLimit,
              ...(expected === undefined ? {} : { expected }),
            });
            tusHeaders(reply).header('upload-offset', String(upload.received));
            if (!upload.mediaId) return reply.status(204).send();
            // Done: say what the file became (tus clients ignore the body; ours read it).
            reply.header('gridline-media-id', upload.mediaId);
            return reply.status(200).send(await services.media.info(principal, upload.mediaId));
          },
        );

        app.delete('/uploads/:id', { schema: { tags: ['media'], summary: 'Abandon a resumable upload (tus termination)', params: IdParams } }, async (request, reply) => {
          checkTus(request);
          await services.media.deleteUpload(principalOf(request), request.params.id);
          return tusHeaders(reply).status(204).send();
        });
      }),
    );
  };
