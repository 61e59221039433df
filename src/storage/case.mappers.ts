// Rows <-> records for cases, their events and their clocks: the one place each table's columns meet the
// domain's names, both ways. Used by the repositories that read and write them.

import type { PendingExtension, Rating } from '../domain/workflow.js';
import { cellOf } from '../geo/cells.js';
import { fromJson, toJson } from './dialect.js';
import { newId } from '../domain/ids.js';
import type { CaseClockTable, CaseEventTable, CaseTable, IdempotencyKeyTable, MediaLinkTable, OutboxTable } from './schema.js';
import type { CaseUpdate, CaseRecord, EventRecord, ClockRow, IdempotencyRecord, MediaLink, NewEvent } from '../domain/records.js';

export const toCase = (r: CaseTable): CaseRecord => ({
  id: r.id,
  ref: r.ref,
  status: r.status,
  categoryId: r.category_id,
  urgency: r.urgency,
  description: r.description,
  lat: r.lat,
  lon: r.lon,
  original: { lat: r.orig_lat, lon: r.orig_lon, coordSys: r.orig_coord_sys },
  address: r.address,
  gridId: r.grid_id,
  jurisdictionId: r.jurisdiction_id,
  originJurisdictionId: r.origin_jurisdiction_id,
  routedDepartmentId: r.routed_department_id,
  departmentId: r.department_id,
  assistingDepartmentIds: fromJson<string[]>(r.assisting_department_ids, []),
  assigneeId: r.assignee_id,
  reporterId: r.reporter_id,
  channel: r.channel,
  mediaIds: fromJson<string[]>(r.media_ids, []),
  closureType: r.closure_type,
  rating: r.rating_score === null ? null : { score: r.rating_score, unitAtFault: r.rating_unit_at_fault === 1 },
  pendingExtension: fromJson<PendingExtension | null>(r.pending_extension, null),
  reportedAt: r.reported_at,
  updatedAt: r.updated_at,
  closedAt: r.closed_at,
  version: r.version,
  nearBorder: r.near_border === 1,
  borderUnitIds: fromJson<string[]>(r.border_unit_ids, []),
  outsideArea: r.outside_area === 1,
  suggestedJurisdictionId: r.suggested_jurisdiction_id,
  masterCaseId: r.master_case_id,
});

const ratingScore = (rating: Rating | null): number | null => rating?.score ?? null;
const ratingUnitAtFault = (rating: Rating | null): number | null => (rating ? (rating.unitAtFault ? 1 : 0) : null);
const pendingExtension = (p: PendingExtension | null): string | null => (p ? toJson(p) : null);

/** A new case's row, without its reference (numbered as it is written); its map cell from its point. */
export const caseRow = (c: Omit<CaseRecord, 'ref'>): Omit<CaseTable, 'ref'> => {
  const cell = cellOf(c.lat, c.lon);
  return {
    id: c.id,
    status: c.status,
    category_id: c.categoryId,
    urgency: c.urgency,
    description: c.description,
    lat: c.lat,
    lon: c.lon,
    orig_lat: c.original.lat,
    orig_lon: c.original.lon,
    orig_coord_sys: c.original.coordSys,
    address: c.address,
    grid_id: c.gridId,
    jurisdiction_id: c.jurisdictionId,
    origin_jurisdiction_id: c.originJurisdictionId,
    routed_department_id: c.routedDepartmentId,
    department_id: c.departmentId,
    assisting_department_ids: toJson(c.assistingDepartmentIds),
    assignee_id: c.assigneeId,
    reporter_id: c.reporterId,
    channel: c.channel,
    media_ids: toJson(c.mediaIds),
    closure_type: c.closureType,
    rating_score: ratingScore(c.rating),
    rating_unit_at_fault: ratingUnitAtFault(c.rating),
    pending_extension: pendingExtension(c.pendingExtension),
    reported_at: c.reportedAt,
    updated_at: c.updatedAt,
    closed_at: c.closedAt,
    version: c.version,
    near_border: c.nearBorder ? 1 : 0,
    border_unit_ids: toJson(c.borderUnitIds),
    outside_area: c.outsideArea ? 1 : 0,
    suggested_jurisdiction_id: c.suggestedJurisdictionId,
    master_case_id: c.masterCaseId,
    cy: cell.cy,
    cx: cell.cx,
  };
};

/** A transition's changes as the columns they set, always in this order (the statement's shape). */
export function caseColumns(c: CaseUpdate): Partial<CaseTable> {
  const out: Partial<CaseTable> = {};
  if (c.departmentId !== undefined) out.department_id = c.departmentId;
  if (c.assistingDepartmentIds !== undefined) out.assisting_department_ids = toJson(c.assistingDepartmentIds);
  if (c.assigneeId !== undefined) out.assignee_id = c.assigneeId;
  if (c.urgency !== undefined) out.urgency = c.urgency;
  if (c.closureType !== undefined) out.closure_type = c.closureType;
  if (c.masterCaseId !== undefined) out.master_case_id = c.masterCaseId;
  if (c.pendingExtension !== undefined) out.pending_extension = pendingExtension(c.pendingExtension);
  if (c.rating !== undefined) {
    out.rating_score = ratingScore(c.rating);
    out.rating_unit_at_fault = ratingUnitAtFault(c.rating);
  }
  if (c.gridId !== undefined) out.grid_id = c.gridId;
  if (c.jurisdictionId !== undefined) out.jurisdiction_id = c.jurisdictionId;
  if (c.categoryId !== undefined) out.category_id = c.categoryId;
  if (c.routedDepartmentId !== undefined) out.routed_department_id = c.routedDepartmentId;
  if (c.closedAt !== undefined) out.closed_at = c.closedAt;
  if (c.status !== undefined) out.status = c.status;
  if (c.updatedAt !== undefined) out.updated_at = c.updatedAt;
  return out;
}

export const toEvent = (r: CaseEventTable): EventRecord => ({
  id: r.id,
  caseId: r.case_id,
  seq: r.seq,
  action: r.action,
  actorId: r.actor_id,
  actorRole: r.actor_role,
  at: r.at,
  fromStatus: r.from_status,
  toStatus: r.to_status,
  note: r.note,
  data: fromJson<Record<string, unknown>>(r.data, {}),
  evidence: fromJson<string[]>(r.evidence, []),
  clocks: fromJson<unknown[]>(r.clocks, []),
});

/** The one constructor of an event row; its id is time-ordered by the event's own time. */
export const eventRow = (e: NewEvent): CaseEventTable => ({
  id: newId(Date.parse(e.at)),
  case_id: e.caseId,
  seq: e.seq,
  action: e.action,
  actor_id: e.actorId ?? null,
  actor_role: e.actorRole ?? 'system',
  at: e.at,
  from_status: e.fromStatus,
  to_status: e.toStatus,
  note: e.note ?? null,
  data: toJson(e.data ?? {}),
  evidence: toJson(e.evidence ?? []),
  clocks: toJson(e.clocks ?? []),
});

/** An event's entry in the outbox: written with it, deleted by the fan-out that tells of it. */
export const outboxRow = (e: CaseEventTable): OutboxTable => ({ event_id: e.id, case_id: e.case_id, seq: e.seq, created_at: e.at });

export const linkRow = (l: MediaLink): MediaLinkTable => ({
  media_id: l.mediaId,
  case_id: l.caseId,
  event_seq: l.eventSeq,
  role: l.role,
  flags: toJson(l.flags),
  created_at: l.createdAt,
});

export const idempotencyRow = (k: IdempotencyRecord): IdempotencyKeyTable => ({
  scope: k.scope,
  key: k.key,
  request_hash: k.requestHash,
  case_id: k.caseId,
  created_at: k.createdAt,
});

export const toClock = (r: CaseClockTable): ClockRow => ({
  id: r.id,
  caseId: r.case_id,
  stage: r.stage,
  round: r.round,
  startedAt: r.started_at,
  dueAt: r.due_at,
  originalDueAt: r.original_due_at,
  remindAt: r.remind_at,
  completedAt: r.completed_at,
  outcome: r.outcome,
  remindedAt: r.reminded_at,
  supervisedAt: r.supervised_at,
  alertedAt: r.alerted_at,
});

export const fromClock = (c: ClockRow): CaseClockTable => ({
  id: c.id,
  case_id: c.caseId,
  stage: c.stage,
  round: c.round,
  started_at: c.startedAt,
  due_at: c.dueAt,
  original_due_at: c.originalDueAt,
  remind_at: c.remindAt,
  completed_at: c.completedAt,
  outcome: c.outcome,
  reminded_at: c.remindedAt,
  supervised_at: c.supervisedAt,
  alerted_at: c.alertedAt ?? null,
});
