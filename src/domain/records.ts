// The records the domain speaks: a case, its events and clocks, the reference data (jurisdictions,
// departments, categories), users and media. Storage maps its rows to and from these (ids, JSON,
// snake_case); services and views work with these alone. Plain types: no I/O.

import type { AreaGeometry } from '../geo/polygon.js';
import type { CaseScope } from './access.js';
import type { ClockRecord, SlaOverrides } from './deadlines.js';
import type { EvidenceFlag, EvidenceRole } from './evidence.js';
import type { MemberEventAction, MemberStatus, ProgrammeRole } from './members.js';
import type { CaseStatus, CategoryKind, Channel, ClosureType, JurisdictionLevel, Role, Urgency } from './types.js';
import type { Action, CaseChanges, PendingExtension, Rating } from './workflow.js';

export type MediaKind = 'photo' | 'video' | 'audio';

/** A signed-in session (a bearer token) as its owner and administrators see it: never the token. */
export interface SessionRecord {
  id: string;
  /** The device named at sign-in ("Redmi Note 12"), or null for a plain login. */
  device: string | null;
  createdAt: string;
  expiresAt: string;
  /** Last use, to the hour; null when never used since sign-in. */
  lastSeenAt: string | null;
}

export interface CaseRecord {
  id: string;
  ref: string;
  status: CaseStatus;
  categoryId: string;
  urgency: Urgency;
  description: string;
  lat: number;
  lon: number;
  original: { lat: number; lon: number; coordSys: string };
  address: string | null;
  gridId: string | null;
  jurisdictionId: string;
  originJurisdictionId: string;
  routedDepartmentId: string | null;
  departmentId: string | null;
  assistingDepartmentIds: string[];
  assigneeId: string | null;
  reporterId: string;
  channel: Channel;
  mediaIds: string[];
  closureType: ClosureType | null;
  rating: Rating | null;
  pendingExtension: PendingExtension | null;
  reportedAt: string;
  updatedAt: string;
  closedAt: string | null;
  version: number;
  nearBorder: boolean;
  borderUnitIds: string[];
  outsideArea: boolean;
  suggestedJurisdictionId: string | null;
  masterCaseId: string | null;
}

/** What an event records: a workflow action, the report that opened the case, or the sweep's reminder and supervision notice. */
export type EventAction = Action | 'report' | 'remind' | 'supervise' | 'alert';

/** Who acted: a user in their role, or the system (the sweep). */
export type EventActorRole = Role | 'system';

export interface EventRecord {
  id: string;
  caseId: string;
  seq: number;
  action: EventAction;
  actorId: string | null;
  actorRole: EventActorRole;
  at: string;
  fromStatus: CaseStatus | null;
  toStatus: CaseStatus;
  note: string | null;
  data: Record<string, unknown>;
  evidence: string[];
  clocks: unknown[];
}

/** A clock as stored: the deadline (deadlines.ts ClockRecord) with its keys and reminder marks. */
export interface ClockRow extends ClockRecord {
  id: string;
  caseId: string;
  remindAt: string;
  remindedAt: string | null;
  supervisedAt: string | null;
  /** When the sweep alerted supervisors that an emergency was not signed in time. */
  alertedAt?: string | null;
}

export interface Names {
  zh: string;
  en: string;
  bo: string;
}

export interface Jurisdiction {
  id: string;
  code: string;
  level: JurisdictionLevel;
  parentId: string | null;
  path: string;
  names: Names;
  geometry: AreaGeometry | null;
}

export interface Department {
  id: string;
  code: string;
  kind: string;
  names: Names;
  jurisdictionId: string;
  phone: string | null;
}

export interface Category {
  id: string;
  code: string;
  kind: CategoryKind;
  majorCode: string;
  minorCode: string;
  names: Names;
  defaultDepartmentId: string | null;
  foodSafety: boolean;
  reportMediaRequired: boolean;
  resolvePhotoRequired: boolean;
  duplicateRadiusM: number;
  defaultUrgency: Urgency;
  sla: SlaOverrides | null;
  active: boolean;
}

export interface User {
  id: string;
  username: string;
  displayName: string;
  phone: string | null;
  role: Role;
  departmentId: string | null;
  jurisdictionId: string | null;
  locale: string;
  active: boolean;
  /** An employer account's platform (a programme platform code) and local station; null for other roles. */
  platform: string | null;
  station: string | null;
}

export type MediaVariant = 'original' | 'display' | 'thumb' | 'poster' | 'video' | 'audio';

export interface MediaRecord {
  id: string;
  sha256: string;
  kind: MediaKind;
  mime: string;
  bytes: number;
  storageKey: string;
  uploadedBy: string;
  createdAt: string;
  width: number | null;
  height: number | null;
  durationS: number | null;
  takenAt: string | null;
  takenLat: number | null;
  takenLon: number | null;
  displayKey: string | null;
  thumbKey: string | null;
  posterKey: string | null;
  cleanKey: string | null;
  preview: string | null;
  publicKey: string | null;
  publishedAt: string | null;
}

export interface MediaLink {
  mediaId: string;
  caseId: string;
  eventSeq: number;
  role: EvidenceRole;
  flags: EvidenceFlag[];
  createdAt: string;
}

/** The filters of a case list: one shape from the API's query (mapped once) to the repository's SQL. */
export interface CaseFilters {
  status?: CaseStatus[];
  categoryId?: string;
  departmentId?: string;
  gridId?: string;
  urgency?: Urgency;
  overdue?: boolean;
  /** The "outside" queue: points outside every known unit. */
  outside?: boolean;
  nearBorder?: boolean;
  /** Reported at or after (UTC ISO). */
  reportedFrom?: string;
  /** Reported before (UTC ISO). */
  reportedTo?: string;
  /** These cases only (a KPI's drill-down: a page of the cases behind a figure). */
  ids?: string[];
}

/** The list query a repository runs: the filters, whose cases the reader may see, the time, and the page. */
export interface CaseQuery extends CaseFilters {
  visibility: CaseScope;
  now: string;
  limit: number;
  offset: number;
}

/** An event to append: who did what when; the rest defaults (the system, no note, data, evidence or clocks). */
export type NewEvent = Pick<EventRecord, 'caseId' | 'seq' | 'action' | 'at' | 'fromStatus' | 'toStatus'> & Partial<Pick<EventRecord, 'actorId' | 'actorRole' | 'note' | 'data' | 'evidence' | 'clocks'>>;

/** What an idempotency key remembers: whose key, the request it came with, and the case it made or acted on. */
export interface IdempotencyRecord {
  scope: string;
  key: string;
  requestHash: string;
  caseId: string;
  createdAt: string;
}

/** Where a case counts on the map: its point, handling and origin units, status and category. */
export interface CellKey {
  lat: number;
  lon: number;
  unitId: string;
  originUnitId: string;
  status: CaseStatus;
  categoryId: string;
}

/** Everything a new report writes at once; the case's reference is numbered as it is written. */
export interface NewCase {
  /** Numbered as it is written: YYYYMMDD-NNNN, counting in the day it was reported. */
  record: Omit<CaseRecord, 'ref'>;
  cells: CellKey;
  clocks: ClockRow[];
  events: NewEvent[];
  links: MediaLink[];
  idempotency?: IdempotencyRecord;
}

/**
 * What a stored transition writes on a case: the transition's own changes (workflow.ts), the routing they
 * lead to, its status, closing and update times. The version moves on by itself.
 */
export interface CaseUpdate extends CaseChanges {
  routedDepartmentId?: string | null;
  closedAt?: string | null;
  status?: CaseStatus;
  updatedAt?: string;
}

/** What a duplicate candidate shows of a case. */
export interface NearbyCase {
  id: string;
  ref: string;
  status: CaseStatus;
  categoryId: string;
  description: string;
  lat: number;
  lon: number;
  reportedAt: string;
}

/** A map cluster: the cases of one cell of a level, counted, with the sums of their positions. */
export interface CellCluster {
  cy: number;
  cx: number;
  n: number;
  sumLat: number;
  sumLon: number;
}

/** A user as stored, with the password's hash (never shown) and when the account was made. */
export interface UserAccount extends User {
  passwordHash: string;
  createdAt: string;
}

/** A resumable upload: where it stands, and the media item it became. */
export interface UploadRecord {
  id: string;
  ownerId: string;
  length: number;
  received: number;
  metadata: Record<string, string>;
  mediaId: string | null;
  createdAt: string;
  expiresAt: string;
}

/** A change to what a media item's public copy is (publish or withdraw), kept as its history. */
export interface MediaPublication {
  id: string;
  mediaId: string;
  action: 'publish' | 'withdraw';
  regions: unknown[];
  publicKey: string | null;
  actorId: string;
  at: string;
}

/** A jurisdiction as a boundary import writes it: a new unit (the rest of it) or a new shape for a known one. */
export type UnitShape = Pick<Jurisdiction, 'names'> & { geometry: AreaGeometry };

/** A limit: at most `limit` hits per `windowS` seconds; 0 turns the rule off. */
export interface RateRule {
  limit: number;
  windowS: number;
}

/** What one hit decided. */
export interface RateDecision {
  allowed: boolean;
  /** Hits counted in this window, this one included (at most limit + 1). */
  count: number;
  remaining: number;
  /** Whole seconds until the window ends (or the lockout does); 0 when allowed. */
  retryAfterS: number;
  /** When the window ends. */
  resetAt: string;
  /** Login rules: the subject is locked until then. */
  lockedUntil: string | null;
}

/** What a throttle counts: a rule, and whom (a user, an address, an account name). */
export interface ThrottleKey {
  rule: string;
  subject: string;
}

/** A subject locked out by a rule. */
export interface Lockout {
  subject: string;
  lockedUntil: string;
  failures: number;
  lastAddress: string | null;
}

// ---- notifications (issue 10): channels, subscriptions, deliveries, the inbox, the live feed ----

/** A case event waiting for its fan-out (the transactional outbox). */
export interface OutboxEntry {
  eventId: string;
  caseId: string;
  seq: number;
  createdAt: string;
}

/** The programme's outbox: a member event or a redemption step to tell of (services/notify/fanout.ts). */
export interface Notice {
  /** Time-ordered: the order in which the steps are told. */
  id: string;
  /** The member event's id, or `<redemption id>:<step>`: a step is told once. */
  eventId: string;
  topic: 'member' | 'redemption';
  /** The member or the redemption. */
  subjectId: string;
  /** The member event's action (apply, recommend, ...) or the redemption's step (requested, approved, rejected, paid). */
  step: string;
  actorId: string | null;
  createdAt: string;
}

export type ChannelStatus = 'active' | 'broken' | 'disabled';

/** An outside channel (a group robot, a webhook, an email list); `config` holds its secrets. */
export interface ChannelRecord {
  id: string;
  kind: string;
  name: string;
  config: Record<string, unknown>;
  locale: string;
  mentionMobiles: string[];
  jurisdictionId: string | null;
  status: ChannelStatus;
  statusReason: string | null;
  statusAt: string | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface SubscriptionRecord {
  id: string;
  kinds: string[];
  channelId: string | null;
  userId: string | null;
  departmentId: string | null;
  jurisdictionId: string | null;
  categoryId: string | null;
  active: boolean;
  createdBy: string | null;
  createdAt: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

/** One message for one outside channel, with its attempts. `message` is what every attempt sends. */
export interface DeliveryRecord {
  id: string;
  eventId: string;
  /** null: a delivery about a member or a redemption. */
  caseId: string | null;
  kind: string;
  channelId: string;
  message: Record<string, unknown>;
  status: DeliveryStatus;
  attempts: number;
  nextAt: string;
  leaseOwner: string | null;
  leaseUntil: string | null;
  lastError: string | null;
  lastAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export interface InboxMessage {
  id: string;
  userId: string;
  eventId: string;
  caseId: string | null;
  kind: string;
  title: string;
  body: string;
  link: string | null;
  data: Record<string, unknown>;
  createdAt: string;
  readAt: string | null;
}

/** A live event: a case event as the SSE streams send it, numbered in commit order. */
export interface FeedEntry {
  seq: number;
  eventId: string;
  caseId: string;
  action: string;
  status: string;
  kinds: string[];
  at: string;
}

/** 自动派单: reports of a category in a jurisdiction (and of an urgency, or any) go straight to a department. */
export interface DispatchRule {
  id: string;
  categoryId: string;
  jurisdictionId: string;
  urgency: Urgency | null;
  departmentId: string;
  createdBy: string | null;
  createdAt: string;
}

// ---- grid workers (issue 11) ----

/** A configurable list entry of the programme: a kind of worker (food-delivery rider, courier) or an employer platform. */
export interface ProgrammeOption {
  kind: 'worker_type' | 'platform';
  code: string;
  names: { zh: string; en: string; bo?: string };
  active: boolean;
}

/** A person in the programme, from their application on. The phone is kept in full; views mask it. */
export interface MemberRecord {
  id: string;
  name: string;
  phone: string;
  workerType: string;
  platform: string;
  /** The platform's local station they ride for (美团 纳金站). */
  station: string | null;
  roles: ProgrammeRole[];
  /** Home subdistrict: whose staff review and keep them. */
  jurisdictionId: string;
  status: MemberStatus;
  statusAt: string;
  /** Why they were rejected, suspended or retired (the latest such step), shown to the applicant for a rejection. */
  statusReason: string | null;
  /** The reporter account they report with (linked at appointment, or earlier if they had one). */
  userId: string | null;
  appointmentNumber: string | null;
  appointedOn: string | null;
  /** Events so far (the next event's number is seq + 1). */
  seq: number;
  createdAt: string;
}

/** One step of a member's history: append-only, like a case's events. */
export interface MemberEvent {
  id: string;
  memberId: string;
  seq: number;
  action: MemberEventAction;
  actorId: string | null;
  actorRole: Role | 'applicant';
  fromStatus: MemberStatus | null;
  toStatus: MemberStatus;
  data: Record<string, unknown>;
  at: string;
}
