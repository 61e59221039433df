// One unit of work: every repository a use case needs, bound to one transaction. Later issues add the
// outbox here so notifications commit atomically with the change that caused them.

import type { Kysely } from 'kysely';
import { CaseRepository } from './case.repository.js';
import { CellRepository } from './cell.repository.js';
import { ClockRepository } from './clock.repository.js';
import { CounterRepository } from './counter.repository.js';
import type { Database } from './db.js';
import { EventRepository } from './event.repository.js';
import { MediaRepository } from './media.repository.js';
import { ReferenceRepository } from './reference.repository.js';
import type { WriteFailure } from '../ports.js';
import { isTransient, isUniqueViolation } from './dialect.js';
import type { DB } from './schema.js';
import { ThrottleRepository } from './throttle.repository.js';
import { UserRepository } from './user.repository.js';

export interface Repos {
  cases: CaseRepository;
  events: EventRepository;
  clocks: ClockRepository;
  cells: CellRepository;
  counters: CounterRepository;
  reference: ReferenceRepository;
  users: UserRepository;
  media: MediaRepository;
  throttle: ThrottleRepository;
}

export const reposFor = (db: Kysely<DB>): Repos => ({
  cases: new CaseRepository(db),
  events: new EventRepository(db),
  clocks: new ClockRepository(db),
  cells: new CellRepository(db),
  counters: new CounterRepository(db),
  reference: new ReferenceRepository(db),
  users: new UserRepository(db),
  media: new MediaRepository(db),
  throttle: new ThrottleRepository(db),
});

export class UnitOfWork {
  /**
   * Repositories outside any transaction: each statement commits on its own. For reads, and for writes
   * that are one statement and need no other (a token, a media row, a rate-limit hit).
   */
  readonly autocommit: Repos;
  constructor(readonly database: Database) {
    this.autocommit = reposFor(database.db);
  }

  /** A dialect's error as the services' outcome (ports.ts): the one place that knows the error codes. */
  failure(error: unknown): WriteFailure | undefined {
    if (isUniqueViolation(error)) return 'duplicate';
    if (isTransient(error)) return 'retry';
    return undefined;
  }

  run<T>(work: (repos: Repos) => Promise<T>): Promise<T> {
    return this.database.db.transaction().execute((trx) => work(reposFor(trx)));
  }
}
