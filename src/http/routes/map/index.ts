import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { convert } from '../../../geo/coords.js';
import type { Services } from '../../../services/index.js';
import { authenticated, principalOf } from '../../auth.js';
import { JurisdictionFeatures, MapAnswerSchema, MapCasesQuery, MapJurisdictionsQuery } from './schema.js';

/** The map is for signed-in callers only. */
export const mapRoutes = (services: Services): FastifyPluginAsyncTypebox =>
  authenticated(async (app) => {
    app.get(
      '/map/cases',
      {
        config: { rateLimit: 'read' },
        schema: {
          tags: ['map'],
          summary: 'Cases in a bounding box: clusters (count and mean position per cell) up to zoom 15, the cases themselves from zoom 16 (the finest clusters when the box holds more than 2,000 matching cases)',
          querystring: MapCasesQuery,
          response: { 200: MapAnswerSchema },
        },
      },
      async (request) => {
        const q = request.query;
        const coordSys = q.coord_sys ?? 'wgs84';
        const [minLon, minLat, maxLon, maxLat] = q.bbox.split(',').map(Number) as [number, number, number, number];
        // The box comes in the client's system; cells and cases are kept in WGS-84.
        // Offsets differ from place to place (and stop at China's border), so the box's WGS-84 extent is
        // that of its four converted corners, whatever order they come out in.
        const corners = [
          [minLat, minLon],
          [minLat, maxLon],
          [maxLat, minLon],
          [maxLat, maxLon],
        ].map(([lat, lon]) => convert({ lat: lat!, lon: lon! }, coordSys, 'wgs84'));
        const box = {
          minLon: Math.min(...corners.map((c) => c.lon)),
          minLat: Math.min(...corners.map((c) => c.lat)),
          maxLon: Math.max(...corners.map((c) => c.lon)),
          maxLat: Math.max(...corners.map((c) => c.lat)),
        };
        // An inverted box stays an error: only a valid one is widened to its corners' extent.
        const valid = minLon < maxLon && minLat < maxLat;
        return services.map.cases(principalOf(request), {
          ...(valid ? box : { minLon, minLat, maxLon, maxLat }),
          zoom: q.zoom,
          status: q.status,
          categoryId: q.category,
          coordSys,
        });
      },
    );

    app.get(
      '/map/jurisdictions',
      { schema: { tags: ['map'], summary: 'Jurisdiction polygons as a GeoJSON FeatureCollection', querystring: MapJurisdictionsQuery, response: { 200: JurisdictionFeatures } } },
      async (request, reply) => {
        const q = request.query;
        return reply.header('content-type', 'application/geo+json; charset=utf-8').send(await services.map.jurisdictions(q.level, q.parent, q.coord_sys));
      },
    );
  });
