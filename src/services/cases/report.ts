// Reporting a problem: a case created from a report (its reference, placement, routing, clocks, first
// events and evidence, written at once; already dispatched when an auto-dispatch rule matches), a retry
// with the same idempotency key answered with the first case, and the report's answer built from the rows
// just written.

import { invalid } from '../../domain/errors.js';
import { evidenceFlags, type AttachFacts } from '../../domain/evidence.js';
import { CHANNELS, URGENCIES, type Channel, type Urgency } from '../../domain/types.js';
import { RULES, automaticDispatch, type CaseChanges, type CaseFacts, type Transition } from '../../domain/workflow.js';
import type { CaseRecord, Category, ClockRow, EventAction, EventRecord, MediaLink, MediaRecord, NewEvent } from '../../domain/records.js';
import { newId } from '../../domain/ids.js';
import type { Stores } from '../../ports.js';
import { planClocks } from '../clocks.js';
import type { Principal, ServiceContext } from '../context.js';
import { routeIn } from '../routing.js';
import { place } from '../placement.js';
import { checkPoint, toWgs84, type CoordSys } from '../../geo/coords.js';
import { evidenceView, reporterView, type CaseView, type Lookups, type ReporterCaseView } from '../case.views.js';
import type { Locale } from '../../domain/wording.js';
import type { DispatchRuleService, RuleBook } from '../dispatch-rules.service.js';
import type { ActionService } from './act.js';
import type { CaseQueryService } from './queries.js';
import { deriveFacts, handlingUnit, hashRequest, type CaseLoader } from './shared.js';

export interface ReportInput {
  categoryId: string;
  /** The reporter's words; may be left out when a photo, video or voice note says it. */
  description?: string;
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

export class ReportService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly loader: CaseLoader,
    /** A report folded into a master at once is stored as the merge action stores it. */
    private readonly actions: ActionService,
    /** A report's answer, when it is not built from the rows just written, is read like any case. */
    private readonly queries: CaseQueryService,
    /** 自动派单: a report a rule matches is written already dispatched. */
    private readonly dispatchRules: DispatchRuleService,
  ) {}

  /**
   * Create a case from a report. With an idempotency key, a retry returns the first case. A case created
   * here comes back with what was written (`created`), so the answer needs no second look at the database.
   */
  async report(principal: Principal, input: ReportInput, idempotencyKey?: string, newMedia: MediaRecord[] = []): Promise<{ caseId: string; replayed: boolean; created?: CreatedCase }> {
    const requestHash = hashRequest(input);
    if (idempotencyKey) {
      const replay = await this.loader.replay(principal, idempotencyKey, requestHash);
      if (replay) return { caseId: replay, replayed: true };
    }
    try {
      // The auto-dispatch rules from memory, read before any transaction (on SQLite it holds the only connection).
      const rules = await this.dispatchRules.book();
      // Media sent with the report (a form's files, already in the store) are recorded with it, or not at all.
      const create = async (repos: Stores) => {
        if (newMedia.length > 0) await repos.media.insertMany(newMedia);
        return this.createCase(repos, principal, input, idempotencyKey, requestHash, rules);
      };
      // Where the report's writes are one statement (PostgreSQL), that statement is its transaction; folding
      // it into a master (duplicateOf) writes more, so it takes a transaction of its own.
      const direct = this.ctx.uow.autocommit;
      const created = direct.cases.insertNewIsOneStatement && !input.duplicateOf && newMedia.length === 0 ? await create(direct) : await this.ctx.sharedTransaction(create);
      this.ctx.signals.send('outbox');
      return { caseId: created.record.id, replayed: false, created };
    } catch (error) {
      // Two retries raced: the loser returns the winner's case.
      if (idempotencyKey && this.ctx.uow.failure(error) === 'duplicate') {
        const replay = await this.loader.replay(principal, idempotencyKey, requestHash);
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
    if (!created || created.merged) return this.queries.get(principal, result.caseId, locale);
    const [router, reference] = await Promise.all([this.ctx.routing(), this.ctx.reference()]);
    const { record, category, clocks } = created;
    const { facts, access } = deriveFacts(record, category, router, principal, clocks, this.ctx.now());
    if (access !== 'reporter') return this.queries.get(principal, result.caseId, locale);
    const lookups: Lookups = { router, categories: reference.categoryById, departments: reference.departmentById, users: new Map(), locale };
    const view = reporterView(record, facts, created.events, principal, lookups);
    return { ...view, evidence: evidenceView(created.links, created.media, 'reporter', principal) };
  }

  private async createCase(repos: Stores, principal: Principal, input: ReportInput, idempotencyKey: string | undefined, requestHash: string, rules: RuleBook): Promise<CreatedCase> {
    const [router, calendar, reference] = await Promise.all([this.ctx.routing(), this.ctx.workingCalendar(), this.ctx.reference()]);
    const category = await this.loader.activeCategory(repos, input.categoryId);
    const { point: original, coordSys } = checkPoint(input.lat, input.lon, input.coordSys ?? 'wgs84');
    const point = toWgs84(original, coordSys);
    const description = (input.description ?? '').trim();
    if (input.urgency && !URGENCIES.includes(input.urgency)) throw invalid('urgency', `urgency must be one of ${URGENCIES.join(', ')}.`);
    if (input.channel && !CHANNELS.includes(input.channel)) throw invalid('channel', `channel must be one of ${CHANNELS.join(', ')}.`);
    const media = await this.loader.checkMedia(repos, principal, input.media ?? []);
    const mediaIds = media.map((m) => m.id);
    if (category.reportMediaRequired && media.length === 0) {
      throw invalid('media', 'Attach a photo or video of the problem: this category needs evidence.', 'media_required');
    }
    // Many riders would rather show or say it than type it: words, or a photo, video or voice note.
    if (!description && media.length === 0) throw invalid('description', 'Describe the problem in a few words, or attach a photo, video or voice note.', 'description_required');
    const master = input.duplicateOf ? await this.loader.openMaster(repos, principal, input.duplicateOf, 'duplicateOf', point) : undefined;

    const placement = place(router, point, principal.user.jurisdictionId, this.ctx.borderDistanceM);
    const routed = routeIn(reference, category, router.chain(placement.jurisdictionId));
    const now = this.ctx.now();
    const nowIso = now.toISOString();
    const id = newId(now.getTime());
    const urgency = input.urgency ?? category.defaultUrgency;
    const clockContext = { caseId: id, reportedAt: now, urgency, sla: category.sla, calendar, now };
    const clocks = planClocks(clockContext, { start: ['accept', 'dispatch'] }, []);
    const event = (seq: number, action: EventAction, data: Record<string, unknown>, extra: Partial<NewEvent> = {}): NewEvent =>
      ({ caseId: id, seq, action, at: nowIso, fromStatus: 'reported', toStatus: 'reported', data, clocks: clocks.snapshot, ...extra });
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
    // 自动派单: a rule for the category where the report lies (and its urgency) sends it straight to its
    // department: the system accepts, files and dispatches it in this same write, each step as its action's
    // rule decides it. Not for a report referred to another subdistrict, outside every unit, or folded
    // into a master: those are for a person to look at.
    const rule = placement.referredTo || placement.outsideArea || master ? undefined : rules.match(category.id, urgency, router.chain(placement.jurisdictionId));
    let status: CaseRecord['status'] = 'reported';
    let changes: CaseChanges = {};
    let clockRows = clocks.inserts;
    if (rule) {
      const facts: CaseFacts = {
        status,
        reporterId: principal.user.id,
        departmentId: null,
        routedDepartmentId: routed?.id ?? null,
        jurisdictionPath: router.unit(placement.jurisdictionId)?.path ?? `/${placement.jurisdictionId}`,
        foodSafety: category.foodSafety,
        resolvePhotoRequired: category.resolvePhotoRequired,
        pendingExtension: null,
        rating: null,
        resolveDueAt: null,
        now,
      };
      for (const t of automaticDispatch(facts, rule.departmentId)) {
        const plan = planClocks(clockContext, t.clocks, clockRows);
        clockRows = [...clockRows.map((c) => plan.updates.find((u) => u.id === c.id) ?? c), ...plan.inserts];
        const data = { ...(t.changes.departmentId ? { departmentId: t.changes.departmentId } : {}), automatic: true, ruleId: rule.id };
        events.push(event(events.length + 1, t.action, data, { fromStatus: t.from, toStatus: t.to, clocks: plan.snapshot }));
        status = t.to;
        changes = { ...changes, ...t.changes };
      }
    }
    const attached: AttachFacts = { role: 'before', lat: point.lat, lon: point.lon, reportedAt: nowIso, at: nowIso };
    const links: MediaLink[] = media.map((m) => ({ mediaId: m.id, caseId: id, eventSeq: 1, role: 'before', flags: evidenceFlags(m, attached, this.ctx.evidence), createdAt: nowIso }));
    const record: Omit<CaseRecord, 'ref'> = {
      id,
      status,
      categoryId: category.id,
      urgency,
      description,
      lat: point.lat,
      lon: point.lon,
      original: { lat: original.lat, lon: original.lon, coordSys },
      address: input.address?.trim() || null,
      gridId: placement.gridId,
      jurisdictionId: placement.jurisdictionId,
      originJurisdictionId: placement.originJurisdictionId,
      routedDepartmentId: routed?.id ?? null,
      departmentId: null,
      assistingDepartmentIds: [],
      assigneeId: null,
      reporterId: principal.user.id,
      channel: input.channel ?? 'app',
      mediaIds,
      closureType: null,
      rating: null,
      pendingExtension: null,
      reportedAt: nowIso,
      updatedAt: nowIso,
      closedAt: null,
      // The case is the projection of its events: its version is the last event's number.
      version: events.length,
      nearBorder: placement.nearBorder,
      borderUnitIds: placement.borderUnitIds,
      outsideArea: placement.outsideArea,
      suggestedJurisdictionId: placement.suggestedJurisdictionId,
      masterCaseId: null,
      // What the automatic dispatch changed (the department).
      ...changes,
    };
    // The case, its reference, cell counts, clocks, events, evidence and key: one statement on PostgreSQL.
    const stored = await repos.cases.insertNew({
      record,
      cells: { lat: point.lat, lon: point.lon, unitId: handlingUnit(router, placement.jurisdictionId), originUnitId: handlingUnit(router, placement.originJurisdictionId), status, categoryId: category.id },
      clocks: clockRows,
      events,
      links,
      idempotency: idempotencyKey ? { scope: principal.user.id, key: idempotencyKey, requestHash, caseId: id, createdAt: nowIso } : undefined,
    });
    if (master) {
      // The reporter said "it is one of these": their report folds into the master at once. Merging is a
      // command-centre action; here it is the reporter's own choice about their own new report.
      const created = await this.loader.load(repos, principal, id, router);
      const input = { masterCaseId: master.id };
      const transition: Transition = { action: 'merge', from: created.record.status, ...RULES.merge.apply(created.facts, input, principal.actor) };
      await this.actions.store(repos, principal, created, transition, input, router);
    }
    return { record: stored.record, category, clocks: clockRows, events: stored.events, links, media, merged: master !== undefined };
  }
}
