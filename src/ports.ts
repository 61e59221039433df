// The outside-world seams the services depend on. Tests swap the clock for a manual one; nothing sleeps.

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

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
