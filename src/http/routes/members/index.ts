// Grid workers (issue 11). Open to anyone: the programme's lists, an application (rate-limited per address)
// and its status link. For the subdistrict's staff (manage_members, checked before any body is read): the
// members of their jurisdiction, each recruitment step, and the printable certificate.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../../services/index.js';
import { authenticated, principalOf, requires, signedInIfToken } from '../../auth.js';
import { IdParams } from '../../schemas.js';
import {
  ApplicationAnswer,
  ApplicationBody,
  ApplicationStatusSchema,
  MemberActionAnswer,
  MemberActionBody,
  MemberActionParams,
  MemberDetailSchema,
  MemberListQuery,
  MemberPage,
  MemberStatsSchema,
  MyMembershipSchema,
  LeaderboardQuery,
  LeaderboardSchema,
  OptionBody,
  OptionParams,
  OptionSchema,
  OptionsSchema,
  TokenParams,
} from './schema.js';

/** The certificate's own page: its inline print styles, nothing else. */
const CERTIFICATE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

export const memberRoutes = (services: Services): FastifyPluginAsyncTypebox => async (app) => {
  app.get(
    '/programme/options',
    { config: { rateLimit: 'public' }, schema: { tags: ['programme'], summary: 'The lists an application chooses from: worker types and employer platforms', response: { 200: OptionsSchema } } },
    async () => services.members.options(),
  );

  app.post(
    '/applications',
    {
      config: { rateLimit: 'publicWrite' },
      onRequest: signedInIfToken(app),
      schema: {
        tags: ['programme'],
        summary: '个人报名: apply to become a grid worker (no account needed; a rider signed in links their account and hears of each step); the answer holds the status link, shown once',
        body: ApplicationBody,
        response: { 201: ApplicationAnswer },
      },
    },
    async (request, reply) => {
      const { status, token } = await services.members.apply(request.body, request.principal);
      const statusUrl = `/api/v1/applications/${token}`;
      request.log.info({ status: status.status }, 'application received');
      return reply.status(201).header('cache-control', 'no-store').send({ status, token, statusUrl });
    },
  );

  app.get(
    '/applications/:token',
    {
      config: { rateLimit: 'public' },
      // The URL holds the link's secret: the request log shows it masked.
      logSerializers: { req: (req) => ({ method: req.method, url: '/api/v1/applications/[redacted]' }) },
      schema: { tags: ['programme'], summary: "An application's status, by the link its applicant was given", params: TokenParams, response: { 200: ApplicationStatusSchema } },
    },
    async (request, reply) => reply.header('cache-control', 'no-store').send(await services.members.status(request.params.token)),
  );

  await app.register(
    authenticated(async (api) => {
      api.put(
        '/admin/programme/options/:kind/:code',
        {
          onRequest: requires('manage_programme'),
          schema: { tags: ['programme'], summary: 'Add or change a worker type or employer platform (admin); active: false takes it off the application form', params: OptionParams, body: OptionBody, response: { 200: OptionSchema } },
        },
        async (request) => services.members.putOption(principalOf(request), request.params.kind, request.params.code, request.body),
      );
    }),
  );

  await app.register(
    authenticated(async (api) => {
      // Staff and employer stations; what each may see and do is the service's to decide (members.service.ts).
      api.get(
        '/me/membership',
        { schema: { tags: ['programme'], summary: 'My own application or membership (a rider who applied signed in, or was appointed), as the status link shows it', response: { 200: MyMembershipSchema } } },
        async (request, reply) => reply.header('cache-control', 'no-store').send(await services.members.mine(principalOf(request))),
      );
    }),
  );

  await app.register(
    authenticated(async (api) => {
      api.addHook('onRequest', requires('view_members'));

      api.get(
        '/members',
        { schema: { tags: ['programme'], summary: 'Members of my jurisdiction (all for an admin), newest first; phones masked', querystring: MemberListQuery, response: { 200: MemberPage } } },
        async (request) => services.members.list(principalOf(request), request.query),
      );

      api.get(
        '/members/:id',
        { schema: { tags: ['programme'], summary: 'A member with their history and the steps I may take', params: IdParams, response: { 200: MemberDetailSchema } } },
        async (request) => services.members.get(principalOf(request), request.params.id),
      );

      api.post(
        '/members/:id/actions/:action',
        {
          schema: {
            tags: ['programme'],
            summary: 'A recruitment step: recommend (企业推荐), approve or reject (街道审核), appoint (聘任), suspend, reinstate, retire',
            params: MemberActionParams,
            body: MemberActionBody,
            response: { 200: MemberActionAnswer },
          },
        },
        async (request, reply) => {
          const principal = principalOf(request);
          const result = await services.members.act(principal, request.params.id, request.params.action, request.body);
          request.log.info({ member: request.params.id, action: request.params.action, by: principal.user.username }, 'member step');
          return reply.header('cache-control', 'no-store').send(result);
        },
      );

      api.get(
        '/members/:id/stats',
        { schema: { tags: ['programme'], summary: "A member's record: reports, share verified, median time to close, closed within an hour, points", params: IdParams, response: { 200: MemberStatsSchema } } },
        async (request) => services.members.stats(principalOf(request), request.params.id),
      );

      api.get(
        '/programme/leaderboard',
        { schema: { tags: ['programme'], summary: '月度排行: members by points earned in a month (of my jurisdiction, or one subdistrict)', querystring: LeaderboardQuery, response: { 200: LeaderboardSchema } } },
        async (request) => services.members.leaderboard(principalOf(request), request.query.month, request.query.jurisdictionId),
      );

      api.get(
        '/members/:id/certificate',
        { schema: { tags: ['programme'], summary: 'The printable appointment certificate (聘书, zh-CN HTML)', params: IdParams } },
        async (request, reply) =>
          reply
            .type('text/html; charset=utf-8')
            .header('content-security-policy', CERTIFICATE_CSP)
            .send(await services.members.certificate(principalOf(request), request.params.id)),
      );
    }),
  );
};
