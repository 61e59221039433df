// Throttling: named rate-limit rules that routes declare (src/http/rate-limit.ts), login throttling per
// account and per address with a lockout an administrator can lift. All state is in the database (the
// throttle store, ports.ts), so every process on one PostgreSQL enforces the same limits; the
// time comes from the service clock. Refusals are DomainError 'too_many' (429) with details.retryAfterS.

import { DomainError } from '../domain/errors.js';
import type { RateDecision, RateRule, ThrottleKey } from '../domain/records.js';
import type { ThrottleStore } from '../ports.js';
import type { ServiceContext } from './context.js';


/** The rules a route may declare with `config: { rateLimit: ... }`. */
export type RouteRule = 'login' | 'report' | 'read' | 'public' | 'publicWrite';

export interface ThrottleRules {
  /** Failed logins per account before it is locked (THROTTLE_LOGIN_ACCOUNT). */
  loginAccount: RateRule;
  /** How long a locked account stays locked unless an admin lifts it (THROTTLE_LOCKOUT_MINUTES). */
  lockoutS: number;
  /** Failed logins per address (THROTTLE_LOGIN_ADDRESS). */
  loginAddress: RateRule;
  /** Report intake per reporter: POST /reports (THROTTLE_REPORT). */
  report: RateRule;
  /** Expensive reads per user: case lists, the map, nearby cases, my reports (THROTTLE_READ). */
  read: RateRule;
  /** Anonymous public reads per address: public media, Open311 reads (THROTTLE_PUBLIC). */
  public: RateRule;
  /** Anonymous public submissions per address: the application form, Open311 requests (THROTTLE_PUBLIC_WRITE). */
  publicWrite: RateRule;
  /** How often (service-clock seconds) a process deletes ended windows. */
  cleanupEveryS: number;
}

const MINUTE = 60;

export const DEFAULT_THROTTLE: ThrottleRules = {
  loginAccount: { limit: 10, windowS: 15 * MINUTE },
  lockoutS: 15 * MINUTE,
  loginAddress: { limit: 50, windowS: 15 * MINUTE },
  report: { limit: 60, windowS: MINUTE },
  read: { limit: 120, windowS: MINUTE },
  public: { limit: 300, windowS: MINUTE },
  publicWrite: { limit: 20, windowS: 10 * MINUTE },
  cleanupEveryS: 10 * MINUTE,
};

/** Whom a route rule counts: the signed-in user, or the caller's address. */
const COUNTS: Record<Exclude<RouteRule, 'login'>, 'user' | 'address'> = { report: 'user', read: 'user', public: 'address', publicWrite: 'address' };

/** Rule names as stored (the `rule` column). */
const STORED: Record<Exclude<RouteRule, 'login'>, string> = { report: 'report', read: 'read', public: 'public', publicWrite: 'public-write' };
const LOGIN_ACCOUNT = 'login-account';
const LOGIN_ADDRESS = 'login-address';

/** A logger with pino's call shape (the request logger); usernames and addresses only, never passwords. */
export interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const silent: Log = { info: () => {}, warn: () => {} };

/** One login attempt that passed the throttle: say how it ended. */
export interface LoginAttempt {
  succeeded(): Promise<void>;
  failed(): Promise<void>;
}

export interface LockoutView {
  username: string;
  until: string;
  failures: number;
  lastAddress: string | null;
  /** False when no user has this name (someone is guessing; locked all the same so nothing leaks). */
  known: boolean;
}

export class ThrottleService {
  private lastCleanup?: number;
  /** The cleanup started last, if any (tests wait for it; requests never do). */
  cleaning?: Promise<number>;

  constructor(
    private readonly ctx: ServiceContext,
    readonly rules: ThrottleRules = DEFAULT_THROTTLE,
  ) {}

  private get limiter(): ThrottleStore {
    return this.ctx.uow.autocommit.throttle;
  }

  /**
   * A route's rule for one request, before its body is read. `login` only looks (an address that has
   * used up its failures is refused without reading the body); the others count the request.
   */
  async check(rule: RouteRule, who: { userId?: string; address: string }): Promise<RateDecision | undefined> {
    const now = this.ctx.now();
    if (rule === 'login') {
      if (this.rules.loginAddress.limit === 0) return undefined;
      const state = await this.limiter.peek({ rule: LOGIN_ADDRESS, subject: who.address }, this.rules.loginAddress, now);
      if (state.blocked) throw tooManyLogins(state.retryAfterS);
      return undefined;
    }
    const limits = this.rules[rule];
    if (limits.limit === 0) return undefined;
    const subject = COUNTS[rule] === 'user' && who.userId ? `user:${who.userId}` : `addr:${who.address}`;
    const decision = await this.limiter.hit({ rule: STORED[rule], subject }, limits, now);
    this.maybeCleanup(now);
    if (!decision.allowed) {
      throw new DomainError('too_many', 'rate_limited', `Too many requests; try again in ${decision.retryAfterS} s.`, { retryAfterS: decision.retryAfterS, rule });
    }
    return decision;
  }

  /**
   * Before a password is verified: refuse a locked account (429 account_locked) or an address that has
   * used up its failures (429 too_many_login_attempts) without any password work; otherwise the attempt
   * is counted (so concurrent guesses cannot pass the limit), and given back if it succeeds.
   */
  async loginAttempt(username: string, address: string, log: Log = silent): Promise<LoginAttempt> {
    const now = this.ctx.now();
    const accountKey: ThrottleKey = { rule: LOGIN_ACCOUNT, subject: username };
    const addressKey: ThrottleKey = { rule: LOGIN_ADDRESS, subject: address };
    const accountRule = this.rules.loginAccount;
    const addressRule = this.rules.loginAddress;
    const account = accountRule.limit > 0 ? await this.limiter.hit(accountKey, accountRule, now, address) : undefined;
    if (account && !account.allowed) throw accountLocked(account.retryAfterS);
    const byAddress = addressRule.limit > 0 ? await this.limiter.hit(addressKey, addressRule, now, address) : undefined;
    if (byAddress && !byAddress.allowed) {
      if (account) await this.limiter.refund(accountKey, account.resetAt);
      throw tooManyLogins(byAddress.retryAfterS);
    }
    this.maybeCleanup(now);
    return {
      succeeded: async () => {
        await Promise.all([account && this.limiter.refund(accountKey, account.resetAt), byAddress && this.limiter.refund(addressKey, byAddress.resetAt)]);
      },
      failed: async () => {
        const failures = account?.count ?? 0;
        log.info({ username, address, failures, addressFailures: byAddress?.count ?? 0 }, 'login failed');
        if (account && failures >= accountRule.limit) {
          const until = new Date(this.ctx.now().getTime() + this.rules.lockoutS * 1000).toISOString();
          if (await this.limiter.lock(accountKey, account.resetAt, until)) log.warn({ username, address, failures, until }, 'account locked after repeated failed logins');
        }
      },
    };
  }

  /** Lift an account's lockout and forget its failures; 404 when no user has the name. */
  async unlock(username: string): Promise<{ wasLocked: boolean }> {
    if (!(await this.ctx.uow.autocommit.users.byUsername(username))) throw new DomainError('not_found', 'user_not_found', `No user is called ${username}.`, { username });
    return { wasLocked: await this.limiter.clear({ rule: LOGIN_ACCOUNT, subject: username }, this.ctx.now()) };
  }

  /** Accounts locked now. */
  async lockouts(): Promise<LockoutView[]> {
    const rows = await this.limiter.locked(LOGIN_ACCOUNT, this.ctx.now());
    const known = new Set<string>();
    for (const r of rows) if (await this.ctx.uow.autocommit.users.byUsername(r.subject)) known.add(r.subject);
    return rows.map((r) => ({ username: r.subject, until: r.lockedUntil, failures: r.failures, lastAddress: r.lastAddress, known: known.has(r.subject) }));
  }

  /** Delete ended windows and run-out locks now. */
  cleanup(): Promise<number> {
    this.lastCleanup = this.ctx.now().getTime();
    return this.limiter.deleteExpired(this.ctx.now());
  }

  /** At most once per cleanupEveryS per process, off the request's path (it does not wait for it). */
  private maybeCleanup(now: Date): void {
    const t = now.getTime();
    if (this.lastCleanup === undefined) {
      this.lastCleanup = t;
      return;
    }
    if (t - this.lastCleanup < this.rules.cleanupEveryS * 1000) return;
    this.lastCleanup = t;
    // Best effort: the next interval tries again; a closed database at shutdown is not worth a log.
    this.cleaning = this.limiter.deleteExpired(now).catch(() => 0);
  }
}

const accountLocked = (retryAfterS: number) =>
  new DomainError('too_many', 'account_locked', `This account is locked after too many failed logins; try again in ${retryAfterS} s or ask an administrator to unlock it.`, { retryAfterS });

const tooManyLogins = (retryAfterS: number) =>
  new DomainError('too_many', 'too_many_login_attempts', `Too many failed logins from your address; try again in ${retryAfterS} s.`, { retryAfterS });
