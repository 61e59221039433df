// The outside-world seams the services depend on: the clock (tests swap in a manual one; nothing sleeps)
// and the stores, in the domain's terms.

import type { CaseScope } from './domain/access.js';
import type {
  CaseUpdate,
  CaseQuery,
  CaseRecord,
  Category,
  CellCluster,
  CellKey,
  ClockRow,
  Department,
  EventRecord,
  IdempotencyRecord,
  Jurisdiction,
  Lockout,
  MediaLink,
  MediaPublication,
  MediaRecord,
  NearbyCase,
  NewCase,
  NewEvent,
  RateDecision,
  RateRule,
  ThrottleKey,
  UnitShape,
  UploadRecord,
  User,
  UserAccount,
  EventAction,
} from './domain/records.js';
import type { CaseStatus } from './domain/types.js';

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

// ---- the stores: what the services and jobs read and write, in the domain's records ----
// Storage implements them (src/storage: rows, JSON, snake_case and ids are its own); the composition root
// (src/compose.ts) hands the services a unit of work over them.

/** Cases: loads, the one write of a new report, versioned changes, lists, and idempotency keys. */
export interface CaseStore {
  /** True when insertNew is one statement, atomic without a transaction around it (PostgreSQL). */
  readonly insertNewIsOneStatement: boolean;
  find(id: string): Promise<CaseRecord | undefined>;
  /**
   * Write a new report whole (its reference, the case, cell counts, clocks, events, evidence links,
   * idempotency key); returns the case, numbered, and its events as stored.
   */
  insertNew(c: NewCase): Promise<{ record: CaseRecord; events: EventRecord[] }>;
  /** Apply changes if nobody changed the case since `version` was read (the version moves on); false when someone did. */
  apply(id: string, version: number, changes: CaseUpdate): Promise<boolean>;
  /** Take the next event number for a case without reading it first (system events); the case is locked until commit. */
  bumpVersion(id: string): Promise<{ version: number; status: CaseStatus; departmentId: string | null } | undefined>;
  /** Cases merged into a master. */
  mergedInto(masterId: string): Promise<CaseRecord[]>;
  idempotencyKey(scope: string, key: string): Promise<{ requestHash: string; caseId: string } | undefined>;
  saveIdempotencyKey(record: IdempotencyRecord): Promise<void>;
  list(q: CaseQuery): Promise<{ items: CaseRecord[]; total: number }>;
}

/** A case's append-only events. */
export interface EventStore {
  appendEvent(event: NewEvent): Promise<void>;
  events(caseId: string): Promise<EventRecord[]>;
  eventsFor(caseIds: string[]): Promise<EventRecord[]>;
  /** The newest event of a case with this action. */
  lastEventOf(caseId: string, action: EventAction): Promise<EventRecord | undefined>;
  /** The newest event of a case: the state the case must agree with. */
  lastEvent(caseId: string): Promise<{ seq: number; toStatus: CaseStatus } | undefined>;
}

/** A case's clocks (the deadlines of its stages), and those the deadline sweep raises. */
export interface ClockStore {
  clocks(caseId: string): Promise<ClockRow[]>;
  clocksFor(caseIds: string[]): Promise<ClockRow[]>;
  insertClocks(clocks: ClockRow[]): Promise<void>;
  /** Store a clock's new state: its due, reminder and completion times and its outcome. */
  saveClock(clock: ClockRow): Promise<void>;
  /** Open clocks whose reminder time has come and that have had no reminder yet. */
  clocksToRemind(now: string, limit: number): Promise<ClockRow[]>;
  /** Open clocks past due that have not been put under supervision yet. */
  clocksToSupervise(now: string, limit: number): Promise<ClockRow[]>;
  /** Mark an open clock reminded or supervised if no other process did first; true when this call won. */
  claimClock(id: string, claim: 'remindedAt' | 'supervisedAt', at: string): Promise<boolean>;
}

/** A range of map cells and an exact box: duplicate candidates near a report. */
export interface NearQuery {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
  box: { minLat: number; maxLat: number; minLon: number; maxLon: number };
  categoryIds: string[];
  since: string;
  excludeId?: string;
  limit: number;
}

/** A range of level-3 cells and an exact box: the map's point view. */
export interface BoxQuery {
  visibility: CaseScope;
  y0: number;
  y1: number;
  x0: number;
  x1: number;
  minLat: number;
  maxLat: number;
  minLon: number;
  maxLon: number;
  status?: CaseStatus[];
  categoryId?: string;
  limit: number;
}

/** A range of cells of a level: the map's clusters, for the readers of some units (null: all). */
export interface ClusterQuery {
  level: number;
  y0: number;
  y1: number;
  x0: number;
  x1: number;
  unitIds: string[] | null;
  status?: CaseStatus[];
  categoryId?: string;
}

/** Cases by map cell: the counts per cell (clusters) and the cases of a range of cells. */
export interface CellStore {
  /** Add (1) or remove (-1) a case from the cell counts at every level. */
  adjustCells(c: CellKey, delta: 1 | -1): Promise<void>;
  /** Open, unmerged cases of these categories near a point, reported since a time: newest first. */
  openNear(q: NearQuery): Promise<NearbyCase[]>;
  inBox(q: BoxQuery): Promise<CaseRecord[]>;
  clusters(q: ClusterQuery): Promise<CellCluster[]>;
}

/** Jurisdictions, departments, categories, routing rules and the working calendar. */
export interface ReferenceStore {
  jurisdiction(id: string): Promise<Jurisdiction | undefined>;
  jurisdictions(): Promise<Jurisdiction[]>;
  /** A new unit of the hierarchy (a boundary import). */
  insertJurisdiction(unit: Jurisdiction & UnitShape & { createdAt: string }): Promise<void>;
  /** A known unit's new names and polygon (a boundary import). */
  reshapeJurisdiction(id: string, shape: UnitShape): Promise<void>;
  department(id: string): Promise<Department | undefined>;
  departments(): Promise<Department[]>;
  categories(): Promise<Category[]>;
  /** Routing rules for a category over a set of units: jurisdiction id -> department id. */
  routes(categoryId: string, jurisdictionIds: string[]): Promise<Map<string, string>>;
  /** Every routing rule: category id -> jurisdiction id -> department id. */
  allRoutes(): Promise<Map<string, Map<string, string>>>;
  calendarDays(): Promise<{ date: string; kind: 'holiday' | 'workday' }[]>;
  setCalendarDay(date: string, kind: 'holiday' | 'workday'): Promise<void>;
}

/** Users and their bearer tokens (kept only as hashes). */
export interface UserStore {
  insert(user: UserAccount): Promise<void>;
  find(id: string): Promise<User | undefined>;
  findMany(ids: string[]): Promise<User[]>;
  byUsername(username: string): Promise<(User & { passwordHash: string }) | undefined>;
  insertToken(tokenHash: string, userId: string, createdAt: string, expiresAt: string): Promise<void>;
  /** The active user a live token belongs to. */
  userForToken(tokenHash: string, now: string): Promise<User | undefined>;
  revokeToken(tokenHash: string, at: string): Promise<void>;
}

/**
 * What is known of media items (the bytes are in the media store, src/media): their records, the links from
 * cases' events to them, the history of their public copies, and resumable uploads.
 */
export interface MediaRecordStore {
  insert(record: MediaRecord): Promise<void>;
  insertMany(records: MediaRecord[]): Promise<void>;
  update(id: string, changes: Partial<Omit<MediaRecord, 'id'>>): Promise<void>;
  find(id: string): Promise<MediaRecord | undefined>;
  findMany(ids: string[]): Promise<MediaRecord[]>;
  /** Earlier uploads of the same bytes, oldest first. */
  withSha(sha256: string): Promise<MediaRecord[]>;
  link(links: MediaLink[]): Promise<void>;
  /** The cases whose events carry this media. */
  casesOf(mediaId: string): Promise<string[]>;
  linksOf(caseIds: string[]): Promise<MediaLink[]>;
  recordPublication(publication: MediaPublication): Promise<void>;
  publications(mediaId: string): Promise<{ action: string; regions: unknown[]; actorId: string; at: string }[]>;
  createUpload(upload: UploadRecord): Promise<void>;
  /** Inside a transaction, before counting a user's open uploads: two uploads started at once are counted one after the other. */
  lockOwner(ownerId: string): Promise<void>;
  /** Unfinished, unexpired uploads of a user: how many, and the bytes they may grow to. */
  openUploads(ownerId: string, now: string): Promise<{ count: number; bytes: number }>;
  findUpload(id: string): Promise<UploadRecord | undefined>;
  /** Record that stored part `part` holds `bytes` bytes from `offset`; false when another request moved the upload first. */
  addPart(id: string, offset: number, bytes: number, part: string): Promise<boolean>;
  parts(id: string): Promise<{ start: number; bytes: number; part: string }[]>;
  completeUpload(id: string, mediaId: string): Promise<void>;
  deleteUpload(id: string): Promise<void>;
  /** Unfinished uploads past their expiry. */
  expiredUploads(now: string, limit: number): Promise<string[]>;
}

/** Count a hit against a rule for a subject, and decide, in one atomic step. */
export interface RateLimiter {
  hit(key: ThrottleKey, rule: RateRule, now: Date, address?: string | null): Promise<RateDecision>;
}

/** Throttling state shared by every process on the database: windows, refunds and lockouts. */
export interface ThrottleStore extends RateLimiter {
  /** The state of a key without counting anything: would the next hit be refused? */
  peek(key: ThrottleKey, rule: RateRule, now: Date): Promise<{ blocked: boolean; retryAfterS: number; count: number }>;
  /** Give back a hit of the window ending at `resetAt`. */
  refund(key: ThrottleKey, resetAt: string): Promise<void>;
  /** Lock a key until `until`, if its window is still the one ending at `resetAt`. */
  lock(key: ThrottleKey, resetAt: string, until: string): Promise<boolean>;
  /** Forget a key; answers whether it was locked at `now`. */
  clear(key: ThrottleKey, now: Date): Promise<boolean>;
  /** The keys of a rule locked at `now`, soonest to end first. */
  locked(rule: string, now: Date): Promise<Lockout[]>;
  /** Delete windows that have ended and locks that have run out; returns how many went. */
  deleteExpired(now: Date): Promise<number>;
}

/** Every store a use case needs, bound to one transaction (or to none: autocommit). */
export interface Stores {
  cases: CaseStore;
  events: EventStore;
  clocks: ClockStore;
  cells: CellStore;
  reference: ReferenceStore;
  users: UserStore;
  media: MediaRecordStore;
  throttle: ThrottleStore;
}

/** How the services run their work against the stores. */
export interface UnitOfWork {
  /**
   * Stores outside any transaction: each statement commits on its own. For reads, and for writes that are
   * one statement and need no other (a token, a media row, a rate-limit hit).
   */
  readonly autocommit: Stores;
  /** Run work in one transaction: all of it is stored, or none. */
  run<T>(work: (stores: Stores) => Promise<T>): Promise<T>;
  /**
   * Like run, for short writes that arrive in bursts (reports): where the database commits one transaction
   * at a time (SQLite), the ones waiting together share one commit, each still all or nothing.
   */
  shared<T>(work: (stores: Stores) => Promise<T>): Promise<T>;
  /** A store's error as the services' outcome; undefined for a real error. */
  failure(error: unknown): WriteFailure | undefined;
}
