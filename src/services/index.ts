// Wires the services from their ports (ports.ts): a unit of work over the stores, the clock, the media
// store. Which storage stands behind the ports is the composition root's choice (src/compose.ts).

import { DEFAULT_EVIDENCE, type EvidenceOptions } from '../domain/evidence.js';
import { mediaStoreFromUrl } from '../media/stores.js';
import type { MediaStore } from '../media/types.js';
import { DeadlineSweep } from '../jobs/deadline-sweep.js';
import { systemClock, type Clock, type Signals, type UnitOfWork } from '../ports.js';
import type { ChannelKind, ChannelSender } from '../notify/channel.js';
import { DEFAULT_DELIVERY, DeliveryWorker, type DeliveryOptions } from './notify/deliver.js';
import { DEFAULT_FANOUT, NotifyFanout } from './notify/fanout.js';
import { LiveFeed, type LiveOptions } from './notify/live.js';
import { NotifyService } from './notify/manage.js';
import { NotifyWorker } from './notify/worker.js';
import { AuthService } from './auth.service.js';
import { BoundaryService } from './boundary.service.js';
import { ActionService } from './cases/act.js';
import { CaseQueryService } from './cases/queries.js';
import { ReportService } from './cases/report.js';
import { CaseLoader } from './cases/shared.js';
import { KpiService } from './kpi.service.js';
import { MemberService } from './members.service.js';
import { PointsService } from './points.service.js';
import { DispatchRuleService } from './dispatch-rules.service.js';
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
  /** 自动派单: the auto-dispatch rules reports are matched against. */
  dispatchRules: DispatchRuleService;
  /** The figures (KPIs) of a period, their breakdowns and the cases behind each. */
  kpis: KpiService;
  /** Grid workers: applications, recruitment steps, members, certificates. */
  members: MemberService;
  /** Points for verified food-safety reports: rule sets, reversals, a member's ledger. */
  points: PointsService;
  duplicates: DuplicateService;
  map: MapService;
  media: MediaService;
  reference: ReferenceService;
  /** The deadline sweep (src/jobs): scheduled by the job runner, run at once by POST /admin/sweep and `gridline sweep`. */
  sweep: DeadlineSweep;
  throttle: ThrottleService;
  /** The inbox, channels, subscriptions and dead letters (src/services/notify). */
  notify: NotifyService;
  /** Fans out the outbox and sends deliveries: started by `serve` where WORKERS allows, drained by tests and the CLI. */
  notifyWorker: NotifyWorker;
  /** Live events for the SSE streams (GET /api/v1/events): one shared reader of the feed per process. */
  live: LiveFeed;
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
  /** How long a device session (a sign-in naming its device) lasts, in days (default 180). */
  deviceSessionDays?: number;
  borderDistanceM?: number;
  mapLimits?: Partial<MapLimits>;
  /** Rate limits and login throttling; e.g. `{ report: { limit: 100_000, windowS: 60 } }` for a load test (limit 0 turns a rule off). */
  throttle?: Partial<ThrottleRules>;
  /** Minutes after dispatch an unsigned emergency alerts its supervisors (EMERGENCY_SIGN_ALERT_MINUTES, default 10). */
  emergencySignAlertMinutes?: number;
  /** Wake-ups across processes (storage/signals.ts); default: within this process only. */
  signals?: Signals;
  notify?: NotifyOptions;
  /** Live event streams' limits (per user, per process, a stream's lifetime, heartbeats). */
  live?: Partial<LiveOptions>;
}

export interface NotifyOptions {
  /** Where people open Gridline; links in messages start with it. */
  publicUrl?: string;
  /** The outside channels' senders (src/notify sendersFrom); none: deliveries to outside channels wait dead-lettered. */
  senders?: ReadonlyMap<ChannelKind, ChannelSender>;
  delivery?: Partial<DeliveryOptions>;
  /** How often the worker looks for work without a signal. */
  pollMs?: number;
}

export function servicesOver(uow: UnitOfWork, options: ServiceOptions = {}): WiredServices {
  const ctx = new ServiceContext(uow, options.clock ?? systemClock, options.borderDistanceM, { ...DEFAULT_EVIDENCE, ...options.evidence }, options.signals);
  const notify = options.notify ?? {};
  const fanout = new NotifyFanout(ctx, { ...DEFAULT_FANOUT, ...(notify.publicUrl ? { publicUrl: notify.publicUrl.replace(/\/+$/, '') } : {}) });
  const delivery = new DeliveryWorker(ctx, notify.senders ?? new Map(), { ...DEFAULT_DELIVERY, ...notify.delivery });
  const store = options.mediaStore ?? mediaStoreFromUrl(options.mediaStoreUrl ?? 'data/media');
  const loader = new CaseLoader(ctx);
  const actions = new ActionService(ctx, loader);
  const caseQueries = new CaseQueryService(ctx, loader);
  const throttle = new ThrottleService(ctx, { ...DEFAULT_THROTTLE, ...options.throttle });
  const media = new MediaService(ctx, store, loader, options.media);
  const dispatchRules = new DispatchRuleService(ctx);
  return {
    ctx,
    auth: new AuthService(ctx, options.tokenTtlHours ?? 24 * 7, throttle, options.deviceSessionDays),
    boundaries: new BoundaryService(ctx),
    reports: new ReportService(ctx, loader, actions, caseQueries, dispatchRules),
    actions,
    caseQueries,
    dispatchRules,
    kpis: new KpiService(ctx, caseQueries),
    members: new MemberService(ctx),
    points: new PointsService(ctx),
    duplicates: new DuplicateService(ctx),
    map: new MapService(ctx, caseQueries, options.mapLimits),
    media,
    reference: new ReferenceService(ctx),
    sweep: new DeadlineSweep(ctx, () => media.expireUploads(), options.emergencySignAlertMinutes),
    throttle,
    notify: new NotifyService(ctx),
    notifyWorker: new NotifyWorker(fanout, delivery, ctx.signals, notify.pollMs),
    live: new LiveFeed(ctx, options.live),
  };
}
