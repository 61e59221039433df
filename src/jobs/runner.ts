// A small runner for background work: each job declares how often it runs and how it retries, the runner
// keeps to that. Within a process a job never overlaps itself; across processes the jobs themselves are
// safe (they claim their rows, as the deadline sweep claims each clock), so every process may run them.
// The outbox worker and the later revisit and retention jobs are added to the list in jobs/index.ts.

export interface RetryPolicy {
  /** Runs after a failure before going back to the schedule (0: wait for the next scheduled run). */
  attempts: number;
  /** Wait before the first retry; doubled for each further one, up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
}

export interface Job<R = unknown> {
  /** Stable name, used in logs and by `runOnce`. */
  name: string;
  /** Time between the end of one run and the start of the next; 0 turns the schedule off (runOnce still works). */
  everyMs: number;
  retry: RetryPolicy;
  run(): Promise<R>;
  /** What is worth logging about a result, or undefined for a quiet run. */
  describe?(result: R): Record<string, unknown> | undefined;
}

export interface JobLog {
  info(data: Record<string, unknown>, message: string): void;
  error(data: Record<string, unknown>, message: string): void;
}

/** The timer functions the runner schedules with (tests pass their own and move time themselves). */
export interface Timers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const nodeTimers: Timers = {
  setTimeout: (run, ms) => {
    const handle = setTimeout(run, ms);
    // A scheduled job never keeps a process alive on its own.
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

const quiet: JobLog = { info: () => {}, error: () => {} };

interface State {
  job: Job;
  timer?: unknown;
  running?: Promise<unknown>;
  /** Failures in a row since the last success. */
  failures: number;
}

export class JobRunner {
  private readonly states = new Map<string, State>();
  private started = false;
  private stopped = false;

  constructor(
    jobs: Job[],
    private readonly log: JobLog = quiet,
    private readonly timers: Timers = nodeTimers,
  ) {
    for (const job of jobs) {
      if (this.states.has(job.name)) throw new Error(`two jobs are named ${job.name}`);
      this.states.set(job.name, { job, failures: 0 });
    }
  }

  get names(): string[] {
    return [...this.states.keys()];
  }

  /** Schedule every job with a period: each first runs one period from now. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    for (const state of this.states.values()) if (state.job.everyMs > 0) this.schedule(state, state.job.everyMs);
  }

  /**
   * Run a job now and answer its result (the CLI, an admin's request). If it is already running here, this
   * waits for that run and answers its result instead of starting a second one. A failure is thrown to the
   * caller and does not change the schedule.
   */
  async runOnce<R>(name: string): Promise<R> {
    const state = this.states.get(name);
    if (!state) throw new Error(`there is no job named ${name} (jobs: ${this.names.join(', ')})`);
    if (state.running) return (await state.running) as R;
    return (await this.execute(state)) as R;
  }

  /** No more runs; waits for the ones under way to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    const running: Promise<unknown>[] = [];
    for (const state of this.states.values()) {
      if (state.timer !== undefined) this.timers.clearTimeout(state.timer);
      state.timer = undefined;
      if (state.running) running.push(state.running.catch(() => undefined));
    }
    await Promise.all(running);
  }

  private execute(state: State): Promise<unknown> {
    const run = Promise.resolve()
      .then(() => state.job.run())
      .finally(() => {
        state.running = undefined;
      });
    state.running = run;
    return run;
  }

  private schedule(state: State, ms: number): void {
    if (this.stopped) return;
    state.timer = this.timers.setTimeout(() => {
      state.timer = undefined;
      void this.tick(state);
    }, ms);
  }

  private async tick(state: State): Promise<void> {
    const { job } = state;
    // Someone ran it meanwhile (runOnce): let that run finish, then keep to the schedule.
    if (state.running) await state.running.catch(() => undefined);
    if (this.stopped) return;
    const started = Date.now();
    try {
      const result = await this.execute(state);
      state.failures = 0;
      const said = job.describe?.(result);
      if (said) this.log.info({ job: job.name, ms: Date.now() - started, ...said }, `job ${job.name}`);
      this.schedule(state, job.everyMs);
    } catch (err) {
      state.failures++;
      const retrying = state.failures <= job.retry.attempts;
      const wait = retrying ? Math.min(job.retry.maxBackoffMs, job.retry.backoffMs * 2 ** (state.failures - 1)) : job.everyMs;
      this.log.error({ job: job.name, err, failures: state.failures, nextInMs: wait }, retrying ? `job ${job.name} failed; retrying` : `job ${job.name} failed; back to its schedule`);
      if (!retrying) state.failures = 0;
      this.schedule(state, wait);
    }
  }
}
