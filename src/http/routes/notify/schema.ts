// Notifications over the API: the inbox, channels (secrets masked), subscriptions and deliveries.

import { Type } from 'typebox';
import { SUBSCRIPTION_KINDS } from '../../../domain/notify.js';
import type { SubscriptionRecord } from '../../../domain/records.js';
import { CHANNEL_KINDS } from '../../../notify/channel.js';
import type { ChannelView, DeliveryView, InboxPage } from '../../../services/notify/manage.js';
import { AnyObject, fits, Id, literals, Nullable, Obj, type Fits } from '../../schemas.js';

const Time = Type.String({ description: 'ISO 8601' });
const Kinds = Type.Array(Type.String({ minLength: 1, maxLength: 40 }), { maxItems: 20, description: `Event kinds: ${SUBSCRIPTION_KINDS.join(', ')}` });
const Mobiles = Type.Array(Type.String({ maxLength: 20 }), { maxItems: 20, description: 'Mobiles @-mentioned on urgent messages' });

export const InboxQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  before: Type.Optional(Id),
  unread: Type.Optional(Type.Boolean({ description: 'Only unread messages' })),
});

export const InboxMessageSchema = Obj({
  id: Type.String(),
  userId: Type.String(),
  eventId: Type.String(),
  caseId: Nullable(Type.String()),
  kind: Type.String(),
  title: Type.String(),
  body: Type.String(),
  link: Nullable(Type.String()),
  data: AnyObject,
  createdAt: Time,
  readAt: Nullable(Time),
});

export const InboxPageSchema = Obj({ items: Type.Array(InboxMessageSchema), unread: Type.Integer(), next: Nullable(Type.String()) });

export const ReadBody = Obj({
  ids: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: 500 })),
  all: Type.Optional(Type.Boolean()),
});

export const ReadAnswer = Obj({ marked: Type.Integer(), unread: Type.Integer() });

const ChannelFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  config: Type.Object({}, { additionalProperties: true, description: 'wecom: {key}; dingtalk: {accessToken, secret}; webhook: {url, secret?}; email: {to: [...]}' }),
  locale: Type.Optional(Type.String({ maxLength: 10 })),
  mentionMobiles: Type.Optional(Mobiles),
};

export const ChannelBody = Obj({
  kind: literals(CHANNEL_KINDS),
  ...ChannelFields,
  jurisdictionId: Type.Optional(Nullable(Id)),
  group: Type.Optional(Type.Boolean({ description: "Attach as the jurisdiction's group: hears new reports, emergencies and results there" })),
});

export const ChannelPatch = Obj({
  name: Type.Optional(ChannelFields.name),
  config: Type.Optional(ChannelFields.config),
  locale: ChannelFields.locale,
  mentionMobiles: ChannelFields.mentionMobiles,
  status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
});

export const ChannelSchema = Obj({
  id: Type.String(),
  kind: Type.String(),
  name: Type.String(),
  config: AnyObject,
  locale: Type.String(),
  mentionMobiles: Type.Array(Type.String()),
  jurisdictionId: Nullable(Type.String()),
  status: Type.Union([Type.Literal('active'), Type.Literal('broken'), Type.Literal('disabled')]),
  statusReason: Nullable(Type.String()),
  statusAt: Nullable(Time),
  createdBy: Nullable(Type.String()),
  createdAt: Time,
  updatedAt: Time,
});

export const SubscriptionBody = Obj({
  kinds: Kinds,
  channelId: Type.Optional(Nullable(Id)),
  userId: Type.Optional(Nullable(Id)),
  departmentId: Type.Optional(Nullable(Id)),
  jurisdictionId: Type.Optional(Nullable(Id)),
  categoryId: Type.Optional(Nullable(Id)),
});

export const SubscriptionSchema = Obj({
  id: Type.String(),
  kinds: Type.Array(Type.String()),
  channelId: Nullable(Type.String()),
  userId: Nullable(Type.String()),
  departmentId: Nullable(Type.String()),
  jurisdictionId: Nullable(Type.String()),
  categoryId: Nullable(Type.String()),
  active: Type.Boolean(),
  createdBy: Nullable(Type.String()),
  createdAt: Time,
});

export const CreatedChannel = Obj({
  channel: ChannelSchema,
  secret: Type.Optional(Type.String({ description: 'A generated webhook secret: shown in this answer only' })),
  subscription: Type.Optional(SubscriptionSchema),
});

const DeliveryStatus = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('dead')]);

export const DeliveryQuery = Type.Object({
  status: Type.Optional(DeliveryStatus),
  channelId: Type.Optional(Id),
  caseId: Type.Optional(Id),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  before: Type.Optional(Id),
});

const DeliveryFields = {
  id: Type.String({ description: 'The delivery id receivers de-duplicate on' }),
  eventId: Type.String(),
  caseId: Nullable(Type.String({ description: 'null: news of a member or a redemption' })),
  kind: Type.String(),
  channelId: Type.String(),
  status: DeliveryStatus,
  attempts: Type.Integer(),
  nextAt: Time,
  leaseOwner: Nullable(Type.String()),
  leaseUntil: Nullable(Time),
  lastError: Nullable(Type.String()),
  lastAttemptAt: Nullable(Time),
  createdAt: Time,
  deliveredAt: Nullable(Time),
  title: Type.String(),
  eventType: Type.String(),
  ref: Type.String({ description: 'The reference the message links: a case\'s, a member\'s or a redemption\'s' }),
};

export const DeliverySchema = Obj(DeliveryFields);
export const DeliveryDetail = Obj({ ...DeliveryFields, message: AnyObject });
export const DeliveryPage = Obj({ items: Type.Array(DeliverySchema), dead: Type.Integer(), pending: Type.Integer(), next: Nullable(Type.String()) });

export const RedeliverBody = Obj({
  ids: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: 1000 })),
  all: Type.Optional(Type.Boolean({ description: 'Every dead delivery (of channelId, when given)' })),
  channelId: Type.Optional(Id),
});

export const RedeliverAnswer = Obj({ redelivered: Type.Integer() });

// ---- the services' views must fit their schemas (a compile error names the drift) ----

void [
  fits<Fits<InboxPage, typeof InboxPageSchema>>(),
  fits<Fits<ChannelView, typeof ChannelSchema>>(),
  fits<Fits<SubscriptionRecord, typeof SubscriptionSchema>>(),
  fits<Fits<DeliveryView, typeof DeliverySchema>>(),
];
