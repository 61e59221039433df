// 自动派单 rules: what the rule routes take and answer.

import { Type, type Static } from 'typebox';
import type { DispatchRule } from '../../../domain/records.js';
import { URGENCIES } from '../../../domain/types.js';
import { fits, Id, literals, Nullable, Obj, type Fits } from '../../schemas.js';

export const DispatchRuleBody = Type.Object(
  {
    categoryId: Id,
    jurisdictionId: Type.String({ minLength: 1, maxLength: 64, description: 'The unit whose reports the rule takes (a grid, community or subdistrict); the most specific rule wins' }),
    urgency: Type.Optional(Nullable(literals(URGENCIES))),
    departmentId: Type.String({ minLength: 1, maxLength: 64, description: 'Where the reports go: a department serving the jurisdiction (inside it, or above it)' }),
  },
  { additionalProperties: false },
);
export type DispatchRuleBody = Static<typeof DispatchRuleBody>;

export const DispatchRuleSchema = Obj(
  {
    id: Type.String(),
    categoryId: Type.String(),
    jurisdictionId: Type.String(),
    urgency: Nullable(Type.String({ description: 'normal | urgent | emergency; null: any urgency' })),
    departmentId: Type.String(),
    createdBy: Nullable(Type.String()),
    createdAt: Type.String(),
  },
  'An auto-dispatch rule (自动派单): new reports of the category in the jurisdiction (and of the urgency) go straight to the department',
);

// ---- the service's records must fit their schema (a compile error names the drift) ----

void [fits<Fits<DispatchRule, typeof DispatchRuleSchema>>()];
