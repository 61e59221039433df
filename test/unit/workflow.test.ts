import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { CASE_STATUSES, CLOSURE_TYPES, ROLES } from '../../src/domain/types.js';
import type { Actor, CaseStatus, ClosureType, Role } from '../../src/domain/types.js';
import {
  ACTIONS,
  RULES,
  availableActions,
  decide,
  inScope,
  isAction,
  isDissatisfied,
  isWithin,
} from '../../src/domain/workflow.js';
import type { Action, ActionInput, CaseFacts, PendingExtension, Rating, Transition } from '../../src/domain/workflow.js';

// ---------------------------------------------------------------------------------------------------------
// Fixtures: Lhasa > Chengguan > Najin subdistrict > one grid. Case sits in the grid, owned by market regulation.

const CITY = '/540100';
const DISTRICT = `${CITY}/540102`;
const NAJIN = `${DISTRICT}/540102004`;
const NEIGHBOUR = `${DISTRICT}/540102005`;
const GRID = `${NAJIN}/540102004001001`;

const DEPT = 'dept-market';
const OTHER_DEPT = 'dept-urban';
const REPORTER_ID = 'user-rider';

const ACTORS: Record<Role, Actor> = {
  reporter: { id: REPORTER_ID, role: 'reporter', departmentId: null, jurisdictionPath: null },
  dispatcher: { id: 'user-dispatcher', role: 'dispatcher', departmentId: null, jurisdictionPath: NAJIN },
  handler: { id: 'user-handler', role: 'handler', departmentId: DEPT, jurisdictionPath: null },
  regulator: { id: 'user-regulator', role: 'regulator', departmentId: DEPT, jurisdictionPath: NAJIN },
  supervisor: { id: 'user-supervisor', role: 'supervisor', departmentId: null, jurisdictionPath: DISTRICT },
  // An admin reaches everything by path and department, yet takes no case action.
  admin: { id: 'user-admin', role: 'admin', departmentId: DEPT, jurisdictionPath: CITY },
  // A platform's station recommends riders; it takes no case action anywhere.
  employer: { id: 'user-employer', role: 'employer', departmentId: null, jurisdictionPath: NAJIN, platform: 'meituan' },
};

const PENDING: PendingExtension = { minutes: 2 * 24 * 60, reason: 'waiting for a spare part', requestedBy: 'user-handler' };
const DISSATISFIED_AT_FAULT: Rating = { score: 1, unitAtFault: true };

function facts(overrides: Partial<CaseFacts> = {}): CaseFacts {
  return {
    status: 'reported',
    reporterId: REPORTER_ID,
    departmentId: DEPT,
    routedDepartmentId: DEPT,
    jurisdictionPath: GRID,
    foodSafety: true,
    resolvePhotoRequired: true,
    pendingExtension: null,
    rating: null,
    resolveDueAt: null,
    ...overrides,
  };
}

/** An input that satisfies the action's requirements for a case in `status`, with only the fields it takes. */
function fullInput(status: CaseStatus, action: Action): ActionInput {
  const all: ActionInput = {
    note: 'Cover replaced and area cleaned.',
    reason: 'See the attached photo.',
    departmentId: DEPT,
    minutes: 120,
    media: ['media-after-1'],
    closureType: status === 'verified' ? 'fixed' : 'duplicate',
    score: 4,
    unitAtFault: false,
    jurisdictionId: 'jur-neighbour',
    gridId: 'grid-next-door',
    masterCaseId: 'case-master',
    level: 2,
  };
  return Object.fromEntries(Object.entries(all).filter(([key]) => (RULES[action].fields as readonly string[]).includes(key))) as ActionInput;
}

/** Facts that satisfy an action's preconditions other than status, role and input. */
function factsFor(action: Action, status: CaseStatus): CaseFacts {
  return facts({
    status,
    pendingExtension: action === 'approve-extension' || action === 'deny-extension' ? PENDING : null,
    rating: action === 'reopen' ? DISSATISFIED_AT_FAULT : null,
  });
}

/** Run `fn`, which must throw a DomainError, and return the error. */
function domainError(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError, but nothing was thrown');
}

const SAME = 'same' as const;
const EXPECTED_TO: Record<Action, CaseStatus | typeof SAME> = {
  accept: 'accepted',
  reject: 'rejected',
  file: 'filed',
  dispatch: 'dispatched',
  sign: 'signed',
  return: 'returned',
  start: 'handling',
  'request-extension': SAME,
  'approve-extension': SAME,
  'deny-extension': SAME,
  resolve: 'resolved',
  verify: 'verified',
  rework: 'handling',
  close: 'closed',
  rate: 'closed',
  reopen: 'filed',
  escalate: 'joint_meeting',
  'record-decision': 'dispatched',
  refer: 'reported',
  reroute: SAME,
  merge: 'merged',
  unmerge: 'filed', // the fixture's statusBeforeMerge is not 'reported'
};

// ---------------------------------------------------------------------------------------------------------

describe('decide: every action × status × role', () => {
  for (const action of ACTIONS) {
    describe(action, () => {
      for (const status of CASE_STATUSES) {
        for (const role of ROLES) {
          it(`${role} on a ${status} case`, () => {
            const rule = RULES[action];
            const actor = ACTORS[role];
            const c = factsFor(action, status);
            const run = () => decide(action, c, fullInput(status, action), actor);
            if (rule.roles[role] === undefined) {
              const error = domainError(run);
              expect(error.kind).toBe('forbidden');
              expect(error.code).toBe('role_not_allowed');
              expect(error.details).toEqual({ action, role });
            } else if (!rule.from.includes(status)) {
              const error = domainError(run);
              expect(error.kind).toBe('conflict');
              expect(error.code).toBe(`${action}_not_allowed_when_${status}`);
              expect(error.details).toEqual({ action, status });
            } else {
              const transition = run();
              expect(transition.action).toBe(action);
              expect(transition.from).toBe(status);
              expect(CASE_STATUSES).toContain(transition.to);
              const expected = EXPECTED_TO[action];
              expect(transition.to).toBe(expected === SAME ? status : expected);
            }
          });
        }
      }
    });
  }

  it('covers every action, status and role (no blind spots in the table)', () => {
    expect(ACTIONS).toHaveLength(22);
    expect(CASE_STATUSES).toHaveLength(13);
    expect(ROLES).toHaveLength(7);
    expect(Object.keys(RULES).sort()).toEqual([...ACTIONS].sort());
    expect(Object.keys(EXPECTED_TO).sort()).toEqual([...ACTIONS].sort());
  });

  it('every action can be taken from at least one status by at least one role', () => {
    for (const action of ACTIONS) {
      expect(RULES[action].from.length, action).toBeGreaterThan(0);
      expect(Object.keys(RULES[action].roles).length, action).toBeGreaterThan(0);
      for (const status of RULES[action].from) expect(CASE_STATUSES).toContain(status);
    }
  });

  it('the admin role takes no case action at all', () => {
    for (const action of ACTIONS) expect(RULES[action].roles.admin, action).toBeUndefined();
  });

  it('no action leaves a rejected case (rejection is terminal)', () => {
    for (const action of ACTIONS) expect(RULES[action].from, action).not.toContain('rejected');
  });

  it('the conflict message names the status and the action in the past tense', () => {
    const error = domainError(() => decide('accept', facts({ status: 'closed' }), {}, ACTORS.dispatcher));
    expect(error.message).toBe('A case that is closed cannot be accepted.');
    const resolve = domainError(() => decide('resolve', facts({ status: 'reported' }), {}, ACTORS.handler));
    expect(resolve.message).toBe('A case that is reported cannot be resolved.');
    const rework = domainError(() => decide('rework', facts({ status: 'closed' }), {}, ACTORS.dispatcher));
    expect(rework.message).toBe('A case that is closed cannot be sent back for rework.');
  });

  it('checks the role before the status, and the scope before the status', () => {
    // A reporter may not accept, even a closed case: forbidden, not conflict.
    expect(domainError(() => decide('accept', facts({ status: 'closed' }), {}, ACTORS.reporter)).code).toBe('role_not_allowed');
    // A dispatcher of another subdistrict learns nothing about the case's state.
    const outsider: Actor = { ...ACTORS.dispatcher, jurisdictionPath: NEIGHBOUR };
    expect(domainError(() => decide('accept', facts({ status: 'closed' }), {}, outsider)).code).toBe('out_of_scope');
  });

  it('checks the status before the input', () => {
    const error = domainError(() => decide('reject', facts({ status: 'filed' }), {}, ACTORS.dispatcher));
    expect(error.code).toBe('reject_not_allowed_when_filed');
  });
});

describe('RULES: who may do what', () => {
  it('matches the agreed permission table', () => {
    const table = Object.fromEntries(ACTIONS.map((action) => [action, Object.keys(RULES[action].roles).sort()]));
    const dispatchers = ['dispatcher', 'supervisor'];
    const handlers = ['handler', 'regulator'];
    expect(table).toEqual({
      accept: dispatchers,
      reject: dispatchers,
      file: dispatchers,
      dispatch: dispatchers,
      escalate: dispatchers,
      'record-decision': dispatchers,
      refer: dispatchers,
      close: dispatchers,
      'approve-extension': dispatchers,
      'deny-extension': dispatchers,
      sign: handlers,
      return: handlers,
      start: handlers,
      'request-extension': handlers,
      resolve: handlers,
      verify: ['dispatcher', 'regulator', 'supervisor'],
      rework: ['dispatcher', 'regulator', 'supervisor'],
      rate: ['reporter'],
      reopen: ['dispatcher', 'reporter', 'supervisor'],
      reroute: dispatchers,
      merge: dispatchers,
      unmerge: dispatchers,
    });
  });

  it('gives each role the reach it needs', () => {
    expect(RULES.accept.roles).toEqual({ dispatcher: 'jurisdiction', supervisor: 'jurisdiction' });
    expect(RULES.sign.roles).toEqual({ handler: 'department', regulator: 'department' });
    expect(RULES.verify.roles).toEqual({ dispatcher: 'jurisdiction', supervisor: 'jurisdiction', regulator: 'food_safety_jurisdiction' });
    expect(RULES.rework.roles).toEqual(RULES.verify.roles);
    expect(RULES.rate.roles).toEqual({ reporter: 'own_report' });
    expect(RULES.reopen.roles).toEqual({ reporter: 'own_report', dispatcher: 'jurisdiction', supervisor: 'jurisdiction' });
  });

  it('lists the statuses each action starts from', () => {
    const from = Object.fromEntries(ACTIONS.map((action) => [action, [...RULES[action].from].sort()]));
    expect(from).toEqual({
      accept: ['reported'],
      reject: ['reported'],
      file: ['accepted'],
      dispatch: ['filed', 'returned'],
      sign: ['dispatched'],
      return: ['dispatched', 'signed'],
      start: ['signed'],
      'request-extension': ['handling', 'signed'],
      'approve-extension': ['handling', 'signed'],
      'deny-extension': ['handling', 'signed'],
      resolve: ['handling', 'signed'],
      verify: ['resolved'],
      rework: ['resolved'],
      close: ['accepted', 'filed', 'joint_meeting', 'returned', 'verified'],
      rate: ['closed'],
      reopen: ['closed'],
      escalate: ['filed', 'returned'],
      'record-decision': ['joint_meeting'],
      refer: ['accepted', 'filed', 'reported', 'returned'],
      reroute: ['accepted', 'filed', 'reported', 'returned'],
      merge: ['accepted', 'filed', 'reported', 'returned'],
      unmerge: ['merged'],
    });
  });

  it('isAction recognises exactly the actions', () => {
    for (const action of ACTIONS) expect(isAction(action)).toBe(true);
    for (const other of ['', 'Accept', 'delete', 'request_extension', 'toString', 'constructor']) expect(isAction(other)).toBe(false);
  });

  it('isDissatisfied is true for scores 1 and 2 only', () => {
    expect([1, 2, 3, 4, 5].map((score) => isDissatisfied({ score, unitAtFault: true }))).toEqual([true, true, false, false, false]);
  });
});

describe('scope', () => {
  it('forbids a dispatcher of another subdistrict', () => {
    const outsider: Actor = { ...ACTORS.dispatcher, jurisdictionPath: NEIGHBOUR };
    const error = domainError(() => decide('accept', facts(), {}, outsider));
    expect(error.kind).toBe('forbidden');
    expect(error.code).toBe('out_of_scope');
    expect(error.details).toEqual({ action: 'accept' });
  });

  it('forbids a dispatcher below the case (a grid-level path is not an ancestor of the subdistrict)', () => {
    const gridDispatcher: Actor = { ...ACTORS.dispatcher, jurisdictionPath: GRID };
    const c = facts({ jurisdictionPath: NAJIN });
    expect(domainError(() => decide('accept', c, {}, gridDispatcher)).code).toBe('out_of_scope');
  });

  it('forbids a dispatcher with no jurisdiction', () => {
    const nowhere: Actor = { ...ACTORS.dispatcher, jurisdictionPath: null };
    expect(domainError(() => decide('accept', facts(), {}, nowhere)).code).toBe('out_of_scope');
  });

  it('lets a dispatcher act on a case of exactly their own unit, and a city supervisor on any below it', () => {
    expect(decide('accept', facts({ jurisdictionPath: NAJIN }), {}, ACTORS.dispatcher).to).toBe('accepted');
    const citySupervisor: Actor = { ...ACTORS.supervisor, jurisdictionPath: CITY };
    expect(decide('accept', facts(), {}, citySupervisor).to).toBe('accepted');
  });

  it('forbids a dispatcher whose code is a mere string prefix of the case path', () => {
    const c = facts({ jurisdictionPath: '/54/540102004' });
    const prefix: Actor = { ...ACTORS.dispatcher, jurisdictionPath: '/54/54010200' };
    expect(domainError(() => decide('accept', c, {}, prefix)).code).toBe('out_of_scope');
  });

  it('forbids a handler of another department, and any handler of a case with no department', () => {
    const c = facts({ status: 'dispatched' });
    const other: Actor = { ...ACTORS.handler, departmentId: OTHER_DEPT };
    const error = domainError(() => decide('sign', c, {}, other));
    expect(error.kind).toBe('forbidden');
    expect(error.code).toBe('out_of_scope');
    expect(error.details).toEqual({ action: 'sign' });
    const noDept: Actor = { ...ACTORS.handler, departmentId: null };
    expect(domainError(() => decide('sign', facts({ status: 'dispatched', departmentId: null }), {}, noDept)).code).toBe('out_of_scope');
  });

  it('forbids a regulator verifying a case that is not food safety', () => {
    const c = facts({ status: 'resolved', foodSafety: false });
    const error = domainError(() => decide('verify', c, {}, ACTORS.regulator));
    expect(error.kind).toBe('forbidden');
    expect(error.code).toBe('out_of_scope');
    expect(domainError(() => decide('rework', c, { reason: 'no' }, ACTORS.regulator)).code).toBe('out_of_scope');
    // The dispatcher verifies any case of the jurisdiction.
    expect(decide('verify', c, {}, ACTORS.dispatcher).to).toBe('verified');
  });

  it('forbids a regulator verifying a food-safety case outside their jurisdiction', () => {
    const regulator: Actor = { ...ACTORS.regulator, jurisdictionPath: NEIGHBOUR };
    expect(domainError(() => decide('verify', facts({ status: 'resolved' }), {}, regulator)).code).toBe('out_of_scope');
  });

  it('lets a regulator verify a food-safety case of their jurisdiction that another department handled', () => {
    const c = facts({ status: 'resolved', departmentId: OTHER_DEPT });
    expect(decide('verify', c, { level: 2 }, ACTORS.regulator).to).toBe('verified');
  });

  it("forbids a reporter rating or reopening someone else's case", () => {
    const c = facts({ status: 'closed', reporterId: 'user-someone-else' });
    const error = domainError(() => decide('rate', c, { score: 5 }, ACTORS.reporter));
    expect(error.kind).toBe('forbidden');
    expect(error.code).toBe('out_of_scope');
    const reopen = domainError(() => decide('reopen', { ...c, rating: DISSATISFIED_AT_FAULT }, { reason: 'x' }, ACTORS.reporter));
    expect(reopen.code).toBe('out_of_scope');
  });

  it('role_not_allowed carries the action and role', () => {
    const error = domainError(() => decide('dispatch', facts({ status: 'filed' }), {}, ACTORS.handler));
    expect(error).toBeInstanceOf(DomainError);
    expect(error.name).toBe('DomainError');
    expect(error.kind).toBe('forbidden');
    expect(error.code).toBe('role_not_allowed');
    expect(error.details).toEqual({ action: 'dispatch', role: 'handler' });
  });
});

describe('isWithin and inScope', () => {
  it('treats a path as within itself and its ancestors', () => {
    expect(isWithin(GRID, GRID)).toBe(true);
    expect(isWithin(GRID, NAJIN)).toBe(true);
    expect(isWithin(GRID, DISTRICT)).toBe(true);
    expect(isWithin(GRID, CITY)).toBe(true);
  });

  it('does not treat a string prefix without a slash as an ancestor', () => {
    expect(isWithin('/54/540102004', '/54/54010200')).toBe(false);
    expect(isWithin('/54/54010200', '/54/540102004')).toBe(false);
    expect(isWithin('/54/540102004/1', '/54/54010200')).toBe(false);
  });

  it('does not treat descendants or siblings as ancestors', () => {
    expect(isWithin(NAJIN, GRID)).toBe(false);
    expect(isWithin(GRID, NEIGHBOUR)).toBe(false);
  });

  it('accepts an ancestor written with a trailing slash', () => {
    expect(isWithin(GRID, `${NAJIN}/`)).toBe(true);
    expect(isWithin('/54/540102004', '/54/')).toBe(true);
    expect(isWithin('/anything', '/')).toBe(true);
  });

  it('is false without an ancestor', () => {
    expect(isWithin(GRID, null)).toBe(false);
    expect(isWithin(GRID, '')).toBe(false);
  });

  it('inScope applies each kind of reach', () => {
    const c = facts();
    expect(inScope('own_report', c, ACTORS.reporter)).toBe(true);
    expect(inScope('own_report', c, { ...ACTORS.reporter, id: 'someone' })).toBe(false);
    expect(inScope('department', c, ACTORS.handler)).toBe(true);
    expect(inScope('department', c, { ...ACTORS.handler, departmentId: OTHER_DEPT })).toBe(false);
    expect(inScope('department', facts({ departmentId: null }), { ...ACTORS.handler, departmentId: null })).toBe(false);
    expect(inScope('jurisdiction', c, ACTORS.dispatcher)).toBe(true);
    expect(inScope('jurisdiction', c, { ...ACTORS.dispatcher, jurisdictionPath: NEIGHBOUR })).toBe(false);
    expect(inScope('food_safety_jurisdiction', c, ACTORS.regulator)).toBe(true);
    expect(inScope('food_safety_jurisdiction', facts({ foodSafety: false }), ACTORS.regulator)).toBe(false);
    expect(inScope('food_safety_jurisdiction', c, { ...ACTORS.regulator, jurisdictionPath: null })).toBe(false);
  });
});

describe('requirements', () => {
  const REASON_CASES: { action: Action; c: CaseFacts; actor: Actor; input: ActionInput }[] = [
    { action: 'reject', c: facts({ status: 'reported' }), actor: ACTORS.dispatcher, input: {} },
    { action: 'return', c: facts({ status: 'dispatched' }), actor: ACTORS.handler, input: {} },
    { action: 'return', c: facts({ status: 'signed' }), actor: ACTORS.regulator, input: {} },
    { action: 'rework', c: facts({ status: 'resolved' }), actor: ACTORS.dispatcher, input: {} },
    { action: 'escalate', c: facts({ status: 'filed' }), actor: ACTORS.dispatcher, input: {} },
    { action: 'refer', c: facts({ status: 'filed' }), actor: ACTORS.dispatcher, input: { jurisdictionId: 'jur-neighbour' } },
    { action: 'deny-extension', c: facts({ status: 'handling', pendingExtension: PENDING }), actor: ACTORS.supervisor, input: {} },
    { action: 'reopen', c: facts({ status: 'closed' }), actor: ACTORS.dispatcher, input: {} },
    { action: 'reopen', c: facts({ status: 'closed', rating: DISSATISFIED_AT_FAULT }), actor: ACTORS.reporter, input: {} },
    { action: 'close', c: facts({ status: 'filed' }), actor: ACTORS.dispatcher, input: { closureType: 'not_responsible' } },
    { action: 'request-extension', c: facts({ status: 'handling' }), actor: ACTORS.handler, input: { minutes: 60 } },
  ];

  for (const { action, c, actor, input } of REASON_CASES) {
    for (const [label, reason] of [
      ['without', undefined],
      ['with an empty', ''],
      ['with a whitespace-only', ' \t\n '],
    ] as const) {
      it(`${action} by a ${actor.role} on a ${c.status} case ${label} reason -> reason_required`, () => {
        const withReason: ActionInput = reason === undefined ? input : { ...input, reason };
        const error = domainError(() => decide(action, c, withReason, actor));
        expect(error.kind).toBe('invalid');
        expect(error.code).toBe('reason_required');
        expect(error.details).toEqual({ field: 'reason' });
      });
    }
    it(`${action} by a ${actor.role} on a ${c.status} case succeeds with a reason`, () => {
      expect(() => decide(action, c, { ...input, reason: 'a real reason' }, actor)).not.toThrow();
    });
  }

  describe('resolve', () => {
    const c = facts({ status: 'handling' });

    it('needs a note', () => {
      for (const note of [undefined, '', '   ']) {
        const input: ActionInput = note === undefined ? { media: ['m'] } : { note, media: ['m'] };
        const error = domainError(() => decide('resolve', c, input, ACTORS.handler));
        expect(error.kind).toBe('invalid');
        expect(error.code).toBe('note_required');
        expect(error.details).toEqual({ field: 'note' });
      }
    });

    it('needs an after-photo when the category requires one', () => {
      for (const media of [undefined, []]) {
        const input: ActionInput = media === undefined ? { note: 'done' } : { note: 'done', media };
        const error = domainError(() => decide('resolve', c, input, ACTORS.handler));
        expect(error.kind).toBe('invalid');
        expect(error.code).toBe('after_photo_required');
        expect(error.details).toEqual({ field: 'media' });
      }
    });

    it('succeeds with a note and media', () => {
      const t = decide('resolve', c, { note: 'done', media: ['after.jpg'] }, ACTORS.handler);
      expect(t.to).toBe('resolved');
      expect(t.changes).toEqual({ pendingExtension: null });
    });

    it('needs no photo when the category does not require one', () => {
      const t = decide('resolve', facts({ status: 'signed', resolvePhotoRequired: false }), { note: 'done' }, ACTORS.handler);
      expect(t.to).toBe('resolved');
    });

    it('clears a pending extension request', () => {
      const t = decide('resolve', facts({ status: 'handling', pendingExtension: PENDING }), { note: 'done', media: ['m'] }, ACTORS.handler);
      expect(t.changes.pendingExtension).toBeNull();
    });
  });

  describe('dispatch', () => {
    const c = facts({ status: 'filed', departmentId: null, routedDepartmentId: null });

    it('needs a department when routing proposed none', () => {
      for (const departmentId of [undefined, '', '  ']) {
        const input: ActionInput = departmentId === undefined ? {} : { departmentId };
        const error = domainError(() => decide('dispatch', c, input, ACTORS.dispatcher));
        expect(error.kind).toBe('invalid');
        expect(error.code).toBe('department_required');
        expect(error.details).toEqual({ field: 'departmentId' });
      }
    });

    it('defaults to the routed department', () => {
      const t = decide('dispatch', { ...c, routedDepartmentId: 'dept-routed' }, {}, ACTORS.dispatcher);
      expect(t.to).toBe('dispatched');
      expect(t.changes).toEqual({ departmentId: 'dept-routed', assistingDepartmentIds: [], assigneeId: null });
    });

    it('prefers the department named in the input, with its assisting departments', () => {
      const t = decide(
        'dispatch',
        { ...c, routedDepartmentId: 'dept-routed' },
        { departmentId: DEPT, assistingDepartmentIds: [OTHER_DEPT] },
        ACTORS.dispatcher,
      );
      expect(t.changes).toEqual({ departmentId: DEPT, assistingDepartmentIds: [OTHER_DEPT], assigneeId: null });
    });

    it('redispatches a returned case', () => {
      const t = decide('dispatch', facts({ status: 'returned', departmentId: null }), { departmentId: OTHER_DEPT }, ACTORS.supervisor);
      expect(t.from).toBe('returned');
      expect(t.to).toBe('dispatched');
      expect(t.changes.departmentId).toBe(OTHER_DEPT);
    });
  });

  describe('extensions', () => {
    it('request-extension needs a whole, positive number of minutes', () => {
      for (const minutes of [undefined, 0, -60, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        const input: ActionInput = minutes === undefined ? { reason: 'parts' } : { reason: 'parts', minutes };
        const error = domainError(() => decide('request-extension', facts({ status: 'handling' }), input, ACTORS.handler));
        expect(error.kind, String(minutes)).toBe('invalid');
        expect(error.code).toBe('minutes_required');
        expect(error.details).toEqual({ field: 'minutes' });
      }
    });

    it('request-extension records who asked, for how long and why, and keeps the status', () => {
      for (const status of ['signed', 'handling'] as const) {
        const t = decide('request-extension', facts({ status }), { reason: '  waiting for parts ', minutes: 1440 }, ACTORS.handler);
        expect(t.to).toBe(status);
        expect(t.changes).toEqual({ pendingExtension: { minutes: 1440, reason: 'waiting for parts', requestedBy: ACTORS.handler.id } });
        expect(t.clocks).toEqual({});
      }
    });

    it('refuses a second request while one is pending', () => {
      const c = facts({ status: 'handling', pendingExtension: PENDING });
      const error = domainError(() => decide('request-extension', c, { reason: 'more', minutes: 60 }, ACTORS.handler));
      expect(error.kind).toBe('conflict');
      expect(error.code).toBe('extension_pending');
    });

    it('approve and deny need a pending request', () => {
      for (const action of ['approve-extension', 'deny-extension'] as const) {
        const error = domainError(() => decide(action, facts({ status: 'handling' }), action === 'deny-extension' ? { reason: 'no' } : { note: 'ok' }, ACTORS.dispatcher));
        expect(error.kind).toBe('conflict');
        expect(error.code).toBe('no_extension_pending');
      }
    });

    it('approve extends the resolve clock by the requested minutes and clears the request', () => {
      const t = decide('approve-extension', facts({ status: 'signed', pendingExtension: PENDING }), {}, ACTORS.dispatcher);
      expect(t.to).toBe('signed');
      expect(t.changes).toEqual({ pendingExtension: null });
      expect(t.clocks).toEqual({ extend: { stage: 'resolve', minutes: PENDING.minutes } });
    });

    it('deny clears the request without touching clocks', () => {
      const t = decide('deny-extension', facts({ status: 'handling', pendingExtension: PENDING }), { reason: 'not justified' }, ACTORS.dispatcher);
      expect(t.to).toBe('handling');
      expect(t.changes).toEqual({ pendingExtension: null });
      expect(t.clocks).toEqual({});
    });
  });

  describe('close', () => {
    it('needs a known closure type', () => {
      for (const closureType of [undefined, 'fixed-ish', '']) {
        const input = { reason: 'x', closureType } as unknown as ActionInput;
        const error = domainError(() => decide('close', facts({ status: 'filed' }), input, ACTORS.dispatcher));
        expect(error.kind).toBe('invalid');
        expect(error.code).toBe('closure_type_required');
        expect(error.details).toEqual({ field: 'closureType' });
      }
    });

    it('closes as fixed only a verified case', () => {
      for (const status of ['accepted', 'filed', 'returned', 'joint_meeting'] as const) {
        const error = domainError(() => decide('close', facts({ status }), { closureType: 'fixed' }, ACTORS.dispatcher));
        expect(error.kind).toBe('conflict');
        expect(error.code).toBe('close_fixed_requires_verified');
        expect(error.details).toEqual({ status });
      }
      const t = decide('close', facts({ status: 'verified' }), { closureType: 'fixed' }, ACTORS.dispatcher);
      expect(t.to).toBe('closed');
      expect(t.changes).toEqual({ closureType: 'fixed', rating: null, pendingExtension: null });
    });

    it('closes not fixed, with a reason, with every other closure type', () => {
      const notFixed = CLOSURE_TYPES.filter((type): type is Exclude<ClosureType, 'fixed'> => type !== 'fixed');
      expect(notFixed).toEqual(['not_responsible', 'duplicate', 'no_action_possible']);
      for (const closureType of notFixed) {
        const error = domainError(() => decide('close', facts({ status: 'filed' }), { closureType }, ACTORS.dispatcher));
        expect(error.code).toBe('reason_required');
        const t = decide('close', facts({ status: 'filed' }), { closureType, reason: 'handled elsewhere' }, ACTORS.dispatcher);
        expect(t.changes.closureType).toBe(closureType);
      }
    });
  });

  describe('rate', () => {
    const c = facts({ status: 'closed' });

    it('needs a whole score from 1 to 5', () => {
      for (const score of [undefined, 0, 6, 2.5, -1, Number.NaN]) {
        const input: ActionInput = score === undefined ? {} : { score };
        const error = domainError(() => decide('rate', c, input, ACTORS.reporter));
        expect(error.kind, String(score)).toBe('invalid');
        expect(error.code).toBe('score_required');
        expect(error.details).toEqual({ field: 'score' });
      }
    });

    it('accepts every score from 1 to 5, keeping the case closed', () => {
      for (const score of [1, 2, 3, 4, 5]) {
        const t = decide('rate', c, { score }, ACTORS.reporter);
        expect(t.to).toBe('closed');
        expect(t.changes).toEqual({ rating: { score, unitAtFault: false } });
        expect(t.clocks).toEqual({});
      }
      expect(decide('rate', c, { score: 1, unitAtFault: true }, ACTORS.reporter).changes.rating).toEqual({ score: 1, unitAtFault: true });
    });

    it('refuses a second rating', () => {
      const error = domainError(() => decide('rate', facts({ status: 'closed', rating: { score: 5, unitAtFault: false } }), { score: 4 }, ACTORS.reporter));
      expect(error.kind).toBe('conflict');
      expect(error.code).toBe('already_rated');
    });
  });

  describe('reopen', () => {
    const notEnough: (Rating | null)[] = [
      null,
      { score: 3, unitAtFault: true }, // not dissatisfied
      { score: 5, unitAtFault: true },
      { score: 1, unitAtFault: false }, // dissatisfied, but not with the unit
      { score: 2, unitAtFault: false },
    ];

    it('a reporter needs a dissatisfied rating with the unit at fault', () => {
      for (const rating of notEnough) {
        const error = domainError(() => decide('reopen', facts({ status: 'closed', rating }), { reason: 'still broken' }, ACTORS.reporter));
        expect(error.kind, JSON.stringify(rating)).toBe('conflict');
        expect(error.code).toBe('reopen_requires_dissatisfied_rating');
      }
    });

    it('a reporter may reopen after a score of 1 or 2 with the unit at fault', () => {
      for (const score of [1, 2]) {
        const t = decide('reopen', facts({ status: 'closed', rating: { score, unitAtFault: true } }), { reason: 'still broken' }, ACTORS.reporter);
        expect(t.to).toBe('filed');
      }
    });

    it('a dispatcher or supervisor may reopen whatever the rating', () => {
      for (const rating of notEnough) {
        for (const actor of [ACTORS.dispatcher, ACTORS.supervisor]) {
          const t = decide('reopen', facts({ status: 'closed', rating }), { reason: 'inspection found it broken' }, actor);
          expect(t.to).toBe('filed');
        }
      }
    });

    it('clears the closure, the rating and the department, and restarts dispatch', () => {
      const t = decide('reopen', facts({ status: 'closed', rating: DISSATISFIED_AT_FAULT }), { reason: 'still broken' }, ACTORS.reporter);
      expect(t.changes).toEqual({ closureType: null, rating: null, departmentId: null, assigneeId: null });
      expect(t.clocks).toEqual({ start: ['dispatch'] });
    });
  });

  describe('record-decision', () => {
    const c = facts({ status: 'joint_meeting', departmentId: null });

    it('needs a note', () => {
      const error = domainError(() => decide('record-decision', c, { departmentId: DEPT, note: ' ' }, ACTORS.dispatcher));
      expect(error.kind).toBe('invalid');
      expect(error.code).toBe('note_required');
      expect(error.details).toEqual({ field: 'note' });
    });

    it('needs a lead department', () => {
      for (const departmentId of [undefined, '', '  ']) {
        const input: ActionInput = departmentId === undefined ? { note: 'meeting of 3 May' } : { note: 'meeting of 3 May', departmentId };
        const error = domainError(() => decide('record-decision', c, input, ACTORS.dispatcher));
        expect(error.kind).toBe('invalid');
        expect(error.code).toBe('department_required');
        expect(error.details).toEqual({ field: 'departmentId' });
      }
    });

    it('does not fall back to the routed department', () => {
      const error = domainError(() => decide('record-decision', { ...c, routedDepartmentId: DEPT }, { note: 'meeting' }, ACTORS.dispatcher));
      expect(error.code).toBe('department_required');
    });

    it('dispatches to the decided department', () => {
      const t = decide('record-decision', c, { note: 'meeting of 3 May', departmentId: ` ${OTHER_DEPT} `, assistingDepartmentIds: [DEPT] }, ACTORS.supervisor);
      expect(t.to).toBe('dispatched');
      expect(t.changes).toEqual({ departmentId: OTHER_DEPT, assistingDepartmentIds: [DEPT], assigneeId: null });
    });
  });

  describe('refer', () => {
    it('needs a jurisdiction', () => {
      for (const jurisdictionId of [undefined, '', ' ']) {
        const input: ActionInput = jurisdictionId === undefined ? { reason: 'outside Najin' } : { reason: 'outside Najin', jurisdictionId };
        const error = domainError(() => decide('refer', facts({ status: 'reported' }), input, ACTORS.dispatcher));
        expect(error.kind).toBe('invalid');
        expect(error.code).toBe('jurisdiction_required');
        expect(error.details).toEqual({ field: 'jurisdictionId' });
      }
    });

    it('hands the case to the other jurisdiction as a fresh report', () => {
      const t = decide('refer', facts({ status: 'filed' }), { reason: 'transformer is across the road', jurisdictionId: 'jur-neighbour' }, ACTORS.dispatcher);
      expect(t.to).toBe('reported');
      expect(t.changes).toEqual({ jurisdictionId: 'jur-neighbour', departmentId: null });
      expect(t.clocks).toEqual({ cancel: ['accept', 'dispatch'], start: ['accept', 'dispatch'] });
    });
  });

  describe('other changes', () => {
    it('sign assigns the case to the signer', () => {
      const t = decide('sign', facts({ status: 'dispatched' }), {}, ACTORS.regulator);
      expect(t.changes).toEqual({ assigneeId: ACTORS.regulator.id });
      expect(t.clocks).toEqual({ complete: ['sign'] });
    });

    it('return gives the case back without department, assignee or pending extension', () => {
      const t = decide('return', facts({ status: 'signed', pendingExtension: PENDING }), { reason: 'not ours' }, ACTORS.handler);
      expect(t.changes).toEqual({ departmentId: null, assigneeId: null, pendingExtension: null });
    });

    it('start changes nothing but the status', () => {
      const t = decide('start', facts({ status: 'signed' }), {}, ACTORS.handler);
      expect(t).toEqual({ action: 'start', from: 'signed', to: 'handling', changes: {}, clocks: {} });
    });

    it('accept completes the accept clock', () => {
      expect(decide('accept', facts(), {}, ACTORS.dispatcher)).toEqual({
        action: 'accept',
        from: 'reported',
        to: 'accepted',
        changes: {},
        clocks: { complete: ['accept'] },
      });
    });

    it('reject completes the accept clock and cancels the dispatch clock', () => {
      expect(decide('reject', facts(), { reason: 'not a public problem' }, ACTORS.dispatcher).clocks).toEqual({
        complete: ['accept'],
        cancel: ['dispatch'],
      });
    });

    it('file records category, urgency and grid when given', () => {
      const t = decide('file', facts({ status: 'accepted' }), { categoryId: 'cat-manhole', urgency: 'urgent', gridId: 'grid-1' }, ACTORS.dispatcher);
      expect(t.changes).toEqual({ categoryId: 'cat-manhole', urgency: 'urgent', gridId: 'grid-1' });
    });

    it('escalate sends the case to the joint meeting without touching the clocks', () => {
      const t = decide('escalate', facts({ status: 'returned' }), { reason: 'nobody owns the lane' }, ACTORS.dispatcher);
      expect(t.to).toBe('joint_meeting');
      expect(t.changes).toEqual({});
      expect(t.clocks).toEqual({});
    });

    it('verify completes verification and starts the close clock', () => {
      expect(decide('verify', facts({ status: 'resolved' }), { level: 1 }, ACTORS.regulator).clocks).toEqual({ complete: ['verify'], start: ['close'] });
    });

    it('verify grades a food-safety hazard: a regulator must give the level (1-3), nobody may give one to another case', () => {
      const food = facts({ status: 'resolved' });
      expect(domainError(() => decide('verify', food, {}, ACTORS.regulator))).toMatchObject({ code: 'level_required', details: { field: 'level' } });
      expect(domainError(() => decide('verify', food, { level: 4 }, ACTORS.regulator)).code).toBe('invalid_level');
      expect(domainError(() => decide('verify', food, { level: 1.5 }, ACTORS.regulator)).code).toBe('invalid_level');
      expect(decide('verify', food, {}, ACTORS.dispatcher).to).toBe('verified');
      expect(domainError(() => decide('verify', facts({ status: 'resolved', foodSafety: false }), { level: 1 }, ACTORS.dispatcher)).code).toBe('level_not_food_safety');
    });
  });
});

describe('clocks', () => {
  it('dispatch completes the dispatch clock and starts sign and resolve', () => {
    const t = decide('dispatch', facts({ status: 'filed' }), {}, ACTORS.dispatcher);
    expect(t.clocks).toEqual({ complete: ['dispatch'], start: ['sign', 'resolve'] });
  });

  it('record-decision does the same as dispatch', () => {
    const t = decide('record-decision', facts({ status: 'joint_meeting' }), { note: 'decided', departmentId: DEPT }, ACTORS.dispatcher);
    expect(t.clocks).toEqual({ complete: ['dispatch'], start: ['sign', 'resolve'] });
  });

  it('return cancels sign and resolve and starts dispatch again', () => {
    for (const status of ['dispatched', 'signed'] as const) {
      const t = decide('return', facts({ status }), { reason: 'wrong department' }, ACTORS.handler);
      expect(t.clocks).toEqual({ cancel: ['sign', 'resolve'], start: ['dispatch'] });
    }
  });

  it('resolve completes resolve and starts verify', () => {
    const t = decide('resolve', facts({ status: 'handling' }), { note: 'done', media: ['m'] }, ACTORS.handler);
    expect(t.clocks).toEqual({ complete: ['resolve'], start: ['verify'] });
  });

  it('rework completes verify and starts resolve again', () => {
    const t = decide('rework', facts({ status: 'resolved' }), { reason: 'cover still loose' }, ACTORS.dispatcher);
    expect(t.to).toBe('handling');
    expect(t.changes).toEqual({});
    expect(t.clocks).toEqual({ complete: ['verify'], start: ['resolve'] });
  });

  it('close completes the close clock and cancels every other stage', () => {
    const t = decide('close', facts({ status: 'verified' }), { closureType: 'fixed' }, ACTORS.dispatcher);
    expect(t.clocks.complete).toEqual(['close']);
    expect([...(t.clocks.cancel ?? [])].sort()).toEqual(['accept', 'dispatch', 'resolve', 'sign', 'verify']);
    expect(t.clocks.start).toBeUndefined();
  });

  it('file asks to recompute due times when urgency or category changes', () => {
    const urgency = decide('file', facts({ status: 'accepted' }), { urgency: 'emergency' }, ACTORS.dispatcher);
    expect(urgency.clocks).toEqual({ recompute: true });
    const category = decide('file', facts({ status: 'accepted' }), { categoryId: 'cat-light' }, ACTORS.dispatcher);
    expect(category.clocks).toEqual({ recompute: true });
  });

  it('file without a new urgency or category leaves the clocks alone', () => {
    expect(decide('file', facts({ status: 'accepted' }), {}, ACTORS.dispatcher).clocks).toEqual({});
    const gridOnly = decide('file', facts({ status: 'accepted' }), { gridId: 'grid-2' }, ACTORS.dispatcher);
    expect(gridOnly.changes).toEqual({ gridId: 'grid-2' });
    expect(gridOnly.clocks).toEqual({});
  });
});

describe('availableActions', () => {
  it('a dispatcher on a reported case may accept, reject, refer, reroute or merge', () => {
    expect(availableActions(facts({ status: 'reported' }), ACTORS.dispatcher)).toEqual(['accept', 'reject', 'refer', 'reroute', 'merge']);
  });

  it('a dispatcher of another subdistrict may do nothing', () => {
    expect(availableActions(facts({ status: 'reported' }), { ...ACTORS.dispatcher, jurisdictionPath: NEIGHBOUR })).toEqual([]);
  });

  it('a dispatcher on a filed case may dispatch, close, escalate, refer, reroute or merge', () => {
    expect(availableActions(facts({ status: 'filed' }), ACTORS.dispatcher)).toEqual(['dispatch', 'close', 'escalate', 'refer', 'reroute', 'merge']);
  });

  it('a handler of the department on a dispatched case may sign or return', () => {
    expect(availableActions(facts({ status: 'dispatched' }), ACTORS.handler)).toEqual(['sign', 'return']);
  });

  it('a handler of another department sees nothing on that case', () => {
    expect(availableActions(facts({ status: 'dispatched' }), { ...ACTORS.handler, departmentId: OTHER_DEPT })).toEqual([]);
  });

  it('a handler on a signed case may start, request an extension, resolve or return', () => {
    const actions = availableActions(facts({ status: 'signed' }), ACTORS.handler);
    expect([...actions].sort()).toEqual(['request-extension', 'resolve', 'return', 'start']);
    expect(actions).toEqual(['return', 'start', 'request-extension', 'resolve']);
  });

  it('a handler may not request a second extension while one is pending', () => {
    expect(availableActions(facts({ status: 'handling', pendingExtension: PENDING }), ACTORS.handler)).toEqual(['resolve']);
  });

  it('a reporter on a closed, unrated case may only rate', () => {
    expect(availableActions(facts({ status: 'closed' }), ACTORS.reporter)).toEqual(['rate']);
  });

  it('a reporter who rated dissatisfied with the unit at fault may reopen, and no longer rate', () => {
    expect(availableActions(facts({ status: 'closed', rating: DISSATISFIED_AT_FAULT }), ACTORS.reporter)).toEqual(['reopen']);
    expect(availableActions(facts({ status: 'closed', rating: { score: 4, unitAtFault: false } }), ACTORS.reporter)).toEqual([]);
    expect(availableActions(facts({ status: 'closed', rating: { score: 1, unitAtFault: false } }), ACTORS.reporter)).toEqual([]);
  });

  it("a reporter sees nothing on someone else's case", () => {
    expect(availableActions(facts({ status: 'closed', reporterId: 'user-other' }), ACTORS.reporter)).toEqual([]);
  });

  it('with a pending extension the dispatcher sees approve and deny; without, neither', () => {
    expect(availableActions(facts({ status: 'handling', pendingExtension: PENDING }), ACTORS.dispatcher)).toEqual([
      'approve-extension',
      'deny-extension',
    ]);
    expect(availableActions(facts({ status: 'handling' }), ACTORS.dispatcher)).toEqual([]);
  });

  it('a dispatcher on a closed case may reopen regardless of the rating', () => {
    expect(availableActions(facts({ status: 'closed' }), ACTORS.dispatcher)).toEqual(['reopen']);
  });

  it('a regulator on a resolved food-safety case may verify or send back; not on other cases', () => {
    expect(availableActions(facts({ status: 'resolved' }), ACTORS.regulator)).toEqual(['verify', 'rework']);
    expect(availableActions(facts({ status: 'resolved', foodSafety: false }), ACTORS.regulator)).toEqual([]);
  });

  it('an admin sees nothing', () => {
    for (const status of CASE_STATUSES) expect(availableActions(facts({ status }), ACTORS.admin)).toEqual([]);
  });

  it('agrees with decide: every listed action succeeds with full input, every other one throws', () => {
    for (const status of CASE_STATUSES) {
      for (const role of ROLES) {
        for (const pendingExtension of [null, PENDING]) {
          for (const rating of [null, DISSATISFIED_AT_FAULT, { score: 5, unitAtFault: false }]) {
            const c = facts({ status, pendingExtension, rating });
            const available = new Set(availableActions(c, ACTORS[role]));
            for (const action of ACTIONS) {
              const run = () => decide(action, c, fullInput(status, action), ACTORS[role]);
              const label = `${role} ${action} on ${status} ext=${pendingExtension !== null} rating=${JSON.stringify(rating)}`;
              if (available.has(action)) expect(run, label).not.toThrow();
              else expect(run, label).toThrow(DomainError);
            }
          }
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------

/** Lay a transition over the facts the way the service would store it. */
function apply(c: CaseFacts, t: Transition): CaseFacts {
  const next: CaseFacts = { ...c, status: t.to };
  if (t.changes.departmentId !== undefined) next.departmentId = t.changes.departmentId;
  if (t.changes.pendingExtension !== undefined) next.pendingExtension = t.changes.pendingExtension;
  if (t.changes.rating !== undefined) next.rating = t.changes.rating;
  return next;
}

describe('walks through the closed loop', () => {
  it('the happy path: report -> ... -> closed -> rated', () => {
    let c = facts({ status: 'reported', departmentId: null });
    const steps: [Action, Actor, ActionInput, CaseStatus][] = [
      ['accept', ACTORS.dispatcher, {}, 'accepted'],
      ['file', ACTORS.dispatcher, { categoryId: 'cat-food', urgency: 'urgent', gridId: 'grid-1' }, 'filed'],
      ['dispatch', ACTORS.dispatcher, {}, 'dispatched'],
      ['sign', ACTORS.regulator, {}, 'signed'],
      ['start', ACTORS.regulator, {}, 'handling'],
      ['request-extension', ACTORS.regulator, { reason: 'lab result pending', minutes: 720 }, 'handling'],
      ['approve-extension', ACTORS.supervisor, {}, 'handling'],
      ['resolve', ACTORS.regulator, { note: 'Stall cleaned, licence checked.', media: ['after.jpg'] }, 'resolved'],
      ['verify', ACTORS.dispatcher, {}, 'verified'],
      ['close', ACTORS.dispatcher, { closureType: 'fixed' }, 'closed'],
      ['rate', ACTORS.reporter, { score: 5, comment: 'Fast!' }, 'closed'],
    ];
    const seen: CaseStatus[] = [c.status];
    for (const [action, actor, input, to] of steps) {
      expect(availableActions(c, actor), `${action} from ${c.status}`).toContain(action);
      const t = decide(action, c, input, actor);
      expect(t.from).toBe(c.status);
      expect(t.to, action).toBe(to);
      c = apply(c, t);
      seen.push(c.status);
    }
    expect(seen).toEqual([
      'reported',
      'accepted',
      'filed',
      'dispatched',
      'signed',
      'handling',
      'handling',
      'handling',
      'resolved',
      'verified',
      'closed',
      'closed',
    ]);
    expect(c.departmentId).toBe(DEPT);
    expect(c.pendingExtension).toBeNull();
    expect(c.rating).toEqual({ score: 5, unitAtFault: false });
    expect(availableActions(c, ACTORS.reporter)).toEqual([]);
  });

  it('the long way round: return, escalation, rework, dissatisfied rating, reopen', () => {
    let c = facts({ status: 'filed', departmentId: null, routedDepartmentId: OTHER_DEPT });
    const urbanHandler: Actor = { ...ACTORS.handler, id: 'user-urban', departmentId: OTHER_DEPT };
    const steps: [Action, Actor, ActionInput, CaseStatus][] = [
      ['dispatch', ACTORS.dispatcher, {}, 'dispatched'],
      ['return', urbanHandler, { reason: 'food stalls are market regulation' }, 'returned'],
      ['escalate', ACTORS.dispatcher, { reason: 'ownership disputed' }, 'joint_meeting'],
      ['record-decision', ACTORS.supervisor, { note: 'Joint meeting: market regulation leads.', departmentId: DEPT }, 'dispatched'],
      ['sign', ACTORS.handler, {}, 'signed'],
      ['resolve', ACTORS.handler, { note: 'done', media: ['a.jpg'] }, 'resolved'],
      ['rework', ACTORS.regulator, { reason: 'grease trap still overflowing' }, 'handling'],
      ['resolve', ACTORS.handler, { note: 'trap replaced', media: ['b.jpg'] }, 'resolved'],
      ['verify', ACTORS.regulator, { level: 3 }, 'verified'],
      ['close', ACTORS.dispatcher, { closureType: 'fixed' }, 'closed'],
      ['rate', ACTORS.reporter, { score: 1, unitAtFault: true }, 'closed'],
      ['reopen', ACTORS.reporter, { reason: 'it overflows again' }, 'filed'],
      ['dispatch', ACTORS.dispatcher, { departmentId: DEPT }, 'dispatched'],
    ];
    for (const [action, actor, input, to] of steps) {
      const t = decide(action, c, input, actor);
      expect(t.to, action).toBe(to);
      c = apply(c, t);
    }
    expect(c.status).toBe('dispatched');
    expect(c.departmentId).toBe(DEPT);
    expect(c.rating).toBeNull();
  });

  it('a report just outside the subdistrict is referred and starts over at the neighbour', () => {
    const t = decide('refer', facts({ status: 'reported' }), { reason: 'transformer across the boundary', jurisdictionId: 'jur-540102005' }, ACTORS.dispatcher);
    expect(t.to).toBe('reported');
    const neighbourDispatcher: Actor = { ...ACTORS.dispatcher, id: 'user-neighbour', jurisdictionPath: NEIGHBOUR };
    const moved = { ...apply(facts({ status: 'reported' }), t), jurisdictionPath: `${NEIGHBOUR}/540102005001001` };
    expect(availableActions(moved, neighbourDispatcher)).toEqual(['accept', 'reject', 'refer', 'reroute', 'merge']);
    expect(availableActions(moved, ACTORS.dispatcher)).toEqual([]);
  });
});

describe('input fields', () => {
  it('refuses a field the action does not use, naming it, instead of silently recording it', () => {
    const run = () => decide('sign', facts({ status: 'dispatched' }), { departmentId: OTHER_DEPT }, ACTORS.handler);
    expect(run).toThrow(DomainError);
    try {
      run();
    } catch (error) {
      expect(error).toMatchObject({ kind: 'invalid', code: 'unexpected_field', details: { field: 'departmentId' } });
    }
  });

  it('ignores fields sent as undefined', () => {
    expect(decide('sign', facts({ status: 'dispatched' }), { departmentId: undefined, note: 'on my way' }, ACTORS.handler).to).toBe('signed');
  });
});

describe('merge and unmerge', () => {
  it('merges an undispatched case into a master and stops its clocks', () => {
    const t = decide('merge', facts({ status: 'filed' }), { masterCaseId: 'case-master' }, ACTORS.dispatcher);
    expect(t).toMatchObject({ to: 'merged', changes: { masterCaseId: 'case-master' }, clocks: { cancel: ['accept', 'dispatch'] } });
    expect(domainError(() => decide('merge', facts({ status: 'filed' }), {}, ACTORS.dispatcher)).code).toBe('master_required');
  });

  it('unmerges back to the queue the case left, with fresh clocks', () => {
    const waiting = decide('unmerge', facts({ status: 'merged', statusBeforeMerge: 'reported' }), { reason: 'different lamp' }, ACTORS.dispatcher);
    expect(waiting).toMatchObject({ to: 'reported', changes: { masterCaseId: null }, clocks: { start: ['accept', 'dispatch'] } });
    const filed = decide('unmerge', facts({ status: 'merged', statusBeforeMerge: 'filed' }), { reason: 'different lamp' }, ACTORS.dispatcher);
    expect(filed).toMatchObject({ to: 'filed', clocks: { start: ['dispatch'] } });
    expect(domainError(() => decide('unmerge', facts({ status: 'merged' }), {}, ACTORS.dispatcher)).code).toBe('reason_required');
  });

  it('reroutes to a named grid, with a reason', () => {
    expect(decide('reroute', facts({ status: 'reported' }), { gridId: 'g2', reason: 'across the road' }, ACTORS.dispatcher)).toMatchObject({
      to: 'reported',
      changes: { gridId: 'g2' },
    });
    expect(domainError(() => decide('reroute', facts({ status: 'reported' }), { reason: 'x' }, ACTORS.dispatcher)).code).toBe('grid_required');
  });
});
