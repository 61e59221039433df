// Configuration from the environment, read once at start-up. Every setting has a working default so
// `npm start` runs on a fresh machine with nothing set.

import path from 'node:path';
import { DEFAULT_BORDER_DISTANCE_M } from './services/placement.js';

export interface Config {
  /** `postgres://...` for PostgreSQL; `sqlite:FILE`, a file path or `:memory:` for embedded SQLite. */
  databaseUrl: string;
  host: string;
  port: number;
  mediaDir: string;
  logLevel: string;
  /** Bearer tokens expire after this many hours. */
  tokenTtlHours: number;
  /** How often the deadline sweep runs in `serve` (0 disables it). */
  sweepIntervalMs: number;
  /** Largest accepted media upload in bytes. */
  maxUploadBytes: number;
  /** Reports within this many metres of a unit's border are flagged for the dispatcher. */
  borderDistanceM: number;
}

const int = (value: string | undefined, fallback: number, name: string): number => {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${value}"`);
  return n;
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    databaseUrl: env.DATABASE_URL || `sqlite:${path.resolve('data', 'gridline.db')}`,
    host: env.HOST || '127.0.0.1',
    port: int(env.PORT, 3000, 'PORT'),
    mediaDir: path.resolve(env.MEDIA_DIR || path.join('data', 'media')),
    logLevel: env.LOG_LEVEL || 'info',
    tokenTtlHours: int(env.TOKEN_TTL_HOURS, 24 * 7, 'TOKEN_TTL_HOURS'),
    sweepIntervalMs: int(env.SWEEP_INTERVAL_MS, 60_000, 'SWEEP_INTERVAL_MS'),
    maxUploadBytes: int(env.MAX_UPLOAD_BYTES, 15 * 1024 * 1024, 'MAX_UPLOAD_BYTES'),
    borderDistanceM: int(env.BORDER_DISTANCE_M, DEFAULT_BORDER_DISTANCE_M, 'BORDER_DISTANCE_M'),
  };
}
