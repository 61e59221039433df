// The composition root: storage (src/storage) behind the services' ports (src/ports.ts). The HTTP app,
// the CLI, the seed, benchmarks and tests build their services here; nothing in src/services knows storage.

import { servicesOver, type ServiceOptions, type Services, type WiredServices } from './services/index.js';
import type { Database } from './storage/db.js';
import { DatabaseUnitOfWork } from './storage/unit-of-work.js';

export type { ServiceOptions, Services, WiredServices } from './services/index.js';

/**
 * The services over a database: its repositories, in one unit of work. The HTTP app and the CLI take them
 * as `Services` (the use cases alone); the seed, benchmarks and tests also reach the context (`ctx`).
 */
export function buildServices(database: Database, options: ServiceOptions = {}): WiredServices {
  return servicesOver(new DatabaseUnitOfWork(database), options);
}

/** The use cases alone, for the CLI's commands: they reach no context and no store. */
export const buildUseCases = (database: Database, options: ServiceOptions = {}): Services => buildServices(database, options);
