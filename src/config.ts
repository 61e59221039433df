// Configuration from the environment, read once at start-up. Every setting has a working default so
// `npm start` runs on a fresh machine with nothing set.

import os from 'node:os';
import path from 'node:path';
import { DEFAULT_BORDER_DISTANCE_M } from './services/placement.js';

export interface Config {
  /** `postgres://...` for PostgreSQL; `sqlite:FILE`, a file path or `:memory:` for embedded SQLite. */
  databaseUrl: string;
  host: string;
  port: number;
  /** Where media bytes live: a directory (local:DIR) or s3://BUCKET/PREFIX?endpoint=...; see src/media/stores.ts. */
  mediaStore: string;
  /** Upload limits and processing (MEDIA_MAX_PHOTO_MB, MEDIA_MAX_VIDEO_MB, MEDIA_MAX_PIXELS, MEDIA_CONCURRENCY). */
  media: { photoBytes: number; videoBytes: number; maxPixels: number; concurrency: number };
  /** Evidence rules (MEDIA_MAX_FILES, EVIDENCE_FLAG_DISTANCE_M, EVIDENCE_FLAG_AGE_HOURS). */
  evidence: { maxFiles: number; flagDistanceM: number; flagAgeHours: number };
  logLevel: string;
  /** Bearer tokens expire after this many hours. */
  tokenTtlHours: number;
  /** How often the deadline sweep runs in `serve` (0 disables it). */
  sweepIntervalMs: number;
  /** Reports within this many metres of a unit's border are flagged for the dispatcher. */
  borderDistanceM: number;
}

const int = (value: string | undefined, fallback: number, name: string): number => {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${value}"`);
  return n;
};

const MB = 1024 * 1024;

const positive = (value: string | undefined, fallback: number, name: string): number => {
  const n = int(value, fallback, name);
  if (n < 1) throw new Error(`${name} must be at least 1, got "${value}"`);
  return n;
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    databaseUrl: env.DATABASE_URL || `sqlite:${path.resolve('data', 'gridline.db')}`,
    host: env.HOST || '127.0.0.1',
    port: int(env.PORT, 3000, 'PORT'),
    mediaStore: env.MEDIA_STORE || `local:${path.resolve(env.MEDIA_DIR || path.join('data', 'media'))}`,
    media: {
      photoBytes: positive(env.MEDIA_MAX_PHOTO_MB, 15, 'MEDIA_MAX_PHOTO_MB') * MB,
      videoBytes: positive(env.MEDIA_MAX_VIDEO_MB, 100, 'MEDIA_MAX_VIDEO_MB') * MB,
      maxPixels: positive(env.MEDIA_MAX_PIXELS, 100_000_000, 'MEDIA_MAX_PIXELS'),
      concurrency: positive(env.MEDIA_CONCURRENCY, Math.max(1, os.availableParallelism()), 'MEDIA_CONCURRENCY'),
    },
    evidence: {
      maxFiles: positive(env.MEDIA_MAX_FILES, 9, 'MEDIA_MAX_FILES'),
      flagDistanceM: positive(env.EVIDENCE_FLAG_DISTANCE_M, 500, 'EVIDENCE_FLAG_DISTANCE_M'),
      flagAgeHours: positive(env.EVIDENCE_FLAG_AGE_HOURS, 48, 'EVIDENCE_FLAG_AGE_HOURS'),
    },
    logLevel: env.LOG_LEVEL || 'info',
    tokenTtlHours: int(env.TOKEN_TTL_HOURS, 24 * 7, 'TOKEN_TTL_HOURS'),
    sweepIntervalMs: int(env.SWEEP_INTERVAL_MS, 60_000, 'SWEEP_INTERVAL_MS'),
    borderDistanceM: int(env.BORDER_DISTANCE_M, DEFAULT_BORDER_DISTANCE_M, 'BORDER_DISTANCE_M'),
  };
}
