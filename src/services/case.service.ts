// Case use cases: report, act, read. Each write reads top to bottom: check access -> ask the domain ->
// store the change, its append-only event and its clocks in one unit of work.

import { createHash } from 'node:crypto';
import { caseAccess, caseScope, type CaseAccess } from '../domain/access.js';
import { DomainError, conflict, forbidden, invalid, notFound } from '../domain/errors.js';
import { evidenceFlags, tooManyMedia, type AttachFacts } from '../domain/evidence.js';
import { CHANNELS, URGENCIES, type Channel, type Urgency } from '../domain/types.js';
import { RULES, decide, isWithin, type Action, type ActionInput, type CaseFacts, type Transition } from '../domain/workflow.js';
import type { Router } from '../geo/router.js';
import type { CaseFilters, CaseRecord, Category, ClockRow, EventRecord, MediaLink, MediaRecord } from '../domain/records.js';
import { eventRow, fromClock, toCase, toEvent, type CaseQuery, type NewEvent } from '../storage/case.repository.js';
import { toJson } from '../storage/dialect.js';
import { newId } from '../domain/ids.js';
import type { CaseEventTable, CaseTable } from '../storage/schema.js';
import type { Repos } from '../storage/unit-of-work.js';
import { applyClocks, planClocks } from './clocks.js';
import type { Principal, ServiceContext } from './context.js';
import { routeIn } from './routing.js';
import { place } from './placement.js';
import { checkPoint, toWgs84, type CoordSys, type LatLon } from '../geo/coords.js';
import { distanceM } from '../geo/area.js';
import { cellOf } from '../geo/cells.js';
import { caseView, evidenceView, reporterView, type CaseView, type Lookups, type ReporterCaseView } from './case.views.js';
import type { Locale } from '../domain/wording.js';

export interface ReportInput {
  categoryId: string;
  description: string;
  lat: number;
  lon: number;
  address?: string;
  urgency?: Urgency;
  media?: string[];
  channel?: Channel;
  /** The system the point is in (default WGS-84); it is stored as sent and converted to WGS-84. */
  coordSys?: CoordSys;
  /** The reporter recognised an open case as the same problem: fold this report into it. */
  duplicateOf?: string;
}

/** A page of a case list: the domain's filters and where to start. */
export interface CaseListRequest extends CaseFilters {
  page?: number;
  pageSize?: number;
}

/** A loaded case with what is needed to authorise and present it. */
/** A report just written: the rows as stored, to answer with. */
export interface CreatedCase {
  record: CaseRecord;
  category: Category;
  clocks: ClockRow[];
  events: EventRecord[];
  links: MediaLink[];
  media: MediaRecord[];
  /** Folded into a master at once (duplicateOf): the case was changed again after these rows. */
  merged: boolean;
}

export interface LoadedCase {
  record: CaseRecord;
  category: Category;
  facts: CaseFacts;
  access: CaseAccess;
}

const MAX_ATTEMPTS = 4;

/** A rider may report into any open case within this distance of their report (the largest radius offered). */
const MAX_OFFER_DISTANCE_M = 500;

const hashRequest = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex');

export class CaseService {
  constructor(private readonly ctx: ServiceContext) {}

  // ---- report ---------------------------------------------------------------------------------

  /**
   * Create a case from a report. With an idempotency key, a retry returns the first case. A case created
   * here comes back with what was written (`created`), so the answer needs no second look at the database.
   */
  async report(principal: Principal, input: ReportInput, idempotencyKey?: string, newMedia: MediaRecord[] = []): Promise<{ caseId: string; replayed: boolean; created?: CreatedCase }> {
    const requestHash = hashRequest(input);
    if (idempotencyKey) {
      const replay = await this.replay(principal, idempotencyKey, requestHash);
      if (replay) return { caseId: replay, replayed: true };
    }
    try {
      // Media sent with the report (a form's files, already in the store) are recorded with it, or not at all.
      const create = async (repos: Repos) => {
        if (newMedia.length > 0) await repos.media.insertMany(newMedia);
        return this.createCase(repos, principal, input, idempotencyKey, requestHash);
      };
      // Where the report's writes are one statement (PostgreSQL), that statement is its transaction; folding
      // it into a master (duplicateOf) writes more, so it takes a transaction of its own.
      const direct = this.ctx.uow.autocommit;
      const created = direct.cases.insertNewIsOneStatement && !input.duplicateOf && newMedia.length === 0 ? await create(direct) : await this.ctx.sharedTransaction(create);
      return { caseId: created.record.id, replayed: false, created };
    } catch (error) {
      // Two retries raced: the loser returns the winner's case.
      if (idempotencyKey && this.ctx.uow.failure(error) === 'duplicate') {
        const replay = await this.replay(principal, idempotencyKey, requestHash);
        if (replay) return { caseId: replay, replayed: true };
      }
      throw error;
    }
  }

  /**
   * The answer to a report, as `get` would give it. A rider's new report is built from the rows just
   * written (the same reporter view, read from nothing); a replay, a report folded into a master at once
   * (its view follows the master) and a report by staff are read like any case.
   */
  async reportView(principal: Principal, result: { caseId: string; created?: CreatedCase }, locale: Locale): Promise<CaseView | ReporterCaseView> {
    const created = result.created;
    if (!created || created.merged) return this.get(principal, result.caseId, locale);
    const [router, reference] = await Promise.all([this.ctx.routing(), this.ctx.reference()]);
    const { record, category, clocks } = created;
    const { facts, access } = deriveFacts(record, category, router, principal, clocks, this.ctx.now());
    if (access !== 'reporter') return this.get(principal, result.caseId, locale);
    const lookups: Lookups = { router, categories: reference.categoryById, departments: reference.departmentById, users: new Map(), locale };
    const view = reporterView(record, facts, created.events, principal, lookups);
    return { ...view, evidence: evidenceView(created.links, created.media, 'reporter', principal) };
  }

  private async createCase(repos: Repos, principal: Principal, input: ReportInput, idempotencyKey: string | undefined, requestHash: string): Promise<CreatedCase> {
    const [router, calendar, reference] = await Promise.all([this.ctx.routing(), this.ctx.workingCalendar(), this.ctx.reference()]);
    const category = await this.activeCategory(repos, input.categoryId);
    const { point: original, coordSys } = checkPoint(input.lat, input.lon, input.coordSys ?? 'wgs84');
    const point = toWgs84(original, coordSys);
    const description = input.description.trim();
    if (!description) throw invalid('description', 'Describe the problem in a few words.', 'description_required');
    if (input.urgency && !URGENCIES.includes(input.urgency)) throw invalid('urgency', `urgency must be one of ${URGENCIES.join(', ')}.`);
    if (input.channel && !CHANNELS.includes(input.channel)) throw invalid('channel', `channel must be one of ${CHANNELS.join(', ')}.`);
    const media = await this.checkMedia(repos, principal, input.media ?? []);
    const mediaIds = media.map((m) => m.id);
    if (category.reportMediaRequired && media.length === 0) {
      throw invalid('media', 'Attach a photo or video of the problem: this category needs evidence.', 'media_required');
    }
    const master = input.duplicateOf ? await this.openMaster(repos, principal, input.duplicateOf, 'duplicateOf', point) : undefined;

    const placement = place(router, point, principal.user.jurisdictionId, this.ctx.borderDistanceM);
    const routed = routeIn(reference, category, router.chain(placement.jurisdictionId));
    const now = this.ctx.now();
    const nowIso = now.toISOString();
    const id = newId(now.getTime());
    const urgency = input.urgency ?? category.defaultUrgency;
    const cell = cellOf(point.lat, point.lon);
    const clocks = planClocks({ caseId: id, reportedAt: now, urgency, sla: category.sla, calendar, now }, { start: ['accept', 'dispatch'] }, []);
    const event = (seq: number, action: string, data: Record<string, unknown>, extra: Partial<NewEvent> = {}): CaseEventTable =>
      eventRow({ caseId: id, seq, action, at: nowIso, fromStatus: 'reported', toStatus: 'reported', data, clocks: clocks.snapshot, ...extra });
    // Everything the reporter submitted, exactly as submitted.
    const events = [
      event(1, 'report', { submitted: input, routedDepartmentId: routed?.id ?? null, placement }, {
        actorId: principal.user.id,
        actorRole: principal.actor.role,
        fromStatus: null,
        note: description,
        evidence: mediaIds,
      }),
    ];
    if (placement.referredTo) {
      // 转办: the point lies in another subdistrict; its command centre takes it, the reporter keeps credit.
      events.push(event(2, 'refer', { jurisdictionId: placement.referredTo, automatic: true, fromJurisdictionId: placement.originJurisdictionId }));
    }
    const attached: AttachFacts = { role: 'before', lat: point.lat, lon: point.lon, reportedAt: nowIso, at: nowIso };
    const links: MediaLink[] = media.map((m) => ({ mediaId: m.id, caseId: id, eventSeq: 1, role: 'before', flags: evidenceFlags(m, attached, this.ctx.evidence), createdAt: nowIso }));
    const row: Omit<CaseTable, 'ref'> = {
      id,
      status: 'reported',
      category_id: category.id,
      urgency,
      description,
      lat: point.lat,
      lon: point.lon,
      orig_lat: original.lat,
      orig_lon: original.lon,
      orig_coord_sys: coordSys,
      address: input.address?.trim() || null,
      grid_id: placement.gridId,
      jurisdiction_id: placement.jurisdictionId,
      origin_jurisdiction_id: placement.originJurisdictionId,
      routed_department_id: routed?.id ?? null,
      department_id: null,
      assisting_department_ids: '[]',
      assignee_id: null,
      reporter_id: principal.user.id,
      channel: input.channel ?? 'app',
      media_ids: toJson(mediaIds),
      closure_type: null,
      rating_score: null,
      rating_unit_at_fault: null,
      pending_extension: null,
      reported_at: nowIso,
      updated_at: nowIso,
      closed_at: null,
      // The row is the projection of its events: its version is the last event's number.
      version: events.length,
      near_border: placement.nearBorder ? 1 : 0,
      border_unit_ids: toJson(placement.borderUnitIds),
      outside_area: placement.outsideArea ? 1 : 0,
      suggested_jurisdiction_id: placement.suggestedJurisdictionId,
      master_case_id: null,
      cy: cell.cy,
      cx: cell.cx,
    };
    // The case, its reference, cell counts, clocks, events, evidence and key: one statement on PostgreSQL.
    const ref = await repos.cases.insertNew({
      row,
      refDay: nowIso.slice(0, 10).replace(/-/g, ''),
      cells: { lat: point.lat, lon: point.lon, unitId: handlingUnit(router, placement.jurisdictionId), originUnitId: handlingUnit(router, placement.originJurisdictionId), status: 'reported', categoryId: category.id },
      clocks: clocks.inserts.map(fromClock),
      events,
      links: links.map((l) => ({ media_id: l.mediaId, case_id: l.caseId, event_seq: l.eventSeq, role: l.role, flags: toJson(l.flags), created_at: l.createdAt })),
      idempotency: idempotencyKey ? { scope: principal.user.id, key: idempotencyKey, request_hash: requestHash, case_id: id, created_at: nowIso } : undefined,
    });
    if (master) {
      // The reporter said "it is one of these": their report folds into the master at once. Merging is a
      // command-centre action; here it is the reporter's own choice about their own new report.
      const created = await this.load(repos, principal, id, router);
      const input = { masterCaseId: master.id };
      const transition: Transition = { action: 'merge', from: created.record.status, ...RULES.merge.apply(created.facts, input, principal.actor) };
      await this.store(repos, principal, created, transition, input, router);
    }
    return { record: toCase({ ...row, ref }), category, clocks: clocks.inserts, events: events.map(toEvent), links, media, merged: master !== undefined };
  }

  /** The case a key already created or acted on with this same request; throws when it did a different one. */
  private async replay(principal: Principal, key: string, requestHash: string): Promise<string | undefined> {
    const saved = await this.ctx.uow.autocommit.cases.idempotencyKey(principal.user.id, key);
    if (saved && saved.requestHash !== requestHash) {
      throw conflict('idempotency_key_reused', 'This Idempotency-Key was already used for a different request. Use a new key for a new request.');
    }
    return saved?.caseId;
  }

  /** From the context's cache of reference data, not the database: categories change only with invalidate(). */
  private async activeCategory(_repos: Repos, id: string): Promise<Category> {
    const category = (await this.ctx.reference()).categoryById.get(id);
    if (!category || !category.active) throw invalid('categoryId', `There is no active category with id ${id}.`, 'category_not_found');
    return category;
  }

  /** Media must exist, be few enough, and have been uploaded by the one who attaches them. */
  private async checkMedia(repos: Repos, principal: Principal, ids: string[]): Promise<MediaRecord[]> {
    const unique = [...new Set(ids)];
    const { maxFiles } = this.ctx.evidence;
    if (unique.length > maxFiles) throw tooManyMedia(maxFiles, unique.length);
    const found = new Map((await repos.media.findMany(unique)).map((m) => [m.id, m]));
    return unique.map((id) => {
      const media = found.get(id);
      if (!media) throw invalid('media', `No uploaded media with id ${id}. Upload it first with POST /api/v1/media.`, 'media_not_found');
      if (media.uploadedBy !== principal.user.id) throw invalid('media', `Media ${id} was uploaded by someone else.`, 'media_not_yours');
      return media;
    });
  }

  // ---- actions --------------------------------------------------------------------------------

  /** Take an action on a case. Concurrent changes are retried against the fresh state. */
  async act(principal: Principal, caseId: string, action: Action, input: ActionInput, idempotencyKey?: string): Promise<{ replayed: boolean }> {
    const requestHash = hashRequest({ caseId, action, input });
    if (idempotencyKey && (await this.replay(principal, idempotencyKey, requestHash))) return { replayed: true };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.ctx.transaction(async (repos) => {
          const applied = await this.applyAction(repos, principal, caseId, action, input);
          if (!applied) throw new RetryableConflict();
          if (idempotencyKey) await repos.cases.saveIdempotencyKey(principal.user.id, idempotencyKey, requestHash, caseId, this.ctx.now().toISOString());
        });
        return { replayed: false };
      } catch (error) {
        // A retry of the same request that raced us and won: whatever we tripped over, it already happened.
        if (idempotencyKey && (await this.replay(principal, idempotencyKey, requestHash))) return { replayed: true };
        const retry = error instanceof RetryableConflict || this.ctx.uow.failure(error) !== undefined;
        if (retry && attempt < MAX_ATTEMPTS) continue;
        if (retry) throw conflict('case_changed', 'The case was changed by someone else at the same moment. Reload it and try again.');
        throw error;
      }
    }
  }

  /** Load, decide, store. Returns false when the case changed under us (the caller retries). */
  private async applyAction(repos: Repos, principal: Principal, caseId: string, action: Action, input: ActionInput): Promise<boolean> {
    const router = await this.ctx.routing();
    const loaded = await this.load(repos, principal, caseId, router);
    if (loaded.access === 'none') throw notFound('case', caseId);
    if (!(await this.checkAgainstHistory(repos, loaded.record))) return false;
    const media = await this.checkActionInput(repos, principal, loaded, action, input, router);
    const transition = decide(action, loaded.facts, input, principal.actor);
    return this.store(repos, principal, loaded, transition, input, router, media);
  }

  /** Write a decided transition: the case row (under its version), map cells, clocks and the event. */
  private async store(repos: Repos, principal: Principal, loaded: LoadedCase, transition: Transition, input: ActionInput, router: Router, media: MediaRecord[] = []): Promise<boolean> {
    const now = this.ctx.now();
    const nowIso = now.toISOString();
    const { record } = loaded;
    const changes = await this.columnChanges(repos, transition, record, loaded.category, router, nowIso);
    const stored = await repos.cases.update(record.id, record.version, { ...changes, status: transition.to, updated_at: nowIso });
    if (!stored) return false;

    const categoryId = changes.category_id ?? record.categoryId;
    const unitBefore = handlingUnit(router, record.jurisdictionId);
    const unitAfter = handlingUnit(router, changes.jurisdiction_id ?? record.jurisdictionId);
    if (transition.to !== record.status || categoryId !== record.categoryId || unitAfter !== unitBefore) {
      const originUnitId = handlingUnit(router, record.originJurisdictionId);
      await repos.cases.adjustCells({ lat: record.lat, lon: record.lon, unitId: unitBefore, originUnitId, status: record.status, categoryId: record.categoryId }, -1);
      await repos.cases.adjustCells({ lat: record.lat, lon: record.lon, unitId: unitAfter, originUnitId, status: transition.to, categoryId }, 1);
    }
    const category = categoryId !== record.categoryId ? await this.activeCategory(repos, categoryId) : loaded.category;
    const urgency = changes.urgency ?? record.urgency;
    const calendar = await this.ctx.workingCalendar();
    const clocks = await applyClocks(
      repos.cases,
      { caseId: record.id, reportedAt: new Date(record.reportedAt), urgency, sla: category.sla, calendar, now },
      transition.clocks,
    );
    await repos.cases.appendEvent({
      caseId: record.id,
      seq: record.version + 1,
      action: transition.action,
      actorId: principal.user.id,
      actorRole: principal.actor.role,
      at: nowIso,
      fromStatus: transition.from,
      toStatus: transition.to,
      note: input.note?.trim() || input.reason?.trim() || input.comment?.trim() || null,
      data: {
        ...eventData(transition.action, input, transition),
        // The reporter is told which case theirs now follows, by its reference.
        ...(transition.changes.masterCaseId ? { masterRef: (await repos.cases.find(transition.changes.masterCaseId))?.ref } : {}),
      },
      evidence: input.media ?? [],
      clocks,
    });
    const attached = { caseId: record.id, seq: record.version + 1, role: transition.action === 'resolve' ? ('after' as const) : ('other' as const) };
    await this.linkEvidence(repos, { ...attached, lat: record.lat, lon: record.lon, reportedAt: record.reportedAt, at: nowIso }, media);
    return true;
  }

  /** Link an event's media to the case (for access and the before/after view), with what their capture metadata says. */
  private async linkEvidence(repos: Repos, at: AttachFacts & { caseId: string; seq: number }, media: MediaRecord[]): Promise<void> {
    await repos.media.link(
      media.map((m) => ({ mediaId: m.id, caseId: at.caseId, eventSeq: at.seq, role: at.role, flags: evidenceFlags(m, at, this.ctx.evidence), createdAt: at.at })),
    );
  }

  /**
   * A master case to merge into: it exists, it is still open and unmerged, and the actor may see it —
   * or, for a rider reporting into a case they were offered, it lies near their own report.
   */
  private async openMaster(repos: Repos, principal: Principal, masterId: string, field: string, near?: LatLon): Promise<CaseRecord> {
    const master = await repos.cases.find(masterId);
    const offered = master !== undefined && near !== undefined && distanceM([near.lon, near.lat], [master.lon, master.lat]) <= MAX_OFFER_DISTANCE_M;
    if (!master || (!offered && (await this.load(repos, principal, masterId)).access === 'none')) {
      throw invalid(field, `There is no case with id ${masterId} that you can see.`, 'master_not_found');
    }
    if (['closed', 'rejected', 'merged'].includes(master.status)) {
      throw conflict('master_not_open', `Case ${master.ref} is ${master.status}; merge only into an open case.`, { status: master.status });
    }
    return master;
  }

  /**
   * The case row is a projection of its events: the newest event must carry the row's status and
   * version. A mismatch means something wrote around the event log; refuse to build on it.
   */
  private async checkAgainstHistory(repos: Repos, record: CaseRecord): Promise<boolean> {
    const last = await repos.cases.lastEvent(record.id);
    // A newer event than the row we read: someone committed in between. Not corruption; retry.
    if (last && last.seq > record.version) return false;
    if (!last || last.toStatus !== record.status || last.seq !== record.version) {
      throw new DomainError('unavailable', 'history_mismatch', `Case ${record.ref} does not agree with its event history; it has been left unchanged. Contact an administrator.`, {
        status: record.status,
        lastEvent: last ?? null,
      });
    }
    return true;
  }

  /**
   * Checks the pure state machine cannot do: ids exist, units and departments are within the actor's
   * reach (anything that would move a case out of it goes through referral), media are the actor's.
   * Returns the media the action attaches.
   */
  private async checkActionInput(repos: Repos, principal: Principal, loaded: LoadedCase, action: Action, input: ActionInput, router: Router): Promise<MediaRecord[]> {
    const scope = principal.actor.jurisdictionPath;
    // A department serves the actor's area when it sits inside it (a community office) or above it (a
    // district bureau); another subdistrict's department would take the case out of the actor's hands.
    const department = async (id: string, field: string) => {
      const found = await repos.reference.department(id);
      if (!found) throw invalid(field, `There is no department with id ${id}.`, 'department_not_found');
      const path = router.unit(found.jurisdictionId)?.path ?? `/${found.jurisdictionId}`;
      if (!isWithin(path, scope) && !(scope !== null && isWithin(scope, path))) {
        throw forbidden('out_of_scope', `${found.names.zh} belongs to another jurisdiction: refer the case to its subdistrict instead.`, { action, field });
      }
      return found;
    };
    const leadId = input.departmentId ?? (action === 'dispatch' ? loaded.record.routedDepartmentId : undefined);
    if (input.departmentId !== undefined && (action === 'dispatch' || action === 'record-decision')) await department(input.departmentId, 'departmentId');
    const assisting = input.assistingDepartmentIds ?? [];
    if (new Set(assisting).size !== assisting.length) throw invalid('assistingDepartmentIds', 'Name each assisting department once.', 'duplicate_department');
    if (leadId && assisting.includes(leadId)) throw invalid('assistingDepartmentIds', 'The lead department cannot also assist; name it only as the lead.', 'lead_department_assisting');
    for (const id of assisting) await department(id, 'assistingDepartmentIds');
    if (input.categoryId !== undefined) await this.activeCategory(repos, input.categoryId);
    if (input.urgency !== undefined && !URGENCIES.includes(input.urgency)) throw invalid('urgency', `urgency must be one of ${URGENCIES.join(', ')}.`);
    if (input.gridId !== undefined) {
      const grid = router.unit(input.gridId);
      if (!grid || grid.level !== 'grid') throw invalid('gridId', `There is no grid with id ${input.gridId}.`, 'grid_not_found');
      // Filing or rerouting into another subdistrict's grid would hand the case over without a referral.
      if (!isWithin(grid.path, scope)) {
        throw forbidden('out_of_scope', 'That grid is outside your jurisdiction: refer the case to its subdistrict instead.', { action, field: 'gridId' });
      }
    }
    if (action === 'merge' && input.masterCaseId !== undefined) {
      if (input.masterCaseId === loaded.record.id) throw invalid('masterCaseId', 'A case cannot be merged into itself.', 'merge_into_self');
      await this.openMaster(repos, principal, input.masterCaseId, 'masterCaseId');
      // Its own duplicates would be left following a merged case: they must move first.
      const held = await repos.cases.mergedInto(loaded.record.id);
      if (held.length > 0) {
        throw conflict('merge_master_with_duplicates', `Case ${loaded.record.ref} holds ${held.length} merged report(s); merge the other case into this one, or unmerge them first.`, { duplicates: held.map((c) => c.ref) });
      }
    }
    if (action === 'refer' && input.jurisdictionId !== undefined) {
      const target = router.unit(input.jurisdictionId);
      if (!target || target.level !== 'subdistrict') {
        throw invalid('jurisdictionId', 'Refer a case to a subdistrict (街道) Gridline knows.', 'jurisdiction_not_found');
      }
      if (router.chain(loaded.record.jurisdictionId).some((u) => u.id === target.id)) {
        throw invalid('jurisdictionId', 'The case is already in that subdistrict.', 'same_jurisdiction');
      }
    }
    const media = await this.checkMedia(repos, principal, input.media ?? []);
    if (media.length > 0 && action === 'resolve' && loaded.facts.resolvePhotoRequired && !media.some((m) => m.kind === 'photo')) {
      throw invalid('media', 'This category needs an after-photo: attach a photo of the fixed problem.', 'after_photo_required');
    }
    return media;
  }

  private async columnChanges(repos: Repos, t: Transition, record: CaseRecord, category: Category, router: Router, nowIso: string): Promise<Partial<CaseTable>> {
    const c = t.changes;
    const out: Partial<CaseTable> = {};
    if (c.departmentId !== undefined) out.department_id = c.departmentId;
    if (c.assistingDepartmentIds !== undefined) out.assisting_department_ids = toJson(c.assistingDepartmentIds);
    if (c.assigneeId !== undefined) out.assignee_id = c.assigneeId;
    if (c.urgency !== undefined) out.urgency = c.urgency;
    if (c.closureType !== undefined) out.closure_type = c.closureType;
    if (c.masterCaseId !== undefined) out.master_case_id = c.masterCaseId;
    if (c.pendingExtension !== undefined) out.pending_extension = c.pendingExtension ? toJson(c.pendingExtension) : null;
    if (c.rating !== undefined) {
      out.rating_score = c.rating?.score ?? null;
      out.rating_unit_at_fault = c.rating ? (c.rating.unitAtFault ? 1 : 0) : null;
    }
    if (c.gridId !== undefined) {
      out.grid_id = c.gridId;
      out.jurisdiction_id = c.gridId;
    }
    if (c.jurisdictionId !== undefined) out.jurisdiction_id = c.jurisdictionId;
    if (c.categoryId !== undefined) out.category_id = c.categoryId;
    // Re-route when what routing depends on changed.
    if (c.categoryId !== undefined || c.gridId !== undefined || c.jurisdictionId !== undefined) {
      const target = await this.activeCategory(repos, c.categoryId ?? record.categoryId);
      const unitId = out.jurisdiction_id ?? record.jurisdictionId;
      out.routed_department_id = routeIn(await this.ctx.reference(), target ?? category, router.chain(unitId))?.id ?? null;
    }
    if (t.to === 'closed' && t.from !== 'closed') out.closed_at = nowIso;
    if (t.from === 'closed' && t.to !== 'closed') out.closed_at = null;
    return out;
  }

  // ---- reads ----------------------------------------------------------------------------------

  /** Load a case with its category, the facts the state machine needs and the reader's access. */
  async load(repos: Repos, principal: Principal, caseId: string, router?: Router): Promise<LoadedCase> {
    const r = router ?? (await this.ctx.routing());
    const record = await repos.cases.find(caseId);
    if (!record) throw notFound('case', caseId);
    const category = (await this.ctx.reference()).categoryById.get(record.categoryId);
    if (!category) throw new DomainError('unavailable', 'category_missing', `Case ${caseId} names a category that no longer exists.`);
    const clocks = await repos.cases.clocks(caseId);
    const { facts, access } = deriveFacts(record, category, r, principal, clocks, this.ctx.now());
    if (record.status === 'merged') facts.statusBeforeMerge = (await repos.cases.lastEventOf(caseId, 'merge'))?.fromStatus ?? null;
    return { record, category, facts, access };
  }

  /** The list query's visibility for a reader: the access policy's case scope. */
  visibility(principal: Principal): CaseQuery['visibility'] {
    return caseScope(principal.actor);
  }

  /**
   * One case, if the reader may see it: staff get its clocks and full event history; its reporter gets
   * the plain-words view of their own reports (no staff names, no internal notes).
   */
  async get(principal: Principal, caseId: string, locale: Locale): Promise<CaseView | ReporterCaseView> {
    const repos = this.ctx.uow.autocommit;
    const loaded = await this.load(repos, principal, caseId);
    // A case the reader may not see does not exist for them: no hint that the id is real.
    if (loaded.access === 'none') throw notFound('case', caseId);
    if (loaded.access === 'reporter') return (await this.reporterViews(principal, [loaded.record], locale))[0]!;
    const [clocks, events] = await Promise.all([repos.cases.clocks(caseId), repos.cases.events(caseId)]);
    const userIds = [loaded.record.reporterId, loaded.record.assigneeId, ...events.map((e) => e.actorId)];
    const lookups = await this.lookups(userIds, locale);
    const links = await repos.media.linksOf([caseId]);
    const media = await repos.media.findMany([...new Set(links.map((l) => l.mediaId))]);
    const view = caseView(loaded.record, loaded.facts, loaded.access, clocks, principal, this.ctx.now(), lookups, events);
    return { ...view, evidence: evidenceView(links, media, loaded.access, principal) };
  }

  async listViews(principal: Principal, f: CaseListRequest, locale: Locale): Promise<Page<CaseView>> {
    const page = await this.list(principal, f);
    const ids = page.items.map((c) => c.id);
    const clocks = await this.ctx.uow.autocommit.cases.clocksFor(ids);
    const lookups = await this.lookups(page.items.flatMap((c) => [c.reporterId, c.assigneeId]), locale);
    const now = this.ctx.now();
    const items = page.items.map((record) => {
      const { facts, access } = this.factsFor(record, principal, lookups, clocks.filter((k) => k.caseId === record.id));
      return caseView(record, facts, access, clocks.filter((k) => k.caseId === record.id), principal, now, lookups);
    });
    return { ...page, items };
  }

  /** The reporter's own reports, newest first, each with its plain-words timeline. */
  async myReports(principal: Principal, pageNumber: number, size: number, locale: Locale): Promise<Page<ReporterCaseView>> {
    const { page, pageSize } = paging(pageNumber, size);
    const { items, total } = await this.ctx.uow.autocommit.cases.list({
      visibility: { kind: 'reporter', reporterId: principal.user.id },
      now: this.ctx.now().toISOString(),
      limit: pageSize,
      offset: (page - 1) * pageSize,
    });
    return { items: await this.reporterViews(principal, items, locale), total, page, pageSize };
  }

  /** Reporters' views of their own cases, each with its timeline and evidence; merged reports follow their master. */
  private async reporterViews(principal: Principal, items: CaseRecord[], locale: Locale): Promise<ReporterCaseView[]> {
    const repos = this.ctx.uow.autocommit;
    const ids = items.map((c) => c.id);
    const [events, clocks] = await Promise.all([repos.cases.eventsFor(ids), repos.cases.clocksFor(ids)]);
    const lookups = await this.lookups([], locale);
    const masterIds = [...new Set(items.map((c) => c.masterCaseId).filter((id): id is string => id !== null))];
    const [masters, masterEvents] = await Promise.all([Promise.all(masterIds.map((id) => repos.cases.find(id))), repos.cases.eventsFor(masterIds)]);
    const links = await repos.media.linksOf([...ids, ...masterIds]);
    const media = await repos.media.findMany([...new Set(links.map((l) => l.mediaId))]);
    const followed = (id: string | null) => {
      const record = masters.find((m) => m?.id === id);
      return record ? { record, events: masterEvents.filter((e) => e.caseId === record.id) } : undefined;
    };
    return items.map((record) => {
      const { facts } = this.factsFor(record, principal, lookups, clocks.filter((k) => k.caseId === record.id));
      const view = reporterView(record, facts, events.filter((e) => e.caseId === record.id), principal, lookups, followed(record.masterCaseId));
      // The result comes back to the rider: their photos beside the repair's (a merged report shows its master's repair).
      const own = links.filter((l) => l.caseId === record.id && l.role === 'before');
      const repair = links.filter((l) => l.caseId === (record.masterCaseId ?? record.id) && l.role === 'after');
      return { ...view, evidence: evidenceView([...own, ...repair], media, 'reporter', principal) };
    });
  }

  private async lookups(userIds: (string | null)[], locale: Locale): Promise<Lookups> {
    const repos = this.ctx.uow.autocommit;
    const ids = [...new Set(userIds.filter((id): id is string => id !== null))];
    const [router, reference, users] = await Promise.all([this.ctx.routing(), this.ctx.reference(), repos.users.findMany(ids)]);
    return { router, categories: reference.categoryById, departments: reference.departmentById, users: new Map(users.map((u) => [u.id, u])), locale };
  }

  /** Facts and access for a record already loaded in a batch. */
  private factsFor(record: CaseRecord, principal: Principal, l: Lookups, clocks: ClockRow[]): { facts: CaseFacts; access: CaseAccess } {
    return deriveFacts(record, l.categories.get(record.categoryId)!, l.router, principal, clocks, this.ctx.now());
  }

  async list(principal: Principal, request: CaseListRequest): Promise<{ items: CaseRecord[]; total: number; page: number; pageSize: number }> {
    const { page: pageNumber, pageSize: size, ...filters } = request;
    const { page, pageSize } = paging(pageNumber, size);
    const { items, total } = await this.ctx.uow.autocommit.cases.list({
      ...filters,
      visibility: this.visibility(principal),
      now: this.ctx.now().toISOString(),
      limit: pageSize,
      offset: (page - 1) * pageSize,
    });
    return { items, total, page, pageSize };
  }
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

class RetryableConflict extends Error {}

/** The unit whose map a case counts on: the subdistrict handling it (or its unit, above that level). */
export function handlingUnit(router: Router, jurisdictionId: string): string {
  return router.ancestorAt(jurisdictionId, 'subdistrict')?.id ?? jurisdictionId;
}

/** What the state machine and the access rules need to know of a case. */
function deriveFacts(record: CaseRecord, category: Category, router: Router, principal: Principal, clocks: ClockRow[], now: Date): { facts: CaseFacts; access: CaseAccess } {
  const path = (id: string) => router.unit(id)?.path ?? `/${id}`;
  const resolve = clocks.find((k) => k.stage === 'resolve' && k.completedAt === null);
  const facts: CaseFacts = {
    status: record.status,
    reporterId: record.reporterId,
    departmentId: record.departmentId,
    routedDepartmentId: record.routedDepartmentId,
    jurisdictionPath: path(record.jurisdictionId),
    foodSafety: category.foodSafety,
    resolvePhotoRequired: category.resolvePhotoRequired,
    pendingExtension: record.pendingExtension,
    rating: record.rating,
    resolveDueAt: resolve ? new Date(resolve.dueAt) : null,
    now,
  };
  const access = caseAccess(principal.actor, {
    reporterId: record.reporterId,
    departmentId: record.departmentId,
    assistingDepartmentIds: record.assistingDepartmentIds,
    foodSafety: category.foodSafety,
    jurisdictionPath: facts.jurisdictionPath,
    originJurisdictionPath: path(record.originJurisdictionId),
  });
  return { facts, access };
}

/** Page numbers are whole numbers from 1; pages hold 1-100 cases. */
function paging(page = 1, pageSize = 20): { page: number; pageSize: number } {
  if (!Number.isSafeInteger(page) || page < 1 || page > 1_000_000) throw invalid('page', 'page must be a whole number from 1 to 1000000.');
  if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > 100) throw invalid('pageSize', 'pageSize must be a whole number from 1 to 100.');
  return { page, pageSize };
}

/** What an event records of an action: its meaningful fields, nothing the caller did not send. */
function eventData(action: Action, input: ActionInput, t: Transition): Record<string, unknown> {
  const data: Record<string, unknown> = { ...input };
  delete data.note;
  delete data.media;
  if (t.changes.departmentId) data.departmentId = t.changes.departmentId;
  if (t.clocks.extend) data.extendMinutes = t.clocks.extend.minutes;
  if (action === 'approve-extension' || action === 'deny-extension') data.decision = action === 'approve-extension' ? 'approved' : 'denied';
  return data;
}

