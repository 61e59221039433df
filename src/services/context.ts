// What every service is built from: the unit of work, the clock, and caches of slow-changing reference
// data (jurisdiction polygons, the working calendar, categories, departments and routing rules) that are
// reloaded when they change: whoever changes them calls invalidate() (seeding, boundary import, the
// calendar admin route).

import type { Category, Department, User } from '../domain/records.js';
import { makeCalendar, type WorkingCalendar } from '../domain/calendar.js';
import { DEFAULT_EVIDENCE, type EvidenceOptions } from '../domain/evidence.js';
import type { Actor } from '../domain/types.js';
import { Router } from '../geo/router.js';
import { LocalSignals, type Clock, type Signals, type Stores, type UnitOfWork } from '../ports.js';
import { DEFAULT_BORDER_DISTANCE_M } from './placement.js';
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

export class ServiceContext {
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
    /** Wake-ups for the notification workers and live streams (across processes on PostgreSQL). */
    readonly signals: Signals = new LocalSignals(),
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
  async transaction<T>(work: (repos: Stores) => Promise<T>): Promise<T> {
    await Promise.all([this.routing(), this.workingCalendar(), this.reference()]);
    return this.uow.run(work);
  }

  /**
   * Like transaction(), for short writes that arrive in bursts (reports): on SQLite, the ones waiting
   * together share one commit (the unit of work's shared()); PostgreSQL commits them concurrently on its own.
   */
  async sharedTransaction<T>(work: (repos: Stores) => Promise<T>): Promise<T> {
    await Promise.all([this.routing(), this.workingCalendar(), this.reference()]);
    return this.uow.shared(work);
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
      actor: { id: user.id, role: user.role, departmentId: user.departmentId, jurisdictionPath: unit?.path ?? null, platform: user.platform },
    };
  }
}
