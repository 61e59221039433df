// The delivery worker: sends the deliveries the fan-out wrote through their channels' senders (src/notify),
// at least once. Each batch is claimed under a lease (a process killed mid-send leaves its claims to expire
// and be taken again), robots are held to their per-minute budget by waiting rather than by being refused,
// failures are tried again with exponential backoff and jitter up to the channel's maximum, then dead-
// lettered for an admin to inspect and redeliver; a refused key marks the channel broken and tells admins.

import { randomUUID } from 'node:crypto';
import { renderMessage } from '../../domain/notify-wording.js';
import { newId } from '../../domain/ids.js';
import type { ChannelRecord, DeliveryRecord } from '../../domain/records.js';
import { parseLocale } from '../../domain/wording.js';
import type { ChannelKind, ChannelSender, OutgoingMessage, SendOutcome } from '../../notify/channel.js';
import type { ServiceContext } from '../context.js';

export interface DeliveryOptions {
  /** This process's name in the leases it takes. */
  owner: string;
  /** Deliveries claimed at once. */
  batch: number;
  /** One send's time limit. */
  timeoutMs: number;
  /** How long a claim holds: a batch's sends must end within it (else another process may send again). */
  leaseMs: number;
  /** Attempts before a delivery is dead-lettered, per kind of channel. */
  maxAttempts: Record<ChannelKind, number>;
  /** The first retry's wait; doubled for each further one, up to backoffMaxMs, with jitter. */
  backoffMs: number;
  backoffMaxMs: number;
  /** Messages per minute a group robot takes (WeCom and DingTalk: 20). */
  robotPerMinute: number;
  /** Channels sent to at once (one channel's messages go one after another, in order). */
  concurrency: number;
  /** Jitter's source (tests pass a fixed one). */
  random: () => number;
}

export const DEFAULT_DELIVERY: DeliveryOptions = {
  owner: `gridline-${process.pid}-${randomUUID().slice(0, 8)}`,
  batch: 50,
  timeoutMs: 10_000,
  leaseMs: 120_000,
  maxAttempts: { wecom: 8, dingtalk: 8, webhook: 12, email: 8 },
  backoffMs: 5_000,
  backoffMaxMs: 3_600_000,
  robotPerMinute: 20,
  concurrency: 8,
  random: Math.random,
};

const ROBOTS: readonly string[] = ['wecom', 'dingtalk'];

export interface DeliveryRun {
  claimed: number;
  delivered: number;
  retried: number;
  dead: number;
  /** Held back by a robot's per-minute budget: sent later, no attempt counted. */
  held: number;
}

/** The wait before attempt `attempts + 1`: exponential, capped, with "equal jitter" (half fixed, half random). */
export function backoff(attempts: number, o: Pick<DeliveryOptions, 'backoffMs' | 'backoffMaxMs' | 'random'>): number {
  const full = Math.min(o.backoffMaxMs, o.backoffMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(full / 2 + (o.random() * full) / 2);
}

export class DeliveryWorker {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly senders: ReadonlyMap<ChannelKind, ChannelSender>,
    readonly options: DeliveryOptions = DEFAULT_DELIVERY,
  ) {}

  /** Claim and send one batch. */
  async run(): Promise<DeliveryRun> {
    const store = this.ctx.uow.autocommit.notify;
    const now = this.ctx.now();
    const claimed = await store.claimDeliveries(this.options.owner, now.toISOString(), new Date(now.getTime() + this.options.leaseMs).toISOString(), this.options.batch);
    const result: DeliveryRun = { claimed: claimed.length, delivered: 0, retried: 0, dead: 0, held: 0 };
    if (claimed.length === 0) return result;
    const byChannel = new Map<string, DeliveryRecord[]>();
    for (const d of claimed) byChannel.set(d.channelId, [...(byChannel.get(d.channelId) ?? []), d]);
    const queues = [...byChannel.entries()];
    const workers = Array.from({ length: Math.min(this.options.concurrency, queues.length) }, async () => {
      for (let next = queues.shift(); next; next = queues.shift()) {
        const [channelId, items] = next;
        const channel = await store.channel(channelId);
        for (const [i, d] of items.entries()) {
          // A send must end while the claim holds, or another process could take and send it too: what the
          // lease no longer covers goes back for the next round (no attempt counted).
          if (d.leaseUntil !== null && Date.parse(d.leaseUntil) - this.ctx.now().getTime() < this.options.timeoutMs) {
            for (const rest of items.slice(i)) {
              await store.finishDelivery(rest.id, this.options.owner, {});
              result.held++;
            }
            break;
          }
          const { outcome, heldUntil } = await this.deliver(channel, d);
          result[outcome]++;
          // A channel out of budget or found broken: the rest of its batch waits (released, no attempt counted).
          if (outcome === 'held' || (outcome === 'dead' && channel && (await store.channel(channelId))?.status !== 'active')) {
            for (const rest of items.slice(i + 1)) {
              await store.finishDelivery(rest.id, this.options.owner, heldUntil ? { nextAt: heldUntil } : {});
              result.held++;
            }
            break;
          }
        }
      }
    });
    await Promise.all(workers);
    return result;
  }

  /** Send until nothing is due now; answers the totals. */
  async drain(): Promise<DeliveryRun> {
    const total: DeliveryRun = { claimed: 0, delivered: 0, retried: 0, dead: 0, held: 0 };
    for (;;) {
      const r = await this.run();
      for (const k of Object.keys(total) as (keyof DeliveryRun)[]) total[k] += r[k];
      if (r.claimed === 0 || r.claimed === r.held) return total;
    }
  }

  private async deliver(channel: ChannelRecord | undefined, d: DeliveryRecord): Promise<{ outcome: 'delivered' | 'retried' | 'dead' | 'held'; heldUntil?: string }> {
    const store = this.ctx.uow.autocommit.notify;
    const owner = this.options.owner;
    const now = this.ctx.now();
    const nowIso = now.toISOString();
    const sender = channel ? this.senders.get(channel.kind as ChannelKind) : undefined;
    if (!channel || !sender) {
      const error = channel ? `no ${channel.kind} sender is configured on this server${channel.kind === 'email' ? ' (set SMTP_URL)' : ''}` : 'the channel was deleted';
      await store.finishDelivery(d.id, owner, { status: 'dead', lastError: error, lastAttemptAt: nowIso });
      return { outcome: 'dead' };
    }
    if (ROBOTS.includes(channel.kind)) {
      // 20 a minute per robot, shared by every process: over budget, the message waits for the next window.
      const budget = await this.ctx.uow.autocommit.throttle.hit({ rule: 'robot', subject: channel.id }, { limit: this.options.robotPerMinute, windowS: 60 }, now);
      if (!budget.allowed) {
        const heldUntil = new Date(now.getTime() + Math.max(1, budget.retryAfterS) * 1000).toISOString();
        await store.finishDelivery(d.id, owner, { nextAt: heldUntil });
        return { outcome: 'held', heldUntil };
      }
    }
    let outcome: SendOutcome;
    try {
      outcome = await sender.send({ id: channel.id, kind: channel.kind as ChannelKind, name: channel.name, config: channel.config }, storedMessage(d.message), {
        timeoutMs: this.options.timeoutMs,
        now,
      });
    } catch (error) {
      // A sender should answer, not throw; if one does, the message is kept and tried again.
      outcome = { ok: false, outcome: 'retry', error: `sender failed: ${error instanceof Error ? error.message : String(error)}` };
    }
    const attempts = d.attempts + 1;
    if (outcome.ok) {
      await store.finishDelivery(d.id, owner, { status: 'delivered', attempts, deliveredAt: nowIso, lastAttemptAt: nowIso, lastError: null });
      return { outcome: 'delivered' };
    }
    const max = this.options.maxAttempts[channel.kind as ChannelKind] ?? 8;
    if (outcome.outcome === 'rejected') {
      await store.finishDelivery(d.id, owner, { status: 'dead', attempts, lastError: outcome.error, lastAttemptAt: nowIso });
      await this.markBroken(channel, outcome.error, nowIso);
      return { outcome: 'dead' };
    }
    if (outcome.outcome === 'failed' || attempts >= max) {
      const error = outcome.outcome === 'failed' ? outcome.error : `${outcome.error} (gave up after ${attempts} attempts)`;
      await store.finishDelivery(d.id, owner, { status: 'dead', attempts, lastError: error, lastAttemptAt: nowIso });
      return { outcome: 'dead' };
    }
    const wait = Math.max(outcome.retryAfterMs ?? 0, backoff(attempts, this.options));
    await store.finishDelivery(d.id, owner, { attempts, nextAt: new Date(now.getTime() + wait).toISOString(), lastError: outcome.error, lastAttemptAt: nowIso });
    return { outcome: 'retried' };
  }

  /** The key was refused: the channel stops taking messages until an admin fixes it, and admins hear of it. */
  private async markBroken(channel: ChannelRecord, problem: string, at: string): Promise<void> {
    const repos = this.ctx.uow.autocommit;
    if (!(await repos.notify.setChannelStatus(channel.id, 'broken', problem, at))) return;
    const admins = await repos.users.withRoles(['admin']);
    await repos.notify.insertInbox(
      admins.map((admin) => {
        const locale = parseLocale(admin.locale) ?? 'zh-CN';
        const words = renderMessage('channel_broken', { ref: '', category: '', place: '', urgent: false, channel: channel.name, problem, link: null }, locale);
        return {
          id: newId(Date.parse(at)),
          userId: admin.id,
          eventId: `channel:${channel.id}:${at}`,
          caseId: null,
          kind: 'channel_broken',
          title: words.title,
          body: words.text,
          link: null,
          data: { channelId: channel.id, channelKind: channel.kind, problem },
          createdAt: at,
          readAt: null,
        };
      }),
    );
  }
}

/** A stored message as senders take it: one written before migration 012 names its reference caseRef. */
function storedMessage(message: Record<string, unknown>): OutgoingMessage {
  const m = message as unknown as OutgoingMessage & { caseRef?: string };
  return m.ref === undefined && typeof m.caseRef === 'string' ? { ...m, ref: m.caseRef } : m;
}
