// A counting semaphore: at most `size` jobs run at once, the rest wait in order. Media processing uses it
// so twenty uploads at once decode two or so photos at a time instead of twenty (memory stays bounded).

export class Slots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!(Number.isInteger(size) && size >= 1)) throw new Error(`slots must be a whole number >= 1, not ${size}`);
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      // Hand the slot straight to the next job; only when nobody waits does the count drop.
      if (next) next();
      else this.running--;
    }
  }
}
