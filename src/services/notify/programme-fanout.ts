// The programme's side of the fan-out: turns committed recruitment and redemption steps (the notices
// outbox, written in each step's transaction) into inbox messages and outside deliveries, as the case
// fan-out does for case events. Called by NotifyFanout.run inside its own transaction: all of a batch or
// none, so a process that dies halfway leaves the notices for the next.

import { maskName } from '../../domain/access.js';
import { newId } from '../../domain/ids.js';
import { PROGRAMME_ROLE_NAMES, type MemberEventAction } from '../../domain/members.js';
import type { Recipient, SubscriptionRule } from '../../domain/notify.js';
import type { Redemption } from '../../domain/points.js';
import { memberKind, planProgrammeNotifications, redemptionKind, type ProgrammeKind, type RedemptionStep } from '../../domain/programme-notify.js';
import { renderProgrammeMessage, type ProgrammeMessageFacts } from '../../domain/programme-wording.js';
import type { ChannelRecord, DeliveryRecord, InboxMessage, MemberEvent, MemberRecord, Notice, ProgrammeOption, User } from '../../domain/records.js';
import { parseLocale, type Locale } from '../../domain/wording.js';
import type { Router } from '../../geo/router.js';
import type { OutgoingMessage } from '../../notify/channel.js';
import type { Stores } from '../../ports.js';
import { pick } from '../case.views.js';
import type { ServiceContext } from '../context.js';

/** One notice with what it tells of. */
interface Told {
  notice: Notice;
  kind: ProgrammeKind;
  member: MemberRecord;
  event?: MemberEvent;
  redemption?: Redemption;
}

interface Batch {
  router: Router;
  platforms: Map<string, ProgrammeOption>;
  rules: SubscriptionRule[];
  users: Map<string, Recipient & { user: User }>;
  stations: (Recipient & { user: User })[];
  channels: Map<string, ChannelRecord>;
}

export class ProgrammeFanout {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly publicUrl: string,
  ) {}

  /** Inside the caller's transaction: tell of up to `limit` notices; answers how many. */
  async run(repos: Stores, limit: number, targets: () => Promise<{ rules: SubscriptionRule[]; channels: Map<string, ChannelRecord> }>): Promise<number> {
    const notices = await repos.notify.claimNotices(limit);
    if (notices.length === 0) return 0;
    const told = await this.load(repos, notices);
    const batch = await this.batch(repos, told, await targets());
    const inbox: InboxMessage[] = [];
    const deliveries: DeliveryRecord[] = [];
    for (const t of told) {
      const planned = this.plan(t, batch);
      inbox.push(...planned.inbox);
      deliveries.push(...planned.deliveries);
    }
    await repos.notify.insertInbox(inbox);
    await repos.notify.insertDeliveries(deliveries);
    await repos.notify.removeNotices(notices.map((n) => n.id));
    return notices.length;
  }

  /** Each notice with its member event or redemption and its member; a notice whose subject is gone tells nothing. */
  private async load(repos: Stores, notices: Notice[]): Promise<Told[]> {
    const memberNotices = notices.filter((n) => n.topic === 'member');
    const redemptionNotices = notices.filter((n) => n.topic === 'redemption');
    const [events, redemptions] = await Promise.all([repos.members.memberEventsByIds(memberNotices.map((n) => n.eventId)), repos.points.redemptionsByIds([...new Set(redemptionNotices.map((n) => n.subjectId))])]);
    const memberIds = new Set([...memberNotices.map((n) => n.subjectId), ...redemptions.map((r) => r.memberId)]);
    const members = new Map((await repos.members.membersByIds([...memberIds])).map((m) => [m.id, m]));
    const eventById = new Map(events.map((e) => [e.id, e]));
    const redemptionById = new Map(redemptions.map((r) => [r.id, r]));
    const told: Told[] = [];
    for (const notice of notices) {
      if (notice.topic === 'member') {
        const event = eventById.get(notice.eventId);
        const member = members.get(notice.subjectId);
        if (event && member) told.push({ notice, kind: memberKind(event.action), member, event });
      } else {
        const redemption = redemptionById.get(notice.subjectId);
        const member = redemption && members.get(redemption.memberId);
        if (redemption && member) told.push({ notice, kind: redemptionKind(notice.step as RedemptionStep), member, redemption });
      }
    }
    return told;
  }

  private async batch(repos: Stores, told: Told[], shared: { rules: SubscriptionRule[]; channels: Map<string, ChannelRecord> }): Promise<Batch> {
    const userIds = new Set<string>();
    for (const t of told) if (t.member.userId) userIds.add(t.member.userId);
    for (const rule of shared.rules) if (rule.userId) userIds.add(rule.userId);
    const [router, options, users, stationUsers] = await Promise.all([
      this.ctx.routing(),
      repos.members.options(),
      repos.users.findMany([...userIds]),
      told.some((t) => t.kind.startsWith('member_')) ? repos.users.withRoles(['employer']) : Promise.resolve([]),
    ]);
    const recipient = async (user: User) => ({ user, active: user.active, actor: (await this.ctx.principal(user)).actor });
    return {
      router,
      platforms: new Map(options.filter((o) => o.kind === 'platform').map((o) => [o.code, o])),
      rules: shared.rules,
      users: new Map(await Promise.all(users.map(async (u) => [u.id, await recipient(u)] as const))),
      stations: await Promise.all(stationUsers.map(recipient)),
      channels: shared.channels,
    };
  }

  private plan(t: Told, b: Batch): { inbox: InboxMessage[]; deliveries: DeliveryRecord[] } {
    const home = b.router.unit(t.member.jurisdictionId);
    const homePath = home?.path ?? `/${t.member.jurisdictionId}`;
    const plan = planProgrammeNotifications({ kind: t.kind, actorId: t.notice.actorId, memberUserId: t.member.userId, platform: t.member.platform, homePath }, b.rules, b.users, b.stations);
    const now = this.ctx.now();
    const nowIso = now.toISOString();
    const inbox: InboxMessage[] = plan.inbox.map((p) => {
      const user = b.users.get(p.userId)?.user ?? b.stations.find((s) => s.user.id === p.userId)?.user;
      const locale = parseLocale(user?.locale) ?? 'zh-CN';
      const you = p.userId === t.member.userId;
      const facts = this.facts(t, b, locale, { you, masked: false });
      const words = renderProgrammeMessage(p.kind, facts, locale);
      return { id: newId(now.getTime()), userId: p.userId, eventId: t.notice.eventId, caseId: null, kind: p.kind, title: words.title, body: words.text, link: facts.link, data: this.inboxData(t), createdAt: nowIso, readAt: null };
    });
    const deliveries: DeliveryRecord[] = [];
    for (const p of plan.channels) {
      const channel = b.channels.get(p.channelId);
      if (!channel) continue;
      const locale = parseLocale(channel.locale) ?? 'zh-CN';
      // A group hears of the member by a masked name: their full name is for the people who work with them.
      const facts = this.facts(t, b, locale, { you: false, masked: true });
      const words = renderProgrammeMessage(p.kind, facts, locale);
      const id = newId(now.getTime());
      const message: OutgoingMessage = {
        deliveryId: id,
        eventType: p.kind,
        caseId: null,
        ref: t.redemption ? t.redemption.id : (t.member.appointmentNumber ?? maskName(t.member.name)),
        ...words,
        link: facts.link,
        urgent: false,
        mentionMobiles: [],
        payload: this.payload(t),
        createdAt: nowIso,
      };
      deliveries.push({ id, eventId: t.notice.eventId, caseId: null, kind: p.kind, channelId: channel.id, message: message as unknown as Record<string, unknown>, status: 'pending', attempts: 0, nextAt: nowIso, leaseOwner: null, leaseUntil: null, lastError: null, lastAttemptAt: null, createdAt: nowIso, deliveredAt: null });
    }
    return { inbox, deliveries };
  }

  private facts(t: Told, b: Batch, locale: Locale, to: { you: boolean; masked: boolean }): ProgrammeMessageFacts {
    const m = t.member;
    const platform = b.platforms.get(m.platform);
    const home = b.router.unit(m.jurisdictionId);
    const data = t.event?.data ?? {};
    const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    const roles = m.roles.map((r) => (locale === 'en' ? PROGRAMME_ROLE_NAMES[r].en : PROGRAMME_ROLE_NAMES[r].zh)).join(locale === 'en' ? ' and ' : '、');
    const action: MemberEventAction | undefined = t.event?.action;
    const link = t.redemption
      ? to.you
        ? `${this.publicUrl}/rider/#/points`
        : `${this.publicUrl}/console/#/redemptions/${t.redemption.id}`
      : to.you
        ? `${this.publicUrl}/rider/#/membership`
        : `${this.publicUrl}/console/#/members/${m.id}`;
    return {
      you: to.you,
      name: to.masked ? maskName(m.name) : m.name,
      platform: platform ? pick({ zh: platform.names.zh, en: platform.names.en, bo: platform.names.bo ?? '' }, locale) : m.platform,
      home: home ? pick(home.names, locale) : '',
      station: action === 'recommend' ? (text(data.station) ?? m.station ?? undefined) : undefined,
      appointmentNumber: action === 'appoint' ? (text(data.appointmentNumber) ?? m.appointmentNumber ?? undefined) : undefined,
      roles,
      // Why a step went against the member is theirs to know; a review's own notes stay with the staff.
      reason: text(data.reason) ?? (t.redemption && t.kind === 'redemption_rejected' ? (t.redemption.reason ?? undefined) : undefined),
      points: t.redemption?.points,
      yuan: t.redemption?.yuan,
      payoutRef: t.kind === 'redemption_paid' ? (t.redemption?.payoutRef ?? undefined) : undefined,
      link,
    };
  }

  /** What an inbox message keeps besides its words: enough for an app to show it without another request. */
  private inboxData(t: Told): Record<string, unknown> {
    if (t.redemption) {
      const r = t.redemption;
      return { redemptionId: r.id, memberId: r.memberId, step: t.notice.step, points: r.points, yuan: r.yuan, ...(t.kind === 'redemption_rejected' && r.reason ? { reason: r.reason } : {}), ...(t.kind === 'redemption_paid' && r.payoutRef ? { payoutRef: r.payoutRef } : {}) };
    }
    const e = t.event!;
    const reason = typeof e.data.reason === 'string' ? e.data.reason : undefined;
    return { memberId: t.member.id, action: e.action, status: e.toStatus, seq: e.seq, ...(reason ? { reason } : {}), ...(e.action === 'appoint' ? { appointmentNumber: e.data.appointmentNumber ?? t.member.appointmentNumber } : {}) };
  }

  /** The structured notification an outside receiver gets (the webhook's `data`): no name, no phone. */
  private payload(t: Told): Record<string, unknown> {
    const m = t.member;
    const member = { id: m.id, status: m.status, workerType: m.workerType, platform: m.platform, jurisdictionId: m.jurisdictionId, appointmentNumber: m.appointmentNumber };
    if (t.redemption) {
      const r = t.redemption;
      return { kind: t.kind, member, redemption: { id: r.id, status: r.status, points: r.points, yuan: r.yuan, requestedAt: r.requestedAt, paidAt: r.paidAt }, step: { name: t.notice.step, at: t.notice.createdAt } };
    }
    const e = t.event!;
    return { kind: t.kind, member, step: { id: e.id, seq: e.seq, action: e.action, fromStatus: e.fromStatus, toStatus: e.toStatus, at: e.at } };
  }
}
