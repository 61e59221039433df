// The background job runner (src/jobs/runner.ts): a job keeps to its declared period, never overlaps
// itself, retries a failure with a growing backoff and then goes back to its schedule, and stopping waits
// for a run under way. Time is moved by the test (manual timers); nothing sleeps.

import { describe, expect, it } from 'vitest';
import { JobRunner, type Job, type JobLog, type Timers } from '../../src/jobs/runner.js';
import { buildJobs, DEADLINE_SWEEP, FEED_RETENTION } from '../../src/jobs/index.js';
import type { SweepResult } from '../../src/jobs/deadline-sweep.js';

/** Timers that fire only when the test moves time. */
class ManualTimers implements Timers {
  now = 0;
  private next = 1;
  private readonly pending = new Map<number, { at: number; run: () => void }>();
  setTimeout(run: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { at: this.now + ms, run });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Due times still scheduled, relative to now. */
  get scheduled(): number[] {
    return [...this.pending.values()].map((p) => p.at - this.now).sort((a, b) => a - b);
  }
  /** Move time on by ms, firing what falls due in order, and let the jobs' promises settle. */
  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.pending.entries()].filter(([, p]) => p.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].run();
      await settle();
    }
    this.now = until;
    await settle();
  }
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

function recordingLog(): JobLog & { lines: { level: string; message: string; data: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; data: Record<string, unknown> }[] = [];
  return {
    lines,
    info: (data, message) => lines.push({ level: 'info', message, data }),
    error: (data, message) => lines.push({ level: 'error', message, data }),
  };
}

const job = (overrides: Partial<Job<number>> & Pick<Job<number>, 'run'>): Job<number> => ({
  name: 'test-job',
  everyMs: 1_000,
  retry: { attempts: 2, backoffMs: 100, maxBackoffMs: 150 },
  describe: (n) => ({ n }),
  ...overrides,
});

describe('the job runner', () => {
  it('runs a job once per period after start, not before, and logs what it says about a run', async () => {
    const timers = new ManualTimers();
    const log = recordingLog();
    let runs = 0;
    const runner = new JobRunner([job({ run: async () => ++runs })], log, timers);
    await timers.advance(5_000);
    expect(runs).toBe(0);
    runner.start();
    await timers.advance(999);
    expect(runs).toBe(0);
    await timers.advance(1);
    expect(runs).toBe(1);
    await timers.advance(3_000);
    expect(runs).toBe(4);
    expect(log.lines.map((l) => l.data.n)).toEqual([1, 2, 3, 4]);
    expect(log.lines.every((l) => l.level === 'info' && l.data.job === 'test-job')).toBe(true);
    await runner.stop();
  });

  it('never overlaps a run with itself: the next period starts when a slow run ends', async () => {
    const timers = new ManualTimers();
    let active = 0;
    let most = 0;
    let release: () => void = () => {};
    const runner = new JobRunner(
      [
        job({
          run: () => {
            active++;
            most = Math.max(most, active);
            return new Promise<number>((resolve) => (release = () => resolve(--active)));
          },
        }),
      ],
      undefined,
      timers,
    );
    runner.start();
    await timers.advance(1_000);
    expect(active).toBe(1);
    // Long past several periods: nothing else is scheduled while it runs.
    await timers.advance(10_000);
    expect(timers.scheduled).toEqual([]);
    // A run asked for meanwhile joins the one under way.
    const joined = runner.runOnce<number>('test-job');
    release();
    await settle();
    expect(await joined).toBe(0);
    expect(most).toBe(1);
    expect(timers.scheduled).toEqual([1_000]);
    await runner.stop();
  });

  it('retries a failure with a doubling backoff up to its cap, then goes back to its period, and logs each failure', async () => {
    const timers = new ManualTimers();
    const log = recordingLog();
    let calls = 0;
    const runner = new JobRunner(
      [
        job({
          run: async () => {
            calls++;
            throw new Error(`database away (${calls})`);
          },
        }),
      ],
      log,
      timers,
    );
    runner.start();
    await timers.advance(1_000);
    expect(calls).toBe(1);
    expect(timers.scheduled).toEqual([100]);
    await timers.advance(100);
    expect(calls).toBe(2);
    // 200 capped at 150.
    expect(timers.scheduled).toEqual([150]);
    await timers.advance(150);
    expect(calls).toBe(3);
    // Two retries spent: back to the period.
    expect(timers.scheduled).toEqual([1_000]);
    expect(log.lines.map((l) => [l.level, l.data.failures, l.data.nextInMs])).toEqual([
      ['error', 1, 100],
      ['error', 2, 150],
      ['error', 3, 1_000],
    ]);
    expect(String((log.lines[0]!.data.err as Error).message)).toBe('database away (1)');
    await runner.stop();
  });

  it('a success after failures resets the backoff', async () => {
    const timers = new ManualTimers();
    let calls = 0;
    const runner = new JobRunner(
      [
        job({
          run: async () => {
            calls++;
            if (calls === 1 || calls === 3) throw new Error('flaky');
            return calls;
          },
        }),
      ],
      undefined,
      timers,
    );
    runner.start();
    await timers.advance(1_000); // fails
    await timers.advance(100); // retry succeeds
    expect(calls).toBe(2);
    expect(timers.scheduled).toEqual([1_000]);
    await timers.advance(1_000); // fails again: the first backoff, not the second
    expect(calls).toBe(3);
    expect(timers.scheduled).toEqual([100]);
    await runner.stop();
  });

  it('stop cancels what is scheduled and waits for a run under way; nothing runs after it', async () => {
    const timers = new ManualTimers();
    let release: () => void = () => {};
    let finished = false;
    let runs = 0;
    const runner = new JobRunner(
      [
        job({
          run: () => {
            runs++;
            return new Promise<number>((resolve) => (release = () => ((finished = true), resolve(1))));
          },
        }),
      ],
      undefined,
      timers,
    );
    runner.start();
    await timers.advance(1_000);
    let stopped = false;
    const stopping = runner.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(finished).toBe(true);
    expect(timers.scheduled).toEqual([]);
    await timers.advance(10_000);
    expect(runs).toBe(1);
  });

  it('a period of 0 is never scheduled, but runOnce runs it; an unknown name and a duplicate name are refused', async () => {
    const timers = new ManualTimers();
    let runs = 0;
    const runner = new JobRunner([job({ everyMs: 0, run: async () => ++runs })], undefined, timers);
    runner.start();
    expect(timers.scheduled).toEqual([]);
    expect(await runner.runOnce<number>('test-job')).toBe(1);
    await expect(runner.runOnce('nope')).rejects.toThrow('there is no job named nope (jobs: test-job)');
    expect(() => new JobRunner([job({ run: async () => 1 }), job({ run: async () => 2 })])).toThrow('two jobs are named test-job');
    // A failure asked for directly reaches the caller and leaves the schedule alone.
    const failing = new JobRunner([job({ run: async () => Promise.reject(new Error('no')) })], undefined, timers);
    await expect(failing.runOnce('test-job')).rejects.toThrow('no');
    expect(timers.scheduled).toEqual([]);
  });

  it('declares the deadline sweep on its configured period, quiet when it found nothing', async () => {
    const timers = new ManualTimers();
    const log = recordingLog();
    const results: SweepResult[] = [
      { reminded: 0, supervised: 0, uploadsExpired: 0, alerted: 0 },
      { reminded: 2, supervised: 1, uploadsExpired: 0, alerted: 0 },
    ];
    const runner = buildJobs({ sweep: { run: async () => results.shift()! } as never, live: { prune: async () => 0 } as never }, { sweepIntervalMs: 60_000 }, log, timers);
    expect(runner.names).toEqual([DEADLINE_SWEEP, FEED_RETENTION]);
    runner.start();
    expect(timers.scheduled).toEqual([60_000]);
    await timers.advance(120_000);
    expect(log.lines).toEqual([{ level: 'info', message: 'job deadline-sweep', data: expect.objectContaining({ job: DEADLINE_SWEEP, reminded: 2, supervised: 1 }) }]);
    await runner.stop();
  });

  it('cuts the live feed back on its own period, saying so only when it dropped something', async () => {
    const timers = new ManualTimers();
    const log = recordingLog();
    const pruned = [0, 120];
    const runner = buildJobs({ sweep: { run: async () => ({ reminded: 0, supervised: 0, uploadsExpired: 0, alerted: 0 }) } as never, live: { prune: async () => pruned.shift()! } as never }, { sweepIntervalMs: 0, feedRetentionMs: 600_000 }, log, timers);
    runner.start();
    expect(timers.scheduled).toEqual([600_000]);
    await timers.advance(1_200_000);
    expect(log.lines).toEqual([{ level: 'info', message: 'job feed-retention', data: expect.objectContaining({ job: FEED_RETENTION, pruned: 120 }) }]);
    await runner.stop();
  });
});
