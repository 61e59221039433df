import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../src/domain/calendar.js';
import {
  DEFAULT_SLA,
  addMinutes,
  dueAt,
  outcomeAt,
  policyFor,
  remindAt,
  validateOverrides,
  viewClock,
} from '../../src/domain/deadlines.js';
import type { ClockRecord, SlaOverrides } from '../../src/domain/deadlines.js';
import { STAGES, URGENCIES } from '../../src/domain/types.js';
import type { SlaPolicy } from '../../src/domain/types.js';

const MINUTE_MS = 60_000;
const HOUR = 60;
const DAY = 24 * HOUR;

const CAL = makeCalendar([
  { date: '2025-04-27', kind: 'workday' },
  { date: '2025-05-01', kind: 'holiday' },
  { date: '2025-05-02', kind: 'holiday' },
  { date: '2025-05-05', kind: 'holiday' },
]);

/** An instant given as Beijing local time. */
const local = (dateTime: string): Date => new Date(`${dateTime}:00+08:00`);
const plus = (at: Date, minutes: number): Date => new Date(at.getTime() + minutes * MINUTE_MS);

describe('DEFAULT_SLA', () => {
  it('normal: dispatch within 24 h of the report, feedback within 7 days', () => {
    expect(DEFAULT_SLA.normal.stages.dispatch).toEqual({ minutes: 24 * HOUR, from: 'report' });
    expect(DEFAULT_SLA.normal.stages.resolve).toEqual({ minutes: 7 * DAY });
  });

  it('urgent (water, power, gas, extreme weather): dispatch within 2 h of the report, feedback within 24 h', () => {
    expect(DEFAULT_SLA.urgent.stages.dispatch).toEqual({ minutes: 2 * HOUR, from: 'report' });
    expect(DEFAULT_SLA.urgent.stages.resolve).toEqual({ minutes: 24 * HOUR });
  });

  it('emergency: made safe within 30 minutes of the report, dispatched well within the 1 h norm', () => {
    expect(DEFAULT_SLA.emergency.stages.resolve).toEqual({ minutes: 30, from: 'report' });
    expect(DEFAULT_SLA.emergency.stages.dispatch.from).toBe('report');
    expect(DEFAULT_SLA.emergency.stages.dispatch.minutes).toBeLessThanOrEqual(HOUR);
  });

  it('has every stage for every urgency, in calendar time, with whole positive minutes', () => {
    expect(Object.keys(DEFAULT_SLA).sort()).toEqual([...URGENCIES].sort());
    for (const urgency of URGENCIES) {
      const policy = DEFAULT_SLA[urgency];
      expect(policy.unit).toBe('calendar');
      expect(Object.keys(policy.stages).sort()).toEqual([...STAGES].sort());
      for (const stage of STAGES) {
        const { minutes } = policy.stages[stage];
        expect(Number.isInteger(minutes) && minutes > 0, `${urgency}.${stage}`).toBe(true);
      }
    }
  });

  it('is never looser for a more urgent case', () => {
    for (const stage of STAGES) {
      expect(DEFAULT_SLA.emergency.stages[stage].minutes, stage).toBeLessThanOrEqual(DEFAULT_SLA.urgent.stages[stage].minutes);
      expect(DEFAULT_SLA.urgent.stages[stage].minutes, stage).toBeLessThanOrEqual(DEFAULT_SLA.normal.stages[stage].minutes);
    }
  });

  it('passes its own validation', () => {
    expect(validateOverrides(DEFAULT_SLA)).toEqual([]);
  });
});

describe('policyFor', () => {
  it('returns the defaults without overrides', () => {
    for (const urgency of URGENCIES) {
      expect(policyFor(urgency, null)).toEqual(DEFAULT_SLA[urgency]);
      expect(policyFor(urgency, undefined)).toEqual(DEFAULT_SLA[urgency]);
      expect(policyFor(urgency, {})).toEqual(DEFAULT_SLA[urgency]);
    }
  });

  it('changes only the overridden stage', () => {
    const policy = policyFor('normal', { normal: { stages: { resolve: { minutes: 15 * DAY } } } });
    expect(policy.unit).toBe('calendar');
    expect(policy.stages.resolve).toEqual({ minutes: 15 * DAY });
    for (const stage of STAGES.filter((s) => s !== 'resolve')) {
      expect(policy.stages[stage], stage).toEqual(DEFAULT_SLA.normal.stages[stage]);
    }
  });

  it('replaces a stage limit whole (an override may drop `from: report`)', () => {
    const policy = policyFor('urgent', { urgent: { stages: { dispatch: { minutes: 60 } } } });
    expect(policy.stages.dispatch).toEqual({ minutes: 60 });
  });

  it('overrides the unit, keeping the default stages', () => {
    const policy = policyFor('normal', { normal: { unit: 'working' } });
    expect(policy.unit).toBe('working');
    expect(policy.stages).toEqual(DEFAULT_SLA.normal.stages);
  });

  it('ignores overrides for other urgencies', () => {
    const overrides: SlaOverrides = { urgent: { unit: 'working', stages: { resolve: { minutes: 60 } } } };
    expect(policyFor('normal', overrides)).toEqual(DEFAULT_SLA.normal);
    expect(policyFor('emergency', overrides)).toEqual(DEFAULT_SLA.emergency);
    expect(policyFor('urgent', overrides).stages.resolve).toEqual({ minutes: 60 });
  });

  it('leaves DEFAULT_SLA untouched', () => {
    const before = structuredClone(DEFAULT_SLA);
    policyFor('normal', { normal: { unit: 'working', stages: { accept: { minutes: 1 }, close: { minutes: 2 } } } });
    expect(DEFAULT_SLA).toEqual(before);
  });
});

describe('dueAt', () => {
  const reportedAt = local('2025-05-12T08:00');
  const stageStart = local('2025-05-12T10:30');

  it("counts a 'from: report' limit from the report, whenever the stage started", () => {
    const policy = policyFor('normal', null);
    expect(dueAt(policy, 'dispatch', { reportedAt, stageStart }, CAL)).toEqual(local('2025-05-13T08:00'));
    // A re-dispatch days later still owes the original deadline.
    expect(dueAt(policy, 'dispatch', { reportedAt, stageStart: local('2025-05-15T10:00') }, CAL)).toEqual(local('2025-05-13T08:00'));
  });

  it('counts other limits from the start of the stage', () => {
    const policy = policyFor('normal', null);
    expect(dueAt(policy, 'resolve', { reportedAt, stageStart }, CAL)).toEqual(local('2025-05-19T10:30'));
    expect(dueAt(policy, 'accept', { reportedAt, stageStart }, CAL)).toEqual(local('2025-05-12T14:30'));
  });

  it('gives an emergency 30 minutes from the report to be made safe', () => {
    const policy = policyFor('emergency', null);
    expect(dueAt(policy, 'resolve', { reportedAt, stageStart: plus(reportedAt, 7) }, CAL)).toEqual(plus(reportedAt, 30));
  });

  it('calendar time runs over weekends and holidays', () => {
    const policy = policyFor('normal', null);
    const friday = local('2025-05-09T17:00');
    expect(dueAt(policy, 'verify', { reportedAt: friday, stageStart: friday }, CAL)).toEqual(local('2025-05-10T17:00'));
  });

  it('working time skips the weekend: Friday 17:00 + 1 working day = Monday 17:00', () => {
    const policy = policyFor('normal', { normal: { unit: 'working', stages: { resolve: { minutes: DAY } } } });
    const friday = local('2025-05-09T17:00');
    expect(dueAt(policy, 'resolve', { reportedAt: friday, stageStart: friday }, CAL)).toEqual(local('2025-05-12T17:00'));
  });

  it("working time from the report skips the holidays and counts the 调休 Sunday", () => {
    const policy = policyFor('normal', { normal: { unit: 'working' } });
    // Reported Wednesday 30 April 17:00: 7 h that day, 1-5 May off (the 3rd and 4th are a weekend), 17 h on 6 May.
    const reported = local('2025-04-30T17:00');
    expect(dueAt(policy, 'dispatch', { reportedAt: reported, stageStart: plus(reported, 60) }, CAL)).toEqual(local('2025-05-06T17:00'));
    // Reported Saturday 26 April 12:00: the clock starts on the working Sunday.
    const saturday = local('2025-04-26T12:00');
    expect(dueAt(policy, 'dispatch', { reportedAt: saturday, stageStart: saturday }, CAL)).toEqual(local('2025-04-28T00:00'));
  });

  it('addMinutes counts plain or working minutes', () => {
    const friday = local('2025-05-09T17:00');
    expect(addMinutes('calendar', friday, DAY, CAL)).toEqual(local('2025-05-10T17:00'));
    expect(addMinutes('working', friday, DAY, CAL)).toEqual(local('2025-05-12T17:00'));
    expect(addMinutes('calendar', friday, 0, CAL)).toEqual(friday);
  });
});

describe('remindAt', () => {
  const start = local('2025-05-12T09:00');

  it('reminds a fifth of the span before the due time', () => {
    expect(remindAt(start, plus(start, 4 * HOUR))).toEqual(plus(start, 4 * HOUR - 48));
    expect(remindAt(start, plus(start, 100))).toEqual(plus(start, 80));
  });

  it('reminds at least five minutes before', () => {
    // 20% of 10 minutes is 2 minutes: clamped to 5.
    expect(remindAt(start, plus(start, 10))).toEqual(plus(start, 5));
    expect(remindAt(start, plus(start, 25))).toEqual(plus(start, 20));
  });

  it('reminds at most a day before', () => {
    // 20% of 7 days is 1.4 days: clamped to 1 day.
    expect(remindAt(start, plus(start, 7 * DAY))).toEqual(plus(start, 6 * DAY));
    expect(remindAt(start, plus(start, 15 * DAY))).toEqual(plus(start, 14 * DAY));
    // 20% of exactly 5 days is exactly a day.
    expect(remindAt(start, plus(start, 5 * DAY))).toEqual(plus(start, 4 * DAY));
  });

  it('never reminds before the clock started', () => {
    expect(remindAt(start, plus(start, 3))).toEqual(start);
    expect(remindAt(start, plus(start, 5))).toEqual(start);
    expect(remindAt(start, start)).toEqual(start);
    expect(remindAt(start, plus(start, -60))).toEqual(start);
  });

  it('always lies between the start and the due time', () => {
    for (const minutes of [1, 5, 6, 30, 60, 24 * HOUR, 7 * DAY, 30 * DAY]) {
      const due = plus(start, minutes);
      const at = remindAt(start, due).getTime();
      expect(at, String(minutes)).toBeGreaterThanOrEqual(start.getTime());
      expect(at, String(minutes)).toBeLessThan(due.getTime());
    }
  });
});

describe('viewClock', () => {
  const due = '2025-05-12T10:00:00.000Z';
  const base: ClockRecord = {
    stage: 'resolve',
    round: 1,
    startedAt: '2025-05-05T10:00:00.000Z',
    dueAt: due,
    originalDueAt: '2025-05-04T10:00:00.000Z',
    completedAt: null,
    outcome: null,
  };

  it('shows an open clock before its due time as running, with the time left', () => {
    const view = viewClock(base, new Date('2025-05-12T09:00:00.000Z'));
    expect(view.state).toBe('running');
    expect(view.remainingMs).toBe(60 * MINUTE_MS);
  });

  it('is still running exactly at the due time', () => {
    const view = viewClock(base, new Date(due));
    expect(view.state).toBe('running');
    expect(view.remainingMs).toBe(0);
  });

  it('shows an open clock past its due time as overdue, with negative time left', () => {
    const view = viewClock(base, new Date('2025-05-12T10:00:00.001Z'));
    expect(view.state).toBe('overdue');
    expect(view.remainingMs).toBe(-1);
    expect(viewClock(base, new Date('2025-05-13T10:00:00.000Z')).remainingMs).toBe(-DAY * MINUTE_MS);
  });

  it('shows stopped clocks by their outcome, with no time left', () => {
    const now = new Date('2025-06-01T00:00:00.000Z');
    const met = viewClock({ ...base, completedAt: '2025-05-11T10:00:00.000Z', outcome: 'met' }, now);
    expect(met.state).toBe('met');
    expect(met.remainingMs).toBeNull();
    const late = viewClock({ ...base, completedAt: '2025-05-13T10:00:00.000Z', outcome: 'late' }, now);
    expect(late.state).toBe('late');
    expect(late.remainingMs).toBeNull();
    const cancelled = viewClock({ ...base, completedAt: '2025-05-06T10:00:00.000Z', outcome: 'cancelled' }, now);
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.remainingMs).toBeNull();
  });

  it('a stopped clock without a recorded outcome counts as met', () => {
    expect(viewClock({ ...base, completedAt: '2025-05-11T10:00:00.000Z' }, new Date(due)).state).toBe('met');
  });

  it('a stopped clock is not overdue however late it is viewed', () => {
    const view = viewClock({ ...base, completedAt: '2025-05-11T10:00:00.000Z', outcome: 'met' }, new Date('2030-01-01T00:00:00Z'));
    expect(view.state).toBe('met');
  });

  it('keeps the record fields', () => {
    const view = viewClock(base, new Date('2025-05-12T09:00:00.000Z'));
    expect(view).toEqual({
      stage: 'resolve',
      round: 1,
      startedAt: base.startedAt,
      dueAt: due,
      originalDueAt: base.originalDueAt,
      completedAt: null,
      state: 'running',
      remainingMs: 60 * MINUTE_MS,
      outcome: null,
    });
  });
});

describe('outcomeAt', () => {
  const due = '2025-05-12T10:00:00.000Z';

  it('is met before the due time', () => {
    expect(outcomeAt(due, new Date('2025-05-12T09:59:59.999Z'))).toBe('met');
    expect(outcomeAt(due, new Date('2025-05-01T00:00:00Z'))).toBe('met');
  });

  it('is met exactly at the due time', () => {
    expect(outcomeAt(due, new Date(due))).toBe('met');
  });

  it('is late a millisecond after', () => {
    expect(outcomeAt(due, new Date('2025-05-12T10:00:00.001Z'))).toBe('late');
  });

  it('agrees with viewClock: a clock still running at the instant is met if stopped then', () => {
    for (const offsetMs of [-60_000, -1, 0, 1, 60_000]) {
      const now = new Date(Date.parse(due) + offsetMs);
      const running = viewClock({ stage: 'sign', round: 1, startedAt: due, dueAt: due, originalDueAt: due, completedAt: null, outcome: null }, now);
      expect(outcomeAt(due, now) === 'met', String(offsetMs)).toBe(running.state === 'running');
    }
  });
});

describe('validateOverrides', () => {
  it('accepts null, undefined and an empty object', () => {
    expect(validateOverrides(null)).toEqual([]);
    expect(validateOverrides(undefined)).toEqual([]);
    expect(validateOverrides({})).toEqual([]);
  });

  it('accepts valid overrides', () => {
    const overrides: SlaOverrides = {
      normal: { unit: 'working', stages: { resolve: { minutes: 15 * DAY }, dispatch: { minutes: DAY, from: 'report' } } },
      urgent: { stages: { sign: { minutes: 15 } } },
      emergency: { unit: 'calendar' },
    };
    expect(validateOverrides(overrides)).toEqual([]);
    expect(validateOverrides(JSON.parse(JSON.stringify(overrides)))).toEqual([]);
  });

  it('rejects a value that is not an object keyed by urgency', () => {
    for (const value of ['normal', 42, true, [], [{ unit: 'working' }]]) {
      expect(validateOverrides(value), JSON.stringify(value)).toEqual(['sla must be an object keyed by urgency']);
    }
  });

  it('reports an unknown urgency', () => {
    expect(validateOverrides({ critical: { stages: { resolve: { minutes: 60 } } } })).toEqual(['unknown urgency "critical"']);
  });

  it('reports inherited property names as unknown urgencies', () => {
    for (const key of ['toString', 'constructor', 'hasOwnProperty', '__proto__']) {
      const value: unknown = JSON.parse(`{"${key}": {"stages": {"resolve": {"minutes": 60}}}}`);
      expect(validateOverrides(value), key).toEqual([`unknown urgency "${key}"`]);
    }
  });

  it('reports a policy that is not an object', () => {
    expect(validateOverrides({ normal: null })).toEqual(['normal: must be an object']);
    expect(validateOverrides({ normal: 5 })).toEqual(['normal: must be an object']);
    expect(validateOverrides({ normal: 'fast' })).toEqual(['normal: must be an object']);
  });

  it('reports an unknown stage', () => {
    expect(validateOverrides({ normal: { stages: { repair: { minutes: 60 } } } })).toEqual(['normal: unknown stage "repair"']);
  });

  it('reports stages that are not an object', () => {
    for (const stages of [5, 'resolve', true, [{ minutes: 60 }]]) {
      const problems = validateOverrides({ urgent: { stages } });
      expect(problems, JSON.stringify(stages)).toContain('urgent.stages must be an object keyed by stage');
    }
  });

  it('reports bad minutes', () => {
    for (const minutes of [0, -5, 1.5, '60', null, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(validateOverrides({ urgent: { stages: { resolve: { minutes } } } }), String(minutes)).toEqual([
        'urgent.resolve.minutes must be a whole number above 0',
      ]);
    }
    expect(validateOverrides({ urgent: { stages: { resolve: {} } } })).toEqual(['urgent.resolve.minutes must be a whole number above 0']);
    expect(validateOverrides({ urgent: { stages: { resolve: null } } })).toEqual(['urgent.resolve.minutes must be a whole number above 0']);
    expect(validateOverrides({ urgent: { stages: { resolve: 60 } } })).toEqual(['urgent.resolve.minutes must be a whole number above 0']);
  });

  it('reports a bad `from`', () => {
    expect(validateOverrides({ normal: { stages: { dispatch: { minutes: 60, from: 'reported' } } } })).toEqual([
      'normal.dispatch.from must be "report" when given',
    ]);
  });

  it('reports a bad unit', () => {
    for (const unit of ['days', 'Working', 1, null]) {
      expect(validateOverrides({ normal: { unit } }), String(unit)).toEqual(['normal.unit must be calendar or working']);
    }
  });

  it('reports every problem at once', () => {
    const problems = validateOverrides({
      critical: { unit: 'days' },
      normal: { stages: { repair: { minutes: 0 }, resolve: { minutes: 60 } } },
    });
    expect(problems).toEqual([
      'unknown urgency "critical"',
      'critical.unit must be calendar or working',
      'normal: unknown stage "repair"',
      'normal.repair.minutes must be a whole number above 0',
    ]);
  });

  it('accepts every policy that policyFor can build', () => {
    for (const urgency of URGENCIES) {
      const policy: SlaPolicy = policyFor(urgency, { [urgency]: { unit: 'working', stages: { close: { minutes: 30 } } } });
      expect(validateOverrides({ [urgency]: policy })).toEqual([]);
    }
  });
});
