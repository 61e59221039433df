// Notifications in the database (ports.ts NotifyStore): the outbox the events queue into, the fan-out's
// deliveries, inbox messages and live feed, the delivery worker's leases, and the channels, subscriptions
// and auto-dispatch rules. On PostgreSQL every claim skips rows another process holds (FOR UPDATE SKIP
// LOCKED), so several processes share the work without waiting on each other; SQLite has one writer.

import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { ChannelRecord, ChannelStatus, DeliveryRecord, DispatchRule, FeedEntry, InboxMessage, Notice, OutboxEntry, SubscriptionRecord } from '../domain/records.js';
import type { Urgency } from '../domain/types.js';
import type { DeliveryQuery, InboxQuery, NotifyStore } from '../ports.js';
import { insertRows } from './compiled.js';
import { fromJson, isPostgres, toJson } from './dialect.js';
import type { DB, DeliveryTable, InboxMessageTable, NotifyChannelTable, SubscriptionTable } from './schema.js';

const toChannel = (r: NotifyChannelTable): ChannelRecord => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  config: fromJson<Record<string, unknown>>(r.config, {}),
  locale: r.locale,
  mentionMobiles: fromJson<string[]>(r.mention_mobiles, []),
  jurisdictionId: r.jurisdiction_id,
  status: r.status,
  statusReason: r.status_reason,
  statusAt: r.status_at,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toSubscription = (r: SubscriptionTable): SubscriptionRecord => ({
  id: r.id,
  kinds: fromJson<string[]>(r.kinds, []),
  channelId: r.channel_id,
  userId: r.user_id,
  departmentId: r.department_id,
  jurisdictionId: r.jurisdiction_id,
  categoryId: r.category_id,
  active: r.active === 1,
  createdBy: r.created_by,
  createdAt: r.created_at,
});

const toDelivery = (r: DeliveryTable): DeliveryRecord => ({
  id: r.id,
  eventId: r.event_id,
  caseId: r.case_id,
  kind: r.kind,
  channelId: r.channel_id,
  message: fromJson<Record<string, unknown>>(r.message, {}),
  status: r.status,
  attempts: r.attempts,
  nextAt: r.next_at,
  leaseOwner: r.lease_owner,
  leaseUntil: r.lease_until,
  lastError: r.last_error,
  lastAttemptAt: r.last_attempt_at,
  createdAt: r.created_at,
  deliveredAt: r.delivered_at,
});

const deliveryRow = (d: DeliveryRecord): DeliveryTable => ({
  id: d.id,
  event_id: d.eventId,
  case_id: d.caseId,
  kind: d.kind,
  channel_id: d.channelId,
  message: toJson(d.message),
  status: d.status,
  attempts: d.attempts,
  next_at: d.nextAt,
  lease_owner: d.leaseOwner,
  lease_until: d.leaseUntil,
  last_error: d.lastError,
  last_attempt_at: d.lastAttemptAt,
  created_at: d.createdAt,
  delivered_at: d.deliveredAt,
});

const toInbox = (r: InboxMessageTable): InboxMessage => ({
  id: r.id,
  userId: r.user_id,
  eventId: r.event_id,
  caseId: r.case_id,
  kind: r.kind,
  title: r.title,
  body: r.body,
  link: r.link,
  data: fromJson<Record<string, unknown>>(r.data, {}),
  createdAt: r.created_at,
  readAt: r.read_at,
});

const DELIVERY_CHANGES = {
  status: 'status',
  attempts: 'attempts',
  nextAt: 'next_at',
  lastError: 'last_error',
  lastAttemptAt: 'last_attempt_at',
  deliveredAt: 'delivered_at',
} as const satisfies Record<string, keyof DeliveryTable>;

const CHANNEL_CHANGES = {
  name: 'name',
  locale: 'locale',
  jurisdictionId: 'jurisdiction_id',
  status: 'status',
  statusReason: 'status_reason',
  statusAt: 'status_at',
  updatedAt: 'updated_at',
} as const satisfies Record<string, keyof NotifyChannelTable>;

export class NotifyRepository implements NotifyStore {
  constructor(private readonly db: Kysely<DB>) {}

  /** On PostgreSQL, rows another transaction holds are skipped rather than waited for. */
  private skipLocked<O>(q: SelectQueryBuilder<DB, keyof DB, O>): SelectQueryBuilder<DB, keyof DB, O> {
    return isPostgres(this.db) ? q.forUpdate().skipLocked() : q;
  }

  async claimOutbox(limit: number): Promise<OutboxEntry[]> {
    const q = this.db.selectFrom('outbox').selectAll().orderBy('event_id').limit(limit);
    const rows = await this.skipLocked(q as unknown as SelectQueryBuilder<DB, keyof DB, DB['outbox']>).execute();
    return rows.map((r) => ({ eventId: r.event_id, caseId: r.case_id, seq: r.seq, createdAt: r.created_at }));
  }

  async removeOutbox(eventIds: string[]): Promise<void> {
    if (eventIds.length > 0) await this.db.deleteFrom('outbox').where('event_id', 'in', eventIds).execute();
  }

  async insertNotice(n: Notice): Promise<void> {
    await this.db.insertInto('notices').values({ id: n.id, event_id: n.eventId, topic: n.topic, subject_id: n.subjectId, step: n.step, actor_id: n.actorId, created_at: n.createdAt }).execute();
  }

  async claimNotices(limit: number): Promise<Notice[]> {
    const q = this.db.selectFrom('notices').selectAll().orderBy('id').limit(limit);
    const rows = await this.skipLocked(q as unknown as SelectQueryBuilder<DB, keyof DB, DB['notices']>).execute();
    return rows.map((r) => ({ id: r.id, eventId: r.event_id, topic: r.topic, subjectId: r.subject_id, step: r.step, actorId: r.actor_id, createdAt: r.created_at }));
  }

  async removeNotices(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.db.deleteFrom('notices').where('id', 'in', ids).execute();
  }

  async outboxSize(): Promise<number> {
    const count = async (table: 'outbox' | 'notices') => Number((await this.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    return (await count('outbox')) + (await count('notices'));
  }

  async insertDeliveries(rows: DeliveryRecord[]): Promise<void> {
    await insertRows(this.db, 'deliveries', rows.map(deliveryRow), 'ignore', (q) => q.onConflict((oc) => oc.columns(['event_id', 'channel_id', 'kind']).doNothing()));
  }

  async insertInbox(rows: InboxMessage[]): Promise<void> {
    await insertRows(
      this.db,
      'inbox_messages',
      rows.map((m) => ({
        id: m.id,
        user_id: m.userId,
        event_id: m.eventId,
        case_id: m.caseId,
        kind: m.kind,
        title: m.title,
        body: m.body,
        link: m.link,
        data: toJson(m.data),
        created_at: m.createdAt,
        read_at: m.readAt,
      })),
      'ignore',
      (q) => q.onConflict((oc) => oc.columns(['event_id', 'user_id', 'kind']).doNothing()),
    );
  }

  async appendFeed(entries: Omit<FeedEntry, 'seq'>[]): Promise<void> {
    if (entries.length === 0) return;
    // Taking the numbers locks the counter's row until commit: the next fan-out numbers after this one
    // commits, so the feed's numbers grow in commit order and a reader resuming after N misses nothing.
    const row = await this.db
      .insertInto('counters')
      .values({ name: 'feed', value: entries.length })
      .onConflict((oc) => oc.column('name').doUpdateSet({ value: sql<number>`counters.value + ${entries.length}` }))
      .returning('value')
      .executeTakeFirstOrThrow();
    const first = Number(row.value) - entries.length + 1;
    await insertRows(
      this.db,
      'feed',
      entries.map((e, i) => ({ seq: first + i, event_id: e.eventId, case_id: e.caseId, action: e.action, status: e.status, kinds: toJson(e.kinds), at: e.at })),
    );
  }

  async feedAfter(seq: number, limit: number): Promise<FeedEntry[]> {
    const rows = await this.db.selectFrom('feed').selectAll().where('seq', '>', seq).orderBy('seq').limit(limit).execute();
    return rows.map((r) => ({ seq: Number(r.seq), eventId: r.event_id, caseId: r.case_id, action: r.action, status: r.status, kinds: fromJson<string[]>(r.kinds, []), at: r.at }));
  }

  async feedHead(): Promise<number> {
    const row = await this.db.selectFrom('feed').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  async pruneFeed(before: string, keep: number): Promise<number> {
    const head = await this.feedHead();
    const result = await this.db.deleteFrom('feed').where('at', '<', before).where('seq', '<=', head - keep).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async claimDeliveries(owner: string, now: string, leaseUntil: string, limit: number): Promise<DeliveryRecord[]> {
    const due = this.db
      .selectFrom('deliveries')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .where((eb) => eb('channel_id', 'in', eb.selectFrom('notify_channels').select('id').where('status', '=', 'active')))
      .orderBy('next_at')
      .limit(limit);
    const ids = this.skipLocked(due as unknown as SelectQueryBuilder<DB, keyof DB, { id: string }>);
    const rows = await this.db
      .updateTable('deliveries')
      .set({ lease_owner: owner, lease_until: leaseUntil })
      .where('id', 'in', ids as never)
      .returningAll()
      .execute();
    return rows.map(toDelivery).sort((a, b) => (a.nextAt < b.nextAt ? -1 : a.nextAt > b.nextAt ? 1 : 0));
  }

  async finishDelivery(id: string, owner: string, changes: Partial<Pick<DeliveryRecord, 'status' | 'attempts' | 'nextAt' | 'lastError' | 'lastAttemptAt' | 'deliveredAt'>>): Promise<boolean> {
    const set: Partial<DeliveryTable> = { lease_owner: null, lease_until: null };
    for (const [key, column] of Object.entries(DELIVERY_CHANGES)) {
      const value = changes[key as keyof typeof changes];
      if (value !== undefined) (set as Record<string, unknown>)[column] = value;
    }
    const result = await this.db.updateTable('deliveries').set(set).where('id', '=', id).where('lease_owner', '=', owner).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async delivery(id: string): Promise<DeliveryRecord | undefined> {
    const row = await this.db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toDelivery(row);
  }

  async deliveries(q: DeliveryQuery): Promise<DeliveryRecord[]> {
    let query = this.db.selectFrom('deliveries').selectAll();
    if (q.status) query = query.where('status', '=', q.status);
    if (q.channelId) query = query.where('channel_id', '=', q.channelId);
    if (q.caseId) query = query.where('case_id', '=', q.caseId);
    if (q.before) query = query.where('id', '<', q.before);
    return (await query.orderBy('id', 'desc').limit(q.limit).execute()).map(toDelivery);
  }

  async countDeliveries(status: DeliveryRecord['status']): Promise<number> {
    const row = await this.db.selectFrom('deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', status).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async redeliver(ids: string[] | 'all', now: string, channelId?: string): Promise<number> {
    if (ids !== 'all' && ids.length === 0) return 0;
    let q = this.db
      .updateTable('deliveries')
      .set({ status: 'pending', attempts: 0, next_at: now, lease_owner: null, lease_until: null })
      .where('status', '=', 'dead');
    if (ids !== 'all') q = q.where('id', 'in', ids);
    if (channelId) q = q.where('channel_id', '=', channelId);
    return Number((await q.executeTakeFirst()).numUpdatedRows);
  }

  async channels(): Promise<ChannelRecord[]> {
    return (await this.db.selectFrom('notify_channels').selectAll().orderBy('created_at').orderBy('id').execute()).map(toChannel);
  }

  async channel(id: string): Promise<ChannelRecord | undefined> {
    const row = await this.db.selectFrom('notify_channels').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toChannel(row);
  }

  async insertChannel(c: ChannelRecord): Promise<void> {
    await this.db
      .insertInto('notify_channels')
      .values({
        id: c.id,
        kind: c.kind,
        name: c.name,
        config: toJson(c.config),
        locale: c.locale,
        mention_mobiles: toJson(c.mentionMobiles),
        jurisdiction_id: c.jurisdictionId,
        status: c.status,
        status_reason: c.statusReason,
        status_at: c.statusAt,
        created_by: c.createdBy,
        created_at: c.createdAt,
        updated_at: c.updatedAt,
      })
      .execute();
  }

  async updateChannel(id: string, changes: Partial<Omit<ChannelRecord, 'id' | 'kind' | 'createdAt' | 'createdBy'>>): Promise<void> {
    const set: Partial<NotifyChannelTable> = {};
    for (const [key, column] of Object.entries(CHANNEL_CHANGES)) {
      const value = changes[key as keyof typeof changes];
      if (value !== undefined) (set as Record<string, unknown>)[column] = value;
    }
    if (changes.config !== undefined) set.config = toJson(changes.config);
    if (changes.mentionMobiles !== undefined) set.mention_mobiles = toJson(changes.mentionMobiles);
    if (Object.keys(set).length > 0) await this.db.updateTable('notify_channels').set(set).where('id', '=', id).execute();
  }

  async setChannelStatus(id: string, status: ChannelStatus, reason: string | null, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable('notify_channels')
      .set({ status, status_reason: reason, status_at: at, updated_at: at })
      .where('id', '=', id)
      .where('status', '!=', status)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async subscriptions(activeOnly = true): Promise<SubscriptionRecord[]> {
    let q = this.db.selectFrom('subscriptions').selectAll();
    if (activeOnly) q = q.where('active', '=', 1);
    return (await q.orderBy('created_at').orderBy('id').execute()).map(toSubscription);
  }

  async subscription(id: string): Promise<SubscriptionRecord | undefined> {
    const row = await this.db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toSubscription(row);
  }

  async insertSubscription(s: SubscriptionRecord): Promise<void> {
    await this.db
      .insertInto('subscriptions')
      .values({
        id: s.id,
        kinds: toJson(s.kinds),
        channel_id: s.channelId,
        user_id: s.userId,
        department_id: s.departmentId,
        jurisdiction_id: s.jurisdictionId,
        category_id: s.categoryId,
        active: s.active ? 1 : 0,
        created_by: s.createdBy,
        created_at: s.createdAt,
      })
      .execute();
  }

  async deleteSubscription(id: string): Promise<boolean> {
    return Number((await this.db.deleteFrom('subscriptions').where('id', '=', id).executeTakeFirst()).numDeletedRows) > 0;
  }

  async inbox(q: InboxQuery): Promise<InboxMessage[]> {
    let query = this.db.selectFrom('inbox_messages').selectAll().where('user_id', '=', q.userId);
    if (q.before) query = query.where('id', '<', q.before);
    if (q.unreadOnly) query = query.where('read_at', 'is', null);
    return (await query.orderBy('id', 'desc').limit(q.limit).execute()).map(toInbox);
  }

  async unread(userId: string): Promise<number> {
    const row = await this.db
      .selectFrom('inbox_messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('read_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async markRead(userId: string, ids: string[] | 'all', at: string): Promise<number> {
    if (ids !== 'all' && ids.length === 0) return 0;
    let q = this.db.updateTable('inbox_messages').set({ read_at: at }).where('user_id', '=', userId).where('read_at', 'is', null);
    if (ids !== 'all') q = q.where('id', 'in', ids);
    return Number((await q.executeTakeFirst()).numUpdatedRows);
  }

  async dispatchRules(): Promise<DispatchRule[]> {
    const rows = await this.db.selectFrom('dispatch_rules').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map((r) => ({
      id: r.id,
      categoryId: r.category_id,
      jurisdictionId: r.jurisdiction_id,
      urgency: r.urgency as Urgency | null,
      departmentId: r.department_id,
      createdBy: r.created_by,
      createdAt: r.created_at,
    }));
  }

  async insertDispatchRule(rule: DispatchRule): Promise<void> {
    await this.db
      .insertInto('dispatch_rules')
      .values({
        id: rule.id,
        category_id: rule.categoryId,
        jurisdiction_id: rule.jurisdictionId,
        urgency: rule.urgency,
        department_id: rule.departmentId,
        created_by: rule.createdBy,
        created_at: rule.createdAt,
      })
      .execute();
  }

  async deleteDispatchRule(id: string): Promise<boolean> {
    return Number((await this.db.deleteFrom('dispatch_rules').where('id', '=', id).executeTakeFirst()).numDeletedRows) > 0;
  }
}
