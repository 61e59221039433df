// Points for verified food-safety reports (issue 11): my ledger; the rule sets (anyone signed in reads them,
// an admin adds one); reversals of overturned verifications (regulators, supervisors, admins). Awards are
// made by the verification itself (POST /cases/{id}/actions/verify with `level`).

import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { writeCsv, writeXlsx, type Column } from '../../../export/table.js';
import type { PayoutRow } from '../../../ports.js';
import type { Services } from '../../../services/index.js';
import { authenticated, principalOf, requires } from '../../auth.js';
import { Items } from '../../schemas.js';
import {
  EntrySchema,
  MyPointsQuery,
  MyPointsSchema,
  PayBody,
  PayoutExportQuery,
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
    app.get(
      '/redemptions/export',
      { ...staff, schema: { tags: ['programme'], summary: 'Finance export (兑付明细): redemptions paid in a period, as xlsx or CSV with Chinese headers and totals', querystring: PayoutExportQuery } },
      async (request, reply) => {
        const { from, to, format = 'xlsx' } = request.query;
        const payouts = await services.points.payouts(principalOf(request), from, to);
        const names = new Map((await services.reference.jurisdictions()).map((u) => [u.id, u.names.zh]));
        const platforms = new Map((await services.members.options()).platforms.map((o) => [o.code, o.names.zh]));
        const columns: Column<PayoutRow>[] = [
          { header: '兑换单号', value: (r) => r.id, width: 30 },
          { header: '姓名', value: (r) => r.memberName, width: 12 },
          { header: '聘书编号', value: (r) => r.appointmentNumber, width: 20 },
          { header: '手机号', value: (r) => r.memberPhone, width: 14 },
          { header: '所属街道', value: (r) => names.get(r.jurisdictionId) ?? '', width: 14 },
          { header: '平台', value: (r) => platforms.get(r.platform) ?? r.platform, width: 10 },
          { header: '兑换积分', value: (r) => r.points, width: 10 },
          { header: '金额（元）', value: (r) => r.yuan, width: 12 },
          { header: '规则版本', value: (r) => r.ruleVersion, width: 10 },
          { header: '申请时间', value: (r) => r.requestedAt, width: 26 },
          { header: '付款时间', value: (r) => r.paidAt, width: 26 },
          { header: '付款凭证号', value: (r) => r.payoutRef, width: 22 },
        ];
        const totals = ['合计', `${payouts.rows.length} 笔`, null, null, null, null, payouts.points, payouts.yuan, null, null, null, null];
        const body = new PassThrough();
        const file = `积分兑付明细_${from}_${to}.${format}`;
        reply
          .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
          .header('content-disposition', `attachment; filename="payouts_${from}_${to}.${format}"; filename*=UTF-8''${encodeURIComponent(file)}`)
          .header('cache-control', 'no-store')
          .header('x-total-points', String(payouts.points))
          .header('x-total-yuan', String(payouts.yuan))
          .header('x-ledger-points', String(payouts.ledgerPoints));
        const writing = format === 'csv' ? writeCsv(body, columns, payouts.rows, totals) : writeXlsx(body, '兑付明细', columns, payouts.rows, totals);
        writing.catch((err: unknown) => body.destroy(err as Error));
        return reply.send(body);
      },
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
