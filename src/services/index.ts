// Wires the services from their ports (ports.ts): a unit of work over the stores, the clock, the media
// store. Which storage stands behind the ports is the composition root's choice (src/compose.ts).

import { DEFAULT_EVIDENCE, type EvidenceOptions } from '../domain/evidence.js';
import { mediaStoreFromUrl } from '../media/stores.js';
import type { MediaStore } from '../media/types.js';
import { DeadlineSweep } from '../jobs/deadline-sweep.js';
import { systemClock, type Clock, type UnitOfWork } from '../ports.js';
import { AuthService } from './auth.service.js';
import { BoundaryService } from './boundary.service.js';
import { ActionService } from './cases/act.js';
import { CaseQueryService } from './cases/queries.js';
import { ReportService } from './cases/report.js';
import { CaseLoader } from './cases/shared.js';
import { DuplicateService } from './duplicate.service.js';
import { MapService, type MapLimits } from './map.service.js';
import { ServiceContext } from './context.js';
import { MediaService, type MediaOptions } from './media.service.js';
import { ReferenceService } from './reference.service.js';
import { DEFAULT_THROTTLE, ThrottleService, type ThrottleRules } from './throttle.service.js';

/** The use cases: all the HTTP layer and the CLI see (no context, no stores). */
export interface Services {
  auth: AuthService;
  boundaries: BoundaryService;
  /** Reporting a problem: a new case, a replayed report, the report's answer. */
  reports: ReportService;
  /** Workflow actions on a case. */
  actions: ActionService;
  /** Reading cases: one case, a page of them, a rider's own reports. */
  caseQueries: CaseQueryService;
  duplicates: DuplicateService;
  map: MapService;
  media: MediaService;
  reference: ReferenceService;
  /** The deadline sweep (src/jobs): scheduled by the job runner, run at once by POST /admin/sweep and `gridline sweep`. */
  sweep: DeadlineSweep;
  throttle: ThrottleService;
}

/** The services with their context: for the seed, benchmarks and tests, which move its clock and reset its caches. */
export interface WiredServices extends Services {
  ctx: ServiceContext;
}

export interface ServiceOptions {
  clock?: Clock;
  mediaStore?: MediaStore;
  /** Where media live when no store is given: a directory or s3://… (default data/media). */
  mediaStoreUrl?: string;
  media?: Partial<MediaOptions>;
  evidence?: Partial<EvidenceOptions>;
  tokenTtlHours?: number;
  borderDistanceM?: number;
  mapLimits?: Partial<MapLimits>;
  /** Rate limits and login throttling; e.g. `{ report: { limit: 100_000, windowS: 60 } }` for a load test (limit 0 turns a rule off). */
  throttle?: Partial<ThrottleRules>;
}

export function servicesOver(uow: UnitOfWork, options: ServiceOptions = {}): WiredServices {
  const ctx = new ServiceContext(uow, options.clock ?? systemClock, options.borderDistanceM, { ...DEFAULT_EVIDENCE, ...options.evidence });
  const store = options.mediaStore ?? mediaStoreFromUrl(options.mediaStoreUrl ?? 'data/media');
  const loader = new CaseLoader(ctx);
  const actions = new ActionService(ctx, loader);
  const caseQueries = new CaseQueryService(ctx, loader);
  const throttle = new ThrottleService(ctx, { ...DEFAULT_THROTTLE, ...options.throttle });
  const media = new MediaService(ctx, store, loader, options.media);
  return {
    ctx,
    auth: new AuthService(ctx, options.tokenTtlHours ?? 24 * 7, throttle),
    boundaries: new BoundaryService(ctx),
    reports: new ReportService(ctx, loader, actions, caseQueries),
    actions,
    caseQueries,
    duplicates: new DuplicateService(ctx),
    map: new MapService(ctx, caseQueries, options.mapLimits),
    media,
    reference: new ReferenceService(ctx),
    sweep: new DeadlineSweep(ctx, () => media.expireUploads()),
    throttle,
  };
}
