// The vocabulary of Gridline's domain. Pure types and constant lists: no I/O.

/** employer: a platform's local station (美团 拉萨城关站), which recommends its riders to the programme. */
export const ROLES = ['reporter', 'dispatcher', 'handler', 'regulator', 'supervisor', 'admin', 'employer'] as const;
export type Role = (typeof ROLES)[number];

export const URGENCIES = ['normal', 'urgent', 'emergency'] as const;
export type Urgency = (typeof URGENCIES)[number];

export const LEVELS = ['city', 'district', 'subdistrict', 'community', 'grid'] as const;
export type JurisdictionLevel = (typeof LEVELS)[number];

export const CATEGORY_KINDS = ['component', 'event'] as const; // 部件 / 事件 (GB/T 30428.2)
export type CategoryKind = (typeof CATEGORY_KINDS)[number];

export const CHANNELS = ['app', 'web', 'api', 'wechat', 'phone'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Where a case stands in the closed loop (数字城管 GB/T 30428.8 / 12345 practice). */
export const CASE_STATUSES = [
  'reported', //      上报: waiting for the command centre to accept it
  'rejected', //      不予受理: not accepted (terminal, reason sent to the reporter)
  'accepted', //      受理: accepted, waiting to be filed
  'filed', //         立案: category, grid and urgency confirmed; waiting for dispatch
  'dispatched', //    派遣: sent to a lead department, waiting for it to sign
  'returned', //      退单: the department sent it back with a reason; waiting for re-dispatch
  'signed', //        签收: the department took it
  'handling', //      处置中: work under way
  'resolved', //      处置反馈: the handler reported it done, with evidence
  'verified', //      核查通过: checked on site; waiting to be closed
  'closed', //        结案
  'joint_meeting', // 联席会议: responsibility unclear; waiting for the meeting's decision
  'merged', //        合并: a duplicate folded into a master case, whose updates its reporter now follows
] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

/** Closure types: one "fixed", the rest "closed, not fixed". */
export const CLOSURE_TYPES = ['fixed', 'not_responsible', 'duplicate', 'no_action_possible'] as const;
export type ClosureType = (typeof CLOSURE_TYPES)[number];

/** Clocks that run on a case. Each has a due time from the SLA policy. */
export const STAGES = ['accept', 'dispatch', 'sign', 'resolve', 'verify', 'close'] as const;
export type Stage = (typeof STAGES)[number];

export interface GeoPoint {
  lat: number;
  lon: number;
}

/** One stage's limit: minutes from the stage's start, or from the report when `from` is 'report'. */
export interface StageLimit {
  minutes: number;
  from?: 'report';
}

/** A category's time limits for one urgency. `unit: 'working'` counts only working days. */
export interface SlaPolicy {
  unit: 'calendar' | 'working';
  stages: Record<Stage, StageLimit>;
}

export type SlaPolicies = Record<Urgency, SlaPolicy>;

/** Who is acting: what the domain needs to know to authorise an action. */
export interface Actor {
  id: string;
  role: Role;
  departmentId: string | null;
  /** Materialized path of the actor's jurisdiction ('/540000/540100/...'), null for none. */
  jurisdictionPath: string | null;
  /** An employer account's platform (its riders are the members it sees); null for other roles. */
  platform?: string | null;
}
