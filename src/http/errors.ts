// The one place where errors become HTTP responses: { error: { code, message, field?, details? } }.

import type { FastifyError, FastifyInstance } from 'fastify';
import { DomainError, type ErrorKind } from '../domain/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The request body is an uploaded file: a body over the limit is `file_too_large`. */
    bodyIsFile?: boolean;
  }
}

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  too_many: 429,
  unsupported: 415,
  unavailable: 503,
};

interface AjvError {
  instancePath?: string;
  params?: { missingProperty?: string; additionalProperty?: string };
  message?: string;
}

/** Name the field a schema validation error is about: '/location/lat' -> 'location.lat'. */
function fieldOf(error: AjvError | undefined): string | undefined {
  if (!error) return undefined;
  const base = (error.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const leaf = error.params?.missingProperty ?? error.params?.additionalProperty;
  return [base, leaf].filter(Boolean).join('.') || undefined;
}

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | DomainError, request, reply) => {
    if (error instanceof DomainError) {
      const { field, ...details } = error.details as { field?: string; retryAfterS?: unknown };
      // Refusals that say when to come back (429s) carry it as Retry-After, in whole seconds.
      if (typeof details.retryAfterS === 'number') reply.header('retry-after', String(Math.max(1, Math.ceil(details.retryAfterS))));
      return reply.status(STATUS[error.kind]).send({ error: { code: error.code, message: error.message, ...(field ? { field } : {}), ...(Object.keys(details).length ? { details } : {}) } });
    }
    const fe = error as FastifyError;
    if (fe.validation) {
      const first = fe.validation[0] as AjvError | undefined;
      const field = fieldOf(first);
      const where = fe.validationContext ?? 'body';
      const message = field ? `${field}: ${first?.message ?? 'is invalid'}` : `${where}: ${first?.message ?? 'is invalid'}`;
      return reply.status(400).send({ error: { code: 'validation_failed', message, field: field ?? where } });
    }
    const status = fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500 ? fe.statusCode : 500;
    if (status === 500) {
      request.log.error({ err: error }, 'unhandled error');
      return reply.status(500).send({ error: { code: 'internal', message: 'Something went wrong on our side. It has been logged; please try again.' } });
    }
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      // Where the body is the file (raw uploads), say so in the same words as a form upload would.
      return reply.status(413).send({
        error: request.routeOptions.config.bodyIsFile
          ? { code: 'file_too_large', message: 'The file is larger than this server accepts; see the limits in the API documentation.' }
          : { code: 'body_too_large', message: 'The request body is larger than this endpoint accepts.' },
      });
    }
    // Fastify's own 4xx (bad JSON, unsupported content type) keep their status.
    const code = (fe.code ?? 'bad_request').toLowerCase().replace(/^fst_err_/, '');
    return reply.status(status).send({ error: { code, message: fe.message } });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'route_not_found', message: `No route ${request.method} ${request.url.split('?')[0]}.` } }),
  );
}
