// Configuration from the environment, read once at start-up. Every setting has a working default so
// `npm start` runs on a fresh machine with nothing set.

import os from 'node:os';
import path from 'node:path';
import { DEFAULT_EMERGENCY_SIGN_ALERT_MINUTES } from './jobs/deadline-sweep.js';
import { DEFAULT_BORDER_DISTANCE_M } from './services/placement.js';
import type { RateRule } from './domain/records.js';
import { DEFAULT_THROTTLE, type ThrottleRules } from './services/throttle.service.js';

export interface Config {
  /** `postgres://...` for PostgreSQL; `sqlite:FILE`, a file path or `:memory:` for embedded SQLite. */
  databaseUrl: string;
  /** PostgreSQL: the schema Gridline's tables live in (DATABASE_SCHEMA; default the connection's search_path, normally public). */
  databaseSchema?: string;
  host: string;
  port: number;
  /** Where media bytes live: a directory (local:DIR) or s3://BUCKET/PREFIX?endpoint=...; see src/media/stores.ts. */
  mediaStore: string;
  /** Upload limits and processing (MEDIA_MAX_PHOTO_MB, MEDIA_MAX_VIDEO_MB, MEDIA_MAX_PIXELS, MEDIA_CONCURRENCY), and the bytes
   *  one user may hold in unfinished resumable uploads (MEDIA_UPLOAD_QUOTA_MB). */
  media: { photoBytes: number; videoBytes: number; audioBytes: number; audioSeconds: number; maxPixels: number; concurrency: number; uploadQuotaBytes: number };
  /** Evidence rules (MEDIA_MAX_FILES, EVIDENCE_FLAG_DISTANCE_M, EVIDENCE_FLAG_AGE_HOURS). */
  evidence: { maxFiles: number; flagDistanceM: number; flagAgeHours: number };
  logLevel: string;
  /** Bearer tokens expire after this many hours. */
  tokenTtlHours: number;
  deviceSessionDays: number;
  /** The rider map's tile server (MAP_TILE_URL, MAP_TILE_COORD_SYS wgs84|gcj02, MAP_TILE_ATTRIBUTION, MAP_TILE_MAX_ZOOM); null: polygons only. */
  tiles: { url: string; coordSys: 'wgs84' | 'gcj02'; attribution: string; maxZoom: number } | null;
  /** How often the deadline sweep runs in `serve` (0 disables it). */
  sweepIntervalMs: number;
  /** Reports within this many metres of a unit's border are flagged for the dispatcher. */
  borderDistanceM: number;
  /** An emergency not signed this many minutes after dispatch alerts its supervisors (EMERGENCY_SIGN_ALERT_MINUTES). */
  emergencySignAlertMinutes: number;
  /** Rate limits and login throttling (THROTTLE_*). */
  throttle: ThrottleRules;
  /** Fastify's trustProxy (TRUST_PROXY): false, true, or the proxies' addresses/CIDRs. */
  trustProxy: boolean | string;
  /** Whether this process runs the background workers: the notification worker and the deadline sweep (WORKERS). */
  workers: boolean;
  /** Notifications (PUBLIC_URL, SMTP_URL, SMTP_FROM, WECOM_URL, DINGTALK_URL, NOTIFY_*). */
  notify: {
    publicUrl: string;
    smtpUrl?: string;
    smtpFrom?: string;
    wecomUrl?: string;
    dingtalkUrl?: string;
    pollMs: number;
    timeoutMs: number;
    backoffMs: number;
    /** How long a worker's claim on a batch of deliveries holds (NOTIFY_LEASE_MS): a killed process's claims are taken again after it. */
    leaseMs: number;
    maxAttempts: Partial<Record<'wecom' | 'dingtalk' | 'webhook' | 'email', number>>;
  };
}

/** NOTIFY_MAX_ATTEMPTS: `webhook=12,wecom=8`; kinds left out keep their default. */
function maxAttempts(value: string | undefined): Config['notify']['maxAttempts'] {
  const out: Config['notify']['maxAttempts'] = {};
  for (const part of (value ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^(wecom|dingtalk|webhook|email)\s*=\s*(\d+)$/.exec(part);
    if (!match || Number(match[2]) < 1) throw new Error(`NOTIFY_MAX_ATTEMPTS must look like webhook=12,wecom=8 (each at least 1), got "${value}"`);
    out[match[1] as keyof typeof out] = Number(match[2]);
  }
  return out;
}

/** WORKERS: on (default) or off, for an API-only process beside worker processes. */
function onOff(value: string | undefined, name: string): boolean {
  const text = value?.trim() ?? '';
  if (text === '' || /^(true|on|1|yes)$/i.test(text)) return true;
  if (/^(false|off|0|no)$/i.test(text)) return false;
  throw new Error(`${name} must be on or off, got "${value}"`);
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

/** A rate rule as `LIMIT/WINDOW`: `30/1m`, `10/15m`, `300/60s`, `1000/1h`; `off` or `0` turns it off. */
export function rateRule(value: string | undefined, fallback: RateRule, name: string): RateRule {
  if (value === undefined || value.trim() === '') return fallback;
  const text = value.trim().toLowerCase();
  if (text === 'off' || text === '0') return { limit: 0, windowS: fallback.windowS };
  const match = /^(\d+)\s*\/\s*(\d*)\s*(s|m|h)$/.exec(text);
  const window = match ? Number(match[2] || '1') * { s: 1, m: 60, h: 3600 }[match[3] as 's' | 'm' | 'h'] : 0;
  if (!match || window < 1) throw new Error(`${name} must look like 30/1m (a number per a window in s, m or h) or off, got "${value}"`);
  return { limit: Number(match[1]), windowS: window };
}

/** TRUST_PROXY: unset/false/off (default), true (every hop: only behind a proxy that sets X-Forwarded-For), or addresses/CIDRs. */
function trustProxy(value: string | undefined): boolean | string {
  const text = value?.trim() ?? '';
  if (text === '' || /^(false|off|0|no)$/i.test(text)) return false;
  if (/^(true|on|1|yes)$/i.test(text)) return true;
  return text;
}

/** DATABASE_SCHEMA: a plain PostgreSQL identifier (it goes into search_path). */
function schemaName(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value)) throw new Error(`DATABASE_SCHEMA must be a lower-case PostgreSQL identifier (letters, digits, _), got "${value}"`);
  return value;
}

/** NOTIFY_LEASE_MS must leave a send its whole time limit (NOTIFY_TIMEOUT_MS) and some. */
function leaseMs(value: string | undefined, timeoutMs: number): number {
  const lease = positive(value, Math.max(120_000, timeoutMs * 4), 'NOTIFY_LEASE_MS');
  if (lease < timeoutMs * 2) throw new Error(`NOTIFY_LEASE_MS (${lease}) must be at least twice NOTIFY_TIMEOUT_MS (${timeoutMs}), so that a claimed send ends before another process may take it`);
  return lease;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const timeoutMs = positive(env.NOTIFY_TIMEOUT_MS, 10_000, 'NOTIFY_TIMEOUT_MS');
  return {
    databaseUrl: env.DATABASE_URL || `sqlite:${path.resolve('data', 'gridline.db')}`,
    databaseSchema: schemaName(env.DATABASE_SCHEMA),
    host: env.HOST || '127.0.0.1',
    port: int(env.PORT, 3000, 'PORT'),
    mediaStore: env.MEDIA_STORE || `local:${path.resolve(env.MEDIA_DIR || path.join('data', 'media'))}`,
    media: {
      photoBytes: positive(env.MEDIA_MAX_PHOTO_MB, 15, 'MEDIA_MAX_PHOTO_MB') * MB,
      videoBytes: positive(env.MEDIA_MAX_VIDEO_MB, 100, 'MEDIA_MAX_VIDEO_MB') * MB,
      audioBytes: positive(env.MEDIA_MAX_AUDIO_MB, 5, 'MEDIA_MAX_AUDIO_MB') * MB,
      audioSeconds: positive(env.MEDIA_MAX_AUDIO_SECONDS, 120, 'MEDIA_MAX_AUDIO_SECONDS'),
      maxPixels: positive(env.MEDIA_MAX_PIXELS, 100_000_000, 'MEDIA_MAX_PIXELS'),
      concurrency: positive(env.MEDIA_CONCURRENCY, Math.max(1, os.availableParallelism()), 'MEDIA_CONCURRENCY'),
      uploadQuotaBytes: positive(env.MEDIA_UPLOAD_QUOTA_MB, 300, 'MEDIA_UPLOAD_QUOTA_MB') * MB,
    },
    evidence: {
      maxFiles: positive(env.MEDIA_MAX_FILES, 9, 'MEDIA_MAX_FILES'),
      flagDistanceM: positive(env.EVIDENCE_FLAG_DISTANCE_M, 500, 'EVIDENCE_FLAG_DISTANCE_M'),
      flagAgeHours: positive(env.EVIDENCE_FLAG_AGE_HOURS, 48, 'EVIDENCE_FLAG_AGE_HOURS'),
    },
    logLevel: env.LOG_LEVEL || 'info',
    tokenTtlHours: int(env.TOKEN_TTL_HOURS, 24 * 7, 'TOKEN_TTL_HOURS'),
    deviceSessionDays: int(env.DEVICE_SESSION_DAYS, 180, 'DEVICE_SESSION_DAYS'),
    tiles: env.MAP_TILE_URL
      ? {
          url: env.MAP_TILE_URL,
          coordSys: tileSystem(env.MAP_TILE_COORD_SYS),
          attribution: env.MAP_TILE_ATTRIBUTION ?? '',
          maxZoom: int(env.MAP_TILE_MAX_ZOOM, 18, 'MAP_TILE_MAX_ZOOM'),
        }
      : null,
    sweepIntervalMs: int(env.SWEEP_INTERVAL_MS, 60_000, 'SWEEP_INTERVAL_MS'),
    borderDistanceM: int(env.BORDER_DISTANCE_M, DEFAULT_BORDER_DISTANCE_M, 'BORDER_DISTANCE_M'),
    emergencySignAlertMinutes: positive(env.EMERGENCY_SIGN_ALERT_MINUTES, DEFAULT_EMERGENCY_SIGN_ALERT_MINUTES, 'EMERGENCY_SIGN_ALERT_MINUTES'),
    throttle: {
      loginAccount: rateRule(env.THROTTLE_LOGIN_ACCOUNT, DEFAULT_THROTTLE.loginAccount, 'THROTTLE_LOGIN_ACCOUNT'),
      lockoutS: positive(env.THROTTLE_LOCKOUT_MINUTES, DEFAULT_THROTTLE.lockoutS / 60, 'THROTTLE_LOCKOUT_MINUTES') * 60,
      loginAddress: rateRule(env.THROTTLE_LOGIN_ADDRESS, DEFAULT_THROTTLE.loginAddress, 'THROTTLE_LOGIN_ADDRESS'),
      report: rateRule(env.THROTTLE_REPORT, DEFAULT_THROTTLE.report, 'THROTTLE_REPORT'),
      read: rateRule(env.THROTTLE_READ, DEFAULT_THROTTLE.read, 'THROTTLE_READ'),
      public: rateRule(env.THROTTLE_PUBLIC, DEFAULT_THROTTLE.public, 'THROTTLE_PUBLIC'),
      publicWrite: rateRule(env.THROTTLE_PUBLIC_WRITE, DEFAULT_THROTTLE.publicWrite, 'THROTTLE_PUBLIC_WRITE'),
      cleanupEveryS: DEFAULT_THROTTLE.cleanupEveryS,
    },
    trustProxy: trustProxy(env.TRUST_PROXY),
    workers: onOff(env.WORKERS, 'WORKERS'),
    notify: {
      publicUrl: (env.PUBLIC_URL || `http://${env.HOST || '127.0.0.1'}:${int(env.PORT, 3000, 'PORT')}`).replace(/\/+$/, ''),
      smtpUrl: env.SMTP_URL || undefined,
      smtpFrom: env.SMTP_FROM || undefined,
      wecomUrl: env.WECOM_URL || undefined,
      dingtalkUrl: env.DINGTALK_URL || undefined,
      pollMs: positive(env.NOTIFY_POLL_MS, 500, 'NOTIFY_POLL_MS'),
      timeoutMs,
      backoffMs: positive(env.NOTIFY_BACKOFF_MS, 5_000, 'NOTIFY_BACKOFF_MS'),
      leaseMs: leaseMs(env.NOTIFY_LEASE_MS, timeoutMs),
      maxAttempts: maxAttempts(env.NOTIFY_MAX_ATTEMPTS),
    },
  };
}

function tileSystem(value: string | undefined): 'wgs84' | 'gcj02' {
  if (value === undefined || value === '' || value === 'wgs84') return 'wgs84';
  if (value === 'gcj02') return 'gcj02';
  throw new Error(`MAP_TILE_COORD_SYS must be wgs84 or gcj02 (got ${JSON.stringify(value)}): the system the tiles are drawn in (Amap and Tencent tiles are gcj02)`);
}
