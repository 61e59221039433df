// Bearer-token authentication as a Fastify hook: routes declare `onRequest: app.authenticate`.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import { parseLocale, type Locale } from '../domain/wording.js';
import type { Principal } from '../services/context.js';
import type { Services } from '../services/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyInstance {
    authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  }
}

export function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}

export function registerAuth(app: FastifyInstance, services: Services): void {
  app.decorateRequest('principal', undefined);
  app.decorate('authenticate', async (request: FastifyRequest) => {
    const token = bearer(request);
    if (!token) throw new DomainError('unauthenticated', 'unauthenticated', 'Log in first: send Authorization: Bearer <token> from POST /api/v1/auth/login.');
    const principal = await services.auth.authenticate(token);
    if (!principal) throw new DomainError('unauthenticated', 'invalid_token', 'Your session has expired or was ended. Log in again.');
    request.principal = principal;
  });
}

/** The authenticated principal of a route that declared `onRequest: app.authenticate`. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new DomainError('unauthenticated', 'unauthenticated', 'Log in first.');
  return request.principal;
}

/** ?lang=, then Accept-Language, then the user's own setting, then Chinese. */
export function localeOf(request: FastifyRequest): Locale {
  const query = (request.query as { lang?: string } | undefined)?.lang;
  return parseLocale(query) ?? parseLocale(request.headers['accept-language']) ?? parseLocale(request.principal?.user.locale) ?? 'zh-CN';
}
