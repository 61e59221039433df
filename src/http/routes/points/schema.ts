// Points over the API: a member's ledger, the rule sets, reversals.

import { Type } from 'typebox';
import type { PointsEntry, Redemption, RuleSet } from '../../../domain/points.js';
import type { EntryView } from '../../../services/points.service.js';
import { fits, Id, Nullable, Obj, type Fits } from '../../schemas.js';

const Time = Type.String({ description: 'ISO 8601' });
const Whole = (description: string) => Type.Integer({ minimum: 0, maximum: 1_000_000, description });

const rulesFields = {
  awards: Obj({ 1: Whole('level 1 (gravest)'), 2: Whole('level 2'), 3: Whole('level 3') }),
  redeem: Obj({ per: Whole('points per step'), yuan: Whole('yuan per step'), minimum: Whole('the fewest points a redemption takes') }),
  mergedReportsEarn: Type.Boolean(),
};

export const RuleSetSchema = Obj({ version: Type.Integer(), effectiveFrom: Type.String(), ...rulesFields, note: Nullable(Type.String()), createdBy: Nullable(Type.String()), createdAt: Time });
export const RuleSets = Obj({ items: Type.Array(RuleSetSchema), current: Nullable(RuleSetSchema) });

export const RuleSetBody = Obj({
  effectiveFrom: Type.String({ maxLength: 10, description: 'YYYY-MM-DD, today or later' }),
  ...rulesFields,
  mergedReportsEarn: Type.Optional(Type.Boolean()),
  note: Type.Optional(Type.String({ maxLength: 500 })),
});

const entryFields = {
  id: Type.String(),
  memberId: Type.String(),
  kind: Type.String({ description: 'award | reversal' }),
  points: Type.Integer(),
  caseId: Nullable(Type.String()),
  round: Type.Integer(),
  level: Nullable(Type.Integer()),
  ruleVersion: Nullable(Type.Integer()),
  redemptionId: Nullable(Type.String()),
  note: Nullable(Type.String()),
  actorId: Nullable(Type.String()),
  at: Time,
};
export const EntrySchema = Obj(entryFields);
export const EntryViewSchema = Obj({ ...entryFields, caseRef: Nullable(Type.String()) });

export const MyPointsSchema = Obj({
  member: Nullable(Obj({ id: Type.String(), status: Type.String(), appointmentNumber: Nullable(Type.String()) })),
  why: Nullable(Type.String({ description: 'not_a_member | not_appointed: why this account earns no points now' })),
  balance: Type.Integer(),
  held: Type.Integer(),
  entries: Type.Array(EntryViewSchema),
  next: Nullable(Type.String()),
  rules: Nullable(RuleSetSchema),
});

export const MyPointsQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })), before: Type.Optional(Id) });

export const ReversalBody = Obj({ caseId: Id, reason: Type.String({ minLength: 1, maxLength: 500 }) });

export const RedemptionSchema = Obj({
  id: Type.String(),
  memberId: Type.String(),
  points: Type.Integer(),
  yuan: Type.Integer(),
  ruleVersion: Type.Integer(),
  status: Type.String({ description: 'requested | approved | rejected | paid' }),
  reason: Nullable(Type.String()),
  payoutRef: Nullable(Type.String()),
  requestedAt: Time,
  decidedAt: Nullable(Time),
  decidedBy: Nullable(Type.String()),
  paidAt: Nullable(Time),
  paidBy: Nullable(Type.String()),
});
export const RedemptionBody = Obj({ points: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Points to redeem: from the minimum on, in whole steps' }) });
export const RedemptionParams = Type.Object({ id: Id });
export const RejectBody = Obj({ reason: Type.String({ minLength: 1, maxLength: 500 }) });
export const PayBody = Obj({ payoutRef: Type.String({ minLength: 1, maxLength: 100, description: 'The transfer or voucher number' }) });
export const PayoutExportQuery = Type.Object({
  from: Type.String({ maxLength: 10, description: 'First day, YYYY-MM-DD (China time)' }),
  to: Type.String({ maxLength: 10, description: 'Last day, YYYY-MM-DD' }),
  format: Type.Optional(Type.Union([Type.Literal('xlsx'), Type.Literal('csv')], { default: 'xlsx' })),
});

export const RedemptionListQuery = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('requested'), Type.Literal('approved'), Type.Literal('rejected'), Type.Literal('paid')])),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  before: Type.Optional(Id),
});

void [fits<Fits<Redemption, typeof RedemptionSchema>>(), fits<Fits<RuleSet, typeof RuleSetSchema>>(), fits<Fits<PointsEntry, typeof EntrySchema>>(), fits<Fits<EntryView, typeof EntryViewSchema>>()];
