// WAL checkpoints off the event loop. In WAL mode with synchronous=NORMAL a commit only appends to the
// -wal file; the fsyncs happen when a checkpoint copies the log back into the database. SQLite's automatic
// checkpoint runs inside whichever commit crosses 1,000 pages, on the thread that committed: under steady
// intake that stalled the server for up to 0.6 s every few seconds (every request waits on the one event
// loop). Instead the serving connection never checkpoints (wal_autocheckpoint=0) and a worker thread with
// a connection of its own runs PASSIVE checkpoints, which never block the writer: it copies what the log
// holds, fsyncs there, and the writer starts the log over once it has all been copied.

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the worker checkpoints, and the log size past which it does so at once. */
export interface CheckpointOptions {
  intervalMs?: number;
  /**
   * The -wal file is truncated back to this many bytes after a checkpoint that copied everything; -1 (the
   * default) keeps it at its largest, so the writer reuses the file instead of growing it again.
   */
  journalSizeLimit?: number;
}

export interface Checkpointer {
  /** Stop the worker after one last checkpoint. */
  stop(): Promise<void>;
}

// Runs as a CommonJS script in the worker (eval): better-sqlite3 comes by the path this module resolves.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.module);
const db = new SQLite(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
db.pragma('journal_size_limit = ' + workerData.journalSizeLimit);
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (error) { parentPort.postMessage({ error: String(error) }); } };
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); checkpoint(); db.close(); parentPort.postMessage({ stopped: true }); });
`;

const sqliteModule = createRequire(import.meta.url).resolve('better-sqlite3');

/** Checkpoint `file`'s WAL from a worker thread until stopped; the caller sets wal_autocheckpoint=0 on its own connection. */
export function startCheckpointer(file: string, options: CheckpointOptions = {}, onError: (message: string) => void = () => {}): Checkpointer {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { file, module: sqliteModule, intervalMs: options.intervalMs ?? 200, journalSizeLimit: options.journalSizeLimit ?? -1 },
  });
  // The worker never keeps the process alive on its own; the database's close() stops it.
  worker.unref();
  let stopped: Promise<void> | undefined;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('message', (m: { error?: string }) => {
    if (m.error) onError(m.error);
  });
  worker.on('error', (error) => onError(String(error)));
  return {
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        worker.once('message', () => void worker.terminate().then(() => resolve()));
        void exited.then(resolve);
        worker.postMessage('stop');
      });
      return stopped;
    },
  };
}
