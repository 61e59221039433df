// Which cases a reader may see, as SQL: the access policy's scope (domain/access.ts) as a condition on the
// cases table, shared by the case list (case.repository.ts) and the map's points (cell.repository.ts).

import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { CaseScope } from '../domain/access.js';
import { likePrefix } from './dialect.js';
import type { DB } from './schema.js';

/** Which cases a reader may see: the access policy's scope (domain/access.ts), as SQL in `visible`. */
export type Visibility = CaseScope;

export type CaseEb = ExpressionBuilder<DB, 'cases'>;

export function visible(eb: CaseEb, v: Visibility): Expression<SqlBool> {
  const inUnit = (column: 'cases.jurisdiction_id' | 'cases.origin_jurisdiction_id', path: string) =>
    eb.exists(
      eb
        .selectFrom('jurisdictions as j')
        .select('j.id')
        .whereRef('j.id', '=', column)
        .where((w) => w.or([w('j.path', '=', path), w('j.path', 'like', likePrefix(`${path}/`))])),
    );
  switch (v.kind) {
    case 'all':
      return sql<SqlBool>`1 = 1`;
    case 'reporter':
      return eb('cases.reporter_id', '=', v.reporterId);
    case 'jurisdiction':
      return eb.or([inUnit('cases.jurisdiction_id', v.path), inUnit('cases.origin_jurisdiction_id', v.path)]);
    case 'department': {
      const own = [
        eb('cases.department_id', '=', v.departmentId),
        eb('cases.assisting_department_ids', 'like', `%"${v.departmentId}"%`),
      ];
      if (v.foodSafetyPath) {
        own.push(
          eb.and([
            eb.exists(eb.selectFrom('categories as c').select('c.id').whereRef('c.id', '=', 'cases.category_id').where('c.food_safety', '=', 1)),
            inUnit('cases.jurisdiction_id', v.foodSafetyPath),
          ]),
        );
      }
      return eb.or(own);
    }
  }
}
