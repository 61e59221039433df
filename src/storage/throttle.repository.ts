// Throttling state: one fixed-window counter per (rule, subject), shared by every process on the database.
//
// Fixed window, anchored at the first hit after the previous window ended: one row per key, and each
// check is ONE atomic upsert (INSERT ... ON CONFLICT DO UPDATE ... RETURNING) whose returned count is
// exact under any concurrency (the row lock on PostgreSQL, the single writer on SQLite), so no more than
// `limit` hits are ever allowed in a window. A sliding log would need a row per hit and a count; a
// sliding-window estimate is approximate under races. The price of a fixed window is a burst of up to
// 2 x limit across a window's end, which is fine for abuse protection. The counter stops at limit + 1,
// so a flood never grows it. Times are ISO-8601 text, compared as text, like everywhere else.

import { sql, type Kysely } from 'kysely';
import type { Lockout, RateDecision, RateRule, ThrottleKey } from '../domain/records.js';
import type { ThrottleStore } from '../ports.js';
import { selectRows } from './compiled.js';
import type { DB } from './schema.js';


const secondsUntil = (iso: string, now: Date): number => Math.max(1, Math.ceil((Date.parse(iso) - now.getTime()) / 1000));

/** The values of one hit, by name. */
type HitValues = {
  rule: string;
  subject: string;
  resetAt: string;
  address: string | null;
  now: string;
  limit: number;
};

export class ThrottleRepository implements ThrottleStore {
  constructor(private readonly db: Kysely<DB>) {}

  private hitQuery(v: HitValues) {
    const locked = sql<boolean>`throttle.locked_until > ${v.now}`;
    const fresh = sql<boolean>`throttle.locked_until is not null or throttle.reset_at <= ${v.now}`;
    return this.db
      .insertInto('throttle')
      .values({ rule: v.rule, subject: v.subject, count: 1, reset_at: v.resetAt, locked_until: null, last_address: v.address })
      .onConflict((oc) =>
        oc.columns(['rule', 'subject']).doUpdateSet({
          count: sql<number>`case when ${locked} then throttle.count when ${fresh} then 1 when throttle.count > ${v.limit} then throttle.count else throttle.count + 1 end`,
          reset_at: sql<string>`case when ${locked} then throttle.reset_at when ${fresh} then excluded.reset_at else throttle.reset_at end`,
          locked_until: sql<string | null>`case when ${locked} then throttle.locked_until else null end`,
          last_address: sql<string | null>`excluded.last_address`,
        }),
      )
      .returning(['count', 'reset_at', 'locked_until']);
  }

  /**
   * Count one hit. A locked subject is not counted and is refused until its lock ends; a lock that has
   * ended starts a fresh window.
   */
  async hit(key: ThrottleKey, rule: RateRule, now: Date, address: string | null = null): Promise<RateDecision> {
    const at = now.toISOString();
    const resetAt = new Date(now.getTime() + rule.windowS * 1000).toISOString();
    // Compiled once: it runs on every limited request, and building it costs more than running it.
    const rows = await selectRows(this.db, 'throttle.hit', { rule: key.rule, subject: key.subject, resetAt, address, now: at, limit: rule.limit }, (v) => this.hitQuery(v));
    const row = rows[0];
    if (!row) throw new Error('the throttle upsert returned no row');
    const lockedUntil = row.locked_until && row.locked_until > at ? row.locked_until : null;
    const allowed = !lockedUntil && row.count <= rule.limit;
    return {
      allowed,
      count: row.count,
      remaining: Math.max(0, rule.limit - row.count),
      retryAfterS: allowed ? 0 : secondsUntil(lockedUntil ?? row.reset_at, now),
      resetAt: row.reset_at,
      lockedUntil,
    };
  }

  /** The state of a key without counting anything: would the next hit be refused? */
  async peek(key: ThrottleKey, rule: RateRule, now: Date): Promise<{ blocked: boolean; retryAfterS: number; count: number }> {
    const at = now.toISOString();
    const row = await this.db.selectFrom('throttle').select(['count', 'reset_at', 'locked_until']).where('rule', '=', key.rule).where('subject', '=', key.subject).executeTakeFirst();
    if (!row) return { blocked: false, retryAfterS: 0, count: 0 };
    if (row.locked_until && row.locked_until > at) return { blocked: true, retryAfterS: secondsUntil(row.locked_until, now), count: row.count };
    if (row.locked_until || row.reset_at <= at) return { blocked: false, retryAfterS: 0, count: 0 };
    return row.count >= rule.limit ? { blocked: true, retryAfterS: secondsUntil(row.reset_at, now), count: row.count } : { blocked: false, retryAfterS: 0, count: row.count };
  }

  /** Give back a hit of the window ending at `resetAt` (a login that succeeded does not count). */
  async refund(key: ThrottleKey, resetAt: string): Promise<void> {
    await this.db
      .updateTable('throttle')
      .set({ count: sql<number>`count - 1` })
      .where('rule', '=', key.rule)
      .where('subject', '=', key.subject)
      .where('reset_at', '=', resetAt)
      .where('count', '>', 0)
      .execute();
  }

  /** Lock a key until `until`, if its window is still the one ending at `resetAt` (an admin may have lifted it since). */
  async lock(key: ThrottleKey, resetAt: string, until: string): Promise<boolean> {
    const result = await this.db.updateTable('throttle').set({ locked_until: until }).where('rule', '=', key.rule).where('subject', '=', key.subject).where('reset_at', '=', resetAt).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Forget a key (lift a lockout and its failures); answers whether it was locked at `now`. */
  async clear(key: ThrottleKey, now: Date): Promise<boolean> {
    const rows = await this.db.deleteFrom('throttle').where('rule', '=', key.rule).where('subject', '=', key.subject).returning('locked_until').execute();
    return rows.some((r) => r.locked_until !== null && r.locked_until > now.toISOString());
  }

  /** The keys of a rule locked at `now`, soonest to end first. */
  async locked(rule: string, now: Date): Promise<Lockout[]> {
    const rows = await this.db
      .selectFrom('throttle')
      .select(['subject', 'locked_until', 'count', 'last_address'])
      .where('rule', '=', rule)
      .where('locked_until', '>', now.toISOString())
      .orderBy('locked_until')
      .orderBy('subject')
      .execute();
    return rows.map((r) => ({ subject: r.subject, lockedUntil: r.locked_until!, failures: r.count, lastAddress: r.last_address }));
  }

  /** Delete windows that have ended and locks that have run out; returns how many rows went. */
  async deleteExpired(now: Date): Promise<number> {
    const at = now.toISOString();
    const result = await this.db
      .deleteFrom('throttle')
      .where('reset_at', '<=', at)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', at)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
