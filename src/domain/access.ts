// The one access policy: who may see or do what, by role, jurisdiction, department and own records.
// Every use case asks here first (services for cases and media, the HTTP layer's `requires` before a
// body is read), so a new role (an employer, an Open311 client) is rows in these tables, not checks in
// ten places. Pure: no I/O.

import { forbidden } from './errors.js';
import { isWithin } from './workflow.js';
import type { Actor, Role } from './types.js';

/** Things a role may do whatever the record: the routes' gates and the services' own checks. */
export type Capability =
  | 'manage_users'
  | 'manage_calendar'
  | 'import_boundaries'
  | 'manage_lockouts'
  /** Channels and subscriptions: everything (admin), or those of one's own jurisdiction (dispatcher). */
  | 'manage_notifications'
  /** The deliveries of every channel: the dead-letter list and redelivery. */
  | 'manage_deliveries'
  | 'run_sweep'
  /** 自动派单 rules: an administrator everywhere, a dispatcher within their jurisdiction (the service checks where). */
  | 'manage_dispatch_rules'
  | 'manage_members'
  /** See members: the subdistrict's staff, and an employer's station its own platform's riders. */
  | 'view_members'
  | 'manage_points_rules'
  | 'reverse_points'
  | 'manage_redemptions'
  | 'manage_programme'
  /** Upload photos and videos (evidence comes from reporters and staff; administrators keep reference data). */
  | 'send_media'
  /** The figures (KPIs) of the cases one may see: a command centre's area, a department's own cases. */
  | 'view_kpis';

export const CAPABILITIES: Record<Capability, readonly Role[]> = {
  manage_users: ['admin'],
  manage_calendar: ['admin'],
  import_boundaries: ['admin'],
  manage_lockouts: ['admin'],
  manage_notifications: ['admin', 'dispatcher'],
  manage_deliveries: ['admin'],
  run_sweep: ['admin', 'supervisor'],
  manage_dispatch_rules: ['admin', 'dispatcher'],
  manage_members: ['dispatcher', 'supervisor', 'admin'],
  view_members: ['dispatcher', 'supervisor', 'admin', 'employer'],
  manage_points_rules: ['admin'],
  reverse_points: ['regulator', 'supervisor', 'admin'],
  manage_redemptions: ['supervisor', 'admin'],
  manage_programme: ['admin'],
  send_media: ['reporter', 'dispatcher', 'supervisor', 'handler', 'regulator'],
  view_kpis: ['dispatcher', 'supervisor', 'handler', 'regulator', 'admin'],
};

export const may = (actor: Pick<Actor, 'role'>, capability: Capability): boolean => CAPABILITIES[capability].includes(actor.role);

/** Throws 403 role_not_allowed (naming the roles that may) unless the actor may. */
export function requireCapability(actor: Pick<Actor, 'role'>, capability: Capability, message?: string): void {
  if (may(actor, capability)) return;
  const roles = CAPABILITIES[capability];
  throw forbidden('role_not_allowed', message ?? `Only ${roles.join(' or ')} accounts may do this.`, { roles: [...roles] });
}

/** Which cases a reader may list and map: storage turns it into SQL (case.visibility.ts `visible`). */
export type CaseScope =
  | { kind: 'all' }
  | { kind: 'jurisdiction'; path: string }
  | { kind: 'department'; departmentId: string; foodSafetyPath: string | null }
  | { kind: 'reporter'; reporterId: string };

/**
 * The list's counterpart of caseAccess: an admin lists everything (oversight); a command centre its
 * jurisdiction (and what it referred away); a department its own and assisting cases, a regulator also
 * the food-safety cases of its area; a reporter their own reports.
 */
export function caseScope(actor: Actor): CaseScope {
  switch (actor.role) {
    case 'admin':
      return { kind: 'all' };
    case 'dispatcher':
    case 'supervisor':
      if (!actor.jurisdictionPath) throw forbidden('no_jurisdiction', 'Your account has no jurisdiction; ask an administrator to set one.');
      return { kind: 'jurisdiction', path: actor.jurisdictionPath };
    case 'handler':
    case 'regulator':
      if (!actor.departmentId) throw forbidden('no_department', 'Your account has no department; ask an administrator to set one.');
      return { kind: 'department', departmentId: actor.departmentId, foodSafetyPath: actor.role === 'regulator' ? actor.jurisdictionPath : null };
    case 'reporter':
      return { kind: 'reporter', reporterId: actor.id };
    case 'employer':
      throw forbidden('role_not_allowed', 'An employer account keeps its riders in the programme; it does not see cases.', { roles: ['reporter', 'dispatcher', 'handler', 'regulator', 'supervisor', 'admin'] });
  }
}

/**
 * Whose map cell counts a reader sees: everything (admin), the units within a command centre's
 * jurisdiction, or none (the cases themselves, as points: departments, reporters, a centre without a
 * jurisdiction).
 */
export function clusterScope(actor: Actor): { kind: 'all' } | { kind: 'within'; path: string } | { kind: 'points' } {
  if (actor.role === 'admin') return { kind: 'all' };
  if ((actor.role === 'dispatcher' || actor.role === 'supervisor') && actor.jurisdictionPath) return { kind: 'within', path: actor.jurisdictionPath };
  return { kind: 'points' };
}

export interface CaseReach {
  reporterId: string;
  departmentId: string | null;
  assistingDepartmentIds: string[];
  foodSafety: boolean;
  /** Path of the unit handling the case. */
  jurisdictionPath: string;
  /** Path of the unit where it was first reported (referral keeps it visible there). */
  originJurisdictionPath: string;
}

export type CaseAccess = 'none' | 'reporter' | 'handling_chain' | 'oversight';

/**
 * How an actor may see a case: its reporter sees their own report; the handling chain (command centre
 * of the jurisdiction, lead and assisting departments, the regulator for food safety) sees it with the
 * reporter's masked identity; an admin sees it for oversight without any reporter identity.
 */
export function caseAccess(actor: Actor, c: CaseReach): CaseAccess {
  switch (actor.role) {
    case 'reporter':
      return c.reporterId === actor.id ? 'reporter' : 'none';
    case 'dispatcher':
    case 'supervisor':
      return isWithin(c.jurisdictionPath, actor.jurisdictionPath) || isWithin(c.originJurisdictionPath, actor.jurisdictionPath) ? 'handling_chain' : 'none';
    case 'handler':
    case 'regulator': {
      const department = actor.departmentId !== null && (c.departmentId === actor.departmentId || c.assistingDepartmentIds.includes(actor.departmentId));
      const regulator = actor.role === 'regulator' && c.foodSafety && isWithin(c.jurisdictionPath, actor.jurisdictionPath);
      if (department || regulator) return 'handling_chain';
      return c.reporterId === actor.id ? 'reporter' : 'none';
    }
    case 'admin':
      return 'oversight';
    case 'employer':
      return 'none';
  }
}

/** From least to most: a reader who reaches a thing through several cases sees it through the best. */
const ACCESS_RANK: readonly CaseAccess[] = ['none', 'oversight', 'reporter', 'handling_chain'];

export const betterAccess = (a: CaseAccess, b: CaseAccess): CaseAccess => (ACCESS_RANK.indexOf(b) > ACCESS_RANK.indexOf(a) ? b : a);

/**
 * A rider whose report was merged into a case follows that case as its reporter (its repair photos
 * included). `mergedReporterIds` gives the reporters of the reports merged into it; it is asked only when
 * the answer can change (no access yet, and a rider asking).
 */
export async function followsMerged(actor: Actor, access: CaseAccess, mergedReporterIds: () => Promise<readonly string[]>): Promise<CaseAccess> {
  if (access !== 'none' || actor.role !== 'reporter') return access;
  return (await mergedReporterIds()).includes(actor.id) ? 'reporter' : 'none';
}

/**
 * Publishing a case's photo for the public is for the command centre that handles the case: a
 * subdistrict that referred the case away still sees it (joint handling) but no longer speaks for it.
 */
export function mayPublishCaseMedia(actor: Actor, handlingPath: string): boolean {
  return (actor.role === 'dispatcher' || actor.role === 'supervisor') && isWithin(handlingPath, actor.jurisdictionPath);
}

/** 138****5678: keeps the first three and last four digits. */
export function maskPhone(phone: string | null): string | null {
  if (!phone) return null;
  const digits = phone.replace(/\s+/g, '');
  if (digits.length < 7) return '*'.repeat(digits.length);
  return `${digits.slice(0, 3)}${'*'.repeat(digits.length - 7)}${digits.slice(-4)}`;
}

/** 索朗 -> 索*, Sonam Dorje -> S**********: keeps the first character. */
export function maskName(name: string): string {
  const chars = [...name];
  if (chars.length <= 1) return name;
  return chars[0] + '*'.repeat(chars.length - 1);
}
