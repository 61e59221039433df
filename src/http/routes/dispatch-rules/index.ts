// 自动派单 rules: list, add and delete (administrators everywhere, dispatchers within their jurisdiction).
// The role is checked in onRequest, before any body is read; where a dispatcher may act, the service.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../../services/index.js';
import { authenticated, principalOf, requires } from '../../auth.js';
import { IdParams, Items } from '../../schemas.js';
import { DispatchRuleBody, DispatchRuleSchema } from './schema.js';

export const dispatchRuleRoutes = (services: Services): FastifyPluginAsyncTypebox =>
  authenticated(async (app) => {
    app.addHook('onRequest', requires('manage_dispatch_rules'));

    app.get(
      '/dispatch-rules',
      { schema: { tags: ['dispatch'], summary: 'Auto-dispatch rules (自动派单) the caller keeps: all for an admin, those within a dispatcher\'s jurisdiction', response: { 200: Items(DispatchRuleSchema) } } },
      async (request) => ({ items: await services.dispatchRules.list(principalOf(request)) }),
    );

    app.post(
      '/dispatch-rules',
      {
        schema: {
          tags: ['dispatch'],
          summary: 'Add an auto-dispatch rule: new reports of the category in the jurisdiction (of the urgency, or any when left out) are accepted, filed and dispatched to the department at once, as system events',
          body: DispatchRuleBody,
          response: { 201: DispatchRuleSchema },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const rule = await services.dispatchRules.create(principal, request.body);
        request.log.info({ rule: rule.id, by: principal.user.username }, 'auto-dispatch rule added');
        return reply.status(201).header('location', `/api/v1/dispatch-rules/${rule.id}`).send(rule);
      },
    );

    app.delete(
      '/dispatch-rules/:id',
      { schema: { tags: ['dispatch'], summary: 'Delete an auto-dispatch rule (204); reports from now on are no longer matched against it', params: IdParams } },
      async (request, reply) => {
        const principal = principalOf(request);
        await services.dispatchRules.remove(principal, request.params.id);
        request.log.info({ rule: request.params.id, by: principal.user.username }, 'auto-dispatch rule deleted');
        return reply.status(204).send();
      },
    );
  });
