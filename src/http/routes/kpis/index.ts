// The figures leaders are judged by (issue 13): GET /kpis over a period, overall and broken down, each
// figure with its definition and the address of the cases behind its numerator and denominator (the case
// list with kpi=...). Who may: the command centre and supervisors (their area), departments (their cases),
// administrators; decided before anything is read.

import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { invalid } from '../../../domain/errors.js';
import { kpiSheets } from '../../../export/kpi.js';
import { writeCsv, writeWorkbook } from '../../../export/table.js';
import { RATE_KEYS, TIME_KEYS, type Dimension, type FigureSet } from '../../../domain/kpi.js';
import type { Services } from '../../../services/index.js';
import { NONE } from '../../../services/kpi.service.js';
import { authenticated, localeOf, principalOf, requires } from '../../auth.js';
import { KpiAnswer, KpiExportQuery, KpiHeatmapAnswer, KpiQuery, KpiRankingsAnswer, KpiRankingsQuery, KpiTrendAnswer, KpiTrendQuery, PeriodQuery, PointsMonthsAnswer, PointsMonthsQuery } from './schema.js';

interface Scope {
  period: { from: string; to: string };
  options: { excludeExtended: boolean };
}

/** Where the cases behind a figure are listed: the case list's own parameters, with the figure's. */
function drill(scope: Scope, figure: string, part: 'numerator' | 'denominator', where: Partial<Record<Dimension, string>>): string {
  const q = new URLSearchParams({ kpi: figure, part, from: scope.period.from, to: scope.period.to });
  if (scope.options.excludeExtended) q.set('excludeExtended', 'true');
  for (const [dimension, value] of Object.entries(where)) q.set(dimension, value);
  return `/api/v1/cases?${q}`;
}

function withLinks(scope: Scope, set: FigureSet, where: Partial<Record<Dimension, string>>) {
  const out: Record<string, unknown> = {};
  for (const key of RATE_KEYS) out[key] = { ...set[key], cases: { numerator: drill(scope, key, 'numerator', where), denominator: drill(scope, key, 'denominator', where) } };
  for (const key of TIME_KEYS) out[key] = { ...set[key], cases: drill(scope, key, 'denominator', where) };
  return out;
}

/** A query's period and options as the service takes them. */
const kpiQuery = (q: { from: string; to: string; by?: KpiQuery['by']; excludeExtended?: boolean }) => ({ from: new Date(q.from), to: new Date(q.to), by: q.by, excludeExtended: q.excludeExtended });

/** Every figure route: who may (decided before anything is read) and the readers' rate limit. */
const figureRoute = { onRequest: requires('view_kpis'), config: { rateLimit: 'read' } } as const;

export const kpiRoutes = (services: Services): FastifyPluginAsyncTypebox =>
  authenticated(async (app) => {
    app.get(
      '/kpis',
      {
        ...figureRoute,
        schema: { tags: ['kpis'], summary: 'The figures of a period (结案率, 按期结案率, 办结率, 响应率, 退单率, 返工率, 延期率, 满意率, 重复上报率, times), overall and broken down, each with its definition and its cases', querystring: KpiQuery, response: { 200: KpiAnswer } },
      },
      async (request) => {
        const report = await services.kpis.report(principalOf(request), kpiQuery(request.query), localeOf(request));
        const breakdowns: Record<string, unknown> = {};
        for (const [dimension, groups] of Object.entries(report.breakdowns)) {
          breakdowns[dimension] = groups.map((g) => ({ ...g, figures: withLinks(report, g.figures, { [dimension]: g.key ?? NONE }) }));
        }
        return { ...report, overall: withLinks(report, report.overall, {}), breakdowns };
      },
    );

    app.get(
      '/kpis/trend',
      {
        ...figureRoute,
        schema: { tags: ['kpis'], summary: 'The figures day by day, week by week or month by month (China Standard Time), each period as the record stood at its end', querystring: KpiTrendQuery, response: { 200: KpiTrendAnswer } },
      },
      async (request) => {
        const q = request.query;
        const trend = await services.kpis.trend(principalOf(request), { ...kpiQuery(q), every: q.every });
        return { ...trend, periods: trend.periods.map((p) => ({ ...p, figures: withLinks({ period: p, options: trend.options }, p.figures, {}) })) };
      },
    );

    app.get(
      '/kpis/rankings',
      {
        ...figureRoute,
        schema: { tags: ['kpis'], summary: 'The slowest, most returned (退单) and most reworked (返工) departments and categories of a period, worst first', querystring: KpiRankingsQuery, response: { 200: KpiRankingsAnswer } },
      },
      async (request) => {
        const q = request.query;
        return services.kpis.rankings(principalOf(request), { ...kpiQuery(q), top: q.top, minCases: q.minCases }, localeOf(request));
      },
    );

    app.get(
      '/kpis/heatmap',
      {
        ...figureRoute,
        schema: { tags: ['kpis'], summary: "Cases per grid for the map's heat layer: reported in the period and still open at its end (polygons: GET /map/jurisdictions?level=grid)", querystring: PeriodQuery, response: { 200: KpiHeatmapAnswer } },
      },
      async (request) => services.kpis.heatmap(principalOf(request), kpiQuery(request.query), localeOf(request)),
    );

    app.get(
      '/kpis/points',
      {
        ...figureRoute,
        schema: { tags: ['kpis'], summary: "The programme's points month by month: awarded (less reversals) and paid out (points, yuan, redemptions), for the members of the caller's area", querystring: PointsMonthsQuery, response: { 200: PointsMonthsAnswer } },
      },
      async (request) => {
        const { from, to } = kpiQuery(request.query);
        return { items: await services.points.monthly(principalOf(request), from, to) };
      },
    );

    app.get(
      '/kpis/export',
      {
        ...figureRoute,
        schema: {
          tags: ['kpis'],
          summary: 'The same figures as a spreadsheet: xlsx with a sheet for the whole and one per breakdown (Chinese headers), or CSV of the whole or of one breakdown',
          querystring: KpiExportQuery,
        },
      },
      async (request, reply) => {
        const q = request.query;
        const format: 'csv' | 'xlsx' = q.format ?? 'xlsx';
        if (format === 'csv' && (q.by?.length ?? 0) > 1) throw invalid('by', 'A CSV holds one table: ask for one breakdown, or for xlsx (a sheet per breakdown).', 'one_breakdown_per_csv');
        const report = await services.kpis.report(principalOf(request), kpiQuery(q), localeOf(request));
        const sheets = kpiSheets(report);
        const body = new PassThrough();
        const name = `gridline-kpis-${report.period.from.slice(0, 10)}-${report.period.to.slice(0, 10)}`;
        reply
          .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
          .header('content-disposition', `attachment; filename="${name}.${format}"`)
          .header('cache-control', 'no-store');
        const table = sheets.at(-1)!;
        const writing = format === 'csv' ? writeCsv(body, table.columns, table.rows) : writeWorkbook(body, sheets);
        writing.catch((err: unknown) => body.destroy(err as Error));
        return reply.send(body);
      },
    );
  });
