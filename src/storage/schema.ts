// Table types for Kysely. Times are ISO-8601 UTC strings with milliseconds ('2025-05-07T13:00:00.000Z')
// on both dialects: they sort and compare as text, and read back identically from SQLite and PostgreSQL.
// JSON columns are text holding JSON. Booleans are integers 0/1.
// Enumerations are text on both dialects, typed here with the domain's unions: what is written must be one
// of them, and what is read back is taken to be one (the only writers are Gridline's own services).

import type { ClockRecord } from '../domain/deadlines.js';
import type { EvidenceRole } from '../domain/evidence.js';
import type { CaseStatus, CategoryKind, Channel, ClosureType, JurisdictionLevel, Role, Stage, Urgency } from '../domain/types.js';
import type { MediaKind } from '../media/types.js';
import type { EventAction, EventActorRole } from '../domain/records.js';

export interface JurisdictionTable {
  id: string;
  code: string;
  level: JurisdictionLevel;
  parent_id: string | null;
  /** Ids from the root down, '/a/b/c': descendants share the prefix. */
  path: string;
  name_zh: string;
  name_en: string;
  name_bo: string;
  geometry: string | null;
  min_lon: number | null;
  min_lat: number | null;
  max_lon: number | null;
  max_lat: number | null;
  created_at: string;
}

export interface DepartmentTable {
  id: string;
  code: string;
  kind: string;
  name_zh: string;
  name_en: string;
  name_bo: string;
  jurisdiction_id: string;
  phone: string | null;
  created_at: string;
}

export interface CategoryTable {
  id: string;
  code: string;
  kind: CategoryKind;
  major_code: string;
  minor_code: string;
  name_zh: string;
  name_en: string;
  name_bo: string;
  default_department_id: string | null;
  food_safety: number;
  report_media_required: number;
  resolve_photo_required: number;
  duplicate_radius_m: number;
  default_urgency: Urgency;
  sla: string | null;
  active: number;
  created_at: string;
}

export interface CategoryRouteTable {
  category_id: string;
  jurisdiction_id: string;
  department_id: string;
}

export interface UserTable {
  id: string;
  username: string;
  password_hash: string;
  display_name: string;
  phone: string | null;
  role: Role;
  department_id: string | null;
  jurisdiction_id: string | null;
  locale: string;
  active: number;
  created_at: string;
  /** An employer account's platform and local station (migration 012). */
  platform: string | null;
  station: string | null;
}

export interface AuthTokenTable {
  token_hash: string;
  /** The session's public handle (013); never the token or its hash. */
  id: string | null;
  user_id: string;
  /** The device named at sign-in (013); null for a plain login. */
  device: string | null;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  /** Last use, kept to the hour (013). */
  last_seen_at: string | null;
}

export interface MediaTable {
  id: string;
  sha256: string;
  kind: MediaKind;
  mime: string;
  bytes: number;
  storage_key: string;
  uploaded_by: string;
  created_at: string;
  width: number | null;
  height: number | null;
  duration_s: number | null;
  taken_at: string | null;
  taken_lat: number | null;
  taken_lon: number | null;
  display_key: string | null;
  thumb_key: string | null;
  poster_key: string | null;
  clean_key: string | null;
  /** 'full', 'no_ffmpeg', 'no_heif_decoder'; null for media stored before processing existed. */
  preview: string | null;
  public_key: string | null;
  published_at: string | null;
}

export interface MediaLinkTable {
  media_id: string;
  case_id: string;
  event_seq: number;
  /** 'before' (the report), 'after' (a resolution) or 'other'. */
  role: EvidenceRole;
  /** JSON array of EvidenceFlag. */
  flags: string;
  created_at: string;
}

export interface MediaPublicationTable {
  id: string;
  media_id: string;
  /** 'publish' (with its redaction regions) or 'withdraw'. */
  action: 'publish' | 'withdraw';
  regions: string;
  public_key: string | null;
  actor_id: string;
  at: string;
}

export interface UploadTable {
  id: string;
  owner_id: string;
  length: number;
  received: number;
  metadata: string;
  media_id: string | null;
  created_at: string;
  expires_at: string;
}

/** Which part in the media store holds the bytes of an upload from `start_byte` (migration 005). */
export interface UploadPartTable {
  upload_id: string;
  start_byte: number;
  bytes: number;
  /** The part's name in the media store (offset and a random suffix; see MediaStore.putPart). */
  part: string;
}

export interface CaseTable {
  id: string;
  ref: string;
  status: CaseStatus;
  category_id: string;
  urgency: Urgency;
  description: string;
  lat: number;
  lon: number;
  orig_lat: number;
  orig_lon: number;
  orig_coord_sys: string;
  address: string | null;
  grid_id: string | null;
  jurisdiction_id: string;
  origin_jurisdiction_id: string;
  routed_department_id: string | null;
  department_id: string | null;
  assisting_department_ids: string;
  assignee_id: string | null;
  reporter_id: string;
  channel: Channel;
  media_ids: string;
  closure_type: ClosureType | null;
  rating_score: number | null;
  rating_unit_at_fault: number | null;
  pending_extension: string | null;
  reported_at: string;
  updated_at: string;
  closed_at: string | null;
  version: number;
  near_border: number;
  border_unit_ids: string;
  outside_area: number;
  suggested_jurisdiction_id: string | null;
  master_case_id: string | null;
  cy: number;
  cx: number;
}

export interface CaseCellTable {
  level: number;
  cy: number;
  cx: number;
  /** The unit handling the cases (its subdistrict). */
  unit_id: string;
  /** The unit they were first reported in: a referred case stays on its map too. */
  origin_unit_id: string;
  status: CaseStatus;
  category_id: string;
  n: number;
  sum_lat: number;
  sum_lon: number;
}

export interface CaseEventTable {
  id: string;
  case_id: string;
  seq: number;
  action: EventAction;
  actor_id: string | null;
  actor_role: EventActorRole;
  at: string;
  from_status: CaseStatus | null;
  to_status: CaseStatus;
  note: string | null;
  data: string;
  evidence: string;
  clocks: string;
}

export interface CaseClockTable {
  id: string;
  case_id: string;
  stage: Stage;
  round: number;
  started_at: string;
  due_at: string;
  original_due_at: string;
  remind_at: string;
  completed_at: string | null;
  outcome: ClockRecord['outcome'];
  reminded_at: string | null;
  supervised_at: string | null;
  alerted_at: string | null;
}

export interface IdempotencyKeyTable {
  scope: string;
  key: string;
  request_hash: string;
  case_id: string;
  created_at: string;
}

export interface CounterTable {
  name: string;
  value: number;
}

export interface CalendarDayTable {
  date: string;
  kind: string;
}

/** One fixed-window counter per (rule, subject); login rules add the account's lockout. */
export interface ThrottleTable {
  rule: string;
  subject: string;
  count: number;
  reset_at: string;
  locked_until: string | null;
  last_address: string | null;
}

/** A case event not yet fanned out to its notifications (written with the event). */
export interface OutboxTable {
  event_id: string;
  case_id: string;
  seq: number;
  created_at: string;
}

/** The programme's outbox (migration 012): a member event or a redemption step to tell of. */
export interface NoticeTable {
  id: string;
  event_id: string;
  topic: 'member' | 'redemption';
  subject_id: string;
  step: string;
  actor_id: string | null;
  created_at: string;
}

export interface NotifyChannelTable {
  id: string;
  kind: string;
  name: string;
  config: string;
  locale: string;
  mention_mobiles: string;
  jurisdiction_id: string | null;
  status: 'active' | 'broken' | 'disabled';
  status_reason: string | null;
  status_at: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface SubscriptionTable {
  id: string;
  kinds: string;
  channel_id: string | null;
  user_id: string | null;
  department_id: string | null;
  jurisdiction_id: string | null;
  category_id: string | null;
  active: number;
  created_by: string | null;
  created_at: string;
}

export interface DeliveryTable {
  id: string;
  event_id: string;
  /** null: a delivery about a member or a redemption (migration 012). */
  case_id: string | null;
  kind: string;
  channel_id: string;
  message: string;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  next_at: string;
  lease_owner: string | null;
  lease_until: string | null;
  last_error: string | null;
  last_attempt_at: string | null;
  created_at: string;
  delivered_at: string | null;
}

export interface InboxMessageTable {
  id: string;
  user_id: string;
  event_id: string;
  case_id: string | null;
  kind: string;
  title: string;
  body: string;
  link: string | null;
  data: string;
  created_at: string;
  read_at: string | null;
}

/** The live events in commit order: what the SSE streams send. */
export interface FeedTable {
  seq: number;
  event_id: string;
  case_id: string;
  action: string;
  status: string;
  kinds: string;
  at: string;
}

export interface DispatchRuleTable {
  id: string;
  category_id: string;
  jurisdiction_id: string;
  urgency: string | null;
  department_id: string;
  created_by: string | null;
  created_at: string;
}

export interface ProgrammeOptionTable {
  kind: string;
  code: string;
  names: string;
  active: number;
  sort: number;
}

export interface MemberTable {
  id: string;
  name: string;
  phone: string;
  worker_type: string;
  platform: string;
  station: string | null;
  roles: string;
  jurisdiction_id: string;
  status: string;
  status_at: string;
  status_reason: string | null;
  user_id: string | null;
  appointment_number: string | null;
  appointed_on: string | null;
  /** sha256 of the applicant's status link token. */
  status_token_hash: string;
  seq: number;
  created_at: string;
}

export interface MemberEventTable {
  id: string;
  member_id: string;
  seq: number;
  action: string;
  actor_id: string | null;
  actor_role: string;
  from_status: string | null;
  to_status: string;
  data: string;
  at: string;
}

export interface PointsRulesTable {
  version: number;
  effective_from: string;
  rules: string;
  note: string | null;
  created_by: string | null;
  created_at: string;
}

export interface PointsEntryTable {
  id: string;
  member_id: string;
  kind: string;
  points: number;
  case_id: string | null;
  round: number;
  level: number | null;
  rule_version: number | null;
  redemption_id: string | null;
  note: string | null;
  actor_id: string | null;
  at: string;
}

export interface PointsAccountTable {
  member_id: string;
  balance: number;
}

export interface RedemptionTable {
  id: string;
  member_id: string;
  points: number;
  yuan: number;
  rule_version: number;
  status: string;
  reason: string | null;
  payout_ref: string | null;
  requested_at: string;
  decided_at: string | null;
  decided_by: string | null;
  paid_at: string | null;
  paid_by: string | null;
}

export interface DB {
  jurisdictions: JurisdictionTable;
  departments: DepartmentTable;
  categories: CategoryTable;
  category_routes: CategoryRouteTable;
  users: UserTable;
  auth_tokens: AuthTokenTable;
  media: MediaTable;
  media_links: MediaLinkTable;
  media_publications: MediaPublicationTable;
  uploads: UploadTable;
  upload_parts: UploadPartTable;
  cases: CaseTable;
  case_events: CaseEventTable;
  case_clocks: CaseClockTable;
  case_cells: CaseCellTable;
  idempotency_keys: IdempotencyKeyTable;
  counters: CounterTable;
  calendar_days: CalendarDayTable;
  throttle: ThrottleTable;
  outbox: OutboxTable;
  notify_channels: NotifyChannelTable;
  subscriptions: SubscriptionTable;
  deliveries: DeliveryTable;
  notices: NoticeTable;
  inbox_messages: InboxMessageTable;
  feed: FeedTable;
  dispatch_rules: DispatchRuleTable;
  programme_options: ProgrammeOptionTable;
  members: MemberTable;
  member_events: MemberEventTable;
  points_rules: PointsRulesTable;
  points_entries: PointsEntryTable;
  points_accounts: PointsAccountTable;
  redemptions: RedemptionTable;
}
