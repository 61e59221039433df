import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../services/index.js';
import { principalOf } from '../auth.js';
import { CalendarDayBody, CalendarDayParams, NewUserBody } from '../schemas.js';
import { forbidden } from '../../domain/errors.js';

export const referenceRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    const secured = { onRequest: app.authenticate };
    const security = [{ bearer: [] }];
    const read = services.ctx.uow.read.reference;

    app.get('/categories', { ...secured, schema: { tags: ['reference'], summary: 'Problem categories (部件/事件) with evidence rules', security } }, async () => ({
      items: (await read.categories()).filter((c) => c.active),
    }));

    app.get('/departments', { ...secured, schema: { tags: ['reference'], summary: 'Departments', security } }, async () => ({ items: await read.departments() }));

    app.get('/jurisdictions', { ...secured, schema: { tags: ['reference'], summary: 'Jurisdictions (city > district > subdistrict > community > grid) without polygons', security } }, async () => ({
      items: (await read.jurisdictions()).map(({ geometry: _g, ...unit }) => unit),
    }));

    app.post('/admin/users', { ...secured, schema: { tags: ['admin'], summary: 'Add a user (admin only)', security, body: NewUserBody } }, async (request, reply) => {
      if (principalOf(request).actor.role !== 'admin') throw forbidden('role_not_allowed', 'Only an administrator may add users.');
      const user = await services.auth.addUser(request.body);
      return reply.status(201).send(user);
    });

    app.get('/calendar', { ...secured, schema: { tags: ['reference'], summary: 'Working-day calendar exceptions: holidays and 调休 working weekends', security } }, async () => ({
      items: (await read.calendarDays()).sort((a, b) => a.date.localeCompare(b.date)),
    }));

    app.put(
      '/admin/calendar/:date',
      { ...secured, schema: { tags: ['admin'], summary: 'Mark a date as a holiday or a working day (admin, supervisor)', security, params: CalendarDayParams, body: CalendarDayBody } },
      async (request) => {
        const role = principalOf(request).actor.role;
        if (role !== 'admin' && role !== 'supervisor') throw forbidden('role_not_allowed', 'Only a supervisor or administrator may change the calendar.');
        await read.setCalendarDay(request.params.date, request.body.kind);
        services.ctx.invalidate();
        return { date: request.params.date, kind: request.body.kind };
      },
    );

    // GeoJSON boundary files can be large: up to 50 MB, as application/json or application/geo+json.
    app.addContentTypeParser('application/geo+json', { parseAs: 'string', bodyLimit: 50 * 1024 * 1024 }, app.getDefaultJsonParser('error', 'error'));
    app.post(
      '/admin/boundaries',
      {
        ...secured,
        bodyLimit: 50 * 1024 * 1024,
        schema: {
          tags: ['admin'],
          summary: 'Import jurisdiction boundaries (GeoJSON FeatureCollection; properties code, level, parent_code, name_zh, name_en, name_bo). All or nothing.',
          security,
        },
      },
      async (request) => {
        if (principalOf(request).actor.role !== 'admin') throw forbidden('role_not_allowed', 'Only an administrator may import boundaries.');
        return services.boundaries.import(request.body);
      },
    );

    app.post('/admin/sweep', { ...secured, schema: { tags: ['admin'], summary: 'Run the deadline sweep now (reminders and supervision)', security } }, async (request) => {
      const role = principalOf(request).actor.role;
      if (role !== 'admin' && role !== 'supervisor') throw forbidden('role_not_allowed', 'Only a supervisor or administrator may run the sweep.');
      return services.sweep.run();
    });
  };
