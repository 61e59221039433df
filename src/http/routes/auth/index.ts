import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../../services/index.js';
import { authenticated, bearer, principalOf } from '../../auth.js';
import { LoginAnswer, LoginBody, MeSchema } from './schema.js';

export const authRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    // Anyone may try to log in.
    app.post('/auth/login', { config: { rateLimit: 'login' }, schema: { tags: ['auth'], summary: 'Log in; returns a bearer token (429 account_locked / too_many_login_attempts after repeated failures)', body: LoginBody, response: { 200: LoginAnswer } } }, async (request) => {
      const { token, expiresAt, user } = await services.auth.login(request.body.username, request.body.password, { address: request.ip, log: request.log });
      return { token, expiresAt, user: { id: user.id, username: user.username, displayName: user.displayName, role: user.role } };
    });

    await app.register(
      authenticated(async (app) => {
        app.post('/auth/logout', { schema: { tags: ['auth'], summary: 'End this session' } }, async (request, reply) => {
          await services.auth.logout(bearer(request)!);
          return reply.status(204).send();
        });

        app.get('/me', { schema: { tags: ['auth'], summary: 'Who I am', response: { 200: MeSchema } } }, async (request) => {
          const { user } = principalOf(request);
          return { id: user.id, username: user.username, displayName: user.displayName, role: user.role, departmentId: user.departmentId, jurisdictionId: user.jurisdictionId, locale: user.locale };
        });
      }),
    );
  };
