// Reports and cases: what the case routes take and answer.

import { Type, type Static, type TObject, type TProperties } from 'typebox';
import type { ClockView as ClockViewType } from '../../../domain/deadlines.js';
import { RATE_KEYS, TIME_KEYS } from '../../../domain/kpi.js';
import { REQUESTED_ACTIONS } from '../../../domain/workflow.js';
import { CHANNELS, CLOSURE_TYPES, URGENCIES } from '../../../domain/types.js';
import type { CaseView, ReporterCaseView } from '../../../services/case.views.js';
import type { DuplicateCandidate } from '../../../services/duplicate.service.js';
import { AnyObject, CaseStatus, CoordSystem, fits, Id, Lang, literals, MediaInfoSchema, Nullable, Obj, type Fits } from '../../schemas.js';

// ---- requests ----

const Text = (maxLength: number) => Type.String({ maxLength });

const Paging = {
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
};

export const ReportBody = Type.Object({
  categoryId: Id,
  description: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'What is wrong, in the reporter\'s words (Chinese, Tibetan or English); may be left out when media are attached' })),
  lat: Type.Number({ minimum: -90, maximum: 90, description: 'Latitude in coord_sys (default WGS-84)' }),
  lon: Type.Number({ minimum: -180, maximum: 180, description: 'Longitude in coord_sys (default WGS-84)' }),
  address: Type.Optional(Text(300)),
  urgency: Type.Optional(literals(URGENCIES)),
  media: Type.Optional(Type.Array(Id, { maxItems: 100, description: 'Ids from POST /api/v1/media (at most MEDIA_MAX_FILES, default 9)' })),
  channel: Type.Optional(literals(CHANNELS)),
  clientKey: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Client idempotency key (offline queue); same as the Idempotency-Key header' })),
  coord_sys: Type.Optional(CoordSystem),
  duplicateOf: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'An open case the reporter recognised as the same problem (from possibleDuplicates): fold this report into it' })),
}, { additionalProperties: false });
export type ReportBody = Static<typeof ReportBody>;

/** A workflow action, or a composite of several (fast-dispatch: 直派, accept + file + dispatch in one request). */
export const ActionParams = Type.Object({ id: Id, action: literals(REQUESTED_ACTIONS) });
export type ActionParams = Static<typeof ActionParams>;

export const ActionBody = Type.Object({
  note: Type.Optional(Text(2000)),
  reason: Type.Optional(Text(2000)),
  departmentId: Type.Optional(Id),
  assistingDepartmentIds: Type.Optional(Type.Array(Id, { maxItems: 10 })),
  categoryId: Type.Optional(Id),
  urgency: Type.Optional(literals(URGENCIES)),
  gridId: Type.Optional(Id),
  minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 525600, description: 'Extension asked for, in minutes' })),
  media: Type.Optional(Type.Array(Id, { maxItems: 100 })),
  closureType: Type.Optional(literals(CLOSURE_TYPES)),
  score: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
  level: Type.Optional(Type.Integer({ minimum: 1, maximum: 3, description: 'verify, food-safety cases: the hazard level (1 gravest); earns the reporter 5, 2 or 1 points under the rule set in force' })),
  comment: Type.Optional(Text(2000)),
  unitAtFault: Type.Optional(Type.Boolean()),
  jurisdictionId: Type.Optional(Id),
  masterCaseId: Type.Optional(Id),
}, { additionalProperties: false });
export type ActionBody = Static<typeof ActionBody>;

export const CaseListQuery = Type.Object({
  status: Type.Optional(Type.Array(CaseStatus, { description: 'One or more statuses (repeat the parameter)' })),
  category: Type.Optional(Id),
  department: Type.Optional(Id),
  grid: Type.Optional(Id),
  urgency: Type.Optional(literals(URGENCIES)),
  overdue: Type.Optional(Type.Boolean()),
  outside: Type.Optional(Type.Boolean({ description: 'The "outside" queue: points outside every known unit' })),
  nearBorder: Type.Optional(Type.Boolean({ description: 'Reports within a few metres of a border' })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Reported at or after (ISO 8601); with kpi, the start of the figure\'s period' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Reported before (ISO 8601); with kpi, the end of the figure\'s period' })),
  kpi: Type.Optional(literals([...RATE_KEYS, ...TIME_KEYS], { description: 'The cases behind this figure of GET /kpis over from..to (its drill-down): department, category, grid and urgency then mean the figure\'s breakdown (the department as of the period\'s end), and `none` a group without one' })),
  part: Type.Optional(literals(['numerator', 'denominator'] as const, { description: 'With kpi: the cases of its numerator or of its denominator (default); a time\'s are the cases measured' })),
  excludeExtended: Type.Optional(Type.Boolean({ description: 'With kpi=on_time_closure: as GET /kpis with excludeExtended' })),
  community: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'With kpi: a community\'s cases' })),
  subdistrict: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'With kpi: a subdistrict\'s cases' })),
  member: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'With kpi: the reports of one grid worker (member id)' })),
  channel: Type.Optional(literals(CHANNELS, { description: 'With kpi: the cases reported through this channel' })),
  ...Paging,
  lang: Type.Optional(Lang),
  coord_sys: Type.Optional(CoordSystem),
});
export type CaseListQuery = Static<typeof CaseListQuery>;

export const PageQuery = Type.Object({
  ...Paging,
  lang: Type.Optional(Lang),
  coord_sys: Type.Optional(CoordSystem),
});
export type PageQuery = Static<typeof PageQuery>;

export const ViewQuery = Type.Object({
  lang: Type.Optional(Lang),
  coord_sys: Type.Optional(CoordSystem),
});
export type ViewQuery = Static<typeof ViewQuery>;

export const NearbyQuery = Type.Object({
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  lon: Type.Number({ minimum: -180, maximum: 180 }),
  coord_sys: Type.Optional(CoordSystem),
  categoryId: Id,
  lang: Type.Optional(Lang),
});
export type NearbyQuery = Static<typeof NearbyQuery>;

// ---- answers ----

const Ref = Obj({ id: Type.String(), code: Type.String(), name: Type.String() });
const LatLon = Obj({ lat: Type.Number(), lon: Type.Number(), coordSys: Type.String() });

export const ClockView = Obj({
  stage: Type.String(),
  round: Type.Integer(),
  startedAt: Type.String(),
  dueAt: Type.String(),
  originalDueAt: Type.String(),
  completedAt: Nullable(Type.String()),
  outcome: Nullable(Type.String({ description: 'met | late | cancelled, once the stage ended' })),
  state: Type.String({ description: 'running | overdue | met | late | cancelled' }),
  remainingMs: Nullable(Type.Number({ description: 'Milliseconds left (negative when overdue) while running' })),
});

export const EventView = Obj({
  seq: Type.Integer(),
  action: Type.String(),
  at: Type.String(),
  actor: Obj({ id: Nullable(Type.String()), role: Type.String(), name: Nullable(Type.String()) }),
  fromStatus: Nullable(Type.String()),
  toStatus: Type.String(),
  note: Nullable(Type.String()),
  data: AnyObject,
  evidence: Type.Array(Type.String()),
  clocks: Type.Array(Type.Unknown()),
});

const EvidenceFlag = Type.Union([
  Obj({ code: Type.Literal('taken_far_away'), distanceM: Type.Number() }),
  Obj({ code: Type.Literal('taken_long_ago'), hours: Type.Number() }),
  Obj({ code: Type.Literal('taken_before_report'), minutes: Type.Number() }),
  Obj({ code: Type.Literal('no_capture_metadata') }),
]);
const EvidenceItem = Obj({ media: MediaInfoSchema, eventSeq: Type.Integer(), flags: Type.Optional(Type.Array(EvidenceFlag)) });
export const EvidenceView = Obj({
  before: Type.Array(EvidenceItem),
  after: Type.Array(EvidenceItem, { description: "The latest resolution's media" }),
  earlierAfter: Type.Array(EvidenceItem, { description: 'After-photos of resolutions sent back for rework' }),
  other: Type.Array(EvidenceItem),
});

const Rating = Obj({ score: Type.Integer(), unitAtFault: Type.Boolean() });

export const CaseViewSchema = Obj(
  {
    id: Type.String(),
    ref: Type.String(),
    status: Type.String(),
    statusText: Type.String(),
    category: Obj({ id: Type.String(), code: Type.String(), name: Type.String(), kind: Type.String(), foodSafety: Type.Boolean() }),
    urgency: Type.String(),
    description: Type.String(),
    location: LatLon,
    original: LatLon,
    address: Nullable(Type.String()),
    grid: Nullable(Ref),
    jurisdiction: Nullable(Ref),
    originJurisdiction: Nullable(Ref),
    routedDepartment: Nullable(Ref),
    department: Nullable(Ref),
    assistingDepartments: Type.Array(Ref),
    assignee: Nullable(Obj({ id: Type.String(), name: Type.String() })),
    reporter: Nullable(Obj({ id: Type.String(), name: Type.String(), phone: Nullable(Type.String()) })),
    channel: Type.String(),
    media: Type.Array(Type.String()),
    closureType: Nullable(Type.String()),
    rating: Nullable(Rating),
    pendingExtension: Nullable(Obj({ minutes: Type.Integer(), reason: Type.String() })),
    reportedAt: Type.String(),
    updatedAt: Type.String(),
    closedAt: Nullable(Type.String()),
    overdue: Type.Boolean(),
    nearBorder: Type.Boolean(),
    borderUnits: Type.Array(Ref),
    outsideArea: Type.Boolean(),
    suggestedJurisdiction: Nullable(Ref),
    masterCaseId: Nullable(Type.String()),
    clocks: Type.Array(ClockView),
    availableActions: Type.Array(Type.String()),
    events: Type.Optional(Type.Array(EventView)),
    evidence: Type.Optional(EvidenceView),
  },
  'A case as staff see it',
);

const TimelineEntry = Obj({ at: Type.String(), action: Type.String(), status: Type.String(), text: Type.String(), evidence: Type.Array(Type.String()) });

export const ReporterCaseViewSchema = Obj(
  {
    id: Type.String(),
    ref: Type.String(),
    status: Type.String(),
    statusText: Type.String(),
    category: Ref,
    urgency: Type.String(),
    description: Type.String(),
    address: Nullable(Type.String()),
    location: LatLon,
    media: Type.Array(Type.String()),
    reportedAt: Type.String(),
    closedAt: Nullable(Type.String()),
    closureType: Nullable(Type.String()),
    rating: Nullable(Rating),
    canRate: Type.Boolean(),
    canReopen: Type.Boolean(),
    mergedInto: Nullable(Obj({ id: Type.String(), ref: Type.String() })),
    timeline: Type.Array(TimelineEntry),
    evidence: Type.Optional(EvidenceView),
  },
  "A reporter's own case, in plain words",
);

/** GET /cases/{id} and an action's answer: staff see the case, its reporter the plain-words view. */
export const AnyCaseView = Type.Union([CaseViewSchema, ReporterCaseViewSchema]);

export const DuplicateCandidateSchema = Obj({
  id: Type.String(),
  ref: Type.String(),
  category: Ref,
  status: Type.String(),
  statusText: Type.String(),
  description: Type.String(),
  distanceM: Type.Number(),
  reportedAt: Type.String(),
  photo: Nullable(Type.String({ description: 'The public copy of a photo the command centre published (blurred where needed), or null' })),
});

const withDuplicates = <P extends TProperties>(view: TObject<P>) =>
  Type.Object({ ...view.properties, possibleDuplicates: Type.Array(DuplicateCandidateSchema, { description: 'Open cases nearby that may be the same problem' }) }, { additionalProperties: false });
/** POST /reports: the new (or replayed) case and the open cases nearby that may be the same problem. */
// The serializer tries the alternatives in order (validating each): a rider's view first, as most reports are riders'.
export const ReportAnswer = Type.Union([withDuplicates(ReporterCaseViewSchema), withDuplicates(CaseViewSchema)]);

// ---- the services' views must fit their schemas (a compile error names the drift) ----

void [
  fits<Fits<ClockViewType, typeof ClockView>>(),
  fits<Fits<CaseView, typeof CaseViewSchema>>(),
  fits<Fits<ReporterCaseView, typeof ReporterCaseViewSchema>>(),
  fits<Fits<DuplicateCandidate, typeof DuplicateCandidateSchema>>(),
];
