// Logging in and out, and who the caller is.

import { Type, type Static } from 'typebox';
import { Nullable, Obj } from '../../schemas.js';

export const LoginBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 256 }),
  device: Type.Optional(Type.String({ minLength: 1, maxLength: 60, description: 'Name this device ("Redmi Note 12") to open a device session: it lasts DEVICE_SESSION_DAYS (180) until ended at GET/DELETE /me/sessions or by an administrator' })),
}, { additionalProperties: false });
export type LoginBody = Static<typeof LoginBody>;

export const LoginAnswer = Obj({
  token: Type.String(),
  expiresAt: Type.String(),
  sessionId: Type.String({ description: 'This session in GET /me/sessions' }),
  user: Obj({ id: Type.String(), username: Type.String(), displayName: Type.String(), role: Type.String() }),
});

export const MeSchema = Obj({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  role: Type.String(),
  departmentId: Nullable(Type.String()),
  jurisdictionId: Nullable(Type.String()),
  locale: Type.String(),
});

export const SessionSchema = Obj({
  id: Type.String(),
  device: Nullable(Type.String()),
  createdAt: Type.String(),
  expiresAt: Type.String(),
  lastSeenAt: Nullable(Type.String({ description: 'Last use, to the hour' })),
});
export const MySessionSchema = Obj({ ...SessionSchema.properties, current: Type.Boolean({ description: 'The session this request came with' }) });
export const SessionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export const UserParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export const EndedAnswer = Obj({ ended: Type.Integer() });
