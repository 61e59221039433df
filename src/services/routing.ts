// (category, unit) -> department, falling back up the hierarchy (属地兜底): a routing rule for the
// category at the unit or its nearest ancestor; else the category's default department when it serves
// one of those units; else the command centre of the nearest unit that has one.

import type { Category, Department, Jurisdiction } from '../domain/records.js';
import type { Stores } from '../ports.js';

/** What routing reads: every rule (category id -> unit id -> department id) and the departments. */
export interface RoutingTables {
  routes: Map<string, Map<string, string>>;
  departments: Department[];
}

/** Route with tables in memory (the service context's cache): no query. */
export function routeIn(tables: RoutingTables, category: Category, chain: Jurisdiction[]): Department | undefined {
  const ids = chain.map((u) => u.id);
  const routes = tables.routes.get(category.id);
  for (const id of ids) {
    const departmentId = routes?.get(id);
    if (departmentId) return tables.departments.find((d) => d.id === departmentId);
  }
  if (category.defaultDepartmentId) {
    const fallback = tables.departments.find((d) => d.id === category.defaultDepartmentId);
    if (fallback && ids.includes(fallback.jurisdictionId)) return fallback;
  }
  for (const id of ids) {
    const centre = tables.departments.find((d) => d.jurisdictionId === id && d.kind === 'command_centre');
    if (centre) return centre;
  }
  return undefined;
}

/** Route reading the tables from the database (for callers without a service context). */
export async function routeDepartment(repos: Stores, category: Category, chain: Jurisdiction[]): Promise<Department | undefined> {
  const [routes, departments] = await Promise.all([repos.reference.routes(category.id, chain.map((u) => u.id)), repos.reference.departments()]);
  return routeIn({ routes: new Map([[category.id, routes]]), departments }, category, chain);
}
