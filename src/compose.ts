// The composition root: storage (src/storage) behind the services' ports (src/ports.ts). The HTTP app,
// the CLI, the seed, benchmarks and tests build their services here; nothing in src/services knows storage.

import { servicesOver, type ServiceOptions, type Services } from './services/index.js';
import type { Database } from './storage/db.js';
import { DatabaseUnitOfWork } from './storage/unit-of-work.js';

export type { ServiceOptions, Services } from './services/index.js';

/** The services over a database: its repositories, in one unit of work. */
export function buildServices(database: Database, options: ServiceOptions = {}): Services {
  return servicesOver(new DatabaseUnitOfWork(database), options);
}
