// Reading cases: one case (the staff view, or the reporter's plain-words view), a page of the cases a
// reader may see, and a rider's own reports; each built with the lookups its view needs.

import { caseScope, type CaseAccess } from '../../domain/access.js';
import { invalid, notFound } from '../../domain/errors.js';
import type { CaseFacts } from '../../domain/workflow.js';
import type { CaseFilters, CaseQuery, CaseRecord, ClockRow } from '../../domain/records.js';
import type { Principal, ServiceContext } from '../context.js';
import { caseView, evidenceView, reporterView, type CaseView, type Lookups, type ReporterCaseView } from '../case.views.js';
import type { Locale } from '../../domain/wording.js';
import { deriveFacts, type CaseLoader } from './shared.js';

/** A page of a case list: the domain's filters and where to start. */
export interface CaseListRequest extends CaseFilters {
  page?: number;
  pageSize?: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export class CaseQueryService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly loader: CaseLoader,
  ) {}

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
    const loaded = await this.loader.load(repos, principal, caseId);
    // A case the reader may not see does not exist for them: no hint that the id is real.
    if (loaded.access === 'none') throw notFound('case', caseId);
    if (loaded.access === 'reporter') return (await this.reporterViews(principal, [loaded.record], locale))[0]!;
    const [clocks, events] = await Promise.all([repos.clocks.clocks(caseId), repos.events.events(caseId)]);
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
    const clocks = await this.ctx.uow.autocommit.clocks.clocksFor(ids);
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
    const [events, clocks] = await Promise.all([repos.events.eventsFor(ids), repos.clocks.clocksFor(ids)]);
    const lookups = await this.lookups([], locale);
    const masterIds = [...new Set(items.map((c) => c.masterCaseId).filter((id): id is string => id !== null))];
    const [masters, masterEvents] = await Promise.all([Promise.all(masterIds.map((id) => repos.cases.find(id))), repos.events.eventsFor(masterIds)]);
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

/** Page numbers are whole numbers from 1; pages hold 1-100 cases. */
function paging(page = 1, pageSize = 20): { page: number; pageSize: number } {
  if (!Number.isSafeInteger(page) || page < 1 || page > 1_000_000) throw invalid('page', 'page must be a whole number from 1 to 1000000.');
  if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > 100) throw invalid('pageSize', 'pageSize must be a whole number from 1 to 100.');
  return { page, pageSize };
}
