// One unit of work: every repository a use case needs, bound to one transaction, and the shared group
// commit (SQLite) for short writes that arrive in bursts. It is the services' UnitOfWork port (ports.ts);
// later issues add the outbox here so notifications commit atomically with the change that caused them.

import { sql, type Kysely } from 'kysely';
import { CaseRepository } from './case.repository.js';
import { CellRepository } from './cell.repository.js';
import { ClockRepository } from './clock.repository.js';
import { CounterRepository } from './counter.repository.js';
import type { Database } from './db.js';
import { EventRepository } from './event.repository.js';
import { MediaRepository } from './media.repository.js';
import { MemberRepository } from './member.repository.js';
import { NotifyRepository } from './notify.repository.js';
import { PointsRepository } from './points.repository.js';
import { ReferenceRepository } from './reference.repository.js';
import type { Stores, UnitOfWork, WriteFailure } from '../ports.js';
import { isTransient, isUniqueViolation } from './dialect.js';
import type { DB } from './schema.js';
import { ThrottleRepository } from './throttle.repository.js';
import { UserRepository } from './user.repository.js';

/** The repositories: the services' stores (ports.ts), and the counters only storage itself uses. */
export interface Repos extends Stores {
  cases: CaseRepository;
  events: EventRepository;
  clocks: ClockRepository;
  cells: CellRepository;
  counters: CounterRepository;
  reference: ReferenceRepository;
  users: UserRepository;
  media: MediaRepository;
  throttle: ThrottleRepository;
  notify: NotifyRepository;
  members: MemberRepository;
  points: PointsRepository;
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
  notify: new NotifyRepository(db),
  members: new MemberRepository(db),
  points: new PointsRepository(db),
});

export class DatabaseUnitOfWork implements UnitOfWork {
  /**
   * Repositories outside any transaction: each statement commits on its own. For reads, and for writes
   * that are one statement and need no other (a token, a media row, a rate-limit hit).
   */
  readonly autocommit: Repos;
  private sharedCommits?: SharedCommits;

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

  /** On SQLite, the transactions waiting together share one commit (SharedCommits); PostgreSQL commits them concurrently on its own. */
  shared<T>(work: (repos: Repos) => Promise<T>): Promise<T> {
    if (this.database.dialect !== 'sqlite') return this.run(work);
    this.sharedCommits ??= new SharedCommits(this);
    return this.sharedCommits.run(work);
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

  constructor(private readonly uow: DatabaseUnitOfWork) {}

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
