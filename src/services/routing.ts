// (category, unit) -> department, falling back up the hierarchy (属地兜底): a routing rule for the
// category at the unit or its nearest ancestor; else the category's default department when it serves
// one of those units; else the command centre of the nearest unit that has one.

import type { Category, Department, Jurisdiction } from '../storage/reference.repository.js';
import type { Repos } from '../storage/unit-of-work.js';

export async function routeDepartment(repos: Repos, category: Category, chain: Jurisdiction[]): Promise<Department | undefined> {
  const ids = chain.map((u) => u.id);
  const routes = await repos.reference.routes(category.id, ids);
  for (const id of ids) {
    const departmentId = routes.get(id);
    if (departmentId) return repos.reference.department(departmentId);
  }
  const departments = await repos.reference.departments();
  if (category.defaultDepartmentId) {
    const fallback = departments.find((d) => d.id === category.defaultDepartmentId);
    if (fallback && ids.includes(fallback.jurisdictionId)) return fallback;
  }
  for (const id of ids) {
    const centre = departments.find((d) => d.jurisdictionId === id && d.kind === 'command_centre');
    if (centre) return centre;
  }
  return undefined;
}
