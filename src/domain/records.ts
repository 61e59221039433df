// The records the domain speaks: a case, its events and clocks, the reference data (jurisdictions,
// departments, categories), users and media. Storage maps its rows to and from these (ids, JSON,
// snake_case); services and views work with these alone. Plain types: no I/O.

import type { AreaGeometry } from '../geo/polygon.js';
import type { ClockRecord, SlaOverrides } from './deadlines.js';
import type { EvidenceFlag, EvidenceRole } from './evidence.js';
import type { CaseStatus, CategoryKind, Channel, ClosureType, JurisdictionLevel, Role, Urgency } from './types.js';
import type { PendingExtension, Rating } from './workflow.js';

export type MediaKind = 'photo' | 'video';

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

export interface EventRecord {
  id: string;
  caseId: string;
  seq: number;
  action: string;
  actorId: string | null;
  actorRole: string;
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
}

export type MediaVariant = 'original' | 'display' | 'thumb' | 'poster' | 'video';

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
}
