// Reference data (categories, departments, jurisdictions, the working-day calendar) and its
// administration: users, calendar days, boundaries, the deadline sweep.

import { Type, type Static } from 'typebox';
import { ROLES } from '../../../domain/types.js';
import type { Category, Department } from '../../../domain/records.js';
import type { SweepResult } from '../../../jobs/deadline-sweep.js';
import { AnyObject, fits, Id, literals, Nullable, Obj, type Fits } from '../../schemas.js';

// ---- requests ----

export const NewUserBody = Type.Object({
  username: Type.String({ minLength: 2, maxLength: 64 }),
  password: Type.String({ minLength: 8, maxLength: 256 }),
  displayName: Type.String({ minLength: 1, maxLength: 100 }),
  role: literals(ROLES),
  phone: Type.Optional(Type.String({ pattern: '^[0-9+\\- ]{5,20}$' })),
  departmentId: Type.Optional(Id),
  jurisdictionId: Type.Optional(Id),
  locale: Type.Optional(literals(['zh-CN', 'en', 'bo'] as const)),
  platform: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'employer only: the platform code (GET /programme/options)' })),
  station: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'employer only: the local station (美团拉萨城关站)' })),
}, { additionalProperties: false });
export type NewUserBody = Static<typeof NewUserBody>;

export const CalendarDayParams = Type.Object({ date: Type.String({ format: 'date', description: 'Local date, YYYY-MM-DD' }) });
export const CalendarDayBody = Type.Object({ kind: literals(['holiday', 'workday'] as const) }, { additionalProperties: false });

// ---- answers ----

const Names = Obj({ zh: Type.String(), en: Type.String(), bo: Type.String() });

export const CategorySchema = Obj({
  id: Type.String(),
  code: Type.String(),
  kind: Type.String(),
  majorCode: Type.String(),
  minorCode: Type.String(),
  names: Names,
  defaultDepartmentId: Nullable(Type.String()),
  foodSafety: Type.Boolean(),
  reportMediaRequired: Type.Boolean(),
  resolvePhotoRequired: Type.Boolean(),
  duplicateRadiusM: Type.Number(),
  defaultUrgency: Type.String(),
  sla: Nullable(AnyObject),
  active: Type.Boolean(),
});
export const DepartmentSchema = Obj({ id: Type.String(), code: Type.String(), kind: Type.String(), names: Names, jurisdictionId: Type.String(), phone: Nullable(Type.String()) });
export const JurisdictionSchema = Obj({ id: Type.String(), code: Type.String(), level: Type.String(), parentId: Nullable(Type.String()), path: Type.String(), names: Names });
export const CalendarDaySchema = Obj({ date: Type.String(), kind: Type.String() });
export const UserSchema = Obj({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  phone: Nullable(Type.String()),
  role: Type.String(),
  departmentId: Nullable(Type.String()),
  jurisdictionId: Nullable(Type.String()),
  locale: Type.String(),
  active: Type.Boolean(),
  platform: Nullable(Type.String({ description: 'employer accounts: their platform' })),
  station: Nullable(Type.String({ description: 'employer accounts: their local station' })),
});
export const SweepAnswer = Obj({ reminded: Type.Integer(), supervised: Type.Integer(), alerted: Type.Integer({ description: 'Emergencies not signed in time whose supervisors were alerted' }), uploadsExpired: Type.Integer() });
export const BoundaryImportAnswer = Obj({ created: Type.Array(Type.String()), updated: Type.Array(Type.String()) });

// ---- the views must fit their schemas (a compile error names the drift) ----

void [
  fits<Fits<SweepResult, typeof SweepAnswer>>(),
  fits<Fits<Category, typeof CategorySchema>>(),
  fits<Fits<Department, typeof DepartmentSchema>>(),
];
