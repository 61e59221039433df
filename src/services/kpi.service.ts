// The KPI use cases: the figures of a period over the cases the reader may see (a command centre its area,
// a department its own cases), broken down as asked, and the cases behind any figure. The formulas are the
// domain's (domain/kpi.ts); this reads each candidate case's events and hands them over.
//
// Computed from the events on every request, bounded: a period of at most MAX_PERIOD_DAYS (domain/kpi.ts) and at most
// MAX_CASES cases in it (413 kpi_too_many_cases beyond, saying to narrow it). Rollups maintained on each
// transition are the next step for city scale (issue 13's 1,000,000-case target).

import { caseScope, requireCapability } from '../domain/access.js';
import { DomainError, invalid } from '../domain/errors.js';
import {
  breakdown,
  bucketsOf,
  checkPeriod,
  digest,
  DIMENSIONS,
  figures,
  KPI_DEFINITIONS,
  measure,
  membership,
  TIME_KEYS,
  worst,
  type CaseDigest,
  type Dimension,
  type Every,
  type FigureSet,
  type KpiCase,
  type KpiKey,
  type KpiOptions,
  type Period,
  type Ranked,
  type RateKey,
  type TimeKey,
} from '../domain/kpi.js';
import type { CaseRecord } from '../domain/records.js';
import type { Locale } from '../domain/wording.js';
import { pick, type CaseView } from './case.views.js';
import type { CaseQueryService, Page } from './cases/queries.js';
import type { Principal, ServiceContext } from './context.js';

export const MAX_CASES = 200_000;
/** A trend's periods at most (a year of days). */
export const MAX_BUCKETS = 366;
export { EVERY, type Every } from '../domain/kpi.js';
/** A trend reads each case once per period: cases times periods at most this. */
export const MAX_TREND_WORK = 5_000_000;
/** Cases whose events are read in one query. */
const EVENT_BATCH = 500;

const RANKED = ['department', 'category'] as const;
type NamedRanked = Ranked & { name: string | null };

export type KpiRankings = { period: { from: string; to: string }; asOf: string } & Record<(typeof RANKED)[number], { slowest: NamedRanked[]; mostReturned: NamedRanked[]; mostReworked: NamedRanked[] }>;

export interface KpiHeatmap {
  period: { from: string; to: string };
  asOf: string;
  grids: { gridId: string; name: string | null; reported: number; open: number }[];
  outsideGrids: { reported: number; open: number };
}

export interface KpiTrend {
  every: Every;
  options: { excludeExtended: boolean };
  periods: { from: string; to: string; figures: FigureSet }[];
}

export interface KpiQuery extends KpiOptions {
  from: Date;
  to: Date;
  /** The breakdowns wanted, besides the whole. */
  by?: Dimension[];
}

/** In a drill-down's filter: the group without one (cases with no department yet, no grid...). */
export const NONE = 'none';

/** Keep only the cases of one group of a breakdown: a department, a grid... (NONE: the group without one). */
export type DimensionFilter = Partial<Record<Dimension, string>>;

export interface KpiGroup {
  key: string | null;
  /** The group's name in the reader's language, where it has one (a department, a category, a unit). */
  name: string | null;
  figures: FigureSet;
}

export interface KpiReport {
  period: { from: string; to: string };
  /** The record as it stood at this moment (the period's end, or now for a period not over yet). */
  asOf: string;
  options: { excludeExtended: boolean };
  /** Cases read to compute the figures (those the period can count, among those the reader may see). */
  casesRead: number;
  definitions: typeof KPI_DEFINITIONS;
  overall: FigureSet;
  breakdowns: Partial<Record<Dimension, KpiGroup[]>>;
}

export class KpiService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly caseQueries: CaseQueryService,
  ) {}

  async report(principal: Principal, q: KpiQuery, locale: Locale): Promise<KpiReport> {
    const { period, asOf, options } = this.check(principal, q);
    const digests = await this.digests(principal, period, asOf);
    const names = await this.names(locale);
    const breakdowns: Partial<Record<Dimension, KpiGroup[]>> = {};
    for (const dimension of new Set(q.by ?? [])) {
      breakdowns[dimension] = breakdown(digests, dimension, period, options).map((g) => ({ ...g, name: names(dimension, g.key) }));
    }
    return {
      period: { from: period.from.toISOString(), to: period.to.toISOString() },
      asOf: asOf.toISOString(),
      options: { excludeExtended: Boolean(options.excludeExtended) },
      casesRead: digests.length,
      definitions: KPI_DEFINITIONS,
      overall: figures(digests, period, options),
      breakdowns,
    };
  }

  /**
   * The cases behind one figure (its numerator or denominator; the measured cases of a time), newest
   * first, a page at a time, as the case list shows them: the count is the figure's.
   */
  async cases(
    principal: Principal,
    q: KpiQuery & { figure: KpiKey; part: 'numerator' | 'denominator'; where?: DimensionFilter; page?: number; pageSize?: number },
    locale: Locale,
  ): Promise<Page<CaseView>> {
    const { period, asOf, options } = this.check(principal, q);
    const digests = await this.digests(principal, period, asOf);
    const counted = (d: CaseDigest) => {
      if ((TIME_KEYS as readonly string[]).includes(q.figure)) return measure(q.figure as TimeKey, d, period) !== null;
      const m = membership(q.figure as RateKey, d, period, options);
      return q.part === 'numerator' ? m.numerator : m.denominator;
    };
    const matching = digests
      .filter((d) => Object.entries(q.where ?? {}).every(([dimension, value]) => d.dims[dimension as Dimension] === (value === NONE ? null : value)))
      .filter(counted)
      .sort((a, b) => b.reportedAt - a.reportedAt || (a.id < b.id ? 1 : -1));
    const pageSize = Math.min(Math.max(1, q.pageSize ?? 20), 100);
    const page = Math.max(1, q.page ?? 1);
    const ids = matching.slice((page - 1) * pageSize, page * pageSize).map((d) => d.id);
    const views = await this.caseQueries.listViews(principal, { ids, pageSize }, locale);
    // The list's own order is the same (newest first); its total is the page's, the figure's is ours.
    return { ...views, total: matching.length, page, pageSize };
  }

  private check(principal: Principal, q: KpiQuery): { period: Period; asOf: Date; options: KpiOptions } {
    requireCapability(principal.actor, 'view_kpis', 'Figures are for the command centre, supervisors and departments.');
    checkPeriod(q);
    for (const dimension of q.by ?? []) if (!(DIMENSIONS as readonly string[]).includes(dimension)) throw invalid('by', `Unknown breakdown ${JSON.stringify(dimension)}: use ${DIMENSIONS.join(', ')}.`, 'unknown_dimension');
    const now = this.ctx.now();
    const period = { from: q.from, to: q.to };
    return { period, asOf: q.to.getTime() < now.getTime() ? q.to : now, options: { excludeExtended: q.excludeExtended } };
  }

  /**
   * Cases per grid for the map's heat layer: reported in the period, and of those still open at its end
   * (not closed, rejected or merged). Cases outside every grid are counted apart. Grid polygons come from
   * GET /map/jurisdictions?level=grid, by id.
   */
  async heatmap(principal: Principal, q: KpiQuery, locale: Locale): Promise<KpiHeatmap> {
    const { period, asOf } = this.check(principal, q);
    const digests = await this.digests(principal, period, asOf);
    const names = await this.names(locale);
    const cells = new Map<string | null, { reported: number; open: number }>();
    for (const d of digests) {
      if (!(d.reportedAt >= period.from.getTime() && d.reportedAt < period.to.getTime())) continue;
      const cell = cells.get(d.dims.grid) ?? { reported: 0, open: 0 };
      cell.reported++;
      if (!['closed', 'rejected', 'merged'].includes(d.status)) cell.open++;
      cells.set(d.dims.grid, cell);
    }
    const grids = [...cells].filter(([key]) => key !== null).map(([key, c]) => ({ gridId: key!, name: names('grid', key), ...c }));
    grids.sort((a, b) => b.reported - a.reported || a.gridId.localeCompare(b.gridId));
    const outside = cells.get(null) ?? { reported: 0, open: 0 };
    return { period: { from: period.from.toISOString(), to: period.to.toISOString() }, asOf: asOf.toISOString(), grids, outsideGrids: outside };
  }

  /**
   * The departments and categories that do worst: the slowest (median time to resolve), the most returned
   * (退单率) and the most reworked (返工率), worst first, each group resting on at least `minCases` cases.
   */
  async rankings(principal: Principal, q: KpiQuery & { top?: number; minCases?: number }, locale: Locale): Promise<KpiRankings> {
    const { period, asOf, options } = this.check(principal, q);
    const digests = await this.digests(principal, period, asOf);
    const names = await this.names(locale);
    const top = Math.min(Math.max(1, q.top ?? 10), 50);
    const minCases = Math.max(1, q.minCases ?? 3);
    const out = { period: { from: period.from.toISOString(), to: period.to.toISOString() }, asOf: asOf.toISOString() } as KpiRankings;
    for (const dimension of RANKED) {
      const groups = breakdown(digests, dimension, period, options);
      const named = (list: Ranked[]) => list.map((r) => ({ ...r, name: names(dimension, r.key) }));
      out[dimension] = { slowest: named(worst(groups, 'to_resolve', top, minCases)), mostReturned: named(worst(groups, 'return', top, minCases)), mostReworked: named(worst(groups, 'rework', top, minCases)) };
    }
    return out;
  }

  /**
   * The figures period by period (days, ISO weeks or months, in China Standard Time), each as the record
   * stood at its own end. Bounded: at most MAX_BUCKETS periods, and cases times periods at most MAX_TREND_WORK.
   */
  async trend(principal: Principal, q: KpiQuery & { every: Every }): Promise<KpiTrend> {
    const { period, options } = this.check(principal, q);
    const buckets = bucketsOf(period, q.every, MAX_BUCKETS);
    if (buckets.length > MAX_BUCKETS) throw invalid('every', `That is ${buckets.length} periods; at most ${MAX_BUCKETS}: ask for weeks or months.`, 'too_many_periods');
    const cases = await this.load(principal, period);
    if (cases.length * buckets.length > MAX_TREND_WORK) {
      throw new DomainError('too_large', 'kpi_trend_too_large', `${cases.length.toLocaleString('en')} cases over ${buckets.length} periods is more than one answer computes: ask for weeks or months, or a shorter span.`, { cases: cases.length, periods: buckets.length });
    }
    const now = this.ctx.now().getTime();
    return {
      every: q.every,
      options: { excludeExtended: Boolean(options.excludeExtended) },
      periods: buckets.map((b) => {
        const asOf = new Date(Math.min(b.to.getTime(), now));
        return { from: b.from.toISOString(), to: b.to.toISOString(), figures: figures(cases.map((c) => digest(c, asOf)), b, options) };
      }),
    };
  }

  /** Each case the period can count, read from its events as they stood at `asOf`. */
  private async digests(principal: Principal, period: Period, asOf: Date): Promise<CaseDigest[]> {
    return (await this.load(principal, period)).map((c) => digest(c, asOf));
  }

  /** The cases a period can count among those the reader may see, each with its events. */
  private async load(principal: Principal, period: Period): Promise<KpiCase[]> {
    const repos = this.ctx.uow.autocommit;
    const records = await repos.cases.kpiCandidates(caseScope(principal.actor), period.from.toISOString(), period.to.toISOString(), MAX_CASES + 1);
    if (records.length > MAX_CASES) {
      throw new DomainError('too_large', 'kpi_too_many_cases', `This period holds more than ${MAX_CASES.toLocaleString('en')} cases of your area: ask for a shorter period.`, { maxCases: MAX_CASES });
    }
    const units = await this.ctx.routing();
    const ancestor = (unitId: string | null, level: 'community' | 'subdistrict'): string | null => {
      for (let unit = unitId ? units.unit(unitId) : undefined; unit; unit = unit.parentId ? units.unit(unit.parentId) : undefined) if (unit.level === level) return unit.id;
      return null;
    };
    const memberOf = await repos.members.memberIdsByUsers([...new Set(records.map((r) => r.reporterId))]);
    const out: KpiCase[] = [];
    for (let i = 0; i < records.length; i += EVENT_BATCH) {
      const batch = records.slice(i, i + EVENT_BATCH);
      const events = await repos.events.eventsFor(batch.map((r) => r.id));
      const byCase = new Map<string, typeof events>();
      for (const e of events) {
        const list = byCase.get(e.caseId);
        if (list) list.push(e);
        else byCase.set(e.caseId, [e]);
      }
      for (const record of batch) out.push(kpiCase(record, byCase.get(record.id) ?? [], ancestor, memberOf.get(record.reporterId) ?? null));
    }
    return out;
  }

  /** A breakdown key's name in the reader's language (null for the group without one, or a key with no name). */
  private async names(locale: Locale): Promise<(dimension: Dimension, key: string | null) => string | null> {
    const reference = await this.ctx.reference();
    const units = await this.ctx.routing();
    return (dimension, key) => {
      if (key === null) return null;
      const named =
        dimension === 'department' ? reference.departmentById.get(key)
        : dimension === 'category' ? reference.categoryById.get(key)
        : dimension === 'grid' || dimension === 'community' || dimension === 'subdistrict' ? units.unit(key)
        : undefined;
      return named ? pick(named.names, locale) : null;
    };
  }
}

function kpiCase(record: CaseRecord, events: KpiCase['events'], ancestor: (unitId: string | null, level: 'community' | 'subdistrict') => string | null, memberId: string | null): KpiCase {
  return {
    id: record.id,
    reportedAt: record.reportedAt,
    channel: record.channel,
    urgency: record.urgency,
    categoryId: record.categoryId,
    gridId: record.gridId,
    communityId: ancestor(record.gridId ?? record.jurisdictionId, 'community'),
    subdistrictId: ancestor(record.gridId ?? record.jurisdictionId, 'subdistrict'),
    memberId,
    departmentId: record.departmentId,
    events,
  };
}

