// Who may read what. Every read goes through here, even while the rules are simple, so the role x
// jurisdiction matrix of a later issue changes one file.

import { isWithin } from './workflow.js';
import type { Actor } from './types.js';

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
  }
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
