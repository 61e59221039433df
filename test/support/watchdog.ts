// vitest's timeout cannot stop a synchronous endless loop (its timer never gets to run, and a request
// stuck in one never answers), so a test that guards against such loops arms a watchdog thread: work
// still running after `ms` is named on stderr (with the last note) and the test process is killed, which
// fails the run instead of hanging it.

import { Worker } from 'node:worker_threads';

export interface Watchdog {
  /** Run synchronous work under the watchdog. */
  guard<T>(what: string, run: () => T): T;
  /** Run asynchronous work under the watchdog, until its promise settles. */
  guardAsync<T>(what: string, run: () => Promise<T>): Promise<T>;
  /** Say what is running now (named if the watchdog fires). */
  note(what: string): void;
  stop(): void;
}

export function watchdog(ms: number): Watchdog {
  const shared = new SharedArrayBuffer(8 + 256);
  const state = new Int32Array(shared, 0, 2); // [armed generation (0 idle, -1 stop), note length]
  const text = new Uint8Array(shared, 8);
  const source = `
    const { workerData } = require('node:worker_threads');
    const { writeSync } = require('node:fs');
    const state = new Int32Array(workerData.shared, 0, 2);
    const text = new Uint8Array(workerData.shared, 8);
    for (;;) {
      Atomics.wait(state, 0, 0);
      const armed = Atomics.load(state, 0);
      if (armed < 0) break;
      if (Atomics.wait(state, 0, armed, workerData.ms) === 'timed-out') {
        const what = Buffer.from(text.slice(0, Atomics.load(state, 1))).toString();
        writeSync(2, '\\nwatchdog: ' + what + ' still running after ' + workerData.ms + ' ms; killing the test process\\n');
        process.kill(process.pid, 'SIGKILL');
      }
    }`;
  const worker = new Worker(source, { eval: true, workerData: { shared, ms } });
  worker.unref();
  const encoder = new TextEncoder();
  let generation = 0;
  const note = (what: string) => Atomics.store(state, 1, encoder.encodeInto(what, text).written);
  const arm = (what: string) => {
    note(what);
    Atomics.store(state, 0, ++generation);
    Atomics.notify(state, 0);
  };
  const disarm = () => {
    Atomics.store(state, 0, 0);
    Atomics.notify(state, 0);
  };
  return {
    guard(what, run) {
      arm(what);
      try {
        return run();
      } finally {
        disarm();
      }
    },
    async guardAsync(what, run) {
      arm(what);
      try {
        return await run();
      } finally {
        disarm();
      }
    },
    note,
    stop() {
      Atomics.store(state, 0, -1);
      Atomics.notify(state, 0);
    },
  };
}
