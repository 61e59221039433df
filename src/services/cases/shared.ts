// What the case use cases share: a case loaded with its category, the facts the state machine needs and
// the reader's access (deriveFacts), and the reads reports and actions both check against (an active
// category, the caller's media, an open master, an idempotency key's first request).

import { createHash } from 'node:crypto';
import { caseAccess, type CaseAccess, type CaseReach } from '../../domain/access.js';
import { DomainError, conflict, invalid, notFound } from '../../domain/errors.js';
import { tooManyMedia } from '../../domain/evidence.js';
import type { CaseFacts } from '../../domain/workflow.js';
import type { Router } from '../../geo/router.js';
import type { CaseRecord, Category, ClockRow, MediaRecord } from '../../domain/records.js';
import type { Stores } from '../../ports.js';
import type { Principal, ServiceContext } from '../context.js';
import type { LatLon } from '../../geo/coords.js';
import { distanceM } from '../../geo/area.js';

/** A loaded case with what is needed to authorise and present it. */
export interface LoadedCase {
  record: CaseRecord;
  category: Category;
  facts: CaseFacts;
  access: CaseAccess;
}

/** A rider may report into any open case within this distance of their report (the largest radius offered). */
const MAX_OFFER_DISTANCE_M = 500;

/** What an idempotency key remembers of a request: a retry must send the same one. */
export const hashRequest = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex');

/** Reading what a case use case acts on, and the checks reports and actions share. */
export class CaseLoader {
  constructor(private readonly ctx: ServiceContext) {}

  /** Load a case with its category, the facts the state machine needs and the reader's access. */
  async load(repos: Stores, principal: Principal, caseId: string, router?: Router): Promise<LoadedCase> {
    const r = router ?? (await this.ctx.routing());
    const record = await repos.cases.find(caseId);
    if (!record) throw notFound('case', caseId);
    const category = (await this.ctx.reference()).categoryById.get(record.categoryId);
    if (!category) throw new DomainError('unavailable', 'category_missing', `Case ${caseId} names a category that no longer exists.`);
    const clocks = await repos.clocks.clocks(caseId);
    const { facts, access } = deriveFacts(record, category, r, principal, clocks, this.ctx.now());
    if (record.status === 'merged') facts.statusBeforeMerge = (await repos.events.lastEventOf(caseId, 'merge'))?.fromStatus ?? null;
    return { record, category, facts, access };
  }

  /** The case a key already created or acted on with this same request; throws when it did a different one. */
  async replay(principal: Principal, key: string, requestHash: string): Promise<string | undefined> {
    const saved = await this.ctx.uow.autocommit.cases.idempotencyKey(principal.user.id, key);
    if (saved && saved.requestHash !== requestHash) {
      throw conflict('idempotency_key_reused', 'This Idempotency-Key was already used for a different request. Use a new key for a new request.');
    }
    return saved?.caseId;
  }

  /** From the context's cache of reference data, not the database: categories change only with invalidate(). */
  async activeCategory(_repos: Stores, id: string): Promise<Category> {
    const category = (await this.ctx.reference()).categoryById.get(id);
    if (!category || !category.active) throw invalid('categoryId', `There is no active category with id ${id}.`, 'category_not_found');
    return category;
  }

  /** Media must exist, be few enough, and have been uploaded by the one who attaches them. */
  async checkMedia(repos: Stores, principal: Principal, ids: string[]): Promise<MediaRecord[]> {
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

  /**
   * A master case to merge into: it exists, it is still open and unmerged, and the actor may see it —
   * or, for a rider reporting into a case they were offered, it lies near their own report.
   */
  async openMaster(repos: Stores, principal: Principal, masterId: string, field: string, near?: LatLon): Promise<CaseRecord> {
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
}

/** The unit whose map a case counts on: the subdistrict handling it (or its unit, above that level). */
export function handlingUnit(router: Router, jurisdictionId: string): string {
  return router.ancestorAt(jurisdictionId, 'subdistrict')?.id ?? jurisdictionId;
}

/** What the state machine and the access rules need to know of a case. */
export function deriveFacts(record: CaseRecord, category: Category, router: Router, principal: Principal, clocks: ClockRow[], now: Date): { facts: CaseFacts; access: CaseAccess } {
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
  return { facts, access: caseAccess(principal.actor, caseReach(record, category, router)) };
}

/** What decides who may see a case (domain/access.ts): its reporter, departments and units. */
export function caseReach(record: CaseRecord, category: Pick<Category, 'foodSafety'>, router: Router): CaseReach {
  const path = (id: string) => router.unit(id)?.path ?? `/${id}`;
  return {
    reporterId: record.reporterId,
    departmentId: record.departmentId,
    assistingDepartmentIds: record.assistingDepartmentIds,
    foodSafety: category.foodSafety,
    jurisdictionPath: path(record.jurisdictionId),
    originJurisdictionPath: path(record.originJurisdictionId),
  };
}
