// Rows <-> records for cases, their events and their clocks: the one place each table's columns meet the
// domain's names. Used by the repositories that read them and by the services that write a report whole.

import type { PendingExtension } from '../domain/workflow.js';
import { fromJson, toJson } from './dialect.js';
import { newId } from '../domain/ids.js';
import type { CaseClockTable, CaseEventTable, CaseTable } from './schema.js';
import type { CaseRecord, EventRecord, ClockRow } from '../domain/records.js';

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

/** An event to append: who did what when; the rest defaults (the system, no note, data, evidence or clocks). */
export type NewEvent = Pick<EventRecord, 'caseId' | 'seq' | 'action' | 'at' | 'fromStatus' | 'toStatus'> & Partial<Pick<EventRecord, 'actorId' | 'actorRole' | 'note' | 'data' | 'evidence' | 'clocks'>>;

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
});
