// Grid workers over the API: the open application and its status link, the programme's lists, members for
// the subdistrict's staff, the recruitment steps and the certificate.

import { Type } from 'typebox';
import { MEMBER_ACTIONS, MEMBER_STATUSES, PROGRAMME_ROLES } from '../../../domain/members.js';
import type { ApplicationStatus, MemberDetail, MemberStats, MemberView } from '../../../services/members.service.js';
import { AnyObject, fits, Id, literals, Nullable, Obj, type Fits } from '../../schemas.js';

const Time = Type.String({ description: 'ISO 8601' });
const Text = (maxLength: number, description?: string) => Type.String({ maxLength, ...(description ? { description } : {}) });

export const ApplicationBody = Obj({
  name: Type.String({ minLength: 1, maxLength: 50, description: 'As on the ID card' }),
  phone: Type.String({ minLength: 1, maxLength: 20, description: 'Mainland mobile, 11 digits (+86 allowed)' }),
  workerType: Text(40, 'A code of GET /programme/options workerTypes (rider, courier)'),
  platform: Text(40, 'A code of GET /programme/options platforms (meituan, eleme, sf, ...)'),
  station: Type.Optional(Text(100, "The platform's local station")),
  roles: Type.Optional(Type.Array(literals(PROGRAMME_ROLES), { maxItems: 2, description: '流动网格员 grid_worker (default), 舌尖守护者 food_safety_guardian' })),
  jurisdictionId: Id,
  note: Type.Optional(Text(500)),
});

export const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 64 }) });

const Status = literals(MEMBER_STATUSES);
/** In answers: one of the statuses (as text, so that the views' types fit). */
const StatusText = Type.String({ description: MEMBER_STATUSES.join(' | ') });

export const ApplicationStatusSchema = Obj({
  name: Type.String(),
  status: StatusText,
  statusAt: Time,
  reason: Nullable(Type.String()),
  appointmentNumber: Nullable(Type.String()),
  appointedOn: Nullable(Type.String()),
  steps: Type.Array(Obj({ action: Type.String(), status: StatusText, at: Time })),
});

export const MyMembershipSchema = Obj({ memberId: Type.String(), ...ApplicationStatusSchema.properties });

export const ApplicationAnswer = Obj({
  status: ApplicationStatusSchema,
  token: Type.String({ description: 'The secret of the status link: shown in this answer only' }),
  statusUrl: Type.String({ description: 'Where the applicant checks their application (keep it: it is not shown again)' }),
});

const OptionSchema = Obj({ kind: Type.String({ description: 'worker_type | platform' }), code: Type.String(), names: AnyObject, active: Type.Boolean() });
export const OptionParams = Type.Object({ kind: Type.Union([Type.Literal('worker_type'), Type.Literal('platform')]), code: Type.String({ minLength: 1, maxLength: 40 }) });
export const OptionBody = Obj({
  names: Obj({ zh: Type.String({ maxLength: 60 }), en: Type.String({ maxLength: 60 }), bo: Type.Optional(Type.String({ maxLength: 60 })) }),
  active: Type.Optional(Type.Boolean({ description: 'false: kept for the members who name it, off the application form' })),
  sort: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
});
export { OptionSchema };
export const OptionsSchema = Obj({ workerTypes: Type.Array(OptionSchema), platforms: Type.Array(OptionSchema) });

const memberFields = {
  id: Type.String(),
  name: Type.String(),
  phone: Type.String({ description: 'Masked (138****5678) unless your role needs it in full' }),
  workerType: Type.String(),
  platform: Type.String(),
  station: Nullable(Type.String()),
  roles: Type.Array(Type.String({ description: PROGRAMME_ROLES.join(' | ') })),
  jurisdictionId: Type.String(),
  jurisdictionName: Type.String(),
  status: StatusText,
  statusAt: Time,
  statusReason: Nullable(Type.String()),
  userId: Nullable(Type.String()),
  appointmentNumber: Nullable(Type.String()),
  appointedOn: Nullable(Type.String()),
  seq: Type.Integer(),
  createdAt: Time,
};

export const MemberSchema = Obj(memberFields);
export const MemberEventSchema = Obj({
  id: Type.String(),
  memberId: Type.String(),
  seq: Type.Integer(),
  action: Type.String(),
  actorId: Nullable(Type.String()),
  actorRole: Type.String(),
  fromStatus: Nullable(StatusText),
  toStatus: StatusText,
  data: AnyObject,
  at: Time,
});
export const MemberDetailSchema = Obj({ ...memberFields, events: Type.Array(MemberEventSchema), availableActions: Type.Array(Type.String({ description: MEMBER_ACTIONS.join(' | ') })) });
export const MemberPage = Obj({ items: Type.Array(MemberSchema), next: Nullable(Type.String()) });

export const MemberListQuery = Type.Object({
  status: Type.Optional(Status),
  platform: Type.Optional(Text(40)),
  workerType: Type.Optional(Text(40)),
  jurisdictionId: Type.Optional(Id),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  before: Type.Optional(Id),
});

export const MemberActionParams = Type.Object({ id: Id, action: literals(MEMBER_ACTIONS) });

export const MemberActionBody = Obj({
  recommender: Type.Optional(Text(500, 'recommend: who recommends (the station manager)')),
  station: Type.Optional(Text(500, "recommend: the platform's local station")),
  note: Type.Optional(Text(500)),
  reason: Type.Optional(Text(500, 'reject, suspend, retire: why (a rejected applicant sees it)')),
  appointedOn: Type.Optional(Type.String({ maxLength: 10, description: 'appoint: YYYY-MM-DD' })),
  userId: Type.Optional(Id),
  username: Type.Optional(Text(64, 'appoint: a reporter account to create for the member')),
});

export const MemberActionAnswer = Obj({
  member: MemberDetailSchema,
  account: Type.Optional(Obj({ username: Type.String(), password: Type.String({ description: 'Shown in this answer only: hand it to the member' }) })),
});

export const MemberStatsSchema = Obj({
  memberId: Type.String(),
  reports: Type.Integer(),
  verified: Type.Integer(),
  verifiedShare: Nullable(Type.Number()),
  closed: Type.Integer(),
  medianMinutesToClose: Nullable(Type.Number()),
  closedWithinHour: Type.Integer(),
  pointsEarned: Type.Integer(),
  balance: Type.Integer(),
});
export const LeaderboardQuery = Type.Object({ month: Type.String({ maxLength: 7, description: 'YYYY-MM' }), jurisdictionId: Type.Optional(Id) });
export const LeaderboardSchema = Obj({
  month: Type.String(),
  items: Type.Array(Obj({ rank: Type.Integer(), memberId: Type.String(), name: Type.String(), appointmentNumber: Nullable(Type.String()), points: Type.Integer() })),
});

void [
  fits<Fits<MemberStats, typeof MemberStatsSchema>>(),
  fits<Fits<ApplicationStatus, typeof ApplicationStatusSchema>>(),
  fits<Fits<MemberView, typeof MemberSchema>>(),
  fits<Fits<MemberDetail, typeof MemberDetailSchema>>(),
];
