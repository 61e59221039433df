// Notifications: every user's inbox; channels and subscriptions for admins and dispatchers (their own
// jurisdiction); the deliveries, with the dead-letter list and redelivery, for admins. Roles are checked
// in onRequest, before any body is read. Secrets are never answered in full, except a webhook's generated
// secret in the answer that creates it.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { invalid } from '../../../domain/errors.js';
import type { Services } from '../../../services/index.js';
import { authenticated, principalOf, requires } from '../../auth.js';
import { IdParams, Items } from '../../schemas.js';
import {
  ChannelBody,
  ChannelPatch,
  ChannelSchema,
  CreatedChannel,
  DeliveryDetail,
  DeliveryPage,
  DeliveryQuery,
  InboxPageSchema,
  InboxQuery,
  ReadAnswer,
  ReadBody,
  RedeliverAnswer,
  RedeliverBody,
  SubscriptionBody,
  SubscriptionSchema,
} from './schema.js';

/** `{ids}` or `{all: true}`, exactly one. */
function idsOrAll(body: { ids?: string[]; all?: boolean }): string[] | 'all' {
  if (body.all === true && body.ids === undefined) return 'all';
  if (body.ids !== undefined && body.all !== true) return [...new Set(body.ids)];
  throw invalid('ids', 'Send either ids (a list) or all: true.', 'ids_or_all');
}

export const notifyRoutes = (services: Services): FastifyPluginAsyncTypebox =>
  authenticated(async (app) => {
    const tags = ['notifications'];

    app.get('/me/inbox', { schema: { tags, summary: 'My messages, newest first, with the unread count; page on with `before`', querystring: InboxQuery, response: { 200: InboxPageSchema } } }, async (request) => {
      const q = request.query;
      return services.notify.inbox(principalOf(request), { limit: q.limit ?? 20, before: q.before, unreadOnly: q.unread });
    });

    app.post('/me/inbox/read', { schema: { tags, summary: 'Mark messages read: `{ids: [...]}` or `{all: true}`', body: ReadBody, response: { 200: ReadAnswer } } }, async (request) =>
      services.notify.markRead(principalOf(request), idsOrAll(request.body)),
    );

    const keepers: FastifyPluginAsyncTypebox = async (keep) => {
      keep.addHook('onRequest', requires('manage_notifications'));

      keep.get('/admin/channels', { schema: { tags, summary: 'Channels I keep (secrets masked)', response: { 200: Items(ChannelSchema) } } }, async (request) => ({
        items: await services.notify.channels(principalOf(request)),
      }));

      keep.post(
        '/admin/channels',
        { schema: { tags, summary: 'Add a WeCom or DingTalk group robot, a webhook or an email list; `group: true` attaches it to a subdistrict as its group', body: ChannelBody, response: { 201: CreatedChannel } } },
        async (request, reply) => reply.status(201).send(await services.notify.createChannel(principalOf(request), request.body)),
      );

      keep.get('/admin/channels/:id', { schema: { tags, summary: 'One channel (secrets masked)', params: IdParams, response: { 200: ChannelSchema } } }, async (request) =>
        services.notify.channel(principalOf(request), request.params.id),
      );

      keep.patch(
        '/admin/channels/:id',
        { schema: { tags, summary: "Change a channel: its name, config (a broken robot's new key), language, mentions; `status: active` after a fix", params: IdParams, body: ChannelPatch, response: { 200: ChannelSchema } } },
        async (request) => services.notify.updateChannel(principalOf(request), request.params.id, request.body),
      );

      keep.get('/subscriptions', { schema: { tags, summary: 'Who hears what: subscriptions I keep', response: { 200: Items(SubscriptionSchema) } } }, async (request) => ({
        items: await services.notify.subscriptions(principalOf(request)),
      }));

      keep.post(
        '/subscriptions',
        { schema: { tags, summary: "Send event kinds about a department, jurisdiction (and under it) or category to a channel or a user's inbox", body: SubscriptionBody, response: { 201: SubscriptionSchema } } },
        async (request, reply) => reply.status(201).send(await services.notify.subscribe(principalOf(request), request.body)),
      );

      keep.delete('/subscriptions/:id', { schema: { tags, summary: 'Stop a subscription', params: IdParams } }, async (request, reply) => {
        await services.notify.unsubscribe(principalOf(request), request.params.id);
        return reply.status(204).send();
      });
    };
    await app.register(keepers);

    const admins: FastifyPluginAsyncTypebox = async (admin) => {
      admin.addHook('onRequest', requires('manage_deliveries'));

      admin.get(
        '/admin/deliveries',
        { schema: { tags, summary: 'Deliveries, newest first: `status=dead` is the dead-letter list (last error, attempts)', querystring: DeliveryQuery, response: { 200: DeliveryPage } } },
        async (request) => services.notify.deliveries({ ...request.query, limit: request.query.limit ?? 50 }),
      );

      admin.get('/admin/deliveries/:id', { schema: { tags, summary: 'One delivery with the message it sends', params: IdParams, response: { 200: DeliveryDetail } } }, async (request) =>
        services.notify.delivery(request.params.id),
      );

      admin.post(
        '/admin/deliveries/redeliver',
        { schema: { tags, summary: 'Send dead deliveries again: `{ids}` or `{all: true}` (of `channelId`)', body: RedeliverBody, response: { 200: RedeliverAnswer } } },
        async (request) => {
          const { channelId, ...which } = request.body;
          const result = await services.notify.redeliver(idsOrAll(which), channelId);
          request.log.info({ by: principalOf(request).user.username, ...result, channelId }, 'dead deliveries redelivered');
          return result;
        },
      );
    };
    await app.register(admins);
  });
