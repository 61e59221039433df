import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../../services/index.js';
import type { DimensionFilter } from '../../../services/kpi.service.js';
import { invalid } from '../../../domain/errors.js';
import { authenticated, localeOf, principalOf } from '../../auth.js';
import { IdParams, Items, PageOf } from '../../schemas.js';
import { convert, type CoordSys } from '../../../geo/coords.js';
import type { FastifyRequest } from 'fastify';
import { reportFromForm, type FormReport } from '../../uploads.js';
import { ActionBody, ActionParams, AnyCaseView, CaseListQuery, CaseViewSchema, DuplicateCandidateSchema, NearbyQuery, PageQuery, ReportAnswer, ReportBody, ReporterCaseViewSchema, ViewQuery } from './schema.js';

/** Answer a view's location in the system the client asked for (the stored WGS-84 point, converted). */
function located<T extends { location: { lat: number; lon: number; coordSys: string } }>(view: T, coordSys: CoordSys | undefined): T {
  if (!coordSys || coordSys === 'wgs84') return view;
  return { ...view, location: { ...convert(view.location, 'wgs84', coordSys), coordSys } };
}

/** The cases behind a figure of GET /kpis (its drill-down), a page at a time. */
async function kpiCases(services: Services, request: FastifyRequest, q: CaseListQuery) {
  const from = instant(q.from, 'from');
  const to = instant(q.to, 'to');
  if (!from || !to) throw invalid(from ? 'to' : 'from', 'A figure is of a period: give from and to with kpi.', 'period_required');
  if (q.status?.length || q.overdue !== undefined || q.outside !== undefined || q.nearBorder !== undefined) {
    throw invalid('kpi', 'The cases behind a figure are filtered by its breakdown only (department, category, grid, community, subdistrict, member, channel, urgency).', 'kpi_filter_unsupported');
  }
  const where: DimensionFilter = {};
  const dims = { department: q.department, category: q.category, grid: q.grid, community: q.community, subdistrict: q.subdistrict, member: q.member, channel: q.channel, urgency: q.urgency };
  for (const [dimension, value] of Object.entries(dims)) if (value !== undefined) where[dimension as keyof DimensionFilter] = value;
  return services.kpis.cases(principalOf(request), { figure: q.kpi!, part: q.part ?? 'denominator', from: new Date(from), to: new Date(to), excludeExtended: q.excludeExtended, where, page: q.page, pageSize: q.pageSize }, localeOf(request));
}

/** An ISO date-time as UTC ISO text; a valid-looking but impossible time (a leap second) is a 400. */
function instant(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalid(field, `${field} is not a time this server can use; send ISO 8601 like 2025-05-07T21:00:00+08:00.`);
  return new Date(ms).toISOString();
}

const idempotencyKey = (header: string | string[] | undefined): string | undefined => (Array.isArray(header) ? header[0] : header)?.slice(0, 128) || undefined;

/** Every case route needs a signed-in caller. */
export const caseRoutes = (services: Services): FastifyPluginAsyncTypebox =>
  authenticated(async (app) => {
    /** Multipart reports between their checks (preValidation) and their answer. */
    const forms = new WeakMap<FastifyRequest, FormReport>();
    const disposeForm = async (request: FastifyRequest) => {
      const form = forms.get(request);
      forms.delete(request);
      await form?.dispose();
    };

    app.post(
      '/reports',
      {
        config: { rateLimit: 'report' },
        // A report may arrive as multipart/form-data with its photos inline: a `report` field holding the
        // JSON body, and the files. The report is checked first (JSON, text, schema), then the files;
        // only when all of it passes are the files stored, joining the report's media (uploads.ts).
        preValidation: async (request, reply) => {
          if (!request.isMultipart()) return;
          const form = await reportFromForm(request, reply, services, request.getValidationFunction('body'));
          forms.set(request, form);
          request.body = form.body as typeof request.body;
        },
        // The form's temporary files go whatever the answer was (or if the client went away).
        onResponse: async (request) => disposeForm(request),
        onRequestAbort: async (request) => disposeForm(request),
        schema: {
          tags: ['cases'],
          summary: 'Report a problem; creates a case (send Idempotency-Key to make retries safe). JSON, or multipart/form-data with the JSON in a "report" field and the photos/videos as files',
          body: ReportBody,
          response: { 200: ReportAnswer, 201: ReportAnswer },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        // Everything read from the request is read before the write: nothing after the commit may throw on input.
        const locale = localeOf(request);
        const { clientKey, coord_sys: coordSys, ...input } = request.body;
        const key = idempotencyKey(request.headers['idempotency-key']) ?? clientKey;
        // A form's files are stored now and recorded in the report's own transaction: a refused report
        // (an unknown master, a reused key) keeps no media row.
        const form = forms.get(request);
        const staged = form ? await Promise.all(form.prepared.map((p) => services.media.stage(p))) : [];
        const newMedia = staged.filter((s) => s.isNew).map((s) => s.record);
        const result = await services.reports.report(principal, { ...input, coordSys }, key, newMedia);
        const { caseId, replayed } = result;
        // Built from the rows just written (a replay is read back like GET /cases/{id}).
        const view = located(await services.reports.reportView(principal, result, locale), coordSys);
        // "Is it one of these?": open cases nearby, unless this report already joined one.
        const possibleDuplicates =
          input.duplicateOf !== undefined ? [] : await services.duplicates.candidates({ lat: input.lat, lon: input.lon, coordSys, categoryId: input.categoryId }, locale, caseId);
        if (replayed) reply.header('idempotent-replayed', 'true');
        return reply.status(replayed ? 200 : 201).header('location', `/api/v1/cases/${caseId}`).send({ ...view, possibleDuplicates });
      },
    );

    app.get(
      '/reports/nearby',
      { config: { rateLimit: 'read' }, schema: { tags: ['cases'], summary: 'Open cases near a point that may be the same problem ("is it one of these?")', querystring: NearbyQuery, response: { 200: Items(DuplicateCandidateSchema) } } },
      async (request) => {
        const q = request.query;
        return { items: await services.duplicates.candidates({ lat: q.lat, lon: q.lon, coordSys: q.coord_sys, categoryId: q.categoryId }, localeOf(request)) };
      },
    );

    app.get('/cases', { config: { rateLimit: 'read' }, schema: { tags: ['cases'], summary: 'Cases the caller may see, newest first', querystring: CaseListQuery, response: { 200: PageOf(CaseViewSchema) } } }, async (request) => {
      const q = request.query;
      if (q.kpi) {
        const page = await kpiCases(services, request as FastifyRequest, q);
        return { ...page, items: page.items.map((view) => located(view, q.coord_sys)) };
      }
      const kpiOnly = (['part', 'excludeExtended', 'community', 'subdistrict', 'member', 'channel'] as const).find((k) => q[k] !== undefined);
      if (kpiOnly) throw invalid(kpiOnly, `${kpiOnly} filters the cases behind a figure: give kpi (and from, to) with it.`, 'kpi_required');
      const page = await services.caseQueries.listViews(
        principalOf(request),
        {
          status: q.status,
          categoryId: q.category,
          departmentId: q.department,
          gridId: q.grid,
          urgency: q.urgency,
          overdue: q.overdue,
          outside: q.outside,
          nearBorder: q.nearBorder,
          reportedFrom: instant(q.from, 'from'),
          reportedTo: instant(q.to, 'to'),
          page: q.page,
          pageSize: q.pageSize,
        },
        localeOf(request),
      );
      return { ...page, items: page.items.map((view) => located(view, q.coord_sys)) };
    });

    app.get(
      '/cases/:id',
      { schema: { tags: ['cases'], summary: 'One case with its events and deadlines', params: IdParams, querystring: ViewQuery, response: { 200: AnyCaseView } } },
      async (request) => located(await services.caseQueries.get(principalOf(request), request.params.id, localeOf(request)), request.query.coord_sys),
    );

    app.post(
      '/cases/:id/actions/:action',
      {
        // An action with nothing to say (accept, sign, start) may come without a body.
        preValidation: async (request) => {
          if (request.body === undefined) request.body = {};
        },
        schema: { tags: ['cases'], summary: 'Take a workflow action on a case', params: ActionParams, body: ActionBody, response: { 200: AnyCaseView } },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const locale = localeOf(request);
        const { replayed } = await services.actions.act(principal, request.params.id, request.params.action, request.body, idempotencyKey(request.headers['idempotency-key']));
        if (replayed) reply.header('idempotent-replayed', 'true');
        return services.caseQueries.get(principal, request.params.id, locale);
      },
    );

    app.get('/me/reports', { config: { rateLimit: 'read' }, schema: { tags: ['cases'], summary: 'My reports, each with its story in plain words', querystring: PageQuery, response: { 200: PageOf(ReporterCaseViewSchema) } } }, async (request) => {
      const page = await services.caseQueries.myReports(principalOf(request), request.query.page ?? 1, request.query.pageSize ?? 20, localeOf(request));
      return { ...page, items: page.items.map((view) => located(view, request.query.coord_sys)) };
    });
  });
