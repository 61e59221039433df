// Rate limits declared per route: `config: { rateLimit: 'report' }`. One onRoute hook appends the check
// to the route's own onRequest hooks, which Fastify runs after its plugin's (`authenticated`, auth.ts): so
// the check comes after authentication (per-user rules count the signed-in user) and before the body is
// read; anonymous routes count the caller's address (`request.ip`, which honours TRUST_PROXY). A refusal
// is 429 with Retry-After (errors.ts) and a stable code.

import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Services } from '../services/index.js';
import type { RouteRule } from '../services/throttle.service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The named throttle rule this route is counted against (src/services/throttle.service.ts). */
    rateLimit?: RouteRule;
  }
}

export function registerRateLimit(app: FastifyInstance, services: Services): void {
  app.addHook('onRoute', (route) => {
    const rule = (route.config as { rateLimit?: RouteRule } | undefined)?.rateLimit;
    if (!rule) return;
    const check = async (request: FastifyRequest) => {
      await services.throttle.check(rule, { userId: request.principal?.user.id, address: request.ip });
    };
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [...own, check as onRequestHookHandler];
  });
}
