import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../services/index.js';
import { invalid } from '../../domain/errors.js';
import { localeOf, principalOf } from '../auth.js';
import { ActionBody, ActionParams, CaseListQuery, IdParams, PageQuery, ReportBody } from '../schemas.js';

/** An ISO date-time as UTC ISO text; a valid-looking but impossible time (a leap second) is a 400. */
function instant(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalid(field, `${field} is not a time this server can use; send ISO 8601 like 2025-05-07T21:00:00+08:00.`);
  return new Date(ms).toISOString();
}

const idempotencyKey = (header: string | string[] | undefined): string | undefined => (Array.isArray(header) ? header[0] : header)?.slice(0, 128) || undefined;

export const caseRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    const secured = { onRequest: app.authenticate };
    const security = [{ bearer: [] }];

    app.post(
      '/reports',
      {
        ...secured,
        schema: {
          tags: ['cases'],
          summary: 'Report a problem; creates a case (send Idempotency-Key to make retries safe)',
          security,
          body: ReportBody,
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const { clientKey, ...input } = request.body;
        const key = idempotencyKey(request.headers['idempotency-key']) ?? clientKey;
        const { caseId, replayed } = await services.cases.report(principal, input, key);
        const view = await services.cases.get(principal, caseId, localeOf(request));
        if (replayed) reply.header('idempotent-replayed', 'true');
        return reply.status(replayed ? 200 : 201).header('location', `/api/v1/cases/${caseId}`).send(view);
      },
    );

    app.get('/cases', { ...secured, schema: { tags: ['cases'], summary: 'Cases the caller may see, newest first', security, querystring: CaseListQuery } }, async (request) => {
      const q = request.query;
      return services.cases.listViews(
        principalOf(request),
        {
          status: q.status,
          categoryId: q.category,
          departmentId: q.department,
          gridId: q.grid,
          urgency: q.urgency,
          overdue: q.overdue,
          reportedFrom: instant(q.from, 'from'),
          reportedTo: instant(q.to, 'to'),
          page: q.page,
          pageSize: q.pageSize,
        },
        localeOf(request),
      );
    });

    app.get('/cases/:id', { ...secured, schema: { tags: ['cases'], summary: 'One case with its events and deadlines', security, params: IdParams } }, async (request) =>
      services.cases.get(principalOf(request), request.params.id, localeOf(request)),
    );

    app.post(
      '/cases/:id/actions/:action',
      {
        ...secured,
        // An action with nothing to say (accept, sign, start) may come without a body.
        preValidation: async (request) => {
          if (request.body === undefined) request.body = {};
        },
        schema: { tags: ['cases'], summary: 'Take a workflow action on a case', security, params: ActionParams, body: ActionBody },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const { replayed } = await services.cases.act(principal, request.params.id, request.params.action, request.body, idempotencyKey(request.headers['idempotency-key']));
        if (replayed) reply.header('idempotent-replayed', 'true');
        return services.cases.get(principal, request.params.id, localeOf(request));
      },
    );

    app.get('/me/reports', { ...secured, schema: { tags: ['cases'], summary: 'My reports, each with its story in plain words', security, querystring: PageQuery } }, async (request) =>
      services.cases.myReports(principalOf(request), request.query.page ?? 1, request.query.pageSize ?? 20, localeOf(request)),
    );
  };
