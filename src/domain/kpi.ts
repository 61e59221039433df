// The figures a subdistrict and its departments are judged by, computed from the case events alone (the
// append-only record: each event's action, time, new status, data and the snapshot of the clocks it touched).
// Pure: the service hands in each case's events and the few facts the events do not repeat (where it is,
// who reported it); everything here is arithmetic over them.
//
// A period is [from, to). Every figure is taken as the record stood at `to` (events at or after `to` are
// not seen), so a month's figures do not move when its cases go on in the next month, and anyone can
// recompute them. Each figure counts cases, never events, so its drill-down lists exactly its count:
// `membership()` says, for one case, whether it is in a figure's denominator and numerator.
//
// The definitions (numerator, denominator, what counts at the period's edges) are written once, in
// KPI_DEFINITIONS, and shown in the API's answer and in the README.

import { invalid } from './errors.js';
import type { EventAction } from './records.js';
import type { CaseStatus, Channel, Stage, Urgency } from './types.js';

/** One event as the figures read it. */
export interface KpiEvent {
  action: EventAction;
  at: string;
  toStatus: CaseStatus;
  data: Record<string, unknown>;
  /** The clocks the event touched, as it snapshotted them (deadlines.ts ClockSnapshot). */
  clocks: unknown[];
}

/** A case's events (in order) and the facts figures are broken down by. */
export interface KpiCase {
  id: string;
  reportedAt: string;
  channel: Channel;
  urgency: Urgency;
  categoryId: string;
  gridId: string | null;
  communityId: string | null;
  subdistrictId: string | null;
  /** The reporter's programme membership, for reports by grid workers. */
  memberId: string | null;
  /** The department it stands with now (used when no dispatch is seen by the period's end). */
  departmentId: string | null;
  events: KpiEvent[];
}

export interface Period {
  from: Date;
  to: Date;
}

export interface KpiOptions {
  /** 按期结案率 without the cases whose deadline was extended (缓办) in its denominator, as some cities count it. */
  excludeExtended?: boolean;
}

export const DIMENSIONS = ['department', 'category', 'grid', 'community', 'subdistrict', 'member', 'channel', 'urgency'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export const RATE_KEYS = ['closure', 'on_time_closure', 'completion', 'response', 'return', 'rework', 'extension', 'satisfaction', 'duplicate'] as const;
export type RateKey = (typeof RATE_KEYS)[number];
export const TIME_KEYS = ['to_accept', 'to_dispatch', 'to_sign', 'to_resolve', 'to_close'] as const;
export type TimeKey = (typeof TIME_KEYS)[number];
export type KpiKey = RateKey | TimeKey;

export interface KpiDefinition {
  name: { zh: string; en: string };
  /** Rates: what the numerator counts. Times: what is measured. */
  numerator: string;
  /** Rates: what the denominator counts. Times: which cases are measured. */
  denominator: string;
}

/** The one statement of every figure. */
export const KPI_DEFINITIONS: Record<KpiKey, KpiDefinition> = {
  closure: {
    name: { zh: '结案率', en: 'closure rate' },
    numerator: 'cases due to close in the period that are closed at its end',
    denominator:
      'cases due to close in the period: dispatched cases, not merged into another at its end, whose latest handling deadline (extensions included) falls in the period unless they were closed before it began, and those closed in the period whose deadline falls after it (each closing counts once, in one period)',
  },
  on_time_closure: {
    name: { zh: '按期结案率', en: 'on-time closure rate' },
    numerator: 'of those, cases closed at its end whose every handling round ended by its deadline (extensions included; a round still open at closing ends then)',
    denominator: 'cases due to close in the period (as for 结案率); with excludeExtended, less those with an approved extension (缓办)',
  },
  completion: {
    name: { zh: '办结率', en: 'completion rate' },
    numerator: 'of those, cases closed or not accepted (不予受理, an answer too) at the period’s end',
    denominator: 'cases reported in the period, less those merged into another case at its end (they follow their master)',
  },
  response: {
    name: { zh: '响应率', en: 'response rate' },
    numerator: 'of those, cases whose first such dispatch was signed, or returned with a reason, by its signing deadline',
    denominator: 'cases dispatched in the period whose signing is decided at its end (answered, or past its deadline)',
  },
  return: {
    name: { zh: '退单率', en: 'return rate' },
    numerator: 'of those, cases a department sent back (退单) at least once in the period',
    denominator: 'cases dispatched in the period',
  },
  rework: {
    name: { zh: '返工率', en: 'rework rate' },
    numerator: 'of those, cases sent back for rework (返工) at least once in the period',
    denominator: 'cases whose handling was checked (核查: passed or sent back) in the period',
  },
  extension: {
    name: { zh: '延期率', en: 'extension rate' },
    numerator: 'of those, cases with an approved extension by the period’s end',
    denominator: 'cases due to close in the period (as for 结案率)',
  },
  satisfaction: {
    name: { zh: '满意率', en: 'satisfaction rate' },
    numerator: 'of those, cases whose last rating in the period is satisfied or fairly satisfied (3 to 5 of 5)',
    denominator: 'cases rated (回访) in the period',
  },
  duplicate: {
    name: { zh: '重复上报率', en: 'duplicate report rate' },
    numerator: 'of those, cases merged into another case as its duplicate at the period’s end',
    denominator: 'cases reported in the period',
  },
  to_accept: { name: { zh: '受理用时', en: 'time to accept' }, numerator: 'from the report to its first acceptance', denominator: 'cases first accepted in the period' },
  to_dispatch: { name: { zh: '派遣用时', en: 'time to dispatch' }, numerator: 'from the report to its first dispatch', denominator: 'cases first dispatched in the period' },
  to_sign: { name: { zh: '签收用时', en: 'time to sign' }, numerator: 'from its first dispatch to the first signing after it', denominator: 'cases first signed in the period' },
  to_resolve: {
    name: { zh: '处置用时', en: 'time to resolve' },
    numerator: 'from its first dispatch to its latest resolution (处置反馈) by the period’s end',
    denominator: 'cases whose latest resolution falls in the period',
  },
  to_close: { name: { zh: '结案用时', en: 'time to close' }, numerator: 'from the report to its latest closing', denominator: 'cases closed at the period’s end whose latest closing falls in it' },
};

// ---- what one case's record says, as it stood at the period's end ----------------------------------------

interface Round {
  stage: Stage;
  round: number;
  /** When the event that started it happened. */
  startedAt: number;
  dueAt: number;
  completedAt: number | null;
}

/** One case read up to `asOf`: the moments the figures look at. */
export interface CaseDigest {
  id: string;
  dims: Record<Dimension, string | null>;
  reportedAt: number;
  status: CaseStatus;
  firstAccept: number | null;
  firstDispatch: number | null;
  firstSignAfterDispatch: number | null;
  lastResolve: number | null;
  lastClose: number | null;
  dispatches: number[];
  returns: number[];
  reworks: number[];
  verifications: number[];
  approvedExtension: boolean;
  /** Each rating's time and score. */
  ratings: { at: number; score: number }[];
  rounds: Round[];
}

const isSnapshot = (c: unknown): c is { stage: Stage; round: number; dueAt: string; completedAt: string | null } =>
  typeof c === 'object' && c !== null && typeof (c as { stage?: unknown }).stage === 'string' && typeof (c as { dueAt?: unknown }).dueAt === 'string';

const DISPATCHES = new Set<EventAction>(['dispatch', 'record-decision']);

/** The case as its events had it just before `asOf`. */
export function digest(c: KpiCase, asOf: Date): CaseDigest {
  const end = asOf.getTime();
  const seen = c.events.filter((e) => Date.parse(e.at) < end);
  const at = (e: KpiEvent) => Date.parse(e.at);
  const timeOf = (e: KpiEvent | undefined) => (e ? at(e) : null);
  const first = (actions: EventAction[], after = -Infinity) => seen.find((e) => actions.includes(e.action) && at(e) >= after);
  const last = (action: EventAction) => seen.findLast((e) => e.action === action);
  const dispatch = first(['dispatch', 'record-decision']);
  const sign = dispatch ? first(['sign'], at(dispatch)) : undefined;
  const rounds = new Map<string, Round>();
  for (const event of seen) {
    for (const snapshot of event.clocks.filter(isSnapshot)) {
      const key = `${snapshot.stage}:${snapshot.round}`;
      const before = rounds.get(key);
      rounds.set(key, {
        stage: snapshot.stage,
        round: snapshot.round,
        startedAt: before?.startedAt ?? at(event),
        dueAt: Date.parse(snapshot.dueAt),
        completedAt: snapshot.completedAt ? Date.parse(snapshot.completedAt) : null,
      });
    }
  }
  const lastDispatch = seen.findLast((e) => DISPATCHES.has(e.action) && typeof e.data.departmentId === 'string');
  return {
    id: c.id,
    dims: {
      department: (lastDispatch?.data.departmentId as string | undefined) ?? c.departmentId,
      category: c.categoryId,
      grid: c.gridId,
      community: c.communityId,
      subdistrict: c.subdistrictId,
      member: c.memberId,
      channel: c.channel,
      urgency: c.urgency,
    },
    reportedAt: Date.parse(c.reportedAt),
    status: seen.at(-1)?.toStatus ?? 'reported',
    firstAccept: timeOf(first(['accept'])),
    firstDispatch: timeOf(dispatch),
    firstSignAfterDispatch: timeOf(sign),
    lastResolve: timeOf(last('resolve')),
    lastClose: timeOf(last('close')),
    dispatches: seen.filter((e) => DISPATCHES.has(e.action)).map(at),
    returns: seen.filter((e) => e.action === 'return').map(at),
    reworks: seen.filter((e) => e.action === 'rework').map(at),
    verifications: seen.filter((e) => e.action === 'verify' || e.action === 'rework').map(at),
    approvedExtension: seen.some((e) => e.action === 'approve-extension'),
    ratings: seen.filter((e) => e.action === 'rate' && typeof e.data.score === 'number').map((e) => ({ at: at(e), score: e.data.score as number })),
    rounds: [...rounds.values()].sort((a, b) => a.startedAt - b.startedAt || a.round - b.round),
  };
}

// ---- which cases each figure counts ---------------------------------------------------------------------

export interface Membership {
  denominator: boolean;
  numerator: boolean;
}

const within = (t: number | null, p: Period): t is number => t !== null && t >= p.from.getTime() && t < p.to.getTime();

function dueToClose(d: CaseDigest, p: Period): boolean {
  if (d.status === 'merged') return false;
  const handling = d.rounds.filter((r) => r.stage === 'resolve');
  const latest = handling.at(-1);
  if (!latest) return false;
  const closedAt = d.status === 'closed' ? d.lastClose : null;
  // Due in the period of its deadline, unless it was closed before that period (it was counted then)...
  if (within(latest.dueAt, p)) return closedAt === null || closedAt >= p.from.getTime();
  // ...and in the period it was closed in, when that came before its deadline's.
  return within(closedAt, p) && latest.dueAt >= p.to.getTime();
}

/** Closed, and every handling round ended by its own deadline (one still open at closing ends then). */
function closedOnTime(d: CaseDigest): boolean {
  if (d.status !== 'closed' || d.lastClose === null) return false;
  return d.rounds.filter((r) => r.stage === 'resolve').every((r) => (r.completedAt ?? d.lastClose!) <= r.dueAt);
}

/** Whether one case is in a rate's denominator and numerator for the period. */
export function membership(key: RateKey, d: CaseDigest, p: Period, options: KpiOptions = {}): Membership {
  const yes = (denominator: boolean, numerator: boolean): Membership => ({ denominator, numerator: denominator && numerator });
  switch (key) {
    case 'closure':
      return yes(dueToClose(d, p), d.status === 'closed');
    case 'on_time_closure':
      return yes(dueToClose(d, p) && !(options.excludeExtended && d.approvedExtension), closedOnTime(d));
    case 'extension':
      return yes(dueToClose(d, p), d.approvedExtension);
    case 'completion':
      return yes(within(d.reportedAt, p) && d.status !== 'merged', d.status === 'closed' || d.status === 'rejected');
    case 'duplicate':
      return yes(within(d.reportedAt, p), d.status === 'merged');
    case 'response': {
      const round = d.rounds.find((r) => r.stage === 'sign' && within(r.startedAt, p));
      if (!round) return yes(false, false);
      const decided = round.completedAt !== null || round.dueAt < p.to.getTime();
      return yes(decided, round.completedAt !== null && round.completedAt <= round.dueAt);
    }
    case 'return':
      return yes(d.dispatches.some((t) => within(t, p)), d.returns.some((t) => within(t, p)));
    case 'rework':
      return yes(d.verifications.some((t) => within(t, p)), d.reworks.some((t) => within(t, p)));
    case 'satisfaction': {
      const rating = d.ratings.filter((r) => within(r.at, p)).at(-1);
      return yes(rating !== undefined, (rating?.score ?? 0) >= 3);
    }
  }
}

/** A time figure's measurement for one case in the period, in minutes, or null when it is not measured. */
export function measure(key: TimeKey, d: CaseDigest, p: Period): number | null {
  const span = (start: number | null, end: number | null) => (start !== null && within(end, p) ? (end - start) / 60_000 : null);
  switch (key) {
    case 'to_accept':
      return span(d.reportedAt, d.firstAccept);
    case 'to_dispatch':
      return span(d.reportedAt, d.firstDispatch);
    case 'to_sign':
      return span(d.firstDispatch, d.firstSignAfterDispatch);
    case 'to_resolve':
      return span(d.firstDispatch, d.lastResolve);
    case 'to_close':
      return d.status === 'closed' ? span(d.reportedAt, d.lastClose) : null;
  }
}

// ---- periods: days, weeks and months where the subdistrict is ----

/** The longest period a figure is asked for (a year, a leap one too): the bound on the work of one answer. */
export const MAX_PERIOD_DAYS = 366;

/** Throws 400 unless the period ends after it starts and spans at most MAX_PERIOD_DAYS. */
export function checkPeriod(p: Period): void {
  if (!(p.from.getTime() < p.to.getTime())) throw invalid('to', 'The period must end after it starts: give `to` later than `from`.', 'period_reversed');
  const days = (p.to.getTime() - p.from.getTime()) / DAY_MS;
  if (days > MAX_PERIOD_DAYS) throw invalid('to', `A period is at most ${MAX_PERIOD_DAYS} days; this one is ${Math.ceil(days)}. Ask for a year or less.`, 'period_too_long');
}

export const EVERY = ['day', 'week', 'month'] as const;
export type Every = (typeof EVERY)[number];

/** China Standard Time (no daylight saving): where the subdistrict's days, weeks and months begin. */
const CST_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/** The periods of a span: cut at each local midnight, Monday or first of the month; the first and last as the span has them (at most max + 1: enough to see there are too many). */
export function bucketsOf(span: Period, every: Every, max = 400): Period[] {
  const next = (t: number): number => {
    const local = new Date(t + CST_MS);
    if (every === 'month') return Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 1) - CST_MS;
    const midnight = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()) - CST_MS;
    if (every === 'day') return midnight + DAY_MS;
    const daysToMonday = (8 - (local.getUTCDay() || 7)) % 7 || 7;
    return midnight + daysToMonday * DAY_MS;
  };
  const out: Period[] = [];
  for (let from = span.from.getTime(); from < span.to.getTime() && out.length <= max; ) {
    const to = Math.min(next(from), span.to.getTime());
    out.push({ from: new Date(from), to: new Date(to) });
    from = to;
  }
  return out;
}

// ---- the figures over many cases ------------------------------------------------------------------------

export interface Rate {
  numerator: number;
  denominator: number;
  /** numerator / denominator, or null when nothing is counted. */
  value: number | null;
}

export interface Times {
  count: number;
  meanMin: number | null;
  medianMin: number | null;
  p90Min: number | null;
}

export type FigureSet = Record<RateKey, Rate> & Record<TimeKey, Times>;

/** The value at a share of sorted values (nearest rank: the smallest value with at least that share at or below it). */
export function percentile(sorted: number[], share: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))]!;
}

const round1 = (n: number | null) => (n === null ? null : Math.round(n * 10) / 10);

export function figures(digests: CaseDigest[], p: Period, options: KpiOptions = {}): FigureSet {
  const out = {} as FigureSet;
  for (const key of RATE_KEYS) {
    let numerator = 0;
    let denominator = 0;
    for (const d of digests) {
      const m = membership(key, d, p, options);
      if (m.denominator) denominator++;
      if (m.numerator) numerator++;
    }
    out[key] = { numerator, denominator, value: denominator ? numerator / denominator : null };
  }
  for (const key of TIME_KEYS) {
    const values = digests.flatMap((d) => {
      const v = measure(key, d, p);
      return v === null ? [] : [v];
    });
    values.sort((a, b) => a - b);
    out[key] = {
      count: values.length,
      meanMin: round1(values.length ? values.reduce((s, v) => s + v, 0) / values.length : null),
      medianMin: round1(percentile(values, 0.5)),
      p90Min: round1(percentile(values, 0.9)),
    };
  }
  return out;
}

/** The figures per value of a dimension (cases without one, say no grid, under null). */
export function breakdown(digests: CaseDigest[], dimension: Dimension, p: Period, options: KpiOptions = {}): { key: string | null; figures: FigureSet }[] {
  const groups = new Map<string | null, CaseDigest[]>();
  for (const d of digests) {
    const key = d.dims[dimension];
    const group = groups.get(key);
    if (group) group.push(d);
    else groups.set(key, [d]);
  }
  return [...groups]
    .map(([key, members]) => ({ key, figures: figures(members, p, options) }))
    .sort((a, b) => (a.key === null ? 1 : b.key === null ? -1 : a.key.localeCompare(b.key)));
}

export interface Ranked {
  key: string | null;
  /** The figure ranked by: a time's median (minutes) or a rate's value. */
  value: number;
  /** How many cases it rests on (a time's count, a rate's denominator). */
  cases: number;
}

/**
 * The groups of a breakdown that do worst on one figure, worst first: the slowest by a time's median, the
 * most returned or reworked by a rate. Groups with fewer than `minCases` cases behind the figure are left
 * out (one slow case is not a slow department).
 */
export function worst(groups: { key: string | null; figures: FigureSet }[], by: TimeKey | RateKey, top: number, minCases = 1): Ranked[] {
  const ranked: Ranked[] = [];
  for (const g of groups) {
    if ((TIME_KEYS as readonly string[]).includes(by)) {
      const t = g.figures[by as TimeKey];
      if (t.medianMin !== null && t.count >= minCases) ranked.push({ key: g.key, value: t.medianMin, cases: t.count });
    } else {
      const r = g.figures[by as RateKey];
      if (r.value !== null && r.denominator >= minCases && r.numerator > 0) ranked.push({ key: g.key, value: r.value, cases: r.denominator });
    }
  }
  return ranked.sort((a, b) => b.value - a.value || b.cases - a.cases || String(a.key).localeCompare(String(b.key))).slice(0, top);
}
