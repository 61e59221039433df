// The fan-out: turns committed case events (the outbox) into what people hear of them. One transaction per
// batch takes the oldest outbox entries no other process holds, plans each event's messages (domain/
// notify.ts), writes the inbox messages, the deliveries for outside channels and the live-feed entries, and
// deletes the entries: all of it or none, so a process that dies halfway leaves the entries for the next.

import { planNotifications, type CaseNotifyKind, type Recipient, type SubscriptionRule } from '../../domain/notify.js';
import { renderMessage, type MessageFacts } from '../../domain/notify-wording.js';
import { newId } from '../../domain/ids.js';
import type { CaseRecord, ChannelRecord, ClockRow, DeliveryRecord, EventRecord, FeedEntry, InboxMessage, User } from '../../domain/records.js';
import { parseLocale, type Locale } from '../../domain/wording.js';
import type { Router } from '../../geo/router.js';
import type { Stores } from '../../ports.js';
import type { OutgoingMessage } from '../../notify/channel.js';
import { pick } from '../case.views.js';
import type { ReferenceData, ServiceContext } from '../context.js';
import { caseReach } from '../cases/shared.js';
import { ProgrammeFanout } from './programme-fanout.js';

export interface FanoutOptions {
  /** Where people open Gridline: links in messages are built from it (no trailing slash). */
  publicUrl: string;
  /** Events per transaction. */
  batch: number;
}

export const DEFAULT_FANOUT: FanoutOptions = { publicUrl: 'http://127.0.0.1:3000', batch: 100 };

/** Links into the apps: the rider's for a reporter, the console's for staff and groups. */
export const caseLink = (publicUrl: string, caseId: string, forReporter: boolean): string =>
  forReporter ? `${publicUrl}/rider/#/reports/${caseId}` : `${publicUrl}/console/#/cases/${caseId}`;

/** Everything one batch's planning reads, loaded once for the batch. */
interface Batch {
  router: Router;
  reference: ReferenceData;
  cases: Map<string, CaseRecord>;
  clocks: Map<string, ClockRow[]>;
  rules: SubscriptionRule[];
  users: Map<string, Recipient & { user: User }>;
  supervisors: (Recipient & { user: User })[];
  channels: Map<string, ChannelRecord>;
}

export class NotifyFanout {
  private readonly programme: ProgrammeFanout;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: FanoutOptions = DEFAULT_FANOUT,
  ) {
    this.programme = new ProgrammeFanout(ctx, options.publicUrl);
  }

  /** Fan out one batch of case events and one of programme notices; answers how many it told of (0: both outboxes are empty). */
  async run(): Promise<number> {
    const done = (await this.runCases()) + (await this.ctx.transaction((repos) => this.programme.run(repos, this.options.batch, () => this.targets(repos))));
    if (done > 0) this.ctx.signals.send('outbox');
    return done;
  }

  /** Who may hear anything: the subscriptions as rules, and the channels that take messages. */
  private async targets(repos: Stores): Promise<{ rules: SubscriptionRule[]; channels: Map<string, ChannelRecord> }> {
    const [router, subscriptions, channels] = await Promise.all([this.ctx.routing(), repos.notify.subscriptions(), repos.notify.channels()]);
    const rules: SubscriptionRule[] = subscriptions.map((s) => ({
      id: s.id,
      kinds: s.kinds,
      channelId: s.channelId,
      userId: s.userId,
      departmentId: s.departmentId,
      jurisdictionPath: s.jurisdictionId ? (router.unit(s.jurisdictionId)?.path ?? `/${s.jurisdictionId}`) : null,
      categoryId: s.categoryId,
    }));
    return { rules, channels: new Map(channels.filter((c) => c.status !== 'disabled').map((c) => [c.id, c])) };
  }

  private async runCases(): Promise<number> {
    const done = await this.ctx.transaction(async (repos) => {
      const entries = await repos.notify.claimOutbox(this.options.batch);
      if (entries.length === 0) return 0;
      const events = await repos.events.eventsByIds(entries.map((e) => e.eventId));
      const batch = await this.load(repos, events);
      const inbox: InboxMessage[] = [];
      const deliveries: DeliveryRecord[] = [];
      const feed: Omit<FeedEntry, 'seq'>[] = [];
      for (const event of events) {
        const record = batch.cases.get(event.caseId);
        if (!record) continue;
        const planned = this.plan(event, record, batch);
        inbox.push(...planned.inbox);
        deliveries.push(...planned.deliveries);
        feed.push({ eventId: event.id, caseId: event.caseId, action: event.action, status: event.toStatus, kinds: planned.kinds, at: event.at });
      }
      await repos.notify.insertInbox(inbox);
      await repos.notify.insertDeliveries(deliveries);
      await repos.notify.removeOutbox(entries.map((e) => e.eventId));
      // Last: numbering the feed holds the counter's lock until this transaction commits.
      await repos.notify.appendFeed(feed);
      return entries.length;
    });
    if (done > 0) this.ctx.signals.send('feed');
    return done;
  }

  /** Fan out until the outbox is empty; answers how many events. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.run();
      total += n;
      if (n < this.options.batch) return total;
    }
  }

  private async load(repos: Stores, events: EventRecord[]): Promise<Batch> {
    const caseIds = [...new Set(events.map((e) => e.caseId))];
    const [router, reference, cases, clocks, { rules, channels }] = await Promise.all([this.ctx.routing(), this.ctx.reference(), repos.cases.findMany(caseIds), repos.clocks.clocksFor(caseIds), this.targets(repos)]);
    const userIds = new Set<string>(cases.map((c) => c.reporterId));
    for (const rule of rules) if (rule.userId) userIds.add(rule.userId);
    const alerting = events.some((e) => e.action === 'alert');
    const [users, supervisorUsers] = await Promise.all([repos.users.findMany([...userIds]), alerting ? repos.users.withRoles(['supervisor']) : Promise.resolve([])]);
    const recipient = async (user: User) => ({ user, active: user.active, actor: (await this.ctx.principal(user)).actor });
    const byClock = new Map<string, ClockRow[]>();
    for (const clock of clocks) byClock.set(clock.caseId, [...(byClock.get(clock.caseId) ?? []), clock]);
    return {
      router,
      reference,
      cases: new Map(cases.map((c) => [c.id, c])),
      clocks: byClock,
      rules,
      users: new Map(await Promise.all(users.map(async (u) => [u.id, await recipient(u)] as const))),
      supervisors: await Promise.all(supervisorUsers.map(recipient)),
      channels,
    };
  }

  /** One event's inbox messages and deliveries, rendered in each reader's language. */
  private plan(event: EventRecord, record: CaseRecord, b: Batch): { kinds: string[]; inbox: InboxMessage[]; deliveries: DeliveryRecord[] } {
    const category = b.reference.categoryById.get(record.categoryId);
    const reach = caseReach(record, { foodSafety: category?.foodSafety ?? false }, b.router);
    const unitPaths = [...new Set([reach.jurisdictionPath, reach.originJurisdictionPath])];
    const plan = planNotifications(
      { action: event.action, data: event.data, actorId: event.actorId, status: record.status, urgency: record.urgency, categoryId: record.categoryId, reach, unitPaths },
      b.rules,
      b.users,
      b.supervisors,
    );
    const now = this.ctx.now();
    const nowIso = now.toISOString();
    const facts = (locale: Locale, forReporter: boolean): MessageFacts => this.facts(event, record, b, locale, forReporter, now);
    const inbox: InboxMessage[] = plan.inbox.map((p) => {
      const user = b.users.get(p.userId)?.user ?? b.supervisors.find((s) => s.user.id === p.userId)?.user;
      const forReporter = p.userId === record.reporterId;
      const f = facts(parseLocale(user?.locale) ?? 'zh-CN', forReporter);
      const words = renderMessage(p.kind, f, parseLocale(user?.locale) ?? 'zh-CN');
      return {
        id: newId(now.getTime()),
        userId: p.userId,
        eventId: event.id,
        caseId: record.id,
        kind: p.kind,
        title: words.title,
        body: words.text,
        link: f.link,
        data: this.inboxData(p.kind, event, record, b),
        createdAt: nowIso,
        readAt: null,
      };
    });
    const deliveries: DeliveryRecord[] = [];
    for (const p of plan.channels) {
      const channel = b.channels.get(p.channelId);
      if (!channel) continue;
      const locale = parseLocale(channel.locale) ?? 'zh-CN';
      const f = facts(locale, false);
      const words = renderMessage(p.kind, f, locale);
      const id = newId(now.getTime());
      const message: OutgoingMessage = {
        deliveryId: id,
        eventType: p.kind,
        caseId: record.id,
        ref: record.ref,
        ...words,
        link: f.link,
        urgent: f.urgent,
        mentionMobiles: f.urgent ? channel.mentionMobiles : [],
        payload: this.payload(p.kind, event, record, b),
        createdAt: nowIso,
      };
      deliveries.push({
        id,
        eventId: event.id,
        caseId: record.id,
        kind: p.kind,
        channelId: channel.id,
        message: message as unknown as Record<string, unknown>,
        status: 'pending',
        attempts: 0,
        nextAt: nowIso,
        leaseOwner: null,
        leaseUntil: null,
        lastError: null,
        lastAttemptAt: null,
        createdAt: nowIso,
        deliveredAt: null,
      });
    }
    return { kinds: plan.kinds, inbox, deliveries };
  }

  private facts(event: EventRecord, record: CaseRecord, b: Batch, locale: Locale, forReporter: boolean, now: Date): MessageFacts {
    const category = b.reference.categoryById.get(record.categoryId);
    const grid = record.gridId ? b.router.unit(record.gridId) : b.router.unit(record.jurisdictionId);
    const departmentId = (typeof event.data.departmentId === 'string' ? event.data.departmentId : null) ?? record.departmentId;
    const department = departmentId ? b.reference.departmentById.get(departmentId) : undefined;
    const target = typeof event.data.jurisdictionId === 'string' ? b.router.unit(event.data.jurisdictionId) : undefined;
    const open = (b.clocks.get(record.id) ?? []).filter((k) => k.completedAt === null).sort((x, y) => (x.dueAt < y.dueAt ? -1 : 1))[0];
    const reason = event.action === 'reject' || event.action === 'return' || event.action === 'request-extension' ? (event.note ?? undefined) : undefined;
    return {
      ref: record.ref,
      category: category ? pick(category.names, locale) : record.categoryId,
      place: record.address ?? (grid ? pick(grid.names, locale) : ''),
      urgent: record.urgency === 'emergency',
      department: department ? pick(department.names, locale) : undefined,
      jurisdiction: target ? pick(target.names, locale) : undefined,
      reason,
      note: event.action === 'resolve' ? (event.note ?? undefined) : undefined,
      score: typeof event.data.score === 'number' ? event.data.score : undefined,
      minutesLeft: open ? Math.round((Date.parse(open.dueAt) - now.getTime()) / 60_000) : undefined,
      stage: open?.stage,
      overdueMinutes: typeof event.data.overdueMinutes === 'number' ? event.data.overdueMinutes : undefined,
      link: caseLink(this.options.publicUrl, record.id, forReporter),
    };
  }

  /** What an inbox message keeps besides its words: enough for an app to show it without another request. */
  private inboxData(kind: CaseNotifyKind, event: EventRecord, record: CaseRecord, b: Batch): Record<string, unknown> {
    const departmentId = (typeof event.data.departmentId === 'string' ? event.data.departmentId : null) ?? record.departmentId;
    return {
      caseRef: record.ref,
      status: event.toStatus,
      action: event.action,
      seq: event.seq,
      ...(kind === 'rejected' && event.note ? { reason: event.note } : {}),
      ...(kind === 'dispatched' && departmentId ? { departmentId, department: b.reference.departmentById.get(departmentId)?.names.zh } : {}),
      ...(kind === 'resolved' && event.evidence.length > 0 ? { afterMedia: event.evidence } : {}),
    };
  }

  /** The structured notification an outside receiver gets (the webhook's `data`): no personal data. */
  private payload(kind: CaseNotifyKind, event: EventRecord, record: CaseRecord, b: Batch): Record<string, unknown> {
    const category = b.reference.categoryById.get(record.categoryId);
    return {
      kind,
      case: {
        id: record.id,
        ref: record.ref,
        status: record.status,
        category: category?.code ?? null,
        urgency: record.urgency,
        lat: record.lat,
        lon: record.lon,
        address: record.address,
        gridId: record.gridId,
        jurisdictionId: record.jurisdictionId,
        departmentId: record.departmentId,
        reportedAt: record.reportedAt,
      },
      event: { id: event.id, seq: event.seq, action: event.action, at: event.at, fromStatus: event.fromStatus, toStatus: event.toStatus },
    };
  }
}
