// Lockouts for administrators: who is locked out of logging in, and lifting a lockout. The role is
// checked in onRequest, before any body is read; every lift is logged.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../../services/index.js';
import { authenticated, principalOf, requires } from '../../auth.js';
import { Items } from '../../schemas.js';
import { LockoutSchema, UsernameParams } from './schema.js';

export const throttleRoutes = (services: Services): FastifyPluginAsyncTypebox =>
  authenticated(async (app) => {
    // After authentication (the role is the signed-in user's), before any body is read.
    app.addHook('onRequest', requires('manage_lockouts'));

    app.get('/admin/lockouts', { schema: { tags: ['admin'], summary: 'Accounts locked after repeated failed logins: until when, failures, the last address (admin)', response: { 200: Items(LockoutSchema) } } }, async () => ({
      items: await services.throttle.lockouts(),
    }));

    app.delete(
      '/admin/lockouts/:username',
      { schema: { tags: ['admin'], summary: "Lift an account's login lockout and forget its failures (admin)", params: UsernameParams } },
      async (request, reply) => {
        const { wasLocked } = await services.throttle.unlock(request.params.username);
        request.log.warn({ username: request.params.username, by: principalOf(request).user.username, wasLocked }, 'login lockout lifted by an administrator');
        return reply.status(204).send();
      },
    );
  });
