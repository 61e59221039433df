// Request schemas: one definition gives validation, TypeScript types and the OpenAPI document.

import { Type, type Static } from 'typebox';
import { ACTIONS } from '../domain/workflow.js';
import { CASE_STATUSES, CHANNELS, CLOSURE_TYPES, LEVELS, ROLES, URGENCIES } from '../domain/types.js';
import { COORD_SYSTEMS } from '../geo/coords.js';

const literals = <T extends readonly string[]>(values: T) => Type.Union(values.map((v) => Type.Literal(v)));

export const Id = Type.String({ minLength: 1, maxLength: 64 });

/** ?lang=: one language tag (zh-CN default, en, bo); a repeated parameter is a 400 like any other. */
export const Lang = Type.String({ minLength: 1, maxLength: 35, pattern: '^[A-Za-z]{1,8}([-_][A-Za-z0-9]{1,8})*$', description: 'Language of the answer: zh-CN (default), en or bo' });

/** A route's query schema with `lang` added when it does not name it: every answer can be localised. */
export function withLang(querystring: unknown): object {
  if (querystring === undefined) return Type.Object({ lang: Type.Optional(Lang) });
  const schema = querystring as { type?: string; properties?: Record<string, unknown> };
  if (schema.type !== 'object' || schema.properties?.lang) return schema;
  return { ...schema, properties: { ...schema.properties, lang: Lang } };
}
const Text = (maxLength: number) => Type.String({ maxLength });

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable error code' }),
      message: Type.String({ description: 'What went wrong and what to do, for a person' }),
      field: Type.Optional(Type.String({ description: 'The input field at fault' })),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { $id: 'Error' },
);

export const LoginBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 256 }),
}, { additionalProperties: false });
export type LoginBody = Static<typeof LoginBody>;

export const ReportBody = Type.Object({
  categoryId: Id,
  description: Type.String({ minLength: 1, maxLength: 2000, description: 'What is wrong, in the reporter\'s words (Chinese, Tibetan or English)' }),
  lat: Type.Number({ minimum: -90, maximum: 90, description: 'Latitude in coord_sys (default WGS-84)' }),
  lon: Type.Number({ minimum: -180, maximum: 180, description: 'Longitude in coord_sys (default WGS-84)' }),
  address: Type.Optional(Text(300)),
  urgency: Type.Optional(literals(URGENCIES)),
  media: Type.Optional(Type.Array(Id, { maxItems: 100, description: 'Ids from POST /api/v1/media (at most MEDIA_MAX_FILES, default 9)' })),
  channel: Type.Optional(literals(CHANNELS)),
  clientKey: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Client idempotency key (offline queue); same as the Idempotency-Key header' })),
  coord_sys: Type.Optional(literals(COORD_SYSTEMS)),
  duplicateOf: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'An open case the reporter recognised as the same problem (from possibleDuplicates): fold this report into it' })),
}, { additionalProperties: false });
export type ReportBody = Static<typeof ReportBody>;

export const ActionParams = Type.Object({ id: Id, action: literals(ACTIONS) });
export type ActionParams = Static<typeof ActionParams>;

export const ActionBody = Type.Object({
  note: Type.Optional(Text(2000)),
  reason: Type.Optional(Text(2000)),
  departmentId: Type.Optional(Id),
  assistingDepartmentIds: Type.Optional(Type.Array(Id, { maxItems: 10 })),
  categoryId: Type.Optional(Id),
  urgency: Type.Optional(literals(URGENCIES)),
  gridId: Type.Optional(Id),
  minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 525600, description: 'Extension asked for, in minutes' })),
  media: Type.Optional(Type.Array(Id, { maxItems: 100 })),
  closureType: Type.Optional(literals(CLOSURE_TYPES)),
  score: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
  comment: Type.Optional(Text(2000)),
  unitAtFault: Type.Optional(Type.Boolean()),
  jurisdictionId: Type.Optional(Id),
  masterCaseId: Type.Optional(Id),
}, { additionalProperties: false });
export type ActionBody = Static<typeof ActionBody>;

export const CaseListQuery = Type.Object({
  status: Type.Optional(Type.Array(literals(CASE_STATUSES), { description: 'One or more statuses (repeat the parameter)' })),
  category: Type.Optional(Id),
  department: Type.Optional(Id),
  grid: Type.Optional(Id),
  urgency: Type.Optional(literals(URGENCIES)),
  overdue: Type.Optional(Type.Boolean()),
  outside: Type.Optional(Type.Boolean({ description: 'The "outside" queue: points outside every known unit' })),
  nearBorder: Type.Optional(Type.Boolean({ description: 'Reports within a few metres of a border' })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Reported at or after (ISO 8601)' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Reported before (ISO 8601)' })),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  lang: Type.Optional(Lang),
  coord_sys: Type.Optional(literals(COORD_SYSTEMS)),
});
export type CaseListQuery = Static<typeof CaseListQuery>;

export const PageQuery = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  lang: Type.Optional(Lang),
  coord_sys: Type.Optional(literals(COORD_SYSTEMS)),
});

export const ViewQuery = Type.Object({
  lang: Type.Optional(Lang),
  coord_sys: Type.Optional(literals(COORD_SYSTEMS)),
});
export type ViewQuery = Static<typeof ViewQuery>;

export const NearbyQuery = Type.Object({
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  lon: Type.Number({ minimum: -180, maximum: 180 }),
  coord_sys: Type.Optional(literals(COORD_SYSTEMS)),
  categoryId: Id,
  lang: Type.Optional(Lang),
});
export type NearbyQuery = Static<typeof NearbyQuery>;

export const MapCasesQuery = Type.Object({
  bbox: Type.String({ pattern: '^-?[0-9.]+,-?[0-9.]+,-?[0-9.]+,-?[0-9.]+$', description: 'minLon,minLat,maxLon,maxLat in coord_sys' }),
  zoom: Type.Integer({ minimum: 0, maximum: 22 }),
  status: Type.Optional(Type.Array(literals(CASE_STATUSES))),
  category: Type.Optional(Id),
  coord_sys: Type.Optional(literals(COORD_SYSTEMS)),
});
export type MapCasesQuery = Static<typeof MapCasesQuery>;

export const MapJurisdictionsQuery = Type.Object({
  level: Type.Optional(literals(LEVELS)),
  parent: Type.Optional(Id),
  coord_sys: Type.Optional(literals(COORD_SYSTEMS)),
});
export type MapJurisdictionsQuery = Static<typeof MapJurisdictionsQuery>;
export type PageQuery = Static<typeof PageQuery>;

export const IdParams = Type.Object({ id: Id });
export type IdParams = Static<typeof IdParams>;

export const NewUserBody = Type.Object({
  username: Type.String({ minLength: 2, maxLength: 64 }),
  password: Type.String({ minLength: 8, maxLength: 256 }),
  displayName: Type.String({ minLength: 1, maxLength: 100 }),
  role: literals(ROLES),
  phone: Type.Optional(Type.String({ pattern: '^[0-9+\\- ]{5,20}$' })),
  departmentId: Type.Optional(Id),
  jurisdictionId: Type.Optional(Id),
  locale: Type.Optional(literals(['zh-CN', 'en', 'bo'] as const)),
}, { additionalProperties: false });
export type NewUserBody = Static<typeof NewUserBody>;

export const CalendarDayParams = Type.Object({ date: Type.String({ format: 'date', description: 'Local date, YYYY-MM-DD' }) });
export const CalendarDayBody = Type.Object({ kind: literals(['holiday', 'workday'] as const) }, { additionalProperties: false });
