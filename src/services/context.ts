// What every service is built from: the unit of work, the clock, and caches of slow-changing reference
// data (jurisdiction polygons, the working calendar) that are reloaded when they change.

import { makeCalendar, type WorkingCalendar } from '../domain/calendar.js';
import { DEFAULT_EVIDENCE, type EvidenceOptions } from '../domain/evidence.js';
import type { Actor } from '../domain/types.js';
import { Router } from '../geo/router.js';
import type { Clock } from '../ports.js';
import { DEFAULT_BORDER_DISTANCE_M } from './placement.js';
import type { Repos, UnitOfWork } from '../storage/unit-of-work.js';
import type { User } from '../storage/user.repository.js';

export interface Principal {
  user: User;
  actor: Actor;
}

export class ServiceContext {
  private router?: Promise<Router>;
  private calendar?: Promise<WorkingCalendar>;

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
    this.router ??= this.uow.read.reference.jurisdictions().then((units) => new Router(units));
    return this.router;
  }

  workingCalendar(): Promise<WorkingCalendar> {
    this.calendar ??= this.uow.read.reference.calendarDays().then((days) => makeCalendar(days));
    return this.calendar;
  }

  /**
   * Run work in one transaction. Reference caches are loaded first: on SQLite the transaction holds the
   * only connection, so a cache loading inside it would wait for itself forever.
   */
  async transaction<T>(work: (repos: Repos) => Promise<T>): Promise<T> {
    await Promise.all([this.routing(), this.workingCalendar()]);
    return this.uow.run(work);
  }

  /** Drop cached reference data after it changed. */
  invalidate(): void {
    this.router = undefined;
    this.calendar = undefined;
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
