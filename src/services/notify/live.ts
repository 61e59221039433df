// Live events for the staff console and the rider app (GET /api/v1/events, Server-Sent Events): one
// shared reader per process follows the feed (the fan-out's numbered entries, migrations/009_notify.ts)
// and hands each entry to every subscriber who may see its case, by the access policy (domain/access.ts:
// caseAccess, and followsMerged for a rider whose report was merged into the case), judged on the case as
// it is now, like GET /cases/:id.
//
// The reader wakes on a 'feed' signal (a fan-out here, or in another process through LISTEN/NOTIFY:
// storage/signals.ts) and polls every `pollMs` besides (a lost signal delays, never loses); it runs only
// while someone is subscribed, and its timer is unref'd. Each round reads the feed after its cursor until
// caught up, loads the cases of a page once, and checks every subscriber per entry.
//
// A subscriber joins inside a round, so joining and the live pages never overlap: one resuming from
// `lastEventId` is first sent the entries after it up to the cursor (at most `replayLimit`; further behind,
// or past what the feed still keeps, it is sent `reset`: reload your lists), then `ready`, then the live
// entries. Each subscriber remembers the last number it was handed, so none is sent twice.
//
// A subscriber whose client cannot keep up (its `send` answers false: the socket's buffer is over its
// bound) is dropped, so a slow client neither holds up the others nor makes the process buffer without end.

import { caseAccess, caseScope, followsMerged } from '../../domain/access.js';
import { DomainError } from '../../domain/errors.js';
import type { CaseRecord, FeedEntry } from '../../domain/records.js';
import type { Principal, ServiceContext } from '../context.js';
import { caseReach } from '../cases/shared.js';

/** What a live event tells: the case, its reference, what happened and the status it left; no personal data. */
export interface LiveEvent {
  seq: number;
  caseId: string;
  ref: string;
  action: string;
  status: string;
  kinds: string[];
  at: string;
}

/**
 * What a subscriber is sent, in order: `case` (a live event), `reset` (you were further behind than the
 * replay reaches, or named a number the feed never had: reload your lists; events follow from `seq`) and
 * `ready` (replay done; live from `seq` on). Each carries the number to resume after.
 */
export type LiveMessage =
  | { type: 'case'; seq: number; event: LiveEvent }
  | { type: 'reset'; seq: number; reason: 'behind' | 'unknown' }
  | { type: 'ready'; seq: number };

/** Send one message to the client; answer false when it cannot keep up (it is then dropped). Never called before subscribe returns. */
export type LiveSend = (message: LiveMessage) => boolean | void;
/** The feed ended the subscription: the client could not keep up, or the feed closed. */
export type LiveEnd = (reason: 'slow' | 'closing') => void;

export interface LiveOptions {
  /** How often the reader looks without a signal, while anyone is subscribed. */
  pollMs: number;
  /** Feed entries read per query. */
  pageSize: number;
  /** The most entries a resuming subscriber is replayed; further behind, it is sent `reset`. */
  replayLimit: number;
  /** Streams one user may hold open in this process. */
  maxPerUser: number;
  /** Streams this process holds open, all users together. */
  maxStreams: number;
  // The HTTP stream's (routes/events): read per request, so tests may shorten them here.
  /** A comment line this often keeps proxies and the client from timing the stream out. */
  heartbeatMs: number;
  /** The client's reconnection delay (the stream's first line: `retry:`). */
  retryMs: number;
  /**
   * A client with more than this many bytes waiting in its socket is dropped. Must hold a whole replay
   * (`replayLimit` events of some 250 bytes) with room to spare, or a far-behind client would be dropped
   * on every reconnect.
   */
  maxBufferedBytes: number;
  /** A stream ends after this long; the client reconnects and resumes (its sign-in is checked again). */
  maxStreamMs: number;
  // What prune() keeps.
  /** Entries younger than this stay. */
  retainHours: number;
  /** The newest this many entries stay, however old. */
  retainEntries: number;
}

export const DEFAULT_LIVE: LiveOptions = {
  pollMs: 1000,
  pageSize: 500,
  replayLimit: 1000,
  maxPerUser: 5,
  maxStreams: 1000,
  heartbeatMs: 15_000,
  retryMs: 3000,
  maxBufferedBytes: 512 * 1024,
  maxStreamMs: 30 * 60_000,
  retainHours: 24,
  retainEntries: 10_000,
};

export interface LiveLog {
  error(data: Record<string, unknown>, message: string): void;
}

interface Subscriber {
  principal: Principal;
  /** The last feed number this subscriber was handed or passed over (undefined: not joined yet, start at the head). */
  position: number | undefined;
  live: boolean;
  send: LiveSend;
  end?: LiveEnd;
}

export class LiveFeed {
  /** Mutable: the stream settings are read when a stream opens, the reader's when it starts. */
  readonly options: LiveOptions;
  private readonly subscribers = new Set<Subscriber>();
  private readonly perUser = new Map<string, number>();
  private joining: Subscriber[] = [];
  private cursor: number | undefined;
  private running?: Promise<void>;
  private again = false;
  private timer?: NodeJS.Timeout;
  private off?: () => void;
  private failures = 0;
  private closed = false;

  constructor(
    private readonly ctx: ServiceContext,
    options: Partial<LiveOptions> = {},
    private log: LiveLog = { error: () => {} },
  ) {
    this.options = { ...DEFAULT_LIVE, ...options };
  }

  /** Where the reader's failures are logged (the HTTP app attaches its logger). */
  attachLog(log: LiveLog): void {
    this.log = log;
  }

  /**
   * Subscribe a reader to the events of the cases they may see, from after `lastEventId` (a reconnect) or
   * from now. Refused like GET /cases for staff without a jurisdiction or department (403), and past the
   * limits: 429 `too_many_streams` (this user's), 503 `streams_full` (this process's). Answers the
   * function that ends the subscription (idempotent).
   */
  subscribe(principal: Principal, lastEventId: number | undefined, send: LiveSend, end?: LiveEnd): () => void {
    if (this.closed) throw new DomainError('unavailable', 'streams_closed', 'The server is shutting down; reconnect in a moment.', { retryAfterS: 3 });
    // The same refusals as the case list: staff who can see no case have nothing to follow.
    caseScope(principal.actor);
    const userId = principal.user.id;
    const mine = this.perUser.get(userId) ?? 0;
    if (mine >= this.options.maxPerUser) {
      throw new DomainError('too_many', 'too_many_streams', `You already have ${mine} live event streams open; close one (another tab or window) first.`, { limit: this.options.maxPerUser });
    }
    if (this.subscribers.size >= this.options.maxStreams) {
      throw new DomainError('unavailable', 'streams_full', 'This server holds as many live event streams as it can; try again shortly.', { retryAfterS: 30 });
    }
    const subscriber: Subscriber = { principal, position: lastEventId, live: false, send, end };
    this.subscribers.add(subscriber);
    this.perUser.set(userId, mine + 1);
    this.joining.push(subscriber);
    if (this.subscribers.size === 1) this.start();
    this.poke();
    return () => this.remove(subscriber);
  }

  /** How many streams are open (all, and one user's). */
  stats(userId?: string): { streams: number; mine: number; cursor: number | null; failures: number } {
    return { streams: this.subscribers.size, mine: userId ? (this.perUser.get(userId) ?? 0) : 0, cursor: this.cursor ?? null, failures: this.failures };
  }

  /** Keep the feed bounded: drop entries older than `retainHours`, always keeping the newest `retainEntries`. */
  async prune(): Promise<number> {
    const before = new Date(this.ctx.now().getTime() - this.options.retainHours * 3_600_000).toISOString();
    return this.ctx.uow.autocommit.notify.pruneFeed(before, this.options.retainEntries);
  }

  /** End every subscription (`closing`) and refuse new ones. */
  async close(): Promise<void> {
    this.closed = true;
    for (const s of [...this.subscribers]) {
      this.remove(s);
      s.end?.('closing');
    }
    await this.running;
  }

  private remove(s: Subscriber): void {
    if (!this.subscribers.delete(s)) return;
    const userId = s.principal.user.id;
    const left = (this.perUser.get(userId) ?? 1) - 1;
    if (left > 0) this.perUser.set(userId, left);
    else this.perUser.delete(userId);
    this.joining = this.joining.filter((j) => j !== s);
    if (this.subscribers.size === 0) this.stop();
  }

  /** The client could not keep up: let it go, and tell its stream. */
  private drop(s: Subscriber): void {
    if (!this.subscribers.has(s)) return;
    this.remove(s);
    s.end?.('slow');
  }

  private start(): void {
    this.off = this.ctx.signals.on('feed', () => this.poke());
    this.timer = setInterval(() => this.poke(), this.options.pollMs);
    this.timer.unref();
  }

  private stop(): void {
    this.off?.();
    this.off = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
    // Idle: the next subscriber starts from the head again, not from where the last one left.
    if (!this.running) this.cursor = undefined;
  }

  private poke(): void {
    if (this.subscribers.size === 0) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop();
  }

  private async loop(): Promise<void> {
    // Never synchronously inside subscribe(): its caller sets up the stream before the first message.
    await Promise.resolve();
    try {
      do {
        this.again = false;
        try {
          await this.round();
          this.failures = 0;
        } catch (err) {
          // The next poll tries again; the subscribers wait where they are.
          this.failures++;
          this.log.error({ err, failures: this.failures }, 'live feed round failed; trying again');
          break;
        }
      } while (this.again && this.subscribers.size > 0);
    } finally {
      this.running = undefined;
      if (this.subscribers.size === 0) this.cursor = undefined;
    }
  }

  private async round(): Promise<void> {
    const store = this.ctx.uow.autocommit.notify;
    this.cursor ??= await store.feedHead();
    const joining = this.joining;
    this.joining = [];
    if (joining.length > 0) {
      try {
        await this.admit(joining);
      } catch (err) {
        // Try them again next round, from where they stand.
        this.joining.unshift(...joining.filter((s) => this.subscribers.has(s) && !s.live));
        throw err;
      }
    }
    for (;;) {
      const cursor = this.cursor;
      const page = await store.feedAfter(cursor, this.options.pageSize);
      if (page.length === 0) return;
      await this.dispatch(page, [...this.subscribers].filter((s) => s.live));
      this.cursor = page.at(-1)!.seq;
      if (page.length < this.options.pageSize) return;
    }
  }

  /** Bring joining subscribers up to the cursor: replay what they missed (or tell them to reset), then `ready`. */
  private async admit(joining: Subscriber[]): Promise<void> {
    const store = this.ctx.uow.autocommit.notify;
    const cursor = this.cursor!;
    const replaying: Subscriber[] = [];
    let head: number | undefined;
    for (const s of joining) {
      const from = s.position;
      if (from === undefined || from === cursor) {
        s.position = cursor;
      } else if (from > cursor) {
        // Ahead of this process's reader: fine if the feed has it (another process read further), else unknown.
        head ??= await store.feedHead();
        if (from > head) this.reset(s, Math.max(head, cursor), 'unknown');
      } else if (cursor - from > this.options.replayLimit) {
        this.reset(s, cursor, 'behind');
      } else {
        replaying.push(s);
      }
    }
    if (replaying.length > 0) {
      const from = Math.min(...replaying.map((s) => s.position!));
      const missed: FeedEntry[] = [];
      for (let at = from; at < cursor; ) {
        const page = await store.feedAfter(at, Math.min(this.options.pageSize, cursor - at));
        if (page.length === 0) break;
        missed.push(...page.filter((e) => e.seq <= cursor));
        at = page.at(-1)!.seq;
      }
      const whole: Subscriber[] = [];
      for (const s of replaying) {
        // Numbers are taken without gaps, so anything fewer than the distance was pruned: too far behind.
        const found = missed.filter((e) => e.seq > s.position!).length;
        if (found < cursor - s.position!) this.reset(s, cursor, 'behind');
        else whole.push(s);
      }
      if (missed.length > 0 && whole.length > 0) await this.dispatch(missed, whole);
      for (const s of whole) s.position = cursor;
    }
    for (const s of joining) {
      if (!this.subscribers.has(s)) continue;
      s.live = true;
      if (s.send({ type: 'ready', seq: s.position! }) === false) this.drop(s);
    }
  }

  private reset(s: Subscriber, at: number, reason: 'behind' | 'unknown'): void {
    s.position = at;
    if (s.send({ type: 'reset', seq: at, reason }) === false) this.drop(s);
  }

  /** Hand entries, in order, to the subscribers that have not had them and may see their cases. */
  private async dispatch(entries: FeedEntry[], targets: Subscriber[]): Promise<void> {
    if (targets.length === 0) return;
    const repos = this.ctx.uow.autocommit;
    const [records, router, reference] = await Promise.all([
      repos.cases.findMany([...new Set(entries.map((e) => e.caseId))]),
      this.ctx.routing(),
      this.ctx.reference(),
    ]);
    const cases = new Map<string, CaseRecord>(records.map((r) => [r.id, r]));
    // The reporters of reports merged into a case: asked once per case, and only for a rider who cannot see it otherwise.
    const merged = new Map<string, Promise<string[]>>();
    const mergedReporters = (caseId: string) => {
      let found = merged.get(caseId);
      if (!found) {
        found = repos.cases.mergedInto(caseId).then((list) => list.map((c) => c.reporterId));
        merged.set(caseId, found);
      }
      return found;
    };
    for (const entry of entries) {
      const record = cases.get(entry.caseId);
      const category = record ? reference.categoryById.get(record.categoryId) : undefined;
      const reach = record && category ? caseReach(record, category, router) : undefined;
      const event: LiveEvent | undefined = record
        ? { seq: entry.seq, caseId: entry.caseId, ref: record.ref, action: entry.action, status: entry.status, kinds: entry.kinds, at: entry.at }
        : undefined;
      for (const s of targets) {
        if (s.position !== undefined && entry.seq <= s.position) continue;
        s.position = entry.seq;
        if (!reach || !event) continue;
        const actor = s.principal.actor;
        let access = caseAccess(actor, reach);
        if (access === 'none') access = await followsMerged(actor, access, () => mergedReporters(entry.caseId));
        if (access === 'none' || !this.subscribers.has(s)) continue;
        if (s.send({ type: 'case', seq: entry.seq, event }) === false) this.drop(s);
      }
    }
  }
}
