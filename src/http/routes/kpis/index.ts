// The figures leaders are judged by (issue 13): GET /kpis over a period, overall and broken down, each
// figure with its definition and the address of the cases behind its numerator and denominator (the case
// list with kpi=...). Who may: the command centre and supervisors (their area), departments (their cases),
// administrators; decided before anything is read.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { RATE_KEYS, TIME_KEYS, type Dimension, type FigureSet } from '../../../domain/kpi.js';
import type { Services } from '../../../services/index.js';
import { NONE, type KpiReport } from '../../../services/kpi.service.js';
import { authenticated, localeOf, principalOf, requires } from '../../auth.js';
import { KpiAnswer, KpiQuery } from './schema.js';

/** Where the cases behind a figure are listed: the case list's own parameters, with the figure's. */
function drill(report: KpiReport, figure: string, part: 'numerator' | 'denominator', where: Partial<Record<Dimension, string>>): string {
  const q = new URLSearchParams({ kpi: figure, part, from: report.period.from, to: report.period.to });
  if (report.options.excludeExtended) q.set('excludeExtended', 'true');
  for (const [dimension, value] of Object.entries(where)) q.set(dimension, value);
  return `/api/v1/cases?${q}`;
}

function withLinks(report: KpiReport, set: FigureSet, where: Partial<Record<Dimension, string>>) {
  const out: Record<string, unknown> = {};
  for (const key of RATE_KEYS) out[key] = { ...set[key], cases: { numerator: drill(report, key, 'numerator', where), denominator: drill(report, key, 'denominator', where) } };
  for (const key of TIME_KEYS) out[key] = { ...set[key], cases: drill(report, key, 'denominator', where) };
  return out;
}

export const kpiRoutes = (services: Services): FastifyPluginAsyncTypebox =>
  authenticated(async (app) => {
    app.get(
      '/kpis',
      {
        onRequest: requires('view_kpis'),
        config: { rateLimit: 'read' },
        schema: { tags: ['kpis'], summary: 'The figures of a period (结案率, 按期结案率, 办结率, 响应率, 返工率, 延期率, 满意率, 重复上报率, times), overall and broken down, each with its definition and its cases', querystring: KpiQuery, response: { 200: KpiAnswer } },
      },
      async (request) => {
        const q = request.query;
        const report = await services.kpis.report(principalOf(request), { from: new Date(q.from), to: new Date(q.to), by: q.by, excludeExtended: q.excludeExtended }, localeOf(request));
        const breakdowns: Record<string, unknown> = {};
        for (const [dimension, groups] of Object.entries(report.breakdowns)) {
          breakdowns[dimension] = groups.map((g) => ({ ...g, figures: withLinks(report, g.figures, { [dimension]: g.key ?? NONE }) }));
        }
        return { ...report, overall: withLinks(report, report.overall, {}), breakdowns };
      },
    );
  });
