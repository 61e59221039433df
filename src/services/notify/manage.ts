// What people do with notifications over the API and the CLI: read and mark their inbox; keep channels
// (secrets shown masked, never in full after creation) and subscriptions (who hears what); see the dead-
// letter list and redeliver. Admins keep everything; a dispatcher keeps the channels and subscriptions of
// their own jurisdiction.

import { forbidden, invalid, notFound } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { GROUP_KINDS, SUBSCRIPTION_KINDS } from '../../domain/notify.js';
import type { ChannelRecord, DeliveryRecord, InboxMessage, SubscriptionRecord } from '../../domain/records.js';
import { LOCALES, parseLocale } from '../../domain/wording.js';
import { isWithin } from '../../domain/workflow.js';
import { CHANNEL_KINDS, checkChannelConfig, maskChannelConfig, type ChannelKind } from '../../notify/index.js';
import type { Principal, ServiceContext } from '../context.js';

export interface InboxPage {
  items: InboxMessage[];
  unread: number;
  /** Pass as `before` for the next page; null on the last. */
  next: string | null;
}

export interface ChannelInput {
  kind: string;
  name: string;
  config: unknown;
  locale?: string;
  mentionMobiles?: string[];
  jurisdictionId?: string | null;
  /** Attach as the jurisdiction's group: subscribe it to new reports, emergencies and results there. */
  group?: boolean;
}

export interface ChannelUpdate {
  name?: string;
  config?: unknown;
  locale?: string;
  mentionMobiles?: string[];
  /** `active` after fixing a broken channel's key; `disabled` to stop it. */
  status?: 'active' | 'disabled';
}

export interface SubscriptionInput {
  kinds: string[];
  channelId?: string | null;
  userId?: string | null;
  departmentId?: string | null;
  jurisdictionId?: string | null;
  categoryId?: string | null;
}

/** A channel as the API shows it: secrets masked. */
export type ChannelView = Omit<ChannelRecord, 'config'> & { config: Record<string, unknown> };

/** A dead (or any) delivery as admins inspect it: what was sent, to which channel, how it failed. */
export type DeliveryView = Omit<DeliveryRecord, 'leaseOwner' | 'message'> & { leaseOwner: string | null; title: string; eventType: string; ref: string };

const MOBILE = /^\+?\d{5,15}$/;

export class NotifyService {
  constructor(private readonly ctx: ServiceContext) {}

  // ---- the inbox ----

  async inbox(principal: Principal, q: { limit: number; before?: string; unreadOnly?: boolean }): Promise<InboxPage> {
    const store = this.ctx.uow.autocommit.notify;
    const userId = principal.user.id;
    const [items, unread] = await Promise.all([store.inbox({ userId, limit: q.limit + 1, before: q.before, unreadOnly: q.unreadOnly }), store.unread(userId)]);
    const page = items.slice(0, q.limit);
    return { items: page, unread, next: items.length > q.limit ? page[page.length - 1]!.id : null };
  }

  async markRead(principal: Principal, ids: string[] | 'all'): Promise<{ marked: number; unread: number }> {
    const store = this.ctx.uow.autocommit.notify;
    const marked = await store.markRead(principal.user.id, ids, this.ctx.now().toISOString());
    return { marked, unread: await store.unread(principal.user.id) };
  }

  // ---- channels ----

  async channels(principal: Principal): Promise<ChannelView[]> {
    const all = await this.ctx.uow.autocommit.notify.channels();
    return (await this.visible(principal, all)).map(view);
  }

  async channel(principal: Principal, id: string): Promise<ChannelView> {
    return view(await this.ownChannel(principal, id));
  }

  /** Create a channel. A webhook's generated secret is in this one answer (`secret`), never again. */
  async createChannel(principal: Principal, input: ChannelInput): Promise<{ channel: ChannelView; secret?: string; subscription?: SubscriptionRecord }> {
    if (!(CHANNEL_KINDS as readonly string[]).includes(input.kind)) {
      throw invalid('kind', `kind must be one of ${CHANNEL_KINDS.join(', ')}.`, 'unknown_channel_kind');
    }
    const kind = input.kind as ChannelKind;
    const name = input.name.trim();
    if (!name) throw invalid('name', 'Give the channel a name people recognise (the group or system it reaches).', 'name_required');
    const checked = checkChannelConfig(kind, input.config);
    if (!checked.ok) throw invalid(checked.field, checked.message, checked.code);
    const jurisdictionId = await this.checkJurisdiction(principal, input.jurisdictionId ?? null, 'jurisdictionId', principal.actor.role !== 'admin');
    if (input.group && !jurisdictionId) throw invalid('jurisdictionId', 'A group is attached to a jurisdiction: name the subdistrict whose group it is.', 'jurisdiction_required');
    const nowIso = this.ctx.now().toISOString();
    const channel: ChannelRecord = {
      id: newId(),
      kind,
      name,
      config: checked.config,
      locale: this.locale(input.locale),
      mentionMobiles: this.mobiles(input.mentionMobiles),
      jurisdictionId,
      status: 'active',
      statusReason: null,
      statusAt: null,
      createdBy: principal.user.id,
      createdAt: nowIso,
      updatedAt: nowIso,
    };
    const subscription: SubscriptionRecord | undefined =
      input.group && jurisdictionId
        ? { id: newId(), kinds: [...GROUP_KINDS], channelId: channel.id, userId: null, departmentId: null, jurisdictionId, categoryId: null, active: true, createdBy: principal.user.id, createdAt: nowIso }
        : undefined;
    await this.ctx.transaction(async (repos) => {
      await repos.notify.insertChannel(channel);
      if (subscription) await repos.notify.insertSubscription(subscription);
    });
    const generated = kind === 'webhook' && input.config && typeof input.config === 'object' && !('secret' in input.config) ? String(checked.config.secret) : undefined;
    return { channel: view(channel), ...(generated ? { secret: generated } : {}), ...(subscription ? { subscription } : {}) };
  }

  async updateChannel(principal: Principal, id: string, input: ChannelUpdate): Promise<ChannelView> {
    const channel = await this.ownChannel(principal, id);
    const changes: Partial<ChannelRecord> = { updatedAt: this.ctx.now().toISOString() };
    if (input.name !== undefined) {
      if (!input.name.trim()) throw invalid('name', 'A channel needs a name.', 'name_required');
      changes.name = input.name.trim();
    }
    if (input.config !== undefined) {
      // Secrets left out keep their stored value: an admin changes what they send, nothing else.
      const merged = input.config && typeof input.config === 'object' ? { ...channel.config, ...(input.config as Record<string, unknown>) } : input.config;
      const checked = checkChannelConfig(channel.kind, merged);
      if (!checked.ok) throw invalid(checked.field, checked.message, checked.code);
      changes.config = checked.config;
    }
    if (input.locale !== undefined) changes.locale = this.locale(input.locale);
    if (input.mentionMobiles !== undefined) changes.mentionMobiles = this.mobiles(input.mentionMobiles);
    if (input.status !== undefined) {
      changes.status = input.status;
      changes.statusReason = null;
      changes.statusAt = changes.updatedAt ?? null;
    }
    await this.ctx.uow.autocommit.notify.updateChannel(id, changes);
    if (input.status === 'active') this.ctx.signals.send('outbox');
    return view({ ...channel, ...changes });
  }

  // ---- subscriptions ----

  async subscriptions(principal: Principal): Promise<SubscriptionRecord[]> {
    const all = await this.ctx.uow.autocommit.notify.subscriptions(false);
    if (principal.actor.role === 'admin') return all;
    const router = await this.ctx.routing();
    return all.filter((s) => s.jurisdictionId && isWithin(router.unit(s.jurisdictionId)?.path ?? '', principal.actor.jurisdictionPath));
  }

  async subscribe(principal: Principal, input: SubscriptionInput): Promise<SubscriptionRecord> {
    const repos = this.ctx.uow.autocommit;
    if (!Array.isArray(input.kinds) || input.kinds.length === 0) throw invalid('kinds', `Name the event kinds to hear: ${SUBSCRIPTION_KINDS.join(', ')}.`, 'kinds_required');
    const unknown = input.kinds.find((k) => !SUBSCRIPTION_KINDS.includes(k));
    if (unknown !== undefined) throw invalid('kinds', `"${unknown}" is not an event kind; use ${SUBSCRIPTION_KINDS.join(', ')}.`, 'unknown_event_kind');
    const channelId = input.channelId ?? null;
    const userId = input.userId ?? null;
    if ((channelId === null) === (userId === null)) throw invalid('channelId', 'Name either a channel (channelId) or a user whose inbox hears it (userId), not both.', 'target_required');
    if (channelId) await this.ownChannel(principal, channelId, 'channelId');
    if (userId && !(await repos.users.find(userId))) throw invalid('userId', `There is no user with id ${userId}.`, 'user_not_found');
    const dispatcher = principal.actor.role !== 'admin';
    const jurisdictionId = await this.checkJurisdiction(principal, input.jurisdictionId ?? null, 'jurisdictionId', dispatcher);
    if (input.departmentId && !(await repos.reference.department(input.departmentId))) {
      throw invalid('departmentId', `There is no department with id ${input.departmentId}.`, 'department_not_found');
    }
    if (input.categoryId && !(await this.ctx.reference()).categoryById.has(input.categoryId)) {
      throw invalid('categoryId', `There is no category with id ${input.categoryId}.`, 'category_not_found');
    }
    const subscription: SubscriptionRecord = {
      id: newId(),
      kinds: [...new Set(input.kinds)],
      channelId,
      userId,
      departmentId: input.departmentId ?? null,
      jurisdictionId,
      categoryId: input.categoryId ?? null,
      active: true,
      createdBy: principal.user.id,
      createdAt: this.ctx.now().toISOString(),
    };
    await repos.notify.insertSubscription(subscription);
    return subscription;
  }

  async unsubscribe(principal: Principal, id: string): Promise<void> {
    const found = (await this.subscriptions(principal)).find((s) => s.id === id);
    if (!found) throw notFound('subscription', id);
    await this.ctx.uow.autocommit.notify.deleteSubscription(id);
  }

  // ---- deliveries: the dead-letter list (admins) ----

  async deliveries(q: { status?: DeliveryRecord['status']; channelId?: string; caseId?: string; limit: number; before?: string }): Promise<{ items: DeliveryView[]; dead: number; pending: number; next: string | null }> {
    const store = this.ctx.uow.autocommit.notify;
    const [items, dead, pending] = await Promise.all([store.deliveries({ ...q, limit: q.limit + 1 }), store.countDeliveries('dead'), store.countDeliveries('pending')]);
    const page = items.slice(0, q.limit);
    return { items: page.map(deliveryView), dead, pending, next: items.length > q.limit ? page[page.length - 1]!.id : null };
  }

  async delivery(id: string): Promise<DeliveryView & { message: Record<string, unknown> }> {
    const found = await this.ctx.uow.autocommit.notify.delivery(id);
    if (!found) throw notFound('delivery', id);
    return { ...deliveryView(found), message: found.message };
  }

  /** Send dead deliveries again: these, or every one (of a channel). */
  async redeliver(ids: string[] | 'all', channelId?: string): Promise<{ redelivered: number }> {
    const redelivered = await this.ctx.uow.autocommit.notify.redeliver(ids, this.ctx.now().toISOString(), channelId);
    if (redelivered > 0) this.ctx.signals.send('outbox');
    return { redelivered };
  }

  // ---- checks ----

  /** Channels a reader keeps: all for an admin, those of their jurisdiction for a dispatcher. */
  private async visible(principal: Principal, channels: ChannelRecord[]): Promise<ChannelRecord[]> {
    if (principal.actor.role === 'admin') return channels;
    const router = await this.ctx.routing();
    return channels.filter((c) => c.jurisdictionId && isWithin(router.unit(c.jurisdictionId)?.path ?? '', principal.actor.jurisdictionPath));
  }

  private async ownChannel(principal: Principal, id: string, field?: string): Promise<ChannelRecord> {
    const found = await this.ctx.uow.autocommit.notify.channel(id);
    const mine = found && (await this.visible(principal, [found])).length === 1;
    if (!found || !mine) {
      if (field) throw invalid(field, `There is no channel with id ${id} that you keep.`, 'channel_not_found');
      throw notFound('channel', id);
    }
    return found;
  }

  /** A jurisdiction named by id: known, and (for a dispatcher) within their own. */
  private async checkJurisdiction(principal: Principal, id: string | null, field: string, required: boolean): Promise<string | null> {
    if (id === null) {
      if (required) throw invalid(field, 'Name the jurisdiction (your subdistrict or a unit in it) this is for.', 'jurisdiction_required');
      return null;
    }
    const unit = (await this.ctx.routing()).unit(id);
    if (!unit) throw invalid(field, `There is no jurisdiction with id ${id}.`, 'jurisdiction_not_found');
    if (principal.actor.role !== 'admin' && !isWithin(unit.path, principal.actor.jurisdictionPath)) {
      throw forbidden('out_of_scope', 'That jurisdiction is outside yours.', { field });
    }
    return id;
  }

  private locale(value: string | undefined): string {
    if (value === undefined) return 'zh-CN';
    const locale = parseLocale(value);
    if (!locale) throw invalid('locale', `locale must be one of ${LOCALES.join(', ')}.`, 'unknown_locale');
    return locale;
  }

  private mobiles(list: string[] | undefined): string[] {
    if (list === undefined) return [];
    if (list.length > 20) throw invalid('mentionMobiles', 'Mention at most 20 mobiles.', 'too_many_mobiles');
    const bad = list.find((m) => !MOBILE.test(m));
    if (bad !== undefined) throw invalid('mentionMobiles', `"${bad}" is not a mobile number (digits, optionally with a leading +).`, 'invalid_mobile');
    return [...new Set(list)];
  }
}

const view = (c: ChannelRecord): ChannelView => ({ ...c, config: maskChannelConfig(c.kind as ChannelKind, c.config) });

function deliveryView(d: DeliveryRecord): DeliveryView {
  const { message, ...rest } = d;
  return { ...rest, title: String(message.title ?? ''), eventType: String(message.eventType ?? d.kind), ref: String(message.ref ?? message.caseRef ?? '') };
}
