// Points for verified food-safety reports (issue 11): my ledger; the rule sets (anyone signed in reads them,
// an admin adds one); reversals of overturned verifications (regulators, supervisors, admins). Awards are
// made by the verification itself (POST /cases/{id}/actions/verify with `level`).

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../../services/index.js';
import { authenticated, principalOf, requires } from '../../auth.js';
import { Items } from '../../schemas.js';
import {
  EntrySchema,
  MyPointsQuery,
  MyPointsSchema,
  PayBody,
  RedemptionBody,
  RedemptionListQuery,
  RedemptionParams,
  RedemptionSchema,
  RejectBody,
  ReversalBody,
  RuleSetBody,
  RuleSetSchema,
  RuleSets,
} from './schema.js';

export const pointsRoutes = (services: Services): FastifyPluginAsyncTypebox =>
  authenticated(async (app) => {
    app.get(
      '/me/points',
      { schema: { tags: ['programme'], summary: 'My points: balance, held points and entries newest first (each naming its case), or why I earn none', querystring: MyPointsQuery, response: { 200: MyPointsSchema } } },
      async (request) => services.points.mine(principalOf(request), request.query),
    );

    app.get(
      '/points/rules',
      { schema: { tags: ['programme'], summary: 'The points rule sets by version, and the one in force today', response: { 200: RuleSets } } },
      async () => services.points.rules(),
    );

    app.post(
      '/admin/points/rules',
      {
        onRequest: requires('manage_points_rules'),
        schema: { tags: ['programme'], summary: 'A new rule set, in force from its date (today or later; it never changes awards already made)', body: RuleSetBody, response: { 201: RuleSetSchema } },
      },
      async (request, reply) => {
        const set = await services.points.addRules(principalOf(request), request.body);
        request.log.info({ version: set.version, effectiveFrom: set.effectiveFrom }, 'points rule set added');
        return reply.status(201).send(set);
      },
    );

    app.post(
      '/points/reversals',
      {
        onRequest: requires('reverse_points'),
        schema: { tags: ['programme'], summary: "Take back a case's award: its verification was overturned (the entry stays; a reversal is posted)", body: ReversalBody, response: { 201: EntrySchema } },
      },
      async (request, reply) => reply.status(201).send(await services.points.reverse(principalOf(request), request.body.caseId, request.body.reason)),
    );

    app.post(
      '/me/redemptions',
      { schema: { tags: ['programme'], summary: 'Redeem my points for cash: held at once, paid after approval (or released on rejection)', body: RedemptionBody, response: { 201: RedemptionSchema } } },
      async (request, reply) => reply.status(201).send(await services.points.requestRedemption(principalOf(request), request.body.points)),
    );

    const staff = { onRequest: requires('manage_redemptions') };
    app.get(
      '/redemptions',
      { ...staff, schema: { tags: ['programme'], summary: "Redemptions of my jurisdiction's members, newest first", querystring: RedemptionListQuery, response: { 200: Items(RedemptionSchema) } } },
      async (request) => ({ items: await services.points.listRedemptions(principalOf(request), request.query) }),
    );
    app.post(
      '/redemptions/:id/approve',
      { ...staff, schema: { tags: ['programme'], summary: 'Approve a requested redemption', params: RedemptionParams, response: { 200: RedemptionSchema } } },
      async (request) => services.points.approveRedemption(principalOf(request), request.params.id),
    );
    app.post(
      '/redemptions/:id/reject',
      { ...staff, schema: { tags: ['programme'], summary: 'Reject a redemption with a reason the member sees; its points come back', params: RedemptionParams, body: RejectBody, response: { 200: RedemptionSchema } } },
      async (request) => services.points.rejectRedemption(principalOf(request), request.params.id, request.body.reason),
    );
    app.post(
      '/redemptions/:id/pay',
      { ...staff, schema: { tags: ['programme'], summary: 'Mark an approved redemption paid, with the payout reference (once)', params: RedemptionParams, body: PayBody, response: { 200: RedemptionSchema } } },
      async (request) => services.points.payRedemption(principalOf(request), request.params.id, request.body.payoutRef),
    );
  });
