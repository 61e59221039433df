// Bearer-token authentication as a Fastify hook: each resource registers its signed-in routes once,
// inside `authenticated(...)`, which runs `app.authenticate` before every one of them.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import { requireCapability, type Capability } from '../domain/access.js';
import { DEFAULT_LOCALE, LANGUAGE_OF, LOCALES, parseLocale, type Locale } from '../domain/wording.js';
import type { Principal } from '../services/context.js';
import type { Services } from '../services/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyInstance {
    authenticate(request: FastifyRequest): Promise<void>;
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

/**
 * Routes behind sign-in, declared once per resource: an encapsulated plugin whose one `onRequest` hook runs
 * `app.authenticate` before each of its routes, and whose routes the OpenAPI document marks as needing the
 * bearer token. A route's own onRequest hooks (`requires`, a rate limit's check: rate-limit.ts) run after
 * this one, so they see the principal; all of them run before the body is read. Routes anyone may call
 * stay outside it.
 */
export const authenticated =
  (routes: FastifyPluginAsyncTypebox): FastifyPluginAsyncTypebox =>
  async (app, options) => {
    app.addHook('onRequest', app.authenticate);
    const security = [{ bearer: [] }];
    app.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, security };
    });
    await routes(app, options);
  };

/**
 * An `onRequest` hook for a route anyone may call that means more to someone signed in (an application
 * from the rider app links the rider's account): with no Authorization header it lets the request through
 * as anyone's; with one it must be a live token (401 otherwise), and the route sees its principal.
 */
export function signedInIfToken(app: FastifyInstance): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    if (request.headers.authorization !== undefined) await app.authenticate(request);
  };
}

/**
 * An `onRequest` hook after `app.authenticate` that admits only the roles the access policy gives this
 * capability (domain/access.ts): decided before the body is read, so a role that may not call a route
 * cannot make the server read (or parse) its body.
 */
export function requires(capability: Capability): (request: FastifyRequest) => Promise<void> {
  return async (request) => requireCapability(principalOf(request).actor, capability);
}

/** The authenticated principal of a route registered inside `authenticated(...)`. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new DomainError('unauthenticated', 'unauthenticated', 'Log in first.');
  return request.principal;
}

/**
 * ?lang=, then Accept-Language, then the user's own setting, then Chinese. Every route's query schema
 * names `lang` as one short tag (app.ts), so a repeated ?lang= is a 400 before any handler runs; a value
 * that is not text is ignored here all the same, since this also runs after writes.
 */
export function localeOf(request: FastifyRequest): Locale {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const query = text((request.query as { lang?: unknown } | undefined)?.lang);
  return parseLocale(query) ?? acceptedLocale(request) ?? DEFAULT_LOCALE;
}

/**
 * Accept-Language negotiated against the languages Gridline speaks, by `request.languages()`
 * (@fastify/accepts, registered in app.ts: the `negotiator` package). q-values order the reader's
 * languages and q=0 rules one out; a region or script matches its language (en-GB → en, zh-TW → zh-CN),
 * case aside. A wildcard leaves the choice to the server, as no header does: the reader's own setting
 * first, then Chinese. A header naming nothing Gridline can answer in (fr, or only q=0), or not one text
 * value, counts as no header.
 */
function acceptedLocale(request: FastifyRequest): Locale | undefined {
  const own = parseLocale(request.principal?.user.locale);
  if (typeof request.headers['accept-language'] !== 'string') return own;
  // Offered in the server's order of choice, which decides between languages the reader ranks alike (`*`).
  const offered = (own ? [own, ...LOCALES.filter((l) => l !== own)] : LOCALES).map((l) => LANGUAGE_OF[l]);
  const best = request.languages(offered);
  return (best === false ? undefined : parseLocale(best)) ?? own;
}
