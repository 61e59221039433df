// The jobs a Gridline process runs in the background, with their schedules and retry policies. `serve`
// starts them; `gridline sweep` and POST /admin/sweep run the sweep at once. A new job (the outbox worker,
// revisits, retention) is one more entry here, its work in a file of its own beside deadline-sweep.ts.

import type { Services } from '../services/index.js';
import type { SweepResult } from './deadline-sweep.js';
import { JobRunner, type Job, type JobLog, type Timers } from './runner.js';

export interface JobSchedule {
  /** How often the deadline sweep runs (0: never on its own). */
  sweepIntervalMs: number;
  /** How often the live feed is cut back to what resuming streams need (0 or left out: never on its own). */
  feedRetentionMs?: number;
}

export const DEADLINE_SWEEP = 'deadline-sweep';
export const FEED_RETENTION = 'feed-retention';

export function deadlineSweepJob(services: Pick<Services, 'sweep'>, everyMs: number): Job<SweepResult> {
  return {
    name: DEADLINE_SWEEP,
    everyMs,
    // A failed sweep (the database away for a moment) is tried again soon, then waits for its next turn:
    // every clock it missed is still due and is raised by a later run.
    retry: { attempts: 3, backoffMs: 5_000, maxBackoffMs: 60_000 },
    run: () => services.sweep.run(),
    describe: (r) => (r.reminded || r.supervised || r.alerted || r.uploadsExpired ? { ...r } : undefined),
  };
}

/** The live feed (services/notify/live.ts) keeps what a reconnecting stream may ask for, and no more. */
export function feedRetentionJob(services: Pick<Services, 'live'>, everyMs: number): Job<number> {
  return {
    name: FEED_RETENTION,
    everyMs,
    retry: { attempts: 2, backoffMs: 30_000, maxBackoffMs: 300_000 },
    run: () => services.live.prune(),
    describe: (pruned) => (pruned > 0 ? { pruned } : undefined),
  };
}

export function buildJobs(services: Pick<Services, 'sweep' | 'live'>, schedule: JobSchedule, log?: JobLog, timers?: Timers): JobRunner {
  return new JobRunner([deadlineSweepJob(services, schedule.sweepIntervalMs), feedRetentionJob(services, schedule.feedRetentionMs ?? 0)], log, timers);
}
