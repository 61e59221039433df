// Logging in and out, and who the caller is.

import { Type, type Static } from 'typebox';
import { Nullable, Obj } from '../../schemas.js';

export const LoginBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 256 }),
}, { additionalProperties: false });
export type LoginBody = Static<typeof LoginBody>;

export const LoginAnswer = Obj({
  token: Type.String(),
  expiresAt: Type.String(),
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
