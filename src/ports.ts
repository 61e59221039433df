// The outside-world seams the services depend on: the clock (tests swap in a manual one; nothing sleeps)
// and the stores, in the domain's terms.

import type { CaseScope } from './domain/access.js';
import type {
  CaseUpdate,
  SessionRecord,
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
  ChannelRecord,
  ChannelStatus,
  DeliveryRecord,
  DispatchRule,
  FeedEntry,
  InboxMessage,
  Notice,
  OutboxEntry,
  SubscriptionRecord,
  MemberEvent,
  MemberRecord,
  ProgrammeOption,
} from './domain/records.js';
import type { MemberStatus } from './domain/members.js';
import type { PointsEntry, Redemption, RedemptionStatus, RuleSet } from './domain/points.js';
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
  findMany(ids: string[]): Promise<CaseRecord[]>;
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
  /** The cases a KPI over [from, to) may count, among those the reader may see (a superset), at most `limit`. */
  kpiCandidates(visibility: CaseScope, from: string, to: string, limit: number): Promise<CaseRecord[]>;
}

/** A case's append-only events. */
export interface EventStore {
  /** Append an event, and queue it for its notifications (the outbox) in the same transaction. */
  appendEvent(event: NewEvent): Promise<void>;
  events(caseId: string): Promise<EventRecord[]>;
  eventsFor(caseIds: string[]): Promise<EventRecord[]>;
  /** Events by their ids (the fan-out's outbox entries). */
  eventsByIds(ids: string[]): Promise<EventRecord[]>;
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
  /** Open sign clocks of emergency cases started at or before `startedBy` whose supervisors have not been alerted yet. */
  emergenciesToAlert(startedBy: string, limit: number): Promise<ClockRow[]>;
  /** Mark an open clock reminded, supervised or alerted if no other process did first; true when this call won. */
  claimClock(id: string, claim: 'remindedAt' | 'supervisedAt' | 'alertedAt', at: string): Promise<boolean>;
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
  /** Active users of these roles (supervisors to alert, admins to tell of a broken channel). */
  withRoles(roles: string[]): Promise<User[]>;
  byUsername(username: string): Promise<(User & { passwordHash: string }) | undefined>;
  insertToken(session: NewSession): Promise<void>;
  /** The active user a live token belongs to, and the session's handle and last use. */
  userForToken(tokenHash: string, now: string): Promise<{ user: User; sessionId: string | null; lastSeenAt: string | null } | undefined>;
  /** Note a session's use (the service calls it at most once an hour per session). */
  touchToken(tokenHash: string, at: string): Promise<void>;
  revokeToken(tokenHash: string, at: string): Promise<void>;
  /** A user's live sessions (not ended, not expired), newest first, with the token hash to tell the caller's own. */
  sessions(userId: string, now: string): Promise<(SessionRecord & { tokenHash: string })[]>;
  /** End one live session of a user; false when there is no such live session. */
  revokeSession(userId: string, id: string, at: string): Promise<boolean>;
  /** End every live session of a user; how many there were. */
  revokeSessions(userId: string, at: string): Promise<number>;
}

export interface NewSession {
  tokenHash: string;
  id: string;
  userId: string;
  device: string | null;
  createdAt: string;
  expiresAt: string;
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

/** A page of a user's inbox, newest first. */
export interface InboxQuery {
  userId: string;
  limit: number;
  /** Messages older than this id (the previous page's last). */
  before?: string;
  unreadOnly?: boolean;
}

/** What an admin asks of the deliveries: a status (dead: the dead-letter list), a channel, a case. */
export interface DeliveryQuery {
  status?: DeliveryRecord['status'];
  channelId?: string;
  caseId?: string;
  limit: number;
  /** Deliveries older than this id (the previous page's last). */
  before?: string;
}

/**
 * Notifications: the outbox the events queue into, the fan-out's writes (deliveries, inbox messages, the
 * live feed), the delivery worker's claims under leases, and the channels, subscriptions and auto-dispatch
 * rules admins keep.
 */
export interface NotifyStore {
  /** Inside a transaction: the oldest outbox entries no other process holds, locked until commit. */
  claimOutbox(limit: number): Promise<OutboxEntry[]>;
  removeOutbox(eventIds: string[]): Promise<void>;
  /** In the step's transaction: tell of a member event or a redemption step once it commits. */
  insertNotice(n: Notice): Promise<void>;
  /** Inside a transaction: the oldest programme notices no other process holds, locked until commit. */
  claimNotices(limit: number): Promise<Notice[]>;
  removeNotices(ids: string[]): Promise<void>;
  /** How many events (of cases and of the programme) wait for their fan-out. */
  outboxSize(): Promise<number>;
  /** Write deliveries; one already there for the same event, channel and kind is left alone. */
  insertDeliveries(rows: DeliveryRecord[]): Promise<void>;
  /** Write inbox messages; one already there for the same event, user and kind is left alone. */
  insertInbox(rows: InboxMessage[]): Promise<void>;
  /** Number the entries after every committed one (call last in the transaction: the counter stays locked until commit). */
  appendFeed(entries: Omit<FeedEntry, 'seq'>[]): Promise<void>;
  feedAfter(seq: number, limit: number): Promise<FeedEntry[]>;
  /** The newest live event's number (0: none). */
  feedHead(): Promise<number>;
  /** Drop live events older than `before`; returns how many went. */
  pruneFeed(before: string, keep: number): Promise<number>;

  /** Take up to `limit` due deliveries for `owner` until `leaseUntil` (none of a channel that is not active). */
  claimDeliveries(owner: string, now: string, leaseUntil: string, limit: number): Promise<DeliveryRecord[]>;
  /** Store an attempt's outcome if `owner` still holds the lease; false when it lost it. */
  finishDelivery(id: string, owner: string, changes: Partial<Pick<DeliveryRecord, 'status' | 'attempts' | 'nextAt' | 'lastError' | 'lastAttemptAt' | 'deliveredAt'>>): Promise<boolean>;
  delivery(id: string): Promise<DeliveryRecord | undefined>;
  deliveries(q: DeliveryQuery): Promise<DeliveryRecord[]>;
  countDeliveries(status: DeliveryRecord['status']): Promise<number>;
  /** Send dead deliveries again (these, or all of them, or all of a channel): back to pending, attempts from zero. */
  redeliver(ids: string[] | 'all', now: string, channelId?: string): Promise<number>;

  channels(): Promise<ChannelRecord[]>;
  channel(id: string): Promise<ChannelRecord | undefined>;
  insertChannel(channel: ChannelRecord): Promise<void>;
  updateChannel(id: string, changes: Partial<Omit<ChannelRecord, 'id' | 'kind' | 'createdAt' | 'createdBy'>>): Promise<void>;
  /** Mark a channel broken (or active again) unless it already is; true when this call changed it. */
  setChannelStatus(id: string, status: ChannelStatus, reason: string | null, at: string): Promise<boolean>;

  subscriptions(activeOnly?: boolean): Promise<SubscriptionRecord[]>;
  subscription(id: string): Promise<SubscriptionRecord | undefined>;
  insertSubscription(s: SubscriptionRecord): Promise<void>;
  deleteSubscription(id: string): Promise<boolean>;

  inbox(q: InboxQuery): Promise<InboxMessage[]>;
  unread(userId: string): Promise<number>;
  /** Mark a user's messages read (these, or all); returns how many changed. */
  markRead(userId: string, ids: string[] | 'all', at: string): Promise<number>;

  dispatchRules(): Promise<DispatchRule[]>;
  insertDispatchRule(rule: DispatchRule): Promise<void>;
  deleteDispatchRule(id: string): Promise<boolean>;
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

export type SignalTopic = 'outbox' | 'feed';

/**
 * Wake-ups between Gridline's parts, within a process and (PostgreSQL: LISTEN/NOTIFY) across processes:
 * a change committed notifications to the outbox; a fan-out added live events. Only a hint to look now:
 * the workers and streams also look on their own every few hundred milliseconds, so a lost signal delays,
 * never loses.
 */
export interface Signals {
  /** Tell every listener, here and in the other processes. */
  send(topic: SignalTopic): void;
  /** Listen; returns the function that stops it. */
  on(topic: SignalTopic, listener: () => void): () => void;
  close(): Promise<void>;
}

/** Signals within one process (SQLite, tests). */
export class LocalSignals implements Signals {
  private readonly listeners = new Map<SignalTopic, Set<() => void>>();
  send(topic: SignalTopic): void {
    for (const listener of this.listeners.get(topic) ?? []) listener();
  }
  on(topic: SignalTopic, listener: () => void): () => void {
    const set = this.listeners.get(topic) ?? new Set();
    this.listeners.set(topic, set);
    set.add(listener);
    return () => set.delete(listener);
  }
  async close(): Promise<void> {
    this.listeners.clear();
  }
}

/** Every store a use case needs, bound to one transaction (or to none: autocommit). */
/** Which members a staff list shows. */
export interface MemberQuery {
  /** Members whose home subdistrict is this unit or under it (a staff member's jurisdiction); undefined: all. */
  withinPath?: string;
  status?: MemberStatus[];
  platform?: string;
  workerType?: string;
  jurisdictionId?: string;
  /** Paging: ids before this one (newest first). */
  before?: string;
  limit: number;
}

/** Grid workers: the programme's lists, its members and their append-only history (storage/member.repository.ts). */
export interface MemberStore {
  options(): Promise<ProgrammeOption[]>;
  putOption(o: ProgrammeOption, sort: number): Promise<void>;
  insertMember(m: MemberRecord, tokenHash: string): Promise<void>;
  /** Write the member as a step left it, if nobody wrote it since it was read at `readAtSeq`; false otherwise. */
  saveMember(m: MemberRecord, readAtSeq: number): Promise<boolean>;
  member(id: string): Promise<MemberRecord | undefined>;
  memberByToken(tokenHash: string): Promise<MemberRecord | undefined>;
  /** The member holding this phone whose membership is live (not rejected or retired). */
  liveMemberByPhone(phone: string): Promise<MemberRecord | undefined>;
  memberByUser(userId: string): Promise<MemberRecord | undefined>;
  /** The member id memberByUser would answer, for each of many users (those with none are left out). */
  memberIdsByUsers(userIds: string[]): Promise<Map<string, string>>;
  members(q: MemberQuery): Promise<MemberRecord[]>;
  /** Appointments of the subdistrict whose date starts with `yearPrefix` (2026): the next number's place. */
  appointedCount(jurisdictionId: string, yearPrefix: string): Promise<number>;
  appendMemberEvent(e: MemberEvent): Promise<void>;
  memberEvents(memberId: string): Promise<MemberEvent[]>;
  memberEventsByIds(ids: string[]): Promise<MemberEvent[]>;
  membersByIds(ids: string[]): Promise<MemberRecord[]>;
}

/** The points ledger (storage/points.repository.ts): rule sets, and entries that are only inserted. */
export interface PointsStore {
  ruleSets(): Promise<RuleSet[]>;
  insertRuleSet(s: RuleSet): Promise<void>;
  insertEntry(e: PointsEntry): Promise<void>;
  entriesOfCase(caseId: string): Promise<PointsEntry[]>;
  /** A member's entries, newest first. */
  entries(memberId: string, limit: number, before?: string): Promise<PointsEntry[]>;
  /** The sum of a member's entries (what the account's balance must always equal). */
  ledgerSum(memberId: string): Promise<number>;
  /** The account's balance: kept with every entry. */
  balance(memberId: string): Promise<number>;
  credit(memberId: string, points: number): Promise<void>;
  /** Take points if the balance holds them (one conditional update); false when it does not. */
  debit(memberId: string, points: number): Promise<boolean>;
  insertRedemption(r: Redemption): Promise<void>;
  redemption(id: string): Promise<Redemption | undefined>;
  redemptionsByIds(ids: string[]): Promise<Redemption[]>;
  /** Move a redemption on if it is still in one of `from`; false when someone moved it first. */
  moveRedemption(id: string, from: readonly RedemptionStatus[], changes: Partial<Pick<Redemption, 'status' | 'reason' | 'payoutRef' | 'decidedAt' | 'decidedBy' | 'paidAt' | 'paidBy'>>): Promise<boolean>;
  redemptions(q: RedemptionQuery): Promise<Redemption[]>;
  /** Points held by the member's pending (requested or approved) redemptions. */
  heldPoints(memberId: string): Promise<number>;
  /** Redemptions paid in [from, to), oldest first, with their member. */
  paidBetween(fromIso: string, toIso: string): Promise<PayoutRow[]>;
  /** The points the ledger's hold entries took for these redemptions. */
  heldFor(redemptionIds: string[]): Promise<number>;
  /** A reporter's cases: how many, how many were verified, and the minutes from report to close of each closed one. */
  reporterStats(userId: string): Promise<{ reports: number; verified: number; closeMinutes: number[] }>;
  /** Points earned (awards less reversals) per member in [from, to). */
  earnedBetween(fromIso: string, toIso: string): Promise<{ memberId: string; points: number }[]>;
  /** Points a member has earned in all (awards less reversals). */
  earned(memberId: string): Promise<number>;
}

/** A paid redemption with the member it paid: a line of the finance export. */
export interface PayoutRow extends Redemption {
  memberName: string;
  memberPhone: string;
  appointmentNumber: string | null;
  platform: string;
  jurisdictionId: string;
}

export interface RedemptionQuery {
  memberId?: string;
  status?: RedemptionStatus;
  before?: string;
  limit: number;
}

export interface Stores {
  cases: CaseStore;
  events: EventStore;
  clocks: ClockStore;
  cells: CellStore;
  reference: ReferenceStore;
  users: UserStore;
  media: MediaRecordStore;
  throttle: ThrottleStore;
  notify: NotifyStore;
  members: MemberStore;
  points: PointsStore;
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
