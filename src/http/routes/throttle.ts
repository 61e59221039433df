// Lockouts for administrators: who is locked out of logging in, and lifting a lockout. The role is
// checked in onRequest, before any body is read; every lift is logged.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../../services/index.js';
import { principalOf, requires } from '../auth.js';
import { Items, LockoutSchema } from '../responses.js';

const UsernameParams = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }) });

export const throttleRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    const secured = { onRequest: [app.authenticate, requires('manage_lockouts')] };
    const security = [{ bearer: [] }];

    app.get('/admin/lockouts', { ...secured, schema: { tags: ['admin'], summary: 'Accounts locked after repeated failed logins: until when, failures, the last address (admin)', security, response: { 200: Items(LockoutSchema) } } }, async () => ({
      items: await services.throttle.lockouts(),
    }));

    app.delete(
      '/admin/lockouts/:username',
      { ...secured, schema: { tags: ['admin'], summary: "Lift an account's login lockout and forget its failures (admin)", security, params: UsernameParams } },
      async (request, reply) => {
        const { wasLocked } = await services.throttle.unlock(request.params.username);
        request.log.warn({ username: request.params.username, by: principalOf(request).user.username, wasLocked }, 'login lockout lifted by an administrator');
        return reply.status(204).send();
      },
    );
  };
