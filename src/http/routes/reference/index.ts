import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../../services/index.js';
import type { Capability } from '../../../domain/access.js';
import { authenticated, requires } from '../../auth.js';
import { strictJson } from '../../validation.js';
import { ONLINE_BOUNDARY_LIMITS } from '../../../geo/boundaries/index.js';
import { Items } from '../../schemas.js';
import { BoundaryImportAnswer, CalendarDayBody, CalendarDayParams, CalendarDaySchema, CategorySchema, DepartmentSchema, JurisdictionSchema, NewUserBody, SweepAnswer, UserSchema } from './schema.js';

const BOUNDARY_BODY_LIMIT = 50 * 1024 * 1024;

/** Reference data is for signed-in callers only (the categories too); administration is gated by role. */
export const referenceRoutes = (services: Services): FastifyPluginAsyncTypebox =>
  authenticated(async (app) => {
    app.get('/categories', { schema: { tags: ['reference'], summary: 'Problem categories (部件/事件) with evidence rules', response: { 200: Items(CategorySchema) } } }, async () => ({
      items: await services.reference.categories(),
    }));

    app.get('/departments', { schema: { tags: ['reference'], summary: 'Departments', response: { 200: Items(DepartmentSchema) } } }, async () => ({ items: await services.reference.departments() }));

    app.get('/jurisdictions', { schema: { tags: ['reference'], summary: 'Jurisdictions (city > district > subdistrict > community > grid) without polygons', response: { 200: Items(JurisdictionSchema) } } }, async () => ({
      items: await services.reference.jurisdictions(),
    }));

    // Who may call an admin route is decided before its body is read (after authentication, see auth.ts).
    const gate = (capability: Capability) => ({ onRequest: requires(capability) });

    app.post('/admin/users', { ...gate('manage_users'), schema: { tags: ['admin'], summary: 'Add a user (admin only)', body: NewUserBody, response: { 201: UserSchema } } }, async (request, reply) => {
      const user = await services.auth.addUser(request.body);
      return reply.status(201).send(user);
    });

    app.get('/calendar', { schema: { tags: ['reference'], summary: 'Working-day calendar exceptions: holidays and 调休 working weekends', response: { 200: Items(CalendarDaySchema) } } }, async () => ({
      items: await services.reference.calendar(),
    }));

    app.put(
      '/admin/calendar/:date',
      // One calendar serves every subdistrict's deadlines, so only an administrator may change it.
      { ...gate('manage_calendar'), schema: { tags: ['admin'], summary: 'Mark a date as a holiday or a working day (admin; the calendar moves every subdistrict\'s deadlines)', params: CalendarDayParams, body: CalendarDayBody, response: { 200: CalendarDaySchema } } },
      async (request) => services.reference.setCalendarDay(request.params.date, request.body.kind),
    );

    // GeoJSON boundary files can be large: up to 50 MB, as application/json or application/geo+json, from
    // administrators only. The limit is the route's, so no other route reads such a body.
    app.addContentTypeParser('application/geo+json', { parseAs: 'buffer' }, strictJson(app));
    app.post(
      '/admin/boundaries',
      {
        ...gate('import_boundaries'),
        bodyLimit: BOUNDARY_BODY_LIMIT,
        schema: {
          tags: ['admin'],
          summary: 'Import jurisdiction boundaries (GeoJSON FeatureCollection; properties code, level, parent_code, name_zh, name_en, name_bo). All or nothing.',
          response: { 200: BoundaryImportAnswer },
        },
      },
      // Checked on the event loop: held to the online budget (a few seconds); larger files go through the CLI.
      async (request) => services.boundaries.import(request.body, ONLINE_BOUNDARY_LIMITS),
    );

    app.post(
      '/admin/sweep',
      { ...gate('run_sweep'), schema: { tags: ['admin'], summary: 'Run the deadline sweep now (reminders and supervision)', response: { 200: SweepAnswer } } },
      async () => services.sweep.run(),
    );
  });
