// The schemas several resources share: one TypeBox definition gives validation, TypeScript types, the
// answer's serialization and the OpenAPI document. Each resource's own request and response schemas sit
// beside its routes (routes/<resource>/schema.ts). Fastify serializes answers with their schemas (a field a
// schema does not name never reaches a client), and the services' view types are checked against them at
// compile time (`fits`, at the end of each schema file), so the three cannot drift apart. In tests every
// answer is also validated against its schema (response-check.ts), so a view that grows a field fails
// loudly instead of losing it quietly.

import { Type, type Static, type TObject, type TProperties, type TSchema } from 'typebox';
import { CASE_STATUSES } from '../domain/types.js';
import { COORD_SYSTEMS } from '../geo/coords.js';
import type { MediaInfo } from '../services/media.views.js';

// ---- requests ----

/** One of these strings (typed as exactly them). */
export const literals = <const T extends readonly string[]>(values: T, options: { description?: string } = {}) => Type.Unsafe<T[number]>(Type.Union(values.map((v) => Type.Literal(v)), options));

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

/** ?coord_sys=: the coordinate system a client sends and wants its points in (default WGS-84). */
export const CoordSystem = literals(COORD_SYSTEMS);

export const CaseStatus = literals(CASE_STATUSES);

export const IdParams = Type.Object({ id: Id });
export type IdParams = Static<typeof IdParams>;

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

// ---- answers ----

/** An object with exactly these properties. */
export const Obj = <P extends TProperties>(properties: P, description?: string): TObject<P> => Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** Free-form JSON (event data, SLA overrides): serialized as it is. */
export const AnyObject = Type.Object({}, { additionalProperties: true });

export const Items = <T extends TSchema>(item: T) => Obj({ items: Type.Array(item) });
export const PageOf = <T extends TSchema>(item: T) => Obj({ items: Type.Array(item), total: Type.Integer(), page: Type.Integer(), pageSize: Type.Integer() });

/** What a media item is: the media routes' answer, and each piece of a case's evidence. */
export const MediaInfoSchema = Obj({
  id: Type.String(),
  kind: Type.Union([Type.Literal('photo'), Type.Literal('video'), Type.Literal('audio')]),
  mime: Type.String(),
  bytes: Type.Integer(),
  sha256: Type.String(),
  width: Nullable(Type.Integer()),
  height: Nullable(Type.Integer()),
  durationS: Nullable(Type.Number()),
  takenAt: Nullable(Type.String()),
  preview: Type.String({ description: "'full' when every copy was made from the content; otherwise why a placeholder stands in" }),
  urls: Obj({ thumb: Type.String(), display: Type.String(), original: Type.Optional(Type.String()), public: Type.Optional(Type.String()) }),
  createdAt: Type.String(),
});

/** GET /healthz (app.ts). */
export const Health = Obj({ status: Type.String(), database: Type.String() });

// ---- the services' views must fit their schemas (a compile error names the drift) ----

export type Fits<View, Schema extends TSchema> = [View] extends [Static<Schema>] ? true : false;
export const fits = <T extends true>(): T => true as T;
void [fits<Fits<MediaInfo, typeof MediaInfoSchema>>()];
