// The KPI formulas on hand-built case histories (events with the clock snapshots the workflow writes), one
// edge at a time: on time and late, extended, returned, reworked, reopened, merged and unmerged, a
// referral, a working-day deadline over a weekend, cases that span the period's edges; and that every
// figure's count is exactly the number of cases its drill-down (membership) names.

import { describe, expect, it } from 'vitest';
import { breakdown, bucketsOf, digest, figures, KPI_DEFINITIONS, measure, membership, percentile, RATE_KEYS, TIME_KEYS, worst, type KpiCase, type KpiEvent, type Period } from '../../src/domain/kpi.js';
import type { EventAction } from '../../src/domain/records.js';
import { MAX_BUCKETS } from '../../src/services/kpi.service.js';
import type { CaseStatus, Stage } from '../../src/domain/types.js';

const MAY: Period = { from: new Date('2026-05-01T00:00:00Z'), to: new Date('2026-06-01T00:00:00Z') };
const JUNE: Period = { from: new Date('2026-06-01T00:00:00Z'), to: new Date('2026-07-01T00:00:00Z') };

type Snapshot = { stage: Stage; round: number; dueAt: string; completedAt: string | null; outcome: string | null };
const running = (stage: Stage, round: number, dueAt: string): Snapshot => ({ stage, round, dueAt, completedAt: null, outcome: null });
const ended = (stage: Stage, round: number, dueAt: string, at: string, outcome = Date.parse(at) <= Date.parse(dueAt) ? 'met' : 'late'): Snapshot => ({ stage, round, dueAt, completedAt: at, outcome });

/** A case's history, event by event, as the workflow writes it. */
class History {
  readonly events: KpiEvent[] = [];
  constructor(
    readonly id: string,
    readonly reportedAt: string,
    readonly facts: Partial<KpiCase> = {},
  ) {
    this.then('report', reportedAt, 'reported');
  }
  then(action: EventAction, at: string, toStatus: CaseStatus, clocks: Snapshot[] = [], data: Record<string, unknown> = {}): this {
    this.events.push({ action, at, toStatus, data, clocks });
    return this;
  }
  get case(): KpiCase {
    return { id: this.id, reportedAt: this.reportedAt, channel: 'app', urgency: 'normal', categoryId: 'lamp', gridId: 'g1', communityId: 'c1', subdistrictId: 'najin', memberId: null, departmentId: null, events: this.events, ...this.facts };
  }
}

/** Reported, accepted, filed and dispatched to `department` at `dispatchedAt`, with its signing and handling deadlines. */
function dispatched(id: string, reportedAt: string, dispatchedAt: string, signDue: string, resolveDue: string, department = 'roads'): History {
  return new History(id, reportedAt)
    .then('accept', reportedAt, 'accepted')
    .then('file', reportedAt, 'filed')
    .then('dispatch', dispatchedAt, 'dispatched', [running('sign', 1, signDue), running('resolve', 1, resolveDue)], { departmentId: department });
}

const at = (h: History, p: Period = MAY) => digest(h.case, p.to);
const member = (key: (typeof RATE_KEYS)[number], h: History, p: Period = MAY, options = {}) => membership(key, at(h, p), p, options);

describe('KPI formulas on hand-built histories', () => {
  it('counts a case handled in time: due, closed on time, responded, and measured at every step', () => {
    const h = dispatched('a', '2026-05-02T08:00:00Z', '2026-05-02T10:00:00Z', '2026-05-02T11:00:00Z', '2026-05-09T10:00:00Z')
      .then('sign', '2026-05-02T10:30:00Z', 'signed', [ended('sign', 1, '2026-05-02T11:00:00Z', '2026-05-02T10:30:00Z')])
      .then('resolve', '2026-05-05T10:00:00Z', 'resolved', [ended('resolve', 1, '2026-05-09T10:00:00Z', '2026-05-05T10:00:00Z'), running('verify', 1, '2026-05-06T10:00:00Z')])
      .then('verify', '2026-05-06T09:00:00Z', 'verified', [ended('verify', 1, '2026-05-06T10:00:00Z', '2026-05-06T09:00:00Z'), running('close', 1, '2026-05-07T09:00:00Z')])
      .then('close', '2026-05-06T12:00:00Z', 'closed', [ended('close', 1, '2026-05-07T09:00:00Z', '2026-05-06T12:00:00Z')], { closureType: 'fixed' });
    for (const key of ['closure', 'on_time_closure', 'completion', 'response'] as const) expect(member(key, h), key).toEqual({ denominator: true, numerator: true });
    expect(member('extension', h)).toEqual({ denominator: true, numerator: false });
    expect(member('rework', h)).toEqual({ denominator: true, numerator: false });
    expect(member('duplicate', h)).toEqual({ denominator: true, numerator: false });
    const d = at(h);
    expect(measure('to_accept', d, MAY)).toBe(0);
    expect(measure('to_dispatch', d, MAY)).toBe(120);
    expect(measure('to_sign', d, MAY)).toBe(30);
    expect(measure('to_resolve', d, MAY)).toBe(3 * 24 * 60);
    expect(measure('to_close', d, MAY)).toBe(4 * 24 * 60 + 4 * 60);
    // Seen from April it had not happened; June counts none of it again.
    expect(member('completion', h, { from: new Date('2026-04-01T00:00:00Z'), to: MAY.from }).denominator).toBe(false);
    expect(Object.values(figures([at(h, JUNE)], JUNE)).every((f) => ('denominator' in f ? f.denominator === 0 : f.count === 0))).toBe(true);
  });

  it('takes an approved extension as the new deadline: a case extended past the month is due in the next one, and can be left out of 按期结案率', () => {
    const h = dispatched('b', '2026-05-10T08:00:00Z', '2026-05-10T09:00:00Z', '2026-05-10T10:00:00Z', '2026-05-20T09:00:00Z')
      .then('sign', '2026-05-10T09:30:00Z', 'signed', [ended('sign', 1, '2026-05-10T10:00:00Z', '2026-05-10T09:30:00Z')])
      .then('request-extension', '2026-05-18T09:00:00Z', 'signed', [], { minutes: 14 * 24 * 60, reason: '等配件' })
      .then('approve-extension', '2026-05-18T12:00:00Z', 'signed', [running('resolve', 1, '2026-06-03T09:00:00Z')], { decision: 'approved', extendMinutes: 14 * 24 * 60 })
      .then('resolve', '2026-06-02T09:00:00Z', 'resolved', [ended('resolve', 1, '2026-06-03T09:00:00Z', '2026-06-02T09:00:00Z')])
      .then('verify', '2026-06-02T10:00:00Z', 'verified')
      .then('close', '2026-06-02T11:00:00Z', 'closed');
    // May: its deadline (after the extension) is in June and it was not closed in May: not due.
    expect(member('closure', h)).toEqual({ denominator: false, numerator: false });
    expect(member('extension', h).denominator).toBe(false);
    // June: due, closed, on time against the extended deadline, and an extension.
    expect(member('closure', h, JUNE)).toEqual({ denominator: true, numerator: true });
    expect(member('on_time_closure', h, JUNE)).toEqual({ denominator: true, numerator: true });
    expect(member('extension', h, JUNE)).toEqual({ denominator: true, numerator: true });
    expect(member('on_time_closure', h, JUNE, { excludeExtended: true })).toEqual({ denominator: false, numerator: false });
  });

  it('counts a case closed early in the month though its deadline is in the next, and not one merely open', () => {
    const early = dispatched('early', '2026-05-30T08:00:00Z', '2026-05-30T09:00:00Z', '2026-05-30T10:00:00Z', '2026-06-06T09:00:00Z')
      .then('sign', '2026-05-30T09:10:00Z', 'signed', [ended('sign', 1, '2026-05-30T10:00:00Z', '2026-05-30T09:10:00Z')])
      .then('resolve', '2026-05-31T09:00:00Z', 'resolved', [ended('resolve', 1, '2026-06-06T09:00:00Z', '2026-05-31T09:00:00Z')])
      .then('verify', '2026-05-31T10:00:00Z', 'verified')
      .then('close', '2026-05-31T11:00:00Z', 'closed');
    const open = dispatched('open', '2026-05-30T08:00:00Z', '2026-05-30T09:00:00Z', '2026-05-30T10:00:00Z', '2026-06-06T09:00:00Z');
    expect(member('closure', early)).toEqual({ denominator: true, numerator: true });
    expect(member('closure', early, JUNE).denominator).toBe(false);
    expect(member('closure', open).denominator).toBe(false);
    // Due in June, still open at its end: in the denominator, not the numerator.
    expect(member('closure', open, JUNE)).toEqual({ denominator: true, numerator: false });
  });

  it('marks a late first round as not on time even after rework finished the second in time; 返工 counts in the month it happened', () => {
    const h = dispatched('c', '2026-04-28T08:00:00Z', '2026-04-28T09:00:00Z', '2026-04-28T10:00:00Z', '2026-05-03T09:00:00Z')
      .then('sign', '2026-04-28T09:30:00Z', 'signed', [ended('sign', 1, '2026-04-28T10:00:00Z', '2026-04-28T09:30:00Z')])
      .then('resolve', '2026-05-04T09:00:00Z', 'resolved', [ended('resolve', 1, '2026-05-03T09:00:00Z', '2026-05-04T09:00:00Z'), running('verify', 1, '2026-05-05T09:00:00Z')])
      .then('rework', '2026-05-05T09:00:00Z', 'handling', [ended('verify', 1, '2026-05-05T09:00:00Z', '2026-05-05T09:00:00Z'), running('resolve', 2, '2026-05-08T09:00:00Z')])
      .then('resolve', '2026-05-07T09:00:00Z', 'resolved', [ended('resolve', 2, '2026-05-08T09:00:00Z', '2026-05-07T09:00:00Z'), running('verify', 2, '2026-05-08T09:00:00Z')])
      .then('verify', '2026-05-07T10:00:00Z', 'verified', [ended('verify', 2, '2026-05-08T09:00:00Z', '2026-05-07T10:00:00Z')])
      .then('close', '2026-05-07T11:00:00Z', 'closed');
    expect(member('closure', h)).toEqual({ denominator: true, numerator: true });
    expect(member('on_time_closure', h)).toEqual({ denominator: true, numerator: false });
    expect(member('rework', h)).toEqual({ denominator: true, numerator: true });
    // Reported in April: not in May's 办结率 or 重复上报率, but in April's (open then).
    expect(member('completion', h).denominator).toBe(false);
    expect(member('completion', h, { from: new Date('2026-04-01T00:00:00Z'), to: MAY.from })).toEqual({ denominator: true, numerator: false });
    // Its latest resolution is measured from its first dispatch.
    expect(measure('to_resolve', at(h), MAY)).toBe(9 * 24 * 60);
  });

  it('leaves a merged duplicate out of 办结率 and counts it in 重复上报率; an unmerged one counts as itself again', () => {
    const merged = new History('d', '2026-05-15T08:00:00Z').then('merge', '2026-05-15T09:00:00Z', 'merged', [ended('accept', 1, '2026-05-15T10:00:00Z', '2026-05-15T09:00:00Z', 'cancelled')], { masterCaseId: 'a' });
    expect(member('duplicate', merged)).toEqual({ denominator: true, numerator: true });
    expect(member('completion', merged).denominator).toBe(false);
    const unmerged = new History('e', '2026-05-16T08:00:00Z')
      .then('merge', '2026-05-16T09:00:00Z', 'merged', [], { masterCaseId: 'a' })
      .then('unmerge', '2026-05-17T09:00:00Z', 'reported', [running('accept', 2, '2026-05-17T10:00:00Z')], { reason: '不是同一个井盖' })
      .then('accept', '2026-05-17T09:30:00Z', 'accepted', [ended('accept', 2, '2026-05-17T10:00:00Z', '2026-05-17T09:30:00Z')]);
    expect(member('duplicate', unmerged)).toEqual({ denominator: true, numerator: false });
    expect(member('completion', unmerged)).toEqual({ denominator: true, numerator: false });
    // Seen from the day it was merged, it was a duplicate then.
    expect(member('duplicate', unmerged, { from: MAY.from, to: new Date('2026-05-17T00:00:00Z') }).numerator).toBe(true);
  });

  it('counts a return within the signing limit as a response, a late signing as none, and one still within its limit at the month’s end not at all', () => {
    const returned = dispatched('f', '2026-05-20T08:00:00Z', '2026-05-20T09:00:00Z', '2026-05-20T10:00:00Z', '2026-05-27T09:00:00Z')
      .then('return', '2026-05-20T09:40:00Z', 'returned', [ended('sign', 1, '2026-05-20T10:00:00Z', '2026-05-20T09:40:00Z', 'cancelled'), ended('resolve', 1, '2026-05-27T09:00:00Z', '2026-05-20T09:40:00Z', 'cancelled')], { reason: '不归我们管' })
      .then('dispatch', '2026-05-21T09:00:00Z', 'dispatched', [running('sign', 2, '2026-05-21T10:00:00Z'), running('resolve', 2, '2026-05-28T09:00:00Z')], { departmentId: 'power' })
      .then('sign', '2026-05-21T12:00:00Z', 'signed', [ended('sign', 2, '2026-05-21T10:00:00Z', '2026-05-21T12:00:00Z')]);
    expect(member('response', returned)).toEqual({ denominator: true, numerator: true });
    // 退单率: dispatched in May, sent back in May.
    expect(member('return', returned)).toEqual({ denominator: true, numerator: true });
    // The department is the last one it was sent to.
    expect(at(returned).dims.department).toBe('power');
    const late = dispatched('late', '2026-05-20T08:00:00Z', '2026-05-20T09:00:00Z', '2026-05-20T10:00:00Z', '2026-05-27T09:00:00Z').then('sign', '2026-05-20T11:00:00Z', 'signed', [ended('sign', 1, '2026-05-20T10:00:00Z', '2026-05-20T11:00:00Z')]);
    expect(member('response', late)).toEqual({ denominator: true, numerator: false });
    const pending = dispatched('g', '2026-05-31T20:00:00Z', '2026-05-31T23:00:00Z', '2026-06-01T01:00:00Z', '2026-06-07T23:00:00Z');
    expect(member('response', pending).denominator).toBe(false);
    const overdue = dispatched('h', '2026-05-31T20:00:00Z', '2026-05-31T21:00:00Z', '2026-05-31T22:00:00Z', '2026-06-07T23:00:00Z');
    expect(member('response', overdue)).toEqual({ denominator: true, numerator: false });
  });

  it('counts a rejection (不予受理) as an answer in 办结率, and a reopened case as not closed until it is closed again', () => {
    const rejected = new History('r', '2026-05-03T08:00:00Z').then('reject', '2026-05-03T09:00:00Z', 'rejected', [], { reason: '不在辖区' });
    expect(member('completion', rejected)).toEqual({ denominator: true, numerator: true });
    const reopened = dispatched('i', '2026-05-08T08:00:00Z', '2026-05-08T09:00:00Z', '2026-05-08T10:00:00Z', '2026-05-15T09:00:00Z')
      .then('sign', '2026-05-08T09:10:00Z', 'signed')
      .then('resolve', '2026-05-09T09:00:00Z', 'resolved', [ended('resolve', 1, '2026-05-15T09:00:00Z', '2026-05-09T09:00:00Z')])
      .then('verify', '2026-05-09T10:00:00Z', 'verified')
      .then('close', '2026-05-10T09:00:00Z', 'closed')
      .then('rate', '2026-05-11T09:00:00Z', 'closed', [], { score: 2, unitAtFault: true })
      .then('reopen', '2026-05-11T09:05:00Z', 'filed', [running('dispatch', 2, '2026-05-12T09:05:00Z')])
      .then('dispatch', '2026-05-11T10:00:00Z', 'dispatched', [running('sign', 2, '2026-05-11T11:00:00Z'), running('resolve', 2, '2026-06-10T10:00:00Z')], { departmentId: 'roads' });
    // Its new deadline is in June: not due in May (its first closing was undone), due in June.
    expect(member('closure', reopened).denominator).toBe(false);
    expect(member('completion', reopened)).toEqual({ denominator: true, numerator: false });
    expect(member('satisfaction', reopened)).toEqual({ denominator: true, numerator: false });
    expect(member('closure', reopened, JUNE)).toEqual({ denominator: true, numerator: false });
    // As it stood on 10 May (closed, before the rating), it was done.
    expect(member('completion', reopened, { from: MAY.from, to: new Date('2026-05-10T12:00:00Z') }).numerator).toBe(true);
    const pleased = new History('j', '2026-05-01T08:00:00Z').then('close', '2026-05-02T08:00:00Z', 'closed').then('rate', '2026-05-03T08:00:00Z', 'closed', [], { score: 3, unitAtFault: false });
    expect(member('satisfaction', pleased)).toEqual({ denominator: true, numerator: true });
  });

  it('judges a working-day deadline by the due time the calendar gave it: resolved on the Sunday before a Monday deadline is on time', () => {
    // Dispatched Friday 15 May 18:00; one working day: due Monday 18 May 18:00 (Saturday and Sunday skipped).
    const h = dispatched('n', '2026-05-15T17:00:00Z', '2026-05-15T18:00:00Z', '2026-05-15T19:00:00Z', '2026-05-18T18:00:00Z')
      .then('sign', '2026-05-15T18:30:00Z', 'signed')
      .then('resolve', '2026-05-17T10:00:00Z', 'resolved', [ended('resolve', 1, '2026-05-18T18:00:00Z', '2026-05-17T10:00:00Z')])
      .then('verify', '2026-05-18T09:00:00Z', 'verified')
      .then('close', '2026-05-18T17:00:00Z', 'closed');
    expect(member('on_time_closure', h)).toEqual({ denominator: true, numerator: true });
  });

  it('measures a duration in the period its end falls in, across the edge from the month before', () => {
    const h = new History('m', '2026-04-30T23:50:00Z').then('accept', '2026-05-01T00:10:00Z', 'accepted');
    expect(measure('to_accept', at(h), MAY)).toBe(20);
    expect(member('completion', h).denominator).toBe(false);
  });

  it('adds up: every count is the number of cases its drill-down names, overall and per department; times have mean, median and p90', () => {
    const cases = [
      dispatched('x1', '2026-05-02T08:00:00Z', '2026-05-02T09:00:00Z', '2026-05-02T10:00:00Z', '2026-05-09T09:00:00Z', 'roads').then('sign', '2026-05-02T09:10:00Z', 'signed', [ended('sign', 1, '2026-05-02T10:00:00Z', '2026-05-02T09:10:00Z')]),
      dispatched('x2', '2026-05-03T08:00:00Z', '2026-05-03T09:00:00Z', '2026-05-03T10:00:00Z', '2026-05-10T09:00:00Z', 'roads').then('sign', '2026-05-03T11:00:00Z', 'signed', [ended('sign', 1, '2026-05-03T10:00:00Z', '2026-05-03T11:00:00Z')]),
      dispatched('x3', '2026-05-04T08:00:00Z', '2026-05-04T09:00:00Z', '2026-05-04T10:00:00Z', '2026-05-11T09:00:00Z', 'power').then('sign', '2026-05-04T09:40:00Z', 'signed', [ended('sign', 1, '2026-05-04T10:00:00Z', '2026-05-04T09:40:00Z')]),
      new History('x4', '2026-05-05T08:00:00Z').then('merge', '2026-05-05T09:00:00Z', 'merged', [], { masterCaseId: 'x1' }),
    ].map((h) => at(h));
    const all = figures(cases, MAY);
    expect(all.response).toEqual({ numerator: 2, denominator: 3, value: 2 / 3 });
    expect(all.duplicate).toEqual({ numerator: 1, denominator: 4, value: 0.25 });
    expect(all.completion).toEqual({ numerator: 0, denominator: 3, value: 0 });
    expect(all.to_sign).toEqual({ count: 3, meanMin: 56.7, medianMin: 40, p90Min: 120 });
    expect(all.rework.value).toBeNull();
    for (const key of RATE_KEYS) {
      const named = cases.filter((d) => membership(key, d, MAY).denominator).length;
      expect(all[key].denominator, key).toBe(named);
      expect(all[key].numerator, key).toBe(cases.filter((d) => membership(key, d, MAY).numerator).length);
    }
    const byDepartment = breakdown(cases, 'department', MAY);
    expect(byDepartment.map((g) => [g.key, g.figures.response.numerator, g.figures.response.denominator])).toEqual([
      ['power', 1, 1],
      ['roads', 1, 2],
      [null, 0, 0],
    ]);
    // The groups add up to the whole.
    for (const key of RATE_KEYS) expect(byDepartment.reduce((s, g) => s + g.figures[key].denominator, 0), key).toBe(all[key].denominator);
  });

  it('ranks the worst groups: the slowest by median, the most returned by rate, leaving out groups resting on too few cases', () => {
    const slow = (id: string, department: string, resolvedAt: string) =>
      dispatched(id, '2026-05-02T08:00:00Z', '2026-05-02T09:00:00Z', '2026-05-02T10:00:00Z', '2026-05-20T09:00:00Z', department)
        .then('sign', '2026-05-02T09:10:00Z', 'signed')
        .then('resolve', resolvedAt, 'resolved', [ended('resolve', 1, '2026-05-20T09:00:00Z', resolvedAt)]);
    const cases = [slow('s1', 'roads', '2026-05-02T11:00:00Z'), slow('s2', 'roads', '2026-05-02T13:00:00Z'), slow('s3', 'power', '2026-05-06T09:00:00Z'), slow('s4', 'power', '2026-05-07T09:00:00Z'), slow('s5', 'water', '2026-05-09T09:00:00Z')].map((h) => at(h));
    const groups = breakdown(cases, 'department', MAY);
    expect(worst(groups, 'to_resolve', 10, 2).map((r) => [r.key, r.value, r.cases])).toEqual([
      ['power', 4 * 24 * 60, 2],
      ['roads', 120, 2],
    ]);
    expect(worst(groups, 'to_resolve', 1, 1).map((r) => r.key)).toEqual(['water']);
    // Nobody returned anything: no "most returned" list to shame anyone with.
    expect(worst(groups, 'return', 10, 1)).toEqual([]);
  });

  it('has a definition for every figure, and nearest-rank percentiles', () => {
    for (const key of [...RATE_KEYS, ...TIME_KEYS]) expect(KPI_DEFINITIONS[key].name.zh.length, key).toBeGreaterThan(0);
    expect(percentile([], 0.9)).toBeNull();
    expect(percentile([5], 0.9)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5)).toBe(5);
    expect(percentile([1, 2, 3], 1)).toBe(3);
  });
});

describe('the definitions in the README', () => {
  it('are the ones the API answers with, word for word', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const key of [...RATE_KEYS, ...TIME_KEYS]) {
      const d = KPI_DEFINITIONS[key];
      expect(readme, key).toContain(`| ${d.name.zh} ${d.name.en} (\`${key}\`) | ${d.numerator} | ${d.denominator} |`);
    }
  });
});

describe('periods of a trend (China Standard Time)', () => {
  const iso = (p: Period[]) => p.map((b) => [b.from.toISOString(), b.to.toISOString()]);
  it('cuts at local midnights, Mondays and firsts of the month, keeping the span’s own ends', () => {
    const span = { from: new Date('2025-01-15T04:00:00Z'), to: new Date('2025-03-10T00:00:00Z') };
    expect(iso(bucketsOf(span, 'month'))).toEqual([
      ['2025-01-15T04:00:00.000Z', '2025-01-31T16:00:00.000Z'],
      ['2025-01-31T16:00:00.000Z', '2025-02-28T16:00:00.000Z'],
      ['2025-02-28T16:00:00.000Z', '2025-03-10T00:00:00.000Z'],
    ]);
    // Wednesday 15 January 12:00 in Lhasa: the week ends Monday 20 January 00:00 there.
    expect(iso(bucketsOf(span, 'week'))[0]).toEqual(['2025-01-15T04:00:00.000Z', '2025-01-19T16:00:00.000Z']);
    expect(bucketsOf(span, 'week').slice(1).every((b) => b.from.getUTCDay() === 0 && b.from.getUTCHours() === 16)).toBe(true);
    const days = bucketsOf({ from: new Date('2025-05-01T16:00:00Z'), to: new Date('2025-05-04T16:00:00Z') }, 'day');
    expect(days).toHaveLength(3);
    expect(bucketsOf({ from: new Date('2024-01-01T00:00:00Z'), to: new Date('2026-01-01T00:00:00Z') }, 'day').length).toBeGreaterThan(MAX_BUCKETS);
  });
});
