// The notification worker of a process: fans out the outbox and sends due deliveries, at once when a
// signal says there is work (a commit here, or in another process through LISTEN/NOTIFY) and every
// `pollMs` otherwise (retries fall due, a signal was missed). Whether a process runs it is configuration
// (WORKERS): API-only processes leave it to worker processes. Several may run at once on PostgreSQL.

import type { Signals } from '../../ports.js';
import type { DeliveryRun, DeliveryWorker } from './deliver.js';
import type { NotifyFanout } from './fanout.js';

export interface WorkerLog {
  error(data: Record<string, unknown>, message: string): void;
}

export class NotifyWorker {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private woken = false;
  private offs: (() => void)[] = [];

  constructor(
    readonly fanout: NotifyFanout,
    readonly delivery: DeliveryWorker,
    private readonly signals: Signals,
    private readonly pollMs = 500,
    private readonly log: WorkerLog = { error: () => {} },
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.offs = [this.signals.on('outbox', () => this.poke())];
    this.loop = this.work();
  }

  /** No more rounds; waits for the one under way (its sends end within their time limit). */
  async stop(): Promise<void> {
    this.running = false;
    for (const off of this.offs) off();
    this.poke();
    await this.loop;
  }

  /** Fan out and send everything due now, here (tests, the CLI): answers the deliveries' totals. */
  async drain(): Promise<{ events: number } & DeliveryRun> {
    let events = 0;
    const total: DeliveryRun = { claimed: 0, delivered: 0, retried: 0, dead: 0, held: 0 };
    for (;;) {
      const n = await this.fanout.drain();
      events += n;
      const r = await this.delivery.drain();
      for (const k of Object.keys(total) as (keyof DeliveryRun)[]) total[k] += r[k];
      if (n === 0 && r.claimed === r.held) return { events, ...total };
    }
  }

  private poke(): void {
    this.woken = true;
    this.wake?.();
  }

  private async work(): Promise<void> {
    let failures = 0;
    while (this.running) {
      this.woken = false;
      try {
        const events = await this.fanout.run();
        const sent = await this.delivery.run();
        failures = 0;
        // More may be waiting: go round again at once.
        if (events > 0 || sent.claimed > sent.held) continue;
      } catch (err) {
        failures++;
        this.log.error({ err, failures }, 'notification worker round failed; trying again');
      }
      if (!this.running) break;
      if (this.woken) continue;
      const wait = failures > 0 ? Math.min(30_000, this.pollMs * 2 ** failures) : this.pollMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        timer.unref();
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
