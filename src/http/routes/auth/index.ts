import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../../services/index.js';
import { authenticated, bearer, principalOf, requires } from '../../auth.js';
import { Items } from '../../schemas.js';
import { EndedAnswer, LoginAnswer, LoginBody, MeSchema, MySessionSchema, SessionParams, SessionSchema, UserParams } from './schema.js';

export const authRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    // Anyone may try to log in.
    app.post('/auth/login', { config: { rateLimit: 'login' }, schema: { tags: ['auth'], summary: 'Log in; returns a bearer token (429 account_locked / too_many_login_attempts after repeated failures)', body: LoginBody, response: { 200: LoginAnswer } } }, async (request) => {
      const { token, expiresAt, sessionId, user } = await services.auth.login(request.body.username, request.body.password, { address: request.ip, log: request.log }, request.body.device);
      return { token, expiresAt, sessionId, user: { id: user.id, username: user.username, displayName: user.displayName, role: user.role } };
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

        // The caller's signed-in devices: a rider who lost a phone ends its session from another one.
        app.get('/me/sessions', { schema: { tags: ['auth'], summary: 'My live sessions (devices), newest first; current marks this one', response: { 200: Items(MySessionSchema) } } }, async (request) => ({
          items: await services.auth.mySessions(principalOf(request), bearer(request)!),
        }));
        app.delete('/me/sessions/:id', { schema: { tags: ['auth'], summary: 'End one of my sessions (404 session_not_found if it is not mine or already over)', params: SessionParams } }, async (request, reply) => {
          await services.auth.endMySession(principalOf(request), request.params.id);
          return reply.status(204).send();
        });

        // An administrator sees and ends an account's sessions (a phone lost or sold, a rider leaving).
        const admin = { onRequest: requires('manage_users') };
        app.get('/admin/users/:id/sessions', { ...admin, schema: { tags: ['admin'], summary: "An account's live sessions (admin only)", params: UserParams, response: { 200: Items(SessionSchema) } } }, async (request) => ({
          items: await services.auth.sessionsOf(principalOf(request), request.params.id),
        }));
        app.delete('/admin/users/:id/sessions', { ...admin, schema: { tags: ['admin'], summary: "End every session of an account (admin only); the account stays", params: UserParams, response: { 200: EndedAnswer } } }, async (request) => ({
          ended: await services.auth.endSessionsOf(principalOf(request), request.params.id),
        }));
      }),
    );
  };
