// Boundary import for any level of the hierarchy: validate the whole file, then write it in one
// transaction, or write nothing and say what is wrong with which feature.

import { DomainError } from '../domain/errors.js';
import { planBoundaryImport, type BoundaryLimits, type BoundaryProblem } from '../geo/boundaries/index.js';
import { newId } from '../domain/ids.js';
import type { ServiceContext } from './context.js';

export interface BoundaryImportResult {
  created: string[];
  updated: string[];
}

export class BoundaryService {
  constructor(private readonly ctx: ServiceContext) {}

  /**
   * Validate and import; throws 400 `boundaries_invalid` with every problem when anything is wrong.
   * `limits` bounds the checking work (a server passes ONLINE_BOUNDARY_LIMITS).
   */
  async import(input: unknown, limits?: BoundaryLimits): Promise<BoundaryImportResult> {
    const stored = await this.ctx.uow.autocommit.reference.jurisdictions();
    const codeOf = new Map(stored.map((u) => [u.id, u.code]));
    const plan = planBoundaryImport(
      input,
      stored.map((u) => ({ code: u.code, level: u.level, parentCode: u.parentId ? (codeOf.get(u.parentId) ?? null) : null, geometry: u.geometry })),
      { limits },
    );
    if (plan.problems.length > 0) {
      throw new DomainError('invalid', 'boundaries_invalid', describeProblems(plan.problems), { field: 'features', problems: plan.problems });
    }
    const result: BoundaryImportResult = { created: [], updated: [] };
    const at = this.ctx.now().toISOString();
    await this.ctx.uow.run(async (repos) => {
      const byCode = new Map(stored.map((u) => [u.code, { id: u.id, path: u.path }]));
      // Parents come first in the plan, so a new unit's parent is always known by the time it is written.
      for (const unit of plan.units) {
        const shape = { names: unit.names, geometry: unit.geometry };
        const existing = byCode.get(unit.code);
        if (existing) {
          await repos.reference.reshapeJurisdiction(existing.id, shape);
          result.updated.push(unit.code);
          continue;
        }
        const parent = unit.parentCode ? byCode.get(unit.parentCode) : undefined;
        const id = newId();
        const path = `${parent?.path ?? ''}/${id}`;
        await repos.reference.insertJurisdiction({ id, code: unit.code, level: unit.level, parentId: parent?.id ?? null, path, createdAt: at, ...shape });
        byCode.set(unit.code, { id, path });
        result.created.push(unit.code);
      }
    });
    this.ctx.invalidate();
    return result;
  }
}

/** One paragraph for the error message; the full list travels in details.problems. */
export function describeProblems(problems: BoundaryProblem[]): string {
  const first = problems.slice(0, 5).map((p) => `- ${p.reason}`);
  const more = problems.length > 5 ? [`... and ${problems.length - 5} more (see details.problems)`] : [];
  return [`The boundary file was not imported; nothing was changed. ${problems.length} problem(s):`, ...first, ...more].join('\n');
}
