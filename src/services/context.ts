// What every service is built from: the unit of work, the clock, and caches of slow-changing reference
// data (jurisdiction polygons, the working calendar, categories, departments and routing rules) that are
// reloaded when they change: whoever changes them calls invalidate() (seeding, boundary import, the
// calendar admin route).

import type { Category, Department, User } from '../domain/records.js';
import { makeCalendar, type WorkingCalendar } from '../domain/calendar.js';
import { DEFAULT_EVIDENCE, type EvidenceOptions } from '../domain/evidence.js';
import type { Actor } from '../domain/types.js';
import { Router } from '../geo/router.js';
import type { Clock } from '../ports.js';
import { DEFAULT_BORDER_DISTANCE_M } from './placement.js';
import { sql } from 'kysely';
import { reposFor, type Repos, type UnitOfWork } from '../storage/unit-of-work.js';
import type { RoutingTables } from './routing.js';

export interface Principal {
  user: User;
  actor: Actor;
}

/** Categories, departments and routing rules: a few dozen rows each, read on every report and view. */
export interface ReferenceData extends RoutingTables {
  categories: Category[];
  categoryById: Map<string, Category>;
  departmentById: Map<string, Department>;
}

/** A value loaded on first use and kept; a failed load is not kept, so the next use tries again. */
class Cached<T> {
  private value?: Promise<T>;
  constructor(private readonly load: () => Promise<T>) {}

  get(): Promise<T> {
    if (!this.value) {
      const loading = this.load();
      this.value = loading;
      loading.catch(() => {
        if (this.value === loading) this.value = undefined;
      });
    }
    return this.value;
  }

  reset(): void {
    this.value = undefined;
  }
}

/** Most transactions one shared commit takes (SQLite): bounds how long the first of them waits. */
const MAX_SHARED = 32;

interface Queued {
  work: (repos: Repos) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * SQLite's one connection commits one transaction at a time, and a commit writes every page the
 * transaction touched (some 40 for a report: the case's table and index pages, events, clocks, cells...)
 * to the WAL. Transactions that arrive together are run one after another in one BEGIN ... COMMIT, each in
 * a savepoint of its own: each is still all or nothing (a failure rolls back to its savepoint and fails
 * only its caller), pages they share are written once, and every caller learns its outcome only after the
 * commit, so nothing is answered before it is stored.
 */
class SharedCommits {
  private queue: Queued[] = [];
  private scheduled = false;

  constructor(private readonly uow: UnitOfWork) {}

  run<T>(work: (repos: Repos) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /** After the I/O already waiting (requests that will queue too), not at once: that is what makes a group. */
  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      void this.flush().finally(() => {
        this.scheduled = false;
        this.schedule();
      });
    });
  }

  private async flush(): Promise<void> {
    const group = this.queue.splice(0, MAX_SHARED);
    if (group.length === 1) {
      // Alone: a transaction of its own, no savepoint needed.
      const [only] = group as [Queued];
      await this.uow.run(only.work).then(only.resolve, only.reject);
      return;
    }
    const outcomes: { value?: unknown; error?: unknown; failed: boolean }[] = [];
    try {
      await this.uow.database.db.transaction().execute(async (trx) => {
        const repos = reposFor(trx);
        for (const item of group) {
          await sql`savepoint shared_commit`.execute(trx);
          try {
            outcomes.push({ value: await item.work(repos), failed: false });
          } catch (error) {
            // If the transaction itself is gone (SQLite rolls back on a few errors), this throws and the group fails.
            await sql`rollback to shared_commit`.execute(trx);
            outcomes.push({ error, failed: true });
          }
          await sql`release shared_commit`.execute(trx);
        }
      });
    } catch (error) {
      // Nothing of the group was stored: each caller gets its own error if it had one, else this one.
      group.forEach((item, i) => item.reject(outcomes[i]?.failed ? outcomes[i].error : error));
      return;
    }
    group.forEach((item, i) => (outcomes[i]!.failed ? item.reject(outcomes[i]!.error) : item.resolve(outcomes[i]!.value)));
  }
}

export class ServiceContext {
  private shared?: SharedCommits;
  private readonly router = new Cached(() => this.uow.autocommit.reference.jurisdictions().then((units) => new Router(units)));
  private readonly calendar = new Cached(() => this.uow.autocommit.reference.calendarDays().then((days) => makeCalendar(days)));
  private readonly referenceData = new Cached(() => this.loadReference());

  constructor(
    readonly uow: UnitOfWork,
    readonly clock: Clock,
    /** Reports this close to a unit's border are flagged for the dispatcher. */
    readonly borderDistanceM: number = DEFAULT_BORDER_DISTANCE_M,
    /** How many files an item may carry and when capture metadata is flagged. */
    readonly evidence: EvidenceOptions = DEFAULT_EVIDENCE,
  ) {}

  now(): Date {
    return this.clock.now();
  }

  routing(): Promise<Router> {
    return this.router.get();
  }

  workingCalendar(): Promise<WorkingCalendar> {
    return this.calendar.get();
  }

  /** Categories, departments and routing rules, by id. */
  reference(): Promise<ReferenceData> {
    return this.referenceData.get();
  }

  private async loadReference(): Promise<ReferenceData> {
    const read = this.uow.autocommit.reference;
    const [categories, departments, routes] = await Promise.all([read.categories(), read.departments(), read.allRoutes()]);
    return {
      categories,
      categoryById: new Map(categories.map((c) => [c.id, c])),
      departments,
      departmentById: new Map(departments.map((d) => [d.id, d])),
      routes,
    };
  }

  /**
   * Run work in one transaction. Reference caches are loaded first: on SQLite the transaction holds the
   * only connection, so a cache loading inside it would wait for itself forever.
   */
  async transaction<T>(work: (repos: Repos) => Promise<T>): Promise<T> {
    await Promise.all([this.routing(), this.workingCalendar(), this.reference()]);
    return this.uow.run(work);
  }

  /**
   * Like transaction(), for short writes that arrive in bursts (reports): on SQLite, the ones waiting
   * together share one commit (SharedCommits); PostgreSQL commits them concurrently on its own.
   */
  async sharedTransaction<T>(work: (repos: Repos) => Promise<T>): Promise<T> {
    if (this.uow.database.dialect !== 'sqlite') return this.transaction(work);
    await Promise.all([this.routing(), this.workingCalendar(), this.reference()]);
    this.shared ??= new SharedCommits(this.uow);
    return this.shared.run(work);
  }

  /** Drop cached reference data after it changed. */
  invalidate(): void {
    this.router.reset();
    this.calendar.reset();
    this.referenceData.reset();
  }

  /** The actor a user acts as: their role, department and jurisdiction path. */
  async principal(user: User): Promise<Principal> {
    const router = await this.routing();
    const unit = user.jurisdictionId ? router.unit(user.jurisdictionId) : undefined;
    return {
      user,
      actor: { id: user.id, role: user.role, departmentId: user.departmentId, jurisdictionPath: unit?.path ?? null },
    };
  }
}
