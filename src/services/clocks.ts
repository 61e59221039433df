// A transition's clock changes: worked out against the clocks a case has (planClocks, pure), then stored.

import type { WorkingCalendar } from '../domain/calendar.js';
import { addMinutes, dueAt, outcomeAt, policyFor, remindAt, type ClockSnapshot, type SlaOverrides } from '../domain/deadlines.js';
import type { Urgency } from '../domain/types.js';
import type { ClockChanges } from '../domain/workflow.js';
import type { ClockRow } from '../domain/records.js';
import type { ClockStore } from '../ports.js';
import { newId } from '../domain/ids.js';

export interface ClockContext {
  caseId: string;
  reportedAt: Date;
  urgency: Urgency;
  sla: SlaOverrides | null;
  calendar: WorkingCalendar;
  now: Date;
}

const snapshot = (c: ClockRow): ClockSnapshot => ({ stage: c.stage, round: c.round, dueAt: c.dueAt, completedAt: c.completedAt, outcome: c.outcome });

/** What a transition does to a case's clocks: rows to update, rows to insert, and the event's snapshot. */
export interface ClockPlan {
  updates: ClockRow[];
  inserts: ClockRow[];
  snapshot: ClockSnapshot[];
}

/** Work out clock changes against the clocks a case has (none for a new case); writes nothing. */
export function planClocks(ctx: ClockContext, changes: ClockChanges, clocks: ClockRow[]): ClockPlan {
  const nowIso = ctx.now.toISOString();
  const policy = policyFor(ctx.urgency, ctx.sla);
  const touched: ClockRow[] = [];
  const updates: ClockRow[] = [];
  const inserts: ClockRow[] = [];

  for (const clock of clocks) {
    if (clock.completedAt !== null) continue;
    let next: ClockRow | undefined;
    if (changes.complete?.includes(clock.stage)) {
      next = { ...clock, completedAt: nowIso, outcome: outcomeAt(clock.dueAt, ctx.now) };
    } else if (changes.cancel?.includes(clock.stage)) {
      next = { ...clock, completedAt: nowIso, outcome: 'cancelled' };
    } else if (changes.extend?.stage === clock.stage) {
      const due = addMinutes(policy.unit, new Date(clock.dueAt), changes.extend.minutes, ctx.calendar);
      // A new due time deserves its own reminder and, if missed, its own supervision.
      next = { ...clock, dueAt: due.toISOString(), remindAt: remindAt(new Date(clock.startedAt), due).toISOString(), remindedAt: null, supervisedAt: null };
    } else if (changes.recompute) {
      const due = dueAt(policy, clock.stage, { stageStart: new Date(clock.startedAt), reportedAt: clock.round === 1 ? ctx.reportedAt : new Date(clock.startedAt) }, ctx.calendar);
      next = { ...clock, dueAt: due.toISOString(), originalDueAt: due.toISOString(), remindAt: remindAt(new Date(clock.startedAt), due).toISOString() };
    }
    if (next) updates.push(next);
    touched.push(next ?? clock);
  }

  for (const stage of changes.start ?? []) {
    const round = Math.max(0, ...clocks.filter((c) => c.stage === stage).map((c) => c.round)) + 1;
    // A limit counted "from the report" applies to the first round; a clock restarted later (after a
    // return, rework or reopen) counts from its own start.
    const reportedAt = round === 1 ? ctx.reportedAt : ctx.now;
    const due = dueAt(policy, stage, { stageStart: ctx.now, reportedAt }, ctx.calendar);
    const row: ClockRow = {
      id: newId(ctx.now.getTime()),
      caseId: ctx.caseId,
      stage,
      round,
      startedAt: nowIso,
      dueAt: due.toISOString(),
      originalDueAt: due.toISOString(),
      remindAt: remindAt(ctx.now, due).toISOString(),
      completedAt: null,
      outcome: null,
      remindedAt: null,
      supervisedAt: null,
    };
    inserts.push(row);
    touched.push(row);
  }

  return { updates, inserts, snapshot: touched.filter((c) => c.completedAt === null || c.completedAt === nowIso).map(snapshot) };
}

/** Apply clock changes to a case's stored clocks; returns the snapshot of the clocks that are open or were stopped by this change. */
export async function applyClocks(repo: ClockStore, ctx: ClockContext, changes: ClockChanges): Promise<ClockSnapshot[]> {
  const plan = planClocks(ctx, changes, await repo.clocks(ctx.caseId));
  for (const next of plan.updates) await repo.saveClock(next);
  await repo.insertClocks(plan.inserts);
  return plan.snapshot;
}
