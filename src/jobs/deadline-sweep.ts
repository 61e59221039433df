// The deadline sweep, the first scheduled job (jobs/index.ts): reminders (催办) before a clock falls due
// and supervision (督办) once it is overdue, the supervisors alerted when an emergency has gone unsigned
// for EMERGENCY_SIGN_ALERT_MINUTES, and unfinished resumable uploads past their expiry dropped.
// Safe on several processes at once: each clock is claimed with a conditional UPDATE, so exactly one
// process wins it and writes the event; the others see zero rows changed and move on.

import type { ClockRow } from '../domain/records.js';
import type { ServiceContext } from '../services/context.js';

export interface SweepResult {
  reminded: number;
  supervised: number;
  /** Emergencies not signed in time whose supervisors were alerted (a system `alert` event each). */
  alerted: number;
  /** Unfinished resumable uploads past their expiry, dropped. */
  uploadsExpired: number;
}

const BATCH = 200;

/** Minutes after its dispatch an emergency nobody has signed for alerts the supervisors (EMERGENCY_SIGN_ALERT_MINUTES). */
export const DEFAULT_EMERGENCY_SIGN_ALERT_MINUTES = 10;

type Raise = 'remind' | 'supervise' | 'alert';

const CLAIM = { remind: 'remindedAt', supervise: 'supervisedAt', alert: 'alertedAt' } as const;

export class DeadlineSweep {
  constructor(
    private readonly ctx: ServiceContext,
    /** Drops expired unfinished uploads with their stored bytes (MediaService.expireUploads). */
    private readonly expireUploads: () => Promise<number> = async () => 0,
    /** An emergency's sign clock this many minutes old and still open alerts the supervisors. */
    private readonly emergencySignAlertMinutes: number = DEFAULT_EMERGENCY_SIGN_ALERT_MINUTES,
  ) {}

  async run(): Promise<SweepResult> {
    const now = this.ctx.now();
    const nowIso = now.toISOString();
    const result: SweepResult = { reminded: 0, supervised: 0, alerted: 0, uploadsExpired: await this.expireUploads() };
    const clocks = this.ctx.uow.autocommit.clocks;
    // The alert first: it is the one a supervisor must hear at once.
    const startedBy = new Date(now.getTime() - this.emergencySignAlertMinutes * 60_000).toISOString();
    result.alerted = await this.raiseAll((n) => clocks.emergenciesToAlert(startedBy, n), 'alert', nowIso);
    result.reminded = await this.raiseAll((n) => clocks.clocksToRemind(nowIso, n), 'remind', nowIso);
    result.supervised = await this.raiseAll((n) => clocks.clocksToSupervise(nowIso, n), 'supervise', nowIso);
    if (result.reminded || result.supervised || result.alerted) this.ctx.signals.send('outbox');
    return result;
  }

  /** Raise every clock `find` gives, a batch at a time; answers how many this process won. */
  private async raiseAll(find: (limit: number) => Promise<ClockRow[]>, action: Raise, nowIso: string): Promise<number> {
    let won = 0;
    for (;;) {
      const batch = await find(BATCH);
      for (const clock of batch) if (await this.raise(clock, action, nowIso)) won++;
      if (batch.length < BATCH) return won;
    }
  }

  private async raise(clock: ClockRow, action: Raise, nowIso: string): Promise<boolean> {
    try {
      return await this.ctx.transaction(async (repos) => {
        // Lock the case first, then the clock: the same order as a user's action, so the two never deadlock.
        const record = await repos.cases.bumpVersion(clock.caseId);
        if (!record) return false;
        const claimed = await repos.clocks.claimClock(clock.id, CLAIM[action], nowIso);
        if (!claimed) throw new LostClaim();
        const overdueMinutes = Math.max(0, Math.round((Date.parse(nowIso) - Date.parse(clock.dueAt)) / 60_000));
        await repos.events.appendEvent({
          caseId: clock.caseId,
          seq: record.version,
          action,
          at: nowIso,
          fromStatus: record.status,
          toStatus: record.status,
          data:
            action === 'alert'
              ? // The notification planner sends this to the supervisors over the case (domain/notify.ts).
                { reason: 'emergency_unsigned', stage: clock.stage, minutes: this.emergencySignAlertMinutes, departmentId: record.departmentId }
              : { stage: clock.stage, round: clock.round, dueAt: clock.dueAt, departmentId: record.departmentId, ...(action === 'supervise' ? { overdueMinutes } : {}) },
          clocks: [{ stage: clock.stage, round: clock.round, dueAt: clock.dueAt, completedAt: null, outcome: null }],
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
