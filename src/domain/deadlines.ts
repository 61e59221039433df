// Per-stage time limits. Each case runs clocks (accept, dispatch, sign, resolve, verify, close); their
// limits come from the category's SLA policy for the case's urgency, over the platform defaults below.

import { addWorkingMinutes, type WorkingCalendar } from './calendar.js';
import type { SlaPolicies, SlaPolicy, Stage, StageLimit, Urgency } from './types.js';
import { STAGES } from './types.js';

const HOUR = 60;
const DAY = 24 * HOUR;

/**
 * Defaults from 12345 / 数字城管 practice (see docs/domain.md): general cases dispatched within 24 h and
 * fed back within 7 days; water/power/gas and extreme weather dispatched within 2 h, fed back within 24 h;
 * emergencies made safe within 30 minutes of the report (Najin's practice; the national norm is
 * dispatch within 1 h, feedback within 2 h).
 */
export const DEFAULT_SLA: SlaPolicies = {
  normal: {
    unit: 'calendar',
    stages: {
      accept: { minutes: 4 * HOUR },
      dispatch: { minutes: DAY, from: 'report' },
      sign: { minutes: 4 * HOUR },
      resolve: { minutes: 7 * DAY },
      verify: { minutes: DAY },
      close: { minutes: DAY },
    },
  },
  urgent: {
    unit: 'calendar',
    stages: {
      accept: { minutes: 30 },
      dispatch: { minutes: 2 * HOUR, from: 'report' },
      sign: { minutes: 30 },
      resolve: { minutes: DAY },
      verify: { minutes: 4 * HOUR },
      close: { minutes: 4 * HOUR },
    },
  },
  emergency: {
    unit: 'calendar',
    stages: {
      accept: { minutes: 5 },
      dispatch: { minutes: 10, from: 'report' },
      sign: { minutes: 5 },
      resolve: { minutes: 30, from: 'report' },
      verify: { minutes: 2 * HOUR },
      close: { minutes: 2 * HOUR },
    },
  },
};

export type SlaOverrides = Partial<Record<Urgency, { unit?: SlaPolicy['unit']; stages?: Partial<Record<Stage, StageLimit>> }>>;

/** The policy for one urgency: the category's overrides laid over the defaults. */
export function policyFor(urgency: Urgency, overrides: SlaOverrides | null | undefined): SlaPolicy {
  const base = DEFAULT_SLA[urgency];
  const own = overrides?.[urgency];
  if (!own) return base;
  return { unit: own.unit ?? base.unit, stages: { ...base.stages, ...own.stages } };
}

/** Check an overrides object from configuration; returns a list of problems in plain words. */
export function validateOverrides(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value !== 'object' || Array.isArray(value)) return ['sla must be an object keyed by urgency'];
  const problems: string[] = [];
  for (const [urgency, policy] of Object.entries(value as Record<string, unknown>)) {
    if (!Object.hasOwn(DEFAULT_SLA, urgency)) problems.push(`unknown urgency "${urgency}"`);
    if (typeof policy !== 'object' || policy === null) {
      problems.push(`${urgency}: must be an object`);
      continue;
    }
    const { unit, stages } = policy as { unit?: unknown; stages?: unknown };
    if (unit !== undefined && unit !== 'calendar' && unit !== 'working') problems.push(`${urgency}.unit must be calendar or working`);
    if (stages !== undefined && stages !== null && (typeof stages !== 'object' || Array.isArray(stages))) {
      problems.push(`${urgency}.stages must be an object keyed by stage`);
      continue;
    }
    for (const [stage, limit] of Object.entries((stages ?? {}) as Record<string, unknown>)) {
      if (!(STAGES as readonly string[]).includes(stage)) problems.push(`${urgency}: unknown stage "${stage}"`);
      const minutes = (limit as { minutes?: unknown } | null)?.minutes;
      if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes <= 0) {
        problems.push(`${urgency}.${stage}.minutes must be a whole number above 0`);
      }
      const from = (limit as { from?: unknown } | null)?.from;
      if (from !== undefined && from !== 'report') problems.push(`${urgency}.${stage}.from must be "report" when given`);
    }
  }
  return problems;
}

export interface ClockStart {
  /** When the stage started (the event that opened the clock). */
  stageStart: Date;
  /** When the case was reported; limits marked `from: 'report'` count from here. */
  reportedAt: Date;
}

/** When a stage is due under a policy. */
export function dueAt(policy: SlaPolicy, stage: Stage, start: ClockStart, calendar: WorkingCalendar): Date {
  const limit = policy.stages[stage];
  const from = limit.from === 'report' ? start.reportedAt : start.stageStart;
  return addMinutes(policy.unit, from, limit.minutes, calendar);
}

export function addMinutes(unit: SlaPolicy['unit'], from: Date, minutes: number, calendar: WorkingCalendar): Date {
  return unit === 'working' ? addWorkingMinutes(calendar, from, minutes) : new Date(from.getTime() + minutes * 60_000);
}

/**
 * When to send the reminder (催办) for a clock: a fifth of its time before it falls due, at least five
 * minutes and at most a day before, and never before the clock started.
 */
export function remindAt(startedAt: Date, due: Date): Date {
  const span = due.getTime() - startedAt.getTime();
  const lead = Math.min(Math.max(span * 0.2, 5 * 60_000), DAY * 60_000);
  return new Date(Math.max(startedAt.getTime(), due.getTime() - lead));
}

export type ClockState = 'running' | 'overdue' | 'met' | 'late' | 'cancelled';

/**
 * A stage's deadline, one per stage and round: the one clock shape. The stored clock (records.ts
 * `ClockRow`) adds its keys and reminder marks, an event keeps a `ClockSnapshot` of it, a view adds how it
 * stands (`ClockView`).
 */
export interface ClockRecord {
  stage: Stage;
  round: number;
  startedAt: string;
  dueAt: string;
  originalDueAt: string;
  completedAt: string | null;
  outcome: 'met' | 'late' | 'cancelled' | null;
}

/** A clock as an event records it: the deadline values at that moment. */
export type ClockSnapshot = Pick<ClockRecord, 'stage' | 'round' | 'dueAt' | 'completedAt' | 'outcome'>;

/** A clock as a case view shows it at some moment. */
export interface ClockView extends ClockRecord {
  state: ClockState;
  /** Milliseconds left (negative when overdue) for a running clock; null once stopped. */
  remainingMs: number | null;
}

/** How a clock stands at `now`: what a case view shows per stage. */
export function viewClock(clock: ClockRecord, now: Date): ClockView {
  const open = clock.completedAt === null;
  const remainingMs = open ? Date.parse(clock.dueAt) - now.getTime() : null;
  const state: ClockState = open ? (remainingMs! < 0 ? 'overdue' : 'running') : (clock.outcome ?? 'met');
  // Exactly the view's fields: a stored clock row handed in carries its ids and reminder times too.
  return { stage: clock.stage, round: clock.round, startedAt: clock.startedAt, dueAt: clock.dueAt, originalDueAt: clock.originalDueAt, completedAt: clock.completedAt, outcome: clock.outcome, state, remainingMs };
}

/** Outcome of stopping a clock at `at`. */
export function outcomeAt(dueAtIso: string, at: Date): 'met' | 'late' {
  return at.getTime() <= Date.parse(dueAtIso) ? 'met' : 'late';
}
