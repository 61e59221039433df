// Workflow actions on a case: load it, check it against its history and the input against the actor's
// reach, let the domain decide, and store the transition (the row under its version, map cells, clocks,
// the event and its evidence) in one unit of work; concurrent changes are retried against the fresh state.

import { DomainError, conflict, forbidden, invalid, notFound } from '../../domain/errors.js';
import { evidenceFlags, type AttachFacts } from '../../domain/evidence.js';
import { URGENCIES } from '../../domain/types.js';
import { compositeSteps, decide, isComposite, isWithin, type Action, type ActionInput, type CompositeAction, type RequestedAction, type Transition } from '../../domain/workflow.js';
import type { Router } from '../../geo/router.js';
import type { CaseUpdate, CaseRecord, Category, MediaRecord } from '../../domain/records.js';
import type { Stores } from '../../ports.js';
import { applyClocks } from '../clocks.js';
import { awardForVerification } from '../points.service.js';
import type { Principal, ServiceContext } from '../context.js';
import { routeIn } from '../routing.js';
import { handlingUnit, hashRequest, type CaseLoader, type LoadedCase } from './shared.js';

const MAX_ATTEMPTS = 4;

export class ActionService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly loader: CaseLoader,
  ) {}

  /**
   * Take an action on a case, or a composite of several (直派: accept, file, dispatch), all in one
   * transaction. Concurrent changes are retried against the fresh state.
   */
  async act(principal: Principal, caseId: string, action: RequestedAction, input: ActionInput, idempotencyKey?: string): Promise<{ replayed: boolean }> {
    const requestHash = hashRequest({ caseId, action, input });
    if (idempotencyKey && (await this.loader.replay(principal, idempotencyKey, requestHash))) return { replayed: true };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.ctx.transaction(async (repos) => {
          const applied = isComposite(action) ? await this.applyComposite(repos, principal, caseId, action, input) : await this.applyAction(repos, principal, caseId, action, input);
          if (!applied) throw new RetryableConflict();
          if (idempotencyKey) await repos.cases.saveIdempotencyKey({ scope: principal.user.id, key: idempotencyKey, requestHash, caseId, createdAt: this.ctx.now().toISOString() });
        });
        this.ctx.signals.send('outbox');
        return { replayed: false };
      } catch (error) {
        // A retry of the same request that raced us and won: whatever we tripped over, it already happened.
        if (idempotencyKey && (await this.loader.replay(principal, idempotencyKey, requestHash))) return { replayed: true };
        const retry = error instanceof RetryableConflict || this.ctx.uow.failure(error) !== undefined;
        if (retry && attempt < MAX_ATTEMPTS) continue;
        if (retry) throw conflict('case_changed', 'The case was changed by someone else at the same moment. Reload it and try again.');
        throw error;
      }
    }
  }

  /** Load, decide, store. Returns false when the case changed under us (the caller retries). */
  private async applyAction(repos: Stores, principal: Principal, caseId: string, action: Action, input: ActionInput): Promise<boolean> {
    const router = await this.ctx.routing();
    const loaded = await this.loader.load(repos, principal, caseId, router);
    if (loaded.access === 'none') throw notFound('case', caseId);
    if (!(await this.checkAgainstHistory(repos, loaded.record))) return false;
    const media = await this.checkActionInput(repos, principal, loaded, action, input, router);
    const transition = decide(action, loaded.facts, input, principal.actor);
    return this.store(repos, principal, loaded, transition, input, router, media);
  }

  /**
   * A composite: its steps one after another at one instant, each loaded, checked, decided and stored
   * exactly as the single action would be (its own rules, changes, clocks and event), each on the case as
   * the step before left it. A step that refuses rolls the whole request back. Returns false when the
   * case changed under us (the caller retries).
   */
  private async applyComposite(repos: Stores, principal: Principal, caseId: string, action: CompositeAction, input: ActionInput): Promise<boolean> {
    const router = await this.ctx.routing();
    let loaded = await this.loader.load(repos, principal, caseId, router);
    if (loaded.access === 'none') throw notFound('case', caseId);
    if (!(await this.checkAgainstHistory(repos, loaded.record))) return false;
    const steps = compositeSteps(action, loaded.facts, input, principal.actor);
    const now = this.ctx.now();
    for (const [i, step] of steps.entries()) {
      // The case as the step before left it (inside this transaction, so nobody else moved it).
      if (i > 0) loaded = await this.loader.load(repos, principal, caseId, router);
      const media = await this.checkActionInput(repos, principal, loaded, step.action, step.input, router);
      const transition = decide(step.action, loaded.facts, step.input, principal.actor);
      if (!(await this.store(repos, principal, loaded, transition, step.input, router, media, { now, data: { via: action } }))) return false;
    }
    return true;
  }

  /**
   * Write a decided transition: the case row (under its version), map cells, clocks and the event. Also
   * how a new report folds into its master at once (report.ts). `at.now` sets the moment (a composite's
   * steps share one); `at.data` adds to the event's data (which composite the step belongs to).
   */
  async store(
    repos: Stores,
    principal: Principal,
    loaded: LoadedCase,
    transition: Transition,
    input: ActionInput,
    router: Router,
    media: MediaRecord[] = [],
    at: { now?: Date; data?: Record<string, unknown> } = {},
  ): Promise<boolean> {
    const now = at.now ?? this.ctx.now();
    const nowIso = now.toISOString();
    const { record } = loaded;
    const changes = await this.caseChanges(repos, transition, record, loaded.category, router, nowIso);
    const stored = await repos.cases.apply(record.id, record.version, { ...changes, status: transition.to, updatedAt: nowIso });
    if (!stored) return false;

    const categoryId = changes.categoryId ?? record.categoryId;
    const unitBefore = handlingUnit(router, record.jurisdictionId);
    const unitAfter = handlingUnit(router, changes.jurisdictionId ?? record.jurisdictionId);
    if (transition.to !== record.status || categoryId !== record.categoryId || unitAfter !== unitBefore) {
      const originUnitId = handlingUnit(router, record.originJurisdictionId);
      await repos.cells.adjustCells({ lat: record.lat, lon: record.lon, unitId: unitBefore, originUnitId, status: record.status, categoryId: record.categoryId }, -1);
      await repos.cells.adjustCells({ lat: record.lat, lon: record.lon, unitId: unitAfter, originUnitId, status: transition.to, categoryId }, 1);
    }
    const category = categoryId !== record.categoryId ? await this.loader.activeCategory(repos, categoryId) : loaded.category;
    const urgency = changes.urgency ?? record.urgency;
    const calendar = await this.ctx.workingCalendar();
    const clocks = await applyClocks(
      repos.clocks,
      { caseId: record.id, reportedAt: new Date(record.reportedAt), urgency, sla: category.sla, calendar, now },
      transition.clocks,
    );
    // 食品安全: a graded verification earns the reporting member points, in this transaction (services/points.service.ts).
    const points = transition.action === 'verify' && input.level !== undefined ? await awardForVerification(repos, record, input.level as 1 | 2 | 3, principal.user.id, nowIso) : undefined;
    await repos.events.appendEvent({
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
        ...at.data,
        ...(points ? { points } : {}),
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
  private async linkEvidence(repos: Stores, at: AttachFacts & { caseId: string; seq: number }, media: MediaRecord[]): Promise<void> {
    await repos.media.link(
      media.map((m) => ({ mediaId: m.id, caseId: at.caseId, eventSeq: at.seq, role: at.role, flags: evidenceFlags(m, at, this.ctx.evidence), createdAt: at.at })),
    );
  }

  /**
   * The case row is a projection of its events: the newest event must carry the row's status and
   * version. A mismatch means something wrote around the event log; refuse to build on it.
   */
  private async checkAgainstHistory(repos: Stores, record: CaseRecord): Promise<boolean> {
    const last = await repos.events.lastEvent(record.id);
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
  private async checkActionInput(repos: Stores, principal: Principal, loaded: LoadedCase, action: Action, input: ActionInput, router: Router): Promise<MediaRecord[]> {
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
    if (input.categoryId !== undefined) await this.loader.activeCategory(repos, input.categoryId);
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
      await this.loader.openMaster(repos, principal, input.masterCaseId, 'masterCaseId');
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
    const media = await this.loader.checkMedia(repos, principal, input.media ?? []);
    if (media.length > 0 && action === 'resolve' && loaded.facts.resolvePhotoRequired && !media.some((m) => m.kind === 'photo')) {
      throw invalid('media', 'This category needs an after-photo: attach a photo of the fixed problem.', 'after_photo_required');
    }
    return media;
  }

  /** What a transition writes on the case: its own changes, the unit a grid is in, the routing they lead to, the closing time. */
  private async caseChanges(repos: Stores, t: Transition, record: CaseRecord, category: Category, router: Router, nowIso: string): Promise<CaseUpdate> {
    const c = t.changes;
    const out: CaseUpdate = { ...c };
    // A case filed into a grid is in that grid's unit (unless the transition names another).
    if (c.gridId !== undefined) out.jurisdictionId = c.jurisdictionId ?? c.gridId;
    // Re-route when what routing depends on changed.
    if (c.categoryId !== undefined || c.gridId !== undefined || c.jurisdictionId !== undefined) {
      const target = await this.loader.activeCategory(repos, c.categoryId ?? record.categoryId);
      const unitId = out.jurisdictionId ?? record.jurisdictionId;
      out.routedDepartmentId = routeIn(await this.ctx.reference(), target ?? category, router.chain(unitId))?.id ?? null;
    }
    if (t.to === 'closed' && t.from !== 'closed') out.closedAt = nowIso;
    if (t.from === 'closed' && t.to !== 'closed') out.closedAt = null;
    return out;
  }
}

class RetryableConflict extends Error {}

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
