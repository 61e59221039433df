// What readers see of cases: the staff view (with clocks, events and the actions open to the reader)
// and the reporter's view (every status change in plain words). Personal data is masked here.

import { maskName, maskPhone, type CaseAccess } from '../domain/access.js';
import { viewClock, type ClockView } from '../domain/deadlines.js';
import type { Locale } from '../domain/wording.js';
import { eventWords, statusWords } from '../domain/wording.js';
import { availableActions, openActions, type CaseFacts, type RequestedAction } from '../domain/workflow.js';
import type { Router } from '../geo/router.js';
import type { EvidenceFlag } from '../domain/evidence.js';
import type { CaseRecord, Category, ClockRow, Department, EventRecord, MediaLink, MediaRecord, Names, User } from '../domain/records.js';
import { mediaInfo, type MediaInfo } from './media.views.js';
import type { Principal } from './context.js';

export interface Ref {
  id: string;
  code: string;
  name: string;
}

export interface EventView {
  seq: number;
  action: string;
  at: string;
  actor: { id: string | null; role: string; name: string | null };
  fromStatus: string | null;
  toStatus: string;
  note: string | null;
  data: Record<string, unknown>;
  evidence: string[];
  clocks: unknown[];
}

export interface CaseView {
  id: string;
  ref: string;
  status: string;
  statusText: string;
  category: Ref & { kind: string; foodSafety: boolean };
  urgency: string;
  description: string;
  location: { lat: number; lon: number; coordSys: 'wgs84' };
  original: { lat: number; lon: number; coordSys: string };
  address: string | null;
  grid: Ref | null;
  jurisdiction: Ref | null;
  originJurisdiction: Ref | null;
  routedDepartment: Ref | null;
  department: Ref | null;
  assistingDepartments: Ref[];
  assignee: { id: string; name: string } | null;
  reporter: { id: string; name: string; phone: string | null } | null;
  channel: string;
  media: string[];
  closureType: string | null;
  rating: { score: number; unitAtFault: boolean } | null;
  pendingExtension: { minutes: number; reason: string } | null;
  reportedAt: string;
  updatedAt: string;
  closedAt: string | null;
  overdue: boolean;
  /** Within a few metres of a border: the dispatcher should check the grid (see borderUnits). */
  nearBorder: boolean;
  borderUnits: Ref[];
  /** Outside every known unit; suggestedJurisdiction is the nearest subdistrict. */
  outsideArea: boolean;
  suggestedJurisdiction: Ref | null;
  /** The master case this one was merged into. */
  masterCaseId: string | null;
  clocks: ClockView[];
  /** The actions open to the reader now, composites (fast-dispatch) after the single ones. */
  availableActions: RequestedAction[];
  events?: EventView[];
  /** The case's photos and videos paired for verification: the report's (before) beside the latest resolution's (after). */
  evidence?: EvidenceView;
}

/** A staff view, as opposed to a reporter's plain-words view of their own report. */
export const isStaffView = (view: CaseView | ReporterCaseView): view is CaseView => 'clocks' in view;

export interface EvidenceItem {
  media: MediaInfo;
  eventSeq: number;
  /** What the capture metadata says against the case (staff only). */
  flags?: EvidenceFlag[];
}

export interface EvidenceView {
  before: EvidenceItem[];
  /** The latest resolution's media. */
  after: EvidenceItem[];
  /** After-photos of earlier resolutions that were sent back for rework. */
  earlierAfter: EvidenceItem[];
  /** Media attached to other steps (a return, a rework, a note). */
  other: EvidenceItem[];
}

/** Pair a case's evidence; the reporter sees no flags and no originals but their own. */
export function evidenceView(links: MediaLink[], media: MediaRecord[], access: CaseAccess, principal: Principal): EvidenceView {
  const byId = new Map(media.map((m) => [m.id, m]));
  const staff = access === 'handling_chain' || access === 'oversight';
  const item = (l: MediaLink): EvidenceItem[] => {
    const m = byId.get(l.mediaId);
    if (!m) return [];
    const info = mediaInfo(m, access === 'handling_chain' || m.uploadedBy === principal.user.id);
    return [{ media: info, eventSeq: l.eventSeq, ...(staff ? { flags: l.flags } : {}) }];
  };
  const after = links.filter((l) => l.role === 'after');
  const lastResolve = Math.max(-1, ...after.map((l) => l.eventSeq));
  return {
    before: links.filter((l) => l.role === 'before').flatMap(item),
    after: after.filter((l) => l.eventSeq === lastResolve).flatMap(item),
    earlierAfter: after.filter((l) => l.eventSeq !== lastResolve).flatMap(item),
    other: links.filter((l) => l.role === 'other').flatMap(item),
  };
}

export interface Lookups {
  router: Router;
  categories: Map<string, Category>;
  departments: Map<string, Department>;
  users: Map<string, User>;
  locale: Locale;
}

/** A name in the reader's language (Tibetan falls back to Chinese where the data has none). */
export const pick = (names: Names, locale: Locale): string => (locale === 'en' ? names.en : locale === 'bo' ? names.bo || names.zh : names.zh);

function ref(item: { id: string; code: string; names: Names } | undefined, locale: Locale): Ref | null {
  return item ? { id: item.id, code: item.code, name: pick(item.names, locale) } : null;
}

export function caseView(
  record: CaseRecord,
  facts: CaseFacts,
  access: CaseAccess,
  clocks: ClockRow[],
  principal: Principal,
  now: Date,
  l: Lookups,
  events?: EventRecord[],
): CaseView {
  const category = l.categories.get(record.categoryId)!;
  const unit = (id: string | null) => (id ? ref(l.router.unit(id), l.locale) : null);
  const dept = (id: string | null) => (id ? ref(l.departments.get(id), l.locale) : null);
  const clockViews = clocks.map((c) => viewClock(c, now));
  const reporter = l.users.get(record.reporterId);
  const assignee = record.assigneeId ? l.users.get(record.assigneeId) : undefined;
  return {
    id: record.id,
    ref: record.ref,
    status: record.status,
    statusText: statusWords(record.status, l.locale),
    category: { ...ref(category, l.locale)!, kind: category.kind, foodSafety: category.foodSafety },
    urgency: record.urgency,
    description: record.description,
    location: { lat: record.lat, lon: record.lon, coordSys: 'wgs84' },
    original: record.original,
    address: record.address,
    grid: unit(record.gridId),
    jurisdiction: unit(record.jurisdictionId),
    originJurisdiction: unit(record.originJurisdictionId),
    routedDepartment: dept(record.routedDepartmentId),
    department: dept(record.departmentId),
    assistingDepartments: record.assistingDepartmentIds.map((id) => dept(id)).filter((d): d is Ref => d !== null),
    assignee: assignee ? { id: assignee.id, name: access === 'handling_chain' ? assignee.displayName : maskName(assignee.displayName) } : null,
    reporter: reporterIdentity(access, principal, reporter),
    channel: record.channel,
    media: record.mediaIds,
    closureType: record.closureType,
    rating: record.rating,
    pendingExtension: record.pendingExtension ? { minutes: record.pendingExtension.minutes, reason: record.pendingExtension.reason } : null,
    reportedAt: record.reportedAt,
    updatedAt: record.updatedAt,
    closedAt: record.closedAt,
    overdue: clockViews.some((c) => c.state === 'overdue'),
    nearBorder: record.nearBorder,
    borderUnits: record.borderUnitIds.map((id) => unit(id)).filter((u): u is Ref => u !== null),
    outsideArea: record.outsideArea,
    suggestedJurisdiction: unit(record.suggestedJurisdictionId),
    masterCaseId: record.masterCaseId,
    clocks: clockViews,
    availableActions: openActions(facts, principal.actor),
    ...(events ? { events: events.map((e) => eventView(e, record.reporterId, access, l)) } : {}),
  };
}

/** The reporter sees themself; the handling chain a masked name and phone; oversight sees no identity. */
function reporterIdentity(access: CaseAccess, principal: Principal, reporter: User | undefined): CaseView['reporter'] {
  if (!reporter) return null;
  if (access === 'reporter' && reporter.id === principal.user.id) return { id: reporter.id, name: reporter.displayName, phone: reporter.phone };
  if (access === 'handling_chain') return { id: reporter.id, name: maskName(reporter.displayName), phone: maskPhone(reporter.phone) };
  return null;
}

/** Events by the case's reporter (report, rate, reopen) carry their identity only as far as the case view does. */
function eventView(e: EventRecord, reporterId: string, access: CaseAccess, l: Lookups): EventView {
  const actor = e.actorId ? l.users.get(e.actorId) : undefined;
  const isReporter = e.actorId === reporterId;
  const hideIdentity = isReporter && access !== 'handling_chain' && access !== 'reporter';
  const name = actor ? (isReporter && access === 'handling_chain' ? maskName(actor.displayName) : actor.displayName) : null;
  const data = { ...e.data };
  if (hideIdentity) delete data.submitted;
  return {
    seq: e.seq,
    action: e.action,
    at: e.at,
    actor: { id: hideIdentity ? null : e.actorId, role: e.actorRole, name: hideIdentity ? null : name },
    fromStatus: e.fromStatus,
    toStatus: e.toStatus,
    note: e.note,
    data,
    evidence: e.evidence,
    clocks: e.clocks,
  };
}

export interface TimelineEntry {
  at: string;
  action: string;
  status: string;
  text: string;
  evidence: string[];
}

export interface ReporterCaseView {
  id: string;
  ref: string;
  status: string;
  statusText: string;
  category: Ref;
  /** As the reporter said it (or the category's default). */
  urgency: string;
  description: string;
  address: string | null;
  location: { lat: number; lon: number; coordSys: 'wgs84' };
  media: string[];
  reportedAt: string;
  closedAt: string | null;
  closureType: string | null;
  rating: { score: number; unitAtFault: boolean } | null;
  canRate: boolean;
  canReopen: boolean;
  /** Set when this report was merged into another case, whose progress it now follows. */
  mergedInto: { id: string; ref: string } | null;
  timeline: TimelineEntry[];
  /** The rider's photos and the repair's (copies only). */
  evidence?: EvidenceView;
}

/** The master case a merged report follows: its reporter sees the master's progress as their own. */
export interface FollowedMaster {
  record: CaseRecord;
  events: EventRecord[];
}

/** Timeline entries for events, in plain words, without staff names or internal notes. */
function timelineOf(record: CaseRecord, events: EventRecord[], l: Lookups): TimelineEntry[] {
  const timeline: TimelineEntry[] = [];
  for (const e of events) {
    const departmentId = typeof e.data.departmentId === 'string' ? e.data.departmentId : record.departmentId;
    const department = departmentId ? l.departments.get(departmentId) : undefined;
    const jurisdictionId = typeof e.data.jurisdictionId === 'string' ? e.data.jurisdictionId : undefined;
    const jurisdiction = jurisdictionId ? l.router.unit(jurisdictionId) : undefined;
    const extend = e.clocks.find((c): c is { stage: string; dueAt: string } => (c as { stage?: string }).stage === 'resolve');
    const text = eventWords(e.action, l.locale, {
      department: department ? pick(department.names, l.locale) : undefined,
      jurisdiction: jurisdiction ? pick(jurisdiction.names, l.locale) : undefined,
      // Rejection reasons go to the reporter (domain rule); other staff notes stay internal,
      // except what the handler says was done.
      reason: e.action === 'reject' || e.action === 'close' ? (e.note ?? undefined) : undefined,
      note: e.action === 'resolve' ? (e.note ?? undefined) : e.action === 'merge' ? (e.data.masterRef as string | undefined) : undefined,
      closureType: typeof e.data.closureType === 'string' ? e.data.closureType : undefined,
      score: typeof e.data.score === 'number' ? e.data.score : undefined,
      dueAt: e.action === 'approve-extension' ? extend?.dueAt : undefined,
    });
    if (text === undefined) continue;
    timeline.push({ at: e.at, action: e.action, status: e.toStatus, text, evidence: e.action === 'resolve' || e.action === 'report' ? e.evidence : [] });
  }
  return timeline;
}

/**
 * A reporter's own report: what happened, in plain words. A report merged into a master follows the
 * master from the merge on: its status and later steps are the master's, and it keeps its own credit.
 */
export function reporterView(record: CaseRecord, facts: CaseFacts, events: EventRecord[], principal: Principal, l: Lookups, master?: FollowedMaster): ReporterCaseView {
  const actions = availableActions(facts, principal.actor);
  const timeline = timelineOf(record, events, l);
  const mergedAt = events.findLast((e) => e.action === 'merge')?.at;
  const followed = master && mergedAt ? timelineOf(master.record, master.events.filter((e) => e.at > mergedAt && e.action !== 'rate' && e.action !== 'report'), l) : [];
  const shown = master?.record ?? record;
  const category = l.categories.get(record.categoryId)!;
  return {
    id: record.id,
    ref: record.ref,
    status: shown.status,
    statusText: statusWords(shown.status, l.locale),
    category: ref(category, l.locale)!,
    urgency: record.urgency,
    description: record.description,
    address: record.address,
    location: { lat: record.lat, lon: record.lon, coordSys: 'wgs84' },
    media: record.mediaIds,
    reportedAt: record.reportedAt,
    closedAt: shown.closedAt,
    closureType: shown.closureType,
    rating: record.rating,
    canRate: actions.includes('rate'),
    canReopen: actions.includes('reopen'),
    mergedInto: master ? { id: master.record.id, ref: master.record.ref } : null,
    timeline: [...timeline, ...followed],
  };
}
