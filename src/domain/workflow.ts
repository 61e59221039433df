// The case state machine: for every action, who may take it, from which states, what it requires and
// what it changes (status, case fields, clocks). Pure: the service loads the case, asks `decide`, and
// stores the transition it returns together with an append-only event.

import { DomainError, conflict, forbidden, invalid } from './errors.js';
import type { Actor, CaseStatus, ClosureType, Role, Stage, Urgency } from './types.js';
import { CLOSURE_TYPES } from './types.js';

export const ACTIONS = [
  'accept',
  'reject',
  'file',
  'dispatch',
  'sign',
  'return',
  'start',
  'request-extension',
  'approve-extension',
  'deny-extension',
  'resolve',
  'verify',
  'rework',
  'close',
  'rate',
  'reopen',
  'escalate',
  'record-decision',
  'refer',
  'reroute',
  'merge',
  'unmerge',
] as const;
export type Action = (typeof ACTIONS)[number];

/** Every field any action may carry; each action reads the ones it needs. */
export interface ActionInput {
  note?: string;
  reason?: string;
  departmentId?: string;
  assistingDepartmentIds?: string[];
  categoryId?: string;
  urgency?: Urgency;
  gridId?: string;
  minutes?: number;
  media?: string[];
  closureType?: ClosureType;
  score?: number;
  comment?: string;
  unitAtFault?: boolean;
  jurisdictionId?: string;
  masterCaseId?: string;
  /** verify, food-safety cases: the hazard's level as the market regulator grades it (1 gravest, 3 least). */
  level?: number;
}

export interface Rating {
  score: number;
  unitAtFault: boolean;
}

export interface PendingExtension {
  minutes: number;
  reason: string;
  requestedBy: string;
}

/** What the state machine needs to know about a case. */
export interface CaseFacts {
  status: CaseStatus;
  reporterId: string;
  departmentId: string | null;
  /** Department routing proposed for the case; the default target of `dispatch`. */
  routedDepartmentId: string | null;
  /** Path of the unit the case belongs to (its grid, or its subdistrict when outside every grid). */
  jurisdictionPath: string;
  foodSafety: boolean;
  resolvePhotoRequired: boolean;
  pendingExtension: PendingExtension | null;
  /** The rating given since the case was last closed, if any. */
  rating: Rating | null;
  /** Due time of the open resolve clock, if one runs. */
  resolveDueAt: Date | null;
  /** The moment of the decision, for rules about deadlines (an extension is asked before the due time). */
  now?: Date;
  /** For a merged case: the status it had when it was merged (from its merge event). */
  statusBeforeMerge?: CaseStatus | null;
}

export interface ClockChanges {
  /** Open clocks of these stages stop as done (met or late). */
  complete?: Stage[];
  /** Open clocks of these stages stop without counting (the stage was abandoned). */
  cancel?: Stage[];
  /** New clocks that start now. */
  start?: Stage[];
  /** Push the due time of an open clock back. */
  extend?: { stage: Stage; minutes: number };
  /** Recompute the due times of open clocks (urgency or category changed). */
  recompute?: boolean;
}

/** Field changes a transition makes to the case row. */
export interface CaseChanges {
  departmentId?: string | null;
  assistingDepartmentIds?: string[];
  assigneeId?: string | null;
  categoryId?: string;
  urgency?: Urgency;
  gridId?: string;
  jurisdictionId?: string;
  closureType?: ClosureType | null;
  masterCaseId?: string | null;
  rating?: Rating | null;
  pendingExtension?: PendingExtension | null;
}

export interface Transition {
  action: Action;
  from: CaseStatus;
  to: CaseStatus;
  changes: CaseChanges;
  clocks: ClockChanges;
}

type Scope = 'jurisdiction' | 'department' | 'own_report' | 'food_safety_jurisdiction';

interface ActionRule {
  /** The roles that may take the action, each with the reach it needs over the case. */
  roles: Partial<Record<Role, Scope>>;
  /** The input fields the action reads; anything else is refused rather than silently dropped. */
  fields: readonly (keyof ActionInput)[];
  from: readonly CaseStatus[];
  /** Checks the input and facts; returns the target state and changes, or throws. */
  apply(c: CaseFacts, input: ActionInput, actor: Actor): Omit<Transition, 'action' | 'from'>;
}

const DISPATCHERS = { dispatcher: 'jurisdiction', supervisor: 'jurisdiction' } as const;
const HANDLERS = { handler: 'department', regulator: 'department' } as const;
const VERIFIERS = { ...DISPATCHERS, regulator: 'food_safety_jurisdiction' } as const;

/** Statuses before dispatch: the case can still be moved, referred or merged. */
const UNDISPATCHED: readonly CaseStatus[] = ['reported', 'accepted', 'filed', 'returned'];

/** Statuses from which a case can be closed "not fixed" (not our responsibility, duplicate, ...). */
const CLOSABLE_NOT_FIXED: readonly CaseStatus[] = ['accepted', 'filed', 'returned', 'joint_meeting', 'verified'];

const text = (value: string | undefined): string | undefined => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
};

const requireText = (input: ActionInput, field: 'reason' | 'note', action: Action): string => {
  const value = text(input[field]);
  if (!value) throw invalid(field, `A ${field} is required to ${action} a case.`, `${field}_required`);
  return value;
};

const requireId = (input: ActionInput, field: 'departmentId' | 'jurisdictionId', action: Action): string => {
  const value = text(input[field]);
  if (!value) throw invalid(field, `${field} is required to ${action} a case.`, `${field.replace('Id', '')}_required`);
  return value;
};

export const RULES: Record<Action, ActionRule> = {
  accept: {
    roles: DISPATCHERS,
    fields: ['note'],
    from: ['reported'],
    apply: () => ({ to: 'accepted', changes: {}, clocks: { complete: ['accept'] } }),
  },
  reject: {
    roles: DISPATCHERS,
    fields: ['reason', 'note', 'media'],
    from: ['reported'],
    apply: (_c, input) => {
      requireText(input, 'reason', 'reject');
      return { to: 'rejected', changes: {}, clocks: { complete: ['accept'], cancel: ['dispatch'] } };
    },
  },
  file: {
    roles: DISPATCHERS,
    fields: ['categoryId', 'urgency', 'gridId', 'note'],
    from: ['accepted'],
    apply: (_c, input) => {
      const changes: CaseChanges = {};
      if (input.categoryId) changes.categoryId = input.categoryId;
      if (input.urgency) changes.urgency = input.urgency;
      if (input.gridId) changes.gridId = input.gridId;
      const recompute = changes.categoryId !== undefined || changes.urgency !== undefined;
      return { to: 'filed', changes, clocks: recompute ? { recompute } : {} };
    },
  },
  dispatch: {
    roles: DISPATCHERS,
    fields: ['departmentId', 'assistingDepartmentIds', 'note'],
    from: ['filed', 'returned'],
    apply: (c, input) => {
      const departmentId = text(input.departmentId) ?? c.routedDepartmentId;
      if (!departmentId) throw invalid('departmentId', 'Name the lead department to dispatch to.', 'department_required');
      return {
        to: 'dispatched',
        changes: { departmentId, assistingDepartmentIds: input.assistingDepartmentIds ?? [], assigneeId: null },
        clocks: { complete: ['dispatch'], start: ['sign', 'resolve'] },
      };
    },
  },
  sign: {
    roles: HANDLERS,
    fields: ['note'],
    from: ['dispatched'],
    apply: (_c, _input, actor) => ({ to: 'signed', changes: { assigneeId: actor.id }, clocks: { complete: ['sign'] } }),
  },
  return: {
    roles: HANDLERS,
    fields: ['reason', 'note', 'media'],
    from: ['dispatched', 'signed'],
    apply: (_c, input) => {
      requireText(input, 'reason', 'return');
      return {
        to: 'returned',
        changes: { departmentId: null, assigneeId: null, pendingExtension: null },
        clocks: { cancel: ['sign', 'resolve'], start: ['dispatch'] },
      };
    },
  },
  start: {
    roles: HANDLERS,
    fields: ['note'],
    from: ['signed'],
    apply: () => ({ to: 'handling', changes: {}, clocks: {} }),
  },
  'request-extension': {
    roles: HANDLERS,
    fields: ['reason', 'minutes', 'note'],
    from: ['signed', 'handling'],
    apply: (c, input, actor) => {
      const reason = requireText(input, 'reason', 'request-extension');
      const minutes = input.minutes;
      if (minutes === undefined || !Number.isInteger(minutes) || minutes <= 0) {
        throw invalid('minutes', 'Say how many more minutes are needed (a whole number above 0).', 'minutes_required');
      }
      if (c.pendingExtension) throw conflict('extension_pending', 'An extension request is already waiting for approval.');
      if (c.now && c.resolveDueAt && c.now.getTime() > c.resolveDueAt.getTime()) {
        throw conflict('extension_after_deadline', 'An extension must be asked for before the deadline; this one has passed.', {
          dueAt: c.resolveDueAt.toISOString(),
        });
      }
      return { to: c.status, changes: { pendingExtension: { minutes, reason, requestedBy: actor.id } }, clocks: {} };
    },
  },
  'approve-extension': {
    roles: DISPATCHERS,
    fields: ['note'],
    from: ['signed', 'handling'],
    apply: (c) => {
      if (!c.pendingExtension) throw conflict('no_extension_pending', 'There is no extension request to approve.');
      return {
        to: c.status,
        changes: { pendingExtension: null },
        clocks: { extend: { stage: 'resolve', minutes: c.pendingExtension.minutes } },
      };
    },
  },
  'deny-extension': {
    roles: DISPATCHERS,
    fields: ['reason', 'note'],
    from: ['signed', 'handling'],
    apply: (c, input) => {
      if (!c.pendingExtension) throw conflict('no_extension_pending', 'There is no extension request to deny.');
      requireText(input, 'reason', 'deny-extension');
      return { to: c.status, changes: { pendingExtension: null }, clocks: {} };
    },
  },
  resolve: {
    roles: HANDLERS,
    fields: ['note', 'media'],
    from: ['signed', 'handling'],
    apply: (c, input) => {
      requireText(input, 'note', 'resolve');
      if (c.resolvePhotoRequired && !(input.media && input.media.length > 0)) {
        throw invalid('media', 'This category needs an after-photo: attach a photo of the fixed problem.', 'after_photo_required');
      }
      return {
        to: 'resolved',
        changes: { pendingExtension: null },
        clocks: { complete: ['resolve'], start: ['verify'] },
      };
    },
  },
  verify: {
    roles: VERIFIERS,
    fields: ['note', 'media', 'level'],
    from: ['resolved'],
    apply: (c, input, actor) => {
      // 食品安全: the regulator grades the hazard as part of verifying it; the level earns the reporter points.
      if (input.level !== undefined) {
        if (!c.foodSafety) throw invalid('level', 'Only a food-safety case is graded with a level; verify this one without it.', 'level_not_food_safety');
        if (!Number.isInteger(input.level) || input.level < 1 || input.level > 3) throw invalid('level', 'level is 1, 2 or 3 (1 the gravest hazard).', 'invalid_level');
      } else if (c.foodSafety && actor.role === 'regulator') {
        throw invalid('level', 'Grade the food-safety hazard: level 1, 2 or 3 (1 the gravest); it decides the reporter\'s points.', 'level_required');
      }
      return { to: 'verified', changes: {}, clocks: { complete: ['verify'], start: ['close'] } };
    },
  },
  rework: {
    roles: VERIFIERS,
    fields: ['reason', 'note', 'media'],
    from: ['resolved'],
    apply: (_c, input) => {
      requireText(input, 'reason', 'rework');
      return { to: 'handling', changes: {}, clocks: { complete: ['verify'], start: ['resolve'] } };
    },
  },
  close: {
    roles: DISPATCHERS,
    fields: ['closureType', 'reason', 'note'],
    from: CLOSABLE_NOT_FIXED,
    apply: (c, input) => {
      const closureType = input.closureType;
      if (!closureType || !CLOSURE_TYPES.includes(closureType)) {
        throw invalid('closureType', `Choose a closure type: ${CLOSURE_TYPES.join(', ')}.`, 'closure_type_required');
      }
      if (closureType === 'fixed' && c.status !== 'verified') {
        throw conflict('close_fixed_requires_verified', 'Only a verified case can be closed as fixed.', { status: c.status });
      }
      if (closureType !== 'fixed') requireText(input, 'reason', 'close');
      return {
        to: 'closed',
        changes: { closureType, rating: null, pendingExtension: null },
        clocks: { complete: ['close'], cancel: ['accept', 'dispatch', 'sign', 'resolve', 'verify'] },
      };
    },
  },
  rate: {
    roles: { reporter: 'own_report' },
    fields: ['score', 'comment', 'unitAtFault'],
    from: ['closed'],
    apply: (c, input) => {
      const score = input.score;
      if (score === undefined || !Number.isInteger(score) || score < 1 || score > 5) {
        throw invalid('score', 'Give a score from 1 (very dissatisfied) to 5 (very satisfied).', 'score_required');
      }
      if (c.rating) throw conflict('already_rated', 'You have already rated this case.');
      return { to: 'closed', changes: { rating: { score, unitAtFault: input.unitAtFault === true } }, clocks: {} };
    },
  },
  reopen: {
    roles: { reporter: 'own_report', ...DISPATCHERS },
    fields: ['reason', 'note'],
    from: ['closed'],
    apply: (c, input, actor) => {
      requireText(input, 'reason', 'reopen');
      if (actor.role === 'reporter' && !(c.rating && isDissatisfied(c.rating) && c.rating.unitAtFault)) {
        throw conflict(
          'reopen_requires_dissatisfied_rating',
          'A case can be reopened by its reporter after rating it dissatisfied with the unit at fault.',
        );
      }
      return {
        to: 'filed',
        changes: { closureType: null, rating: null, departmentId: null, assigneeId: null },
        clocks: { start: ['dispatch'] },
      };
    },
  },
  escalate: {
    roles: DISPATCHERS,
    fields: ['reason', 'note'],
    from: ['filed', 'returned'],
    apply: (_c, input) => {
      requireText(input, 'reason', 'escalate');
      return { to: 'joint_meeting', changes: {}, clocks: {} };
    },
  },
  'record-decision': {
    roles: DISPATCHERS,
    fields: ['note', 'departmentId', 'assistingDepartmentIds'],
    from: ['joint_meeting'],
    apply: (_c, input) => {
      requireText(input, 'note', 'record-decision');
      const departmentId = requireId(input, 'departmentId', 'record-decision');
      return {
        to: 'dispatched',
        changes: { departmentId, assistingDepartmentIds: input.assistingDepartmentIds ?? [], assigneeId: null },
        clocks: { complete: ['dispatch'], start: ['sign', 'resolve'] },
      };
    },
  },
  refer: {
    roles: DISPATCHERS,
    fields: ['reason', 'jurisdictionId', 'note'],
    from: UNDISPATCHED,
    apply: (_c, input) => {
      requireText(input, 'reason', 'refer');
      const jurisdictionId = requireId(input, 'jurisdictionId', 'refer');
      return {
        to: 'reported',
        changes: { jurisdictionId, departmentId: null },
        clocks: { cancel: ['accept', 'dispatch'], start: ['accept', 'dispatch'] },
      };
    },
  },
  // Re-routing and merging happen before dispatch, while the command centre still holds the case.
  reroute: {
    roles: DISPATCHERS,
    fields: ['gridId', 'reason', 'note'],
    from: UNDISPATCHED,
    apply: (c, input) => {
      requireText(input, 'reason', 'reroute');
      const gridId = text(input.gridId);
      if (!gridId) throw invalid('gridId', 'Name the grid the case really belongs to.', 'grid_required');
      return { to: c.status, changes: { gridId, departmentId: null }, clocks: {} };
    },
  },
  merge: {
    roles: DISPATCHERS,
    fields: ['masterCaseId', 'note'],
    from: UNDISPATCHED,
    apply: (_c, input) => {
      const masterCaseId = text(input.masterCaseId);
      if (!masterCaseId) throw invalid('masterCaseId', 'Name the master case this one duplicates.', 'master_required');
      return { to: 'merged', changes: { masterCaseId, departmentId: null }, clocks: { cancel: ['accept', 'dispatch'] } };
    },
  },
  unmerge: {
    roles: DISPATCHERS,
    fields: ['reason', 'note'],
    from: ['merged'],
    apply: (c, input) => {
      requireText(input, 'reason', 'unmerge');
      // Back to the queue it left: waiting for acceptance, or waiting for dispatch.
      const back = c.statusBeforeMerge === 'reported' ? 'reported' : 'filed';
      return { to: back, changes: { masterCaseId: null }, clocks: { start: back === 'reported' ? ['accept', 'dispatch'] : ['dispatch'] } };
    },
  },
};


// ---- composite actions: one request, several actions in order, each under its own rule ----

/**
 * Actions a caller may ask for that are several actions taken at once. 直派 (`fast-dispatch`): a
 * dispatcher accepts, files and dispatches a new report in one step; the case still records the three
 * events, each decided by its own rule (who, from which status, what it changes, its clocks).
 */
export const COMPOSITE_ACTIONS = ['fast-dispatch'] as const;
export type CompositeAction = (typeof COMPOSITE_ACTIONS)[number];

/** What a caller may ask for on a case: one action, or a composite of several. */
export type RequestedAction = Action | CompositeAction;

/** The request-level actions, single and composite (the action route's path parameter). */
export const REQUESTED_ACTIONS: readonly RequestedAction[] = [...ACTIONS, ...COMPOSITE_ACTIONS];

/** One step of a composite: an action, and the fields of the request it takes. */
interface CompositeStep {
  action: Action;
  fields: readonly (keyof ActionInput)[];
}

export const COMPOSITES: Record<CompositeAction, { steps: readonly [CompositeStep, ...CompositeStep[]] }> = {
  'fast-dispatch': {
    steps: [
      { action: 'accept', fields: [] },
      { action: 'file', fields: ['gridId'] },
      // The note is for the department the case goes to.
      { action: 'dispatch', fields: ['departmentId', 'assistingDepartmentIds', 'note'] },
    ],
  },
};

export const isComposite = (value: string): value is CompositeAction => (COMPOSITE_ACTIONS as readonly string[]).includes(value);

/** The input fields a requested action reads (a composite: those of its steps). */
export const actionFields = (action: RequestedAction): readonly (keyof ActionInput)[] =>
  isComposite(action) ? COMPOSITES[action].steps.flatMap((s) => s.fields) : RULES[action].fields;

/** A step to take: its action and the part of the request's input it reads. */
export interface Step {
  action: Action;
  input: ActionInput;
}

/**
 * Check a composite against the case as it stands, as decide does for one action (403 when a step is not
 * open to the actor's role or the case is out of reach, 400 for a field no step reads, 409 when the case's
 * status does not allow the first step), and split the input into its steps. Each step is then decided on
 * the case as the steps before it left it.
 */
export function compositeSteps(action: CompositeAction, c: CaseFacts, input: ActionInput, actor: Actor): Step[] {
  const { steps } = COMPOSITES[action];
  const first = RULES[steps[0].action];
  if (steps.some((s) => !RULES[s.action].roles[actor.role])) {
    throw forbidden('role_not_allowed', `A ${actor.role} may not ${action} a case.`, { action, role: actor.role });
  }
  if (!inScope(first.roles[actor.role]!, c, actor)) {
    throw forbidden('out_of_scope', `This case is outside what you handle, so you may not ${action} it.`, { action });
  }
  const fields = actionFields(action);
  const unexpected = (Object.keys(input) as (keyof ActionInput)[]).find((key) => input[key] !== undefined && !fields.includes(key));
  if (unexpected) {
    throw invalid(unexpected, `${unexpected} is not used by ${action}; it takes ${fields.join(', ')}.`, 'unexpected_field');
  }
  if (!first.from.includes(c.status)) {
    throw new DomainError('conflict', `${action}_not_allowed_when_${c.status}`, `A case that is ${c.status} cannot be ${pastTense(action)}.`, {
      action,
      status: c.status,
    });
  }
  return steps.map((s) => ({
    action: s.action,
    input: Object.fromEntries(s.fields.filter((f) => input[f] !== undefined).map((f) => [f, input[f]])) as ActionInput,
  }));
}

/** The composites this actor could ask for on the case now: every step open to the role, the first one possible now. */
export function availableComposites(c: CaseFacts, actor: Actor): CompositeAction[] {
  return COMPOSITE_ACTIONS.filter((action) => {
    const { steps } = COMPOSITES[action];
    const first = RULES[steps[0].action];
    const scope = first.roles[actor.role];
    return scope !== undefined && steps.every((s) => RULES[s.action].roles[actor.role]) && first.from.includes(c.status) && inScope(scope, c, actor);
  });
}

/** Everything the actor could ask for on the case now: its single actions, then its composites. */
export const openActions = (c: CaseFacts, actor: Actor): RequestedAction[] => [...availableActions(c, actor), ...availableComposites(c, actor)];

// ---- 自动派单: the system takes the command centre's steps for a matching auto-dispatch rule ----

/** The command centre's steps the system takes for a rule; those steps' rules read no actor. */
const SYSTEM_ACTOR: Actor = { id: 'system', role: 'dispatcher', departmentId: null, jurisdictionPath: null };

/**
 * 自动派单: accept, file and dispatch a new report to a rule's department, one after another, as the
 * actions' own rules decide them (statuses, changes, clocks). Pure: the report's service writes them with
 * the report, as system events.
 */
export function automaticDispatch(c: CaseFacts, departmentId: string): Transition[] {
  // The fast track's own steps (直派), the department named and nothing else given.
  const steps: Step[] = COMPOSITES['fast-dispatch'].steps.map((s) => ({ action: s.action, input: s.fields.includes('departmentId') ? { departmentId } : {} }));
  const out: Transition[] = [];
  let facts = c;
  for (const step of steps) {
    const rule = RULES[step.action];
    if (!rule.from.includes(facts.status)) throw new Error(`automatic ${step.action} from ${facts.status}`);
    const t: Transition = { action: step.action, from: facts.status, ...rule.apply(facts, step.input, SYSTEM_ACTOR) };
    out.push(t);
    facts = { ...facts, status: t.to, departmentId: t.changes.departmentId !== undefined ? t.changes.departmentId : facts.departmentId };
  }
  return out;
}

export const isDissatisfied = (rating: Rating): boolean => rating.score <= 2;

export const isAction = (value: string): value is Action => (ACTIONS as readonly string[]).includes(value);

/** Whether the actor reaches this case in the way the scope demands. */
export function inScope(scope: Scope, c: CaseFacts, actor: Actor): boolean {
  switch (scope) {
    case 'own_report':
      return c.reporterId === actor.id;
    case 'department':
      return c.departmentId !== null && c.departmentId === actor.departmentId;
    case 'jurisdiction':
      return isWithin(c.jurisdictionPath, actor.jurisdictionPath);
    case 'food_safety_jurisdiction':
      return c.foodSafety && isWithin(c.jurisdictionPath, actor.jurisdictionPath);
  }
}

/** True when `path` lies at or below `ancestor` in the jurisdiction tree. */
export function isWithin(path: string, ancestor: string | null): boolean {
  if (!ancestor) return false;
  return path === ancestor || path.startsWith(ancestor.endsWith('/') ? ancestor : `${ancestor}/`);
}

function authorise(action: Action, c: CaseFacts, actor: Actor): void {
  const rule = RULES[action];
  const scope = rule.roles[actor.role];
  if (!scope) {
    throw forbidden('role_not_allowed', `A ${actor.role} may not ${action} a case.`, { action, role: actor.role });
  }
  if (!inScope(scope, c, actor)) {
    throw forbidden('out_of_scope', `This case is outside what you handle, so you may not ${action} it.`, { action });
  }
}

/**
 * Decide what `action` does to a case, or throw: 403 when the actor may not take it, 409 when the case's
 * state does not allow it, 400 when a required field is missing.
 */
export function decide(action: Action, c: CaseFacts, input: ActionInput, actor: Actor): Transition {
  authorise(action, c, actor);
  const rule = RULES[action];
  const unexpected = (Object.keys(input) as (keyof ActionInput)[]).find((key) => input[key] !== undefined && !rule.fields.includes(key));
  if (unexpected) {
    throw invalid(unexpected, `${unexpected} is not used by ${action}; it takes ${rule.fields.join(', ')}.`, 'unexpected_field');
  }
  if (!rule.from.includes(c.status)) {
    throw new DomainError('conflict', `${action}_not_allowed_when_${c.status}`, `A case that is ${c.status} cannot be ${pastTense(action)}.`, {
      action,
      status: c.status,
    });
  }
  return { action, from: c.status, ...rule.apply(c, input, actor) };
}

/** The actions this actor could take on the case now (ignoring missing input). */
export function availableActions(c: CaseFacts, actor: Actor): Action[] {
  return ACTIONS.filter((action) => {
    const rule = RULES[action];
    const scope = rule.roles[actor.role];
    if (!scope || !rule.from.includes(c.status) || !inScope(scope, c, actor)) return false;
    if (action === 'approve-extension' || action === 'deny-extension') return c.pendingExtension !== null;
    if (action === 'request-extension') return c.pendingExtension === null;
    if (action === 'rate') return c.rating === null;
    if (action === 'reopen' && actor.role === 'reporter') return c.rating !== null && isDissatisfied(c.rating) && c.rating.unitAtFault;
    return true;
  });
}

const PAST: Partial<Record<RequestedAction, string>> = {
  file: 'filed',
  sign: 'signed',
  return: 'returned',
  start: 'started',
  'request-extension': 'given an extension request',
  'approve-extension': 'given an approved extension',
  'deny-extension': 'given a denied extension',
  rate: 'rated',
  escalate: 'escalated to the joint meeting',
  'record-decision': 'given a joint-meeting decision',
  refer: 'referred',
  dispatch: 'dispatched',
  reopen: 'reopened',
  reroute: 'rerouted',
  merge: 'merged',
  unmerge: 'unmerged',
  'fast-dispatch': 'dispatched in one step',
  close: 'closed',
  rework: 'sent back for rework',
  verify: 'verified',
};

function pastTense(action: RequestedAction): string {
  return PAST[action] ?? `${action.replace(/e$/, '')}ed`;
}
