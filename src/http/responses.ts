// What each route answers, as TypeBox schemas: Fastify serializes with them (a field a schema does not
// name never reaches a client), the OpenAPI document shows them, and the services' view types are checked
// against them at compile time (the assertions at the end), so the three cannot drift apart. In tests every
// answer is also validated against its schema (response-check.ts), so a view that grows a field fails
// loudly instead of losing it quietly.

import { Type, type Static, type TObject, type TProperties, type TSchema } from 'typebox';
import type { ClockView as ClockViewType } from '../domain/deadlines.js';
import type { CaseView, ReporterCaseView } from '../services/case.views.js';
import type { DuplicateCandidate } from '../services/duplicate.service.js';
import type { MapAnswer } from '../services/map.service.js';
import type { MediaInfo } from '../services/media.views.js';
import type { LockoutView } from '../services/throttle.service.js';
import type { Category, Department } from '../domain/records.js';
import type { SweepResult } from '../jobs/deadline-sweep.js';

/** An object with exactly these properties. */
const Obj = <P extends TProperties>(properties: P, description?: string): TObject<P> => Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** Free-form JSON (event data, SLA overrides): serialized as it is. */
const AnyObject = Type.Object({}, { additionalProperties: true });

export const Names = Obj({ zh: Type.String(), en: Type.String(), bo: Type.String() });
export const Ref = Obj({ id: Type.String(), code: Type.String(), name: Type.String() });
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

export const MediaInfoSchema = Obj({
  id: Type.String(),
  kind: Type.Union([Type.Literal('photo'), Type.Literal('video')]),
  mime: Type.String(),
  bytes: Type.Integer(),
  sha256: Type.String(),
  width: Nullable(Type.Integer()),
  height: Nullable(Type.Integer()),
  durationS: Nullable(Type.Number()),
  takenAt: Nullable(Type.String()),
  preview: Type.String({ description: "'full' when every copy was made from the content; otherwise why a placeholder stands in" }),
  urls: Obj({ thumb: Type.String(), display: Type.String(), original: Type.Optional(Type.String()), public: Type.Optional(Type.String()) }),
  createdAt: Type.String(),
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
});

const withDuplicates = <P extends TProperties>(view: TObject<P>) =>
  Type.Object({ ...view.properties, possibleDuplicates: Type.Array(DuplicateCandidateSchema, { description: 'Open cases nearby that may be the same problem' }) }, { additionalProperties: false });
/** POST /reports: the new (or replayed) case and the open cases nearby that may be the same problem. */
// The serializer tries the alternatives in order (validating each): a rider's view first, as most reports are riders'.
export const ReportAnswer = Type.Union([withDuplicates(ReporterCaseViewSchema), withDuplicates(CaseViewSchema)]);

export const Items = <T extends TSchema>(item: T) => Obj({ items: Type.Array(item) });
export const PageOf = <T extends TSchema>(item: T) => Obj({ items: Type.Array(item), total: Type.Integer(), page: Type.Integer(), pageSize: Type.Integer() });

// ---- map ----

const MapItem = Type.Union([
  Obj({ type: Type.Literal('cluster'), lat: Type.Number(), lon: Type.Number(), count: Type.Integer() }),
  Obj({
    type: Type.Literal('case'),
    id: Type.String(),
    ref: Type.String(),
    lat: Type.Number(),
    lon: Type.Number(),
    status: Type.String(),
    categoryId: Type.String(),
    urgency: Type.String(),
    nearBorder: Type.Boolean(),
  }),
]);
export const MapAnswerSchema = Obj({
  mode: Type.Union([Type.Literal('clusters'), Type.Literal('points')]),
  level: Nullable(Type.Integer({ description: 'Cell level of the clusters (0 = 1°, 3 = 0.001°)' })),
  coordSys: Type.String(),
  items: Type.Array(MapItem),
  truncated: Type.Boolean({ description: 'More cases matched than the point view returns; zoom in' }),
});

const Position = Type.Array(Type.Number());
export const JurisdictionFeatures = Obj({
  type: Type.Literal('FeatureCollection'),
  features: Type.Array(
    Obj({
      type: Type.Literal('Feature'),
      id: Type.String(),
      properties: Obj({ id: Type.String(), code: Type.String(), level: Type.String(), name_zh: Type.String(), name_en: Type.String(), name_bo: Type.String(), parent_id: Nullable(Type.String()) }),
      geometry: Type.Union([
        Obj({ type: Type.Literal('Polygon'), coordinates: Type.Array(Type.Array(Position)) }),
        Obj({ type: Type.Literal('MultiPolygon'), coordinates: Type.Array(Type.Array(Type.Array(Position))) }),
      ]),
    }),
  ),
});

// ---- reference, users, admin ----

export const CategorySchema = Obj({
  id: Type.String(),
  code: Type.String(),
  kind: Type.String(),
  majorCode: Type.String(),
  minorCode: Type.String(),
  names: Names,
  defaultDepartmentId: Nullable(Type.String()),
  foodSafety: Type.Boolean(),
  reportMediaRequired: Type.Boolean(),
  resolvePhotoRequired: Type.Boolean(),
  duplicateRadiusM: Type.Number(),
  defaultUrgency: Type.String(),
  sla: Nullable(AnyObject),
  active: Type.Boolean(),
});
export const DepartmentSchema = Obj({ id: Type.String(), code: Type.String(), kind: Type.String(), names: Names, jurisdictionId: Type.String(), phone: Nullable(Type.String()) });
export const JurisdictionSchema = Obj({ id: Type.String(), code: Type.String(), level: Type.String(), parentId: Nullable(Type.String()), path: Type.String(), names: Names });
export const CalendarDaySchema = Obj({ date: Type.String(), kind: Type.String() });
export const UserSchema = Obj({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  phone: Nullable(Type.String()),
  role: Type.String(),
  departmentId: Nullable(Type.String()),
  jurisdictionId: Nullable(Type.String()),
  locale: Type.String(),
  active: Type.Boolean(),
});
export const MeSchema = Obj({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  role: Type.String(),
  departmentId: Nullable(Type.String()),
  jurisdictionId: Nullable(Type.String()),
  locale: Type.String(),
});
export const LoginAnswer = Obj({
  token: Type.String(),
  expiresAt: Type.String(),
  user: Obj({ id: Type.String(), username: Type.String(), displayName: Type.String(), role: Type.String() }),
});
export const LockoutSchema = Obj({
  username: Type.String(),
  until: Type.String(),
  failures: Type.Integer(),
  lastAddress: Nullable(Type.String()),
  known: Type.Boolean({ description: 'False when no user has this name (locked all the same, so nothing leaks)' }),
});
export const SweepAnswer = Obj({ reminded: Type.Integer(), supervised: Type.Integer(), uploadsExpired: Type.Integer() });
export const BoundaryImportAnswer = Obj({ created: Type.Array(Type.String()), updated: Type.Array(Type.String()) });
export const Health = Obj({ status: Type.String(), database: Type.String() });

// ---- the services' views must fit their schemas (a compile error here names the drift) ----

type Fits<View, Schema extends TSchema> = [View] extends [Static<Schema>] ? true : false;
const fits = <T extends true>(): T => true as T;
void [
  fits<Fits<ClockViewType, typeof ClockView>>(),
  fits<Fits<CaseView, typeof CaseViewSchema>>(),
  fits<Fits<ReporterCaseView, typeof ReporterCaseViewSchema>>(),
  fits<Fits<DuplicateCandidate, typeof DuplicateCandidateSchema>>(),
  fits<Fits<MediaInfo, typeof MediaInfoSchema>>(),
  fits<Fits<MapAnswer, typeof MapAnswerSchema>>(),
  fits<Fits<LockoutView, typeof LockoutSchema>>(),
  fits<Fits<SweepResult, typeof SweepAnswer>>(),
  fits<Fits<Category, typeof CategorySchema>>(),
  fits<Fits<Department, typeof DepartmentSchema>>(),
];
