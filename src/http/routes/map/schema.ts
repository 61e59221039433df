// The map: cases in a box (clusters or points) and jurisdiction polygons.

import { Type, type Static } from 'typebox';
import { LEVELS } from '../../../domain/types.js';
import type { MapAnswer } from '../../../services/map.service.js';
import { CaseStatus, CoordSystem, fits, Id, literals, Nullable, Obj, type Fits } from '../../schemas.js';

// ---- requests ----

export const MapCasesQuery = Type.Object({
  bbox: Type.String({ pattern: '^-?[0-9.]+,-?[0-9.]+,-?[0-9.]+,-?[0-9.]+$', description: 'minLon,minLat,maxLon,maxLat in coord_sys' }),
  zoom: Type.Integer({ minimum: 0, maximum: 22 }),
  status: Type.Optional(Type.Array(CaseStatus)),
  category: Type.Optional(Id),
  coord_sys: Type.Optional(CoordSystem),
});
export type MapCasesQuery = Static<typeof MapCasesQuery>;

export const MapJurisdictionsQuery = Type.Object({
  level: Type.Optional(literals(LEVELS)),
  parent: Type.Optional(Id),
  coord_sys: Type.Optional(CoordSystem),
});
export type MapJurisdictionsQuery = Static<typeof MapJurisdictionsQuery>;

// ---- answers ----

const MapItem = Type.Union([
  Obj({ type: Type.Literal('cluster'), lat: Type.Number(), lon: Type.Number(), count: Type.Integer() }),
  Obj({
    type: Type.Literal('case'),
    id: Type.String(),
    ref: Type.String(),
    lat: Type.Number(),
    lon: Type.Number(),
    status: Type.String(),
    categoryId: Type.String(),
    urgency: Type.String(),
    nearBorder: Type.Boolean(),
  }),
]);
export const MapAnswerSchema = Obj({
  mode: Type.Union([Type.Literal('clusters'), Type.Literal('points')]),
  level: Nullable(Type.Integer({ description: 'Cell level of the clusters (0 = 1°, 3 = 0.001°)' })),
  coordSys: Type.String(),
  items: Type.Array(MapItem),
  truncated: Type.Boolean({ description: 'More cases matched than the point view returns; zoom in' }),
});

const Position = Type.Array(Type.Number());
export const JurisdictionFeatures = Obj({
  type: Type.Literal('FeatureCollection'),
  features: Type.Array(
    Obj({
      type: Type.Literal('Feature'),
      id: Type.String(),
      properties: Obj({ id: Type.String(), code: Type.String(), level: Type.String(), name_zh: Type.String(), name_en: Type.String(), name_bo: Type.String(), parent_id: Nullable(Type.String()) }),
      geometry: Type.Union([
        Obj({ type: Type.Literal('Polygon'), coordinates: Type.Array(Type.Array(Position)) }),
        Obj({ type: Type.Literal('MultiPolygon'), coordinates: Type.Array(Type.Array(Type.Array(Position))) }),
      ]),
    }),
  ),
});

// ---- the service's answer must fit its schema (a compile error names the drift) ----

void [fits<Fits<MapAnswer, typeof MapAnswerSchema>>()];
