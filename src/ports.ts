// The outside-world seams the services depend on. Tests swap the clock for a manual one; nothing sleeps.

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * How a store's write failed, in the services' terms: `duplicate` when a unique key was already there (a
 * race another request won), `retry` when the database asks for the work to be tried again (a
 * serialization failure, a deadlock, a busy file). Anything else is undefined: a real error.
 */
export type WriteFailure = 'duplicate' | 'retry';

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: Date | string) {
    this.current = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  set(at: Date | string): void {
    this.current = new Date(at).getTime();
  }
  advance(minutes: number): Date {
    this.current += minutes * 60_000;
    return this.now();
  }
}
