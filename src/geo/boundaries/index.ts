// Boundary-file validation (see plan.ts): the public API of src/geo/boundaries/.

export type { BoundaryFeatureProps } from './features.js';
export { BOUNDARY_LIMITS, ONLINE_BOUNDARY_LIMITS, type BoundaryLimits } from './limits.js';
export {
  DEFAULT_GAP_CHECK_LEVELS,
  planBoundaryImport,
  type BoundaryImportOptions,
  type BoundaryPlan,
  type ExistingUnit,
  type ImportUnit,
} from './plan.js';
export type { BoundaryProblem, ProblemKind } from './problems.js';
