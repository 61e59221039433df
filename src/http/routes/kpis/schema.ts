// The figures (KPIs): what GET /kpis takes and answers.

import { Type, type Static, type TSchema } from 'typebox';
import { DIMENSIONS, RATE_KEYS, TIME_KEYS } from '../../../domain/kpi.js';
import { EVERY } from '../../../services/kpi.service.js';
import { Lang, literals, Nullable, Obj } from '../../schemas.js';

const Instant = (description: string) => Type.String({ format: 'date-time', description });

export const KpiQuery = Type.Object({
  from: Instant('The period starts here (ISO 8601, included)'),
  to: Instant('The period ends here (excluded); the figures are taken as the record stood then (or now, if it is later)'),
  by: Type.Optional(Type.Array(literals(DIMENSIONS), { maxItems: DIMENSIONS.length, description: 'Breakdowns besides the whole (repeat the parameter)' })),
  excludeExtended: Type.Optional(Type.Boolean({ description: '按期结案率 without the cases whose deadline was extended (缓办) in its denominator' })),
  lang: Type.Optional(Lang),
});
export type KpiQuery = Static<typeof KpiQuery>;

const Drill = Type.String({ description: 'GET this for the cases behind it (GET /api/v1/cases with kpi=...)' });
const RateSchema = Obj({
  numerator: Type.Integer(),
  denominator: Type.Integer(),
  value: Nullable(Type.Number({ description: 'numerator / denominator; null when nothing is counted' })),
  cases: Obj({ numerator: Drill, denominator: Drill }),
});
const TimesSchema = Obj({ count: Type.Integer(), meanMin: Nullable(Type.Number()), medianMin: Nullable(Type.Number()), p90Min: Nullable(Type.Number()), cases: Drill });
const figureProperties: Record<string, TSchema> = {};
for (const key of RATE_KEYS) figureProperties[key] = RateSchema;
for (const key of TIME_KEYS) figureProperties[key] = TimesSchema;
export const FigureSetSchema = Obj(figureProperties);

const Definition = Obj({ name: Obj({ zh: Type.String(), en: Type.String() }), numerator: Type.String(), denominator: Type.String() });
const definitionProperties: Record<string, TSchema> = {};
for (const key of [...RATE_KEYS, ...TIME_KEYS]) definitionProperties[key] = Definition;

const Group = Obj({ key: Nullable(Type.String()), name: Nullable(Type.String()), figures: FigureSetSchema });
const breakdownProperties: Record<string, TSchema> = {};
for (const dimension of DIMENSIONS) breakdownProperties[dimension] = Type.Optional(Type.Array(Group));

export const KpiAnswer = Obj({
  period: Obj({ from: Type.String(), to: Type.String() }),
  asOf: Type.String({ description: 'The record as it stood at this moment' }),
  options: Obj({ excludeExtended: Type.Boolean() }),
  casesRead: Type.Integer({ description: 'Cases read to compute the figures' }),
  definitions: Obj(definitionProperties),
  overall: FigureSetSchema,
  breakdowns: Obj(breakdownProperties),
});

export const KpiTrendQuery = Type.Object({
  from: Instant('The span starts here (ISO 8601, included)'),
  to: Instant('The span ends here (excluded)'),
  every: literals(EVERY, { description: 'Cut it into days, ISO weeks (from Monday) or months, in China Standard Time' }),
  excludeExtended: Type.Optional(Type.Boolean({ description: 'As for GET /kpis' })),
  lang: Type.Optional(Lang),
});
export type KpiTrendQuery = Static<typeof KpiTrendQuery>;

export const KpiTrendAnswer = Obj({
  every: Type.String(),
  options: Obj({ excludeExtended: Type.Boolean() }),
  periods: Type.Array(Obj({ from: Type.String(), to: Type.String(), figures: FigureSetSchema })),
});

export const KpiExportQuery = Type.Object({
  ...KpiQuery.properties,
  format: Type.Optional(literals(['xlsx', 'csv'] as const, { description: 'xlsx (default: a sheet for the whole and one per breakdown) or csv (the whole, or the one breakdown asked for)' })),
});
export type KpiExportQuery = Static<typeof KpiExportQuery>;

export const KpiRankingsQuery = Type.Object({
  from: Instant('The period starts here (ISO 8601, included)'),
  to: Instant('The period ends here (excluded)'),
  top: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'How many of each list (default 10)' })),
  minCases: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'Leave out groups resting on fewer cases (default 3)' })),
  lang: Type.Optional(Lang),
});
export type KpiRankingsQuery = Static<typeof KpiRankingsQuery>;

const RankedSchema = Obj({ key: Nullable(Type.String()), name: Nullable(Type.String()), value: Type.Number({ description: 'median minutes (slowest) or the rate (most returned, most reworked)' }), cases: Type.Integer() });
const Lists = Obj({ slowest: Type.Array(RankedSchema), mostReturned: Type.Array(RankedSchema), mostReworked: Type.Array(RankedSchema) });
export const KpiRankingsAnswer = Obj({ period: Obj({ from: Type.String(), to: Type.String() }), asOf: Type.String(), department: Lists, category: Lists });

export const PointsMonthsQuery = Type.Object({
  from: Instant('The span starts here (ISO 8601, included)'),
  to: Instant('The span ends here (excluded); cut into months in China Standard Time'),
});
export const PointsMonthsAnswer = Obj({
  items: Type.Array(Obj({ from: Type.String(), to: Type.String(), awarded: Type.Integer({ description: 'points awarded, less reversals' }), paidPoints: Type.Integer(), paidYuan: Type.Number(), redemptionsPaid: Type.Integer() })),
});

const Cell = { reported: Type.Integer({ description: 'cases reported in the period' }), open: Type.Integer({ description: 'of those, not closed, rejected or merged at its end' }) };
export const KpiHeatmapAnswer = Obj({
  period: Obj({ from: Type.String(), to: Type.String() }),
  asOf: Type.String(),
  grids: Type.Array(Obj({ gridId: Type.String(), name: Nullable(Type.String()), ...Cell })),
  outsideGrids: Obj(Cell),
});

export const PeriodQuery = Type.Object({
  from: Instant('The period starts here (ISO 8601, included)'),
  to: Instant('The period ends here (excluded)'),
  lang: Type.Optional(Lang),
});
