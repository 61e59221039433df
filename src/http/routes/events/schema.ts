// Live events over the API: what GET /api/v1/events takes (where to resume, the EventSource token) and
// what its stream carries. The answer is text/event-stream, not JSON: the `data:` of a case event is
// described here and checked against the service's view at compile time; reset and ready carry
// {seq, reason} and {seq}.

import { Type } from 'typebox';
import type { LiveEvent } from '../../../services/notify/live.js';
import { fits, Obj, type Fits } from '../../schemas.js';

const Seq = Type.Integer({ minimum: 0, description: 'The feed number: send it back as Last-Event-ID to resume after it' });

export const EventsQuery = Type.Object({
  // Checked by the route (400 invalid_last_event_id), not here, so the header and the parameter fail alike.
  lastEventId: Type.Optional(Type.String({ description: 'Resume after this event number, for clients that cannot send the Last-Event-ID header' })),
  access_token: Type.Optional(
    Type.String({
      description:
        'The bearer token, for EventSource (browsers cannot set its headers); this route only. Prefer the Authorization header wherever you can: a URL may end up in a proxy\'s access log.',
    }),
  ),
});

export const EventsHeaders = Type.Object({
  'last-event-id': Type.Optional(Type.String({ description: 'Resume after this event number (EventSource sends it on its own when it reconnects)' })),
});

/** The `data:` of an `event: case`. */
export const LiveEventSchema = Obj(
  {
    seq: Seq,
    caseId: Type.String(),
    ref: Type.String({ description: 'The case reference' }),
    action: Type.String({ description: 'What happened: report, accept, dispatch, resolve, close, remind, …' }),
    status: Type.String({ description: 'The status the case is in after it' }),
    kinds: Type.Array(Type.String(), { description: 'The notification kinds it counted as (new_report, emergency, dispatched, …)' }),
    at: Type.String({ description: 'ISO 8601' }),
  },
  'event: case',
);

const STREAM_DESCRIPTION = [
  'A Server-Sent Events stream (text/event-stream). First `retry: 3000`; then, resuming, the events missed (or `event: reset`);',
  'then `event: ready`; then each `event: case` as it happens, with `id: <seq>`; a `: ping` comment every 15 s.',
  'The data of each event is JSON: case = {seq, caseId, ref, action, status, kinds, at}; reset = {seq, reason}; ready = {seq}.',
].join(' ');

/** The 200 answer: an event stream (Fastify and the OpenAPI document take a schema per content type). */
export const EventStreamAnswer = {
  description: STREAM_DESCRIPTION,
  content: { 'text/event-stream': { schema: Type.String() } },
};

// ---- the service's view must fit its schema (a compile error names the drift) ----

void [fits<Fits<LiveEvent, typeof LiveEventSchema>>()];
