// Login lockouts, for administrators.

import { Type } from 'typebox';
import type { LockoutView } from '../../../services/throttle.service.js';
import { fits, Nullable, Obj, type Fits } from '../../schemas.js';

export const UsernameParams = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }) });

export const LockoutSchema = Obj({
  username: Type.String(),
  until: Type.String(),
  failures: Type.Integer(),
  lastAddress: Nullable(Type.String()),
  known: Type.Boolean({ description: 'False when no user has this name (locked all the same, so nothing leaks)' }),
});

// ---- the service's view must fit its schema (a compile error names the drift) ----

void [fits<Fits<LockoutView, typeof LockoutSchema>>()];
