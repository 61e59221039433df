// The deadline sweep, the first scheduled job (jobs/index.ts): reminders (催办) before a clock falls due
// and supervision (督办) once it is overdue, and unfinished resumable uploads past their expiry dropped.
// Safe on several processes at once: each clock is claimed with a conditional UPDATE, so exactly one
// process wins it and writes the event; the others see zero rows changed and move on.

import { newId } from '../storage/ids.js';
import type { ClockRow } from '../storage/case.repository.js';
import { toJson } from '../storage/dialect.js';
import type { ServiceContext } from '../services/context.js';

export interface SweepResult {
  reminded: number;
  supervised: number;
  /** Unfinished resumable uploads past their expiry, dropped. */
  uploadsExpired: number;
}

const BATCH = 200;

export class DeadlineSweep {
  constructor(
    private readonly ctx: ServiceContext,
    /** Drops expired unfinished uploads with their stored bytes (MediaService.expireUploads). */
    private readonly expireUploads: () => Promise<number> = async () => 0,
  ) {}

  async run(): Promise<SweepResult> {
    const now = this.ctx.now();
    const nowIso = now.toISOString();
    const result: SweepResult = { reminded: 0, supervised: 0, uploadsExpired: await this.expireUploads() };
    for (;;) {
      const due = await this.ctx.uow.autocommit.cases.clocksToRemind(nowIso, BATCH);
      let won = 0;
      for (const clock of due) if (await this.raise(clock, 'remind', nowIso)) won++;
      result.reminded += won;
      if (due.length < BATCH) break;
    }
    for (;;) {
      const overdue = await this.ctx.uow.autocommit.cases.clocksToSupervise(nowIso, BATCH);
      let won = 0;
      for (const clock of overdue) if (await this.raise(clock, 'supervise', nowIso)) won++;
      result.supervised += won;
      if (overdue.length < BATCH) break;
    }
    return result;
  }

  private async raise(clock: ClockRow, action: 'remind' | 'supervise', nowIso: string): Promise<boolean> {
    try {
      return await this.ctx.transaction(async (repos) => {
        // Lock the case first, then the clock: the same order as a user's action, so the two never deadlock.
        const record = await repos.cases.bumpVersion(clock.caseId);
        if (!record) return false;
        const claimed = await repos.cases.claimClock(clock.id, action === 'remind' ? 'reminded_at' : 'supervised_at', nowIso);
        if (!claimed) throw new LostClaim();
        const overdueMinutes = Math.max(0, Math.round((Date.parse(nowIso) - Date.parse(clock.dueAt)) / 60_000));
        await repos.cases.appendEvent({
          id: newId(),
          case_id: clock.caseId,
          seq: record.version,
          action,
          actor_id: null,
          actor_role: 'system',
          at: nowIso,
          from_status: record.status,
          to_status: record.status,
          note: null,
          data: toJson({ stage: clock.stage, round: clock.round, dueAt: clock.dueAt, departmentId: record.departmentId, ...(action === 'supervise' ? { overdueMinutes } : {}) }),
          evidence: '[]',
          clocks: toJson([{ stage: clock.stage, round: clock.round, dueAt: clock.dueAt, completedAt: null, outcome: null }]),
        });
        return true;
      });
    } catch (error) {
      // Another process claimed it first (or the clock stopped meanwhile): the version bump rolled back.
      if (error instanceof LostClaim) return false;
      throw error;
    }
  }
}

/** Thrown to roll back a claim that another process won. */
class LostClaim extends Error {}
