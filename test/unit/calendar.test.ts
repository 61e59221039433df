import { describe, expect, it } from 'vitest';
import {
  CHINA_OFFSET_MINUTES,
  addWorkingMinutes,
  isWorkingDay,
  localDate,
  makeCalendar,
  workingMinutesBetween,
} from '../../src/domain/calendar.js';
import type { WorkingCalendar } from '../../src/domain/calendar.js';
import { mulberry32 } from '../../src/seed/prng.js';

const HOUR = 60;
const DAY = 24 * HOUR;

/** 2025 Labour Day: 1-5 May off (Thu-Mon), Sunday 27 April worked instead (调休). */
const LABOUR_DAY_2025 = makeCalendar([
  { date: '2025-04-27', kind: 'workday' },
  { date: '2025-05-01', kind: 'holiday' },
  { date: '2025-05-02', kind: 'holiday' },
  { date: '2025-05-03', kind: 'holiday' },
  { date: '2025-05-04', kind: 'holiday' },
  { date: '2025-05-05', kind: 'holiday' },
]);
const PLAIN = makeCalendar();

/** An instant given as Beijing local time ('2025-05-09T17:00'). */
const local = (dateTime: string): Date => new Date(`${dateTime}:00+08:00`);
const utc = (iso: string): Date => new Date(iso);

describe('makeCalendar', () => {
  it('defaults to China time, Saturday-Sunday weekends and no special days', () => {
    expect(CHINA_OFFSET_MINUTES).toBe(480);
    const cal = makeCalendar();
    expect(cal.utcOffsetMinutes).toBe(480);
    expect([...cal.weekend].sort()).toEqual([0, 6]);
    expect(cal.holidays.size).toBe(0);
    expect(cal.workdays.size).toBe(0);
  });

  it('sorts special days into holidays and workdays', () => {
    expect([...LABOUR_DAY_2025.holidays].sort()).toEqual(['2025-05-01', '2025-05-02', '2025-05-03', '2025-05-04', '2025-05-05']);
    expect([...LABOUR_DAY_2025.workdays]).toEqual(['2025-04-27']);
  });

  it('takes another UTC offset', () => {
    expect(makeCalendar([], 0).utcOffsetMinutes).toBe(0);
    expect(makeCalendar([], -300).utcOffsetMinutes).toBe(-300);
  });
});

describe('localDate', () => {
  it('gives the local date at the UTC+8 day boundary', () => {
    expect(localDate(PLAIN, utc('2025-05-09T15:59:59.999Z'))).toBe('2025-05-09');
    expect(localDate(PLAIN, utc('2025-05-09T16:00:00Z'))).toBe('2025-05-10');
    expect(localDate(PLAIN, utc('2025-05-09T16:30:00Z'))).toBe('2025-05-10');
  });

  it('follows the calendar offset', () => {
    expect(localDate(makeCalendar([], 0), utc('2025-05-09T16:30:00Z'))).toBe('2025-05-09');
    expect(localDate(makeCalendar([], -300), utc('2025-05-10T03:00:00Z'))).toBe('2025-05-09');
  });
});

describe('isWorkingDay', () => {
  it('uses the local day, not the UTC day', () => {
    // Friday 23:59 local, still a working day.
    expect(isWorkingDay(PLAIN, utc('2025-05-09T15:59:00Z'))).toBe(true);
    // 16:30 UTC on Friday is Saturday 00:30 in Lhasa (UTC+8): not a working day.
    expect(isWorkingDay(PLAIN, utc('2025-05-09T16:30:00Z'))).toBe(false);
    // Sunday 23:59 local is still the weekend, Monday 00:00 local is not.
    expect(isWorkingDay(PLAIN, utc('2025-05-11T15:59:00Z'))).toBe(false);
    expect(isWorkingDay(PLAIN, utc('2025-05-11T16:00:00Z'))).toBe(true);
  });

  it('at UTC, the same instant is still Friday', () => {
    expect(isWorkingDay(makeCalendar([], 0), utc('2025-05-09T16:30:00Z'))).toBe(true);
  });

  it('Monday to Friday are working days, Saturday and Sunday are not', () => {
    const week = ['2025-05-12', '2025-05-13', '2025-05-14', '2025-05-15', '2025-05-16', '2025-05-17', '2025-05-18'];
    expect(week.map((day) => isWorkingDay(PLAIN, local(`${day}T10:00`)))).toEqual([true, true, true, true, true, false, false]);
  });

  it('holidays are not working days, even on a weekday', () => {
    expect(isWorkingDay(PLAIN, local('2025-05-01T10:00'))).toBe(true); // a Thursday without the holiday list
    for (const day of ['2025-05-01', '2025-05-02', '2025-05-03', '2025-05-04', '2025-05-05']) {
      expect(isWorkingDay(LABOUR_DAY_2025, local(`${day}T00:00`)), day).toBe(false);
      expect(isWorkingDay(LABOUR_DAY_2025, local(`${day}T23:59`)), day).toBe(false);
    }
    expect(isWorkingDay(LABOUR_DAY_2025, local('2025-04-30T23:59'))).toBe(true);
    expect(isWorkingDay(LABOUR_DAY_2025, local('2025-05-06T00:00'))).toBe(true);
  });

  it('a weekend day made a workday (调休) is a working day', () => {
    expect(isWorkingDay(PLAIN, local('2025-04-27T10:00'))).toBe(false); // a Sunday
    expect(isWorkingDay(LABOUR_DAY_2025, local('2025-04-27T00:00'))).toBe(true);
    expect(isWorkingDay(LABOUR_DAY_2025, local('2025-04-27T23:59'))).toBe(true);
    expect(isWorkingDay(LABOUR_DAY_2025, local('2025-04-26T10:00'))).toBe(false); // the Saturday before stays off
  });

  it('a date listed as both workday and holiday counts as a workday', () => {
    const cal = makeCalendar([
      { date: '2025-05-06', kind: 'holiday' },
      { date: '2025-05-06', kind: 'workday' },
    ]);
    expect(isWorkingDay(cal, local('2025-05-06T10:00'))).toBe(true);
  });

  it('respects a custom weekend', () => {
    const fridayOff: WorkingCalendar = { ...PLAIN, weekend: [5] };
    expect(isWorkingDay(fridayOff, local('2025-05-09T10:00'))).toBe(false);
    expect(isWorkingDay(fridayOff, local('2025-05-10T10:00'))).toBe(true);
  });
});

describe('addWorkingMinutes', () => {
  it('adds plain time within a working day', () => {
    expect(addWorkingMinutes(PLAIN, local('2025-05-12T09:00'), 90)).toEqual(local('2025-05-12T10:30'));
  });

  it('runs through the night on working days (time is counted by day, not office hours)', () => {
    expect(addWorkingMinutes(PLAIN, local('2025-05-12T17:00'), DAY)).toEqual(local('2025-05-13T17:00'));
  });

  it('skips the weekend: Friday 17:00 + 24 working hours = Monday 17:00', () => {
    const friday = local('2025-05-09T17:00');
    expect(friday).toEqual(utc('2025-05-09T09:00:00Z'));
    expect(addWorkingMinutes(PLAIN, friday, DAY)).toEqual(local('2025-05-12T17:00'));
    expect(addWorkingMinutes(PLAIN, friday, DAY)).toEqual(utc('2025-05-12T09:00:00Z'));
  });

  it('skips a holiday block: Wednesday 30 April 17:00 + 24 working hours = Tuesday 6 May 17:00', () => {
    expect(addWorkingMinutes(LABOUR_DAY_2025, local('2025-04-30T17:00'), DAY)).toEqual(local('2025-05-06T17:00'));
    // Without the holidays it would be Thursday 1 May.
    expect(addWorkingMinutes(PLAIN, local('2025-04-30T17:00'), DAY)).toEqual(local('2025-05-01T17:00'));
  });

  it('counts a 调休 Sunday', () => {
    // Friday 25 April 17:00 + 24 h: 7 h on Friday, Saturday off, 17 h on the working Sunday.
    expect(addWorkingMinutes(LABOUR_DAY_2025, local('2025-04-25T17:00'), DAY)).toEqual(local('2025-04-27T17:00'));
    expect(addWorkingMinutes(PLAIN, local('2025-04-25T17:00'), DAY)).toEqual(local('2025-04-28T17:00'));
  });

  it('adds five working days over the Labour Day week', () => {
    // Monday 28 April 09:00: 15 h on 28 April, 24 h each on 29 and 30 April, 1-5 May off, 24 h each on 6 and
    // 7 May (111 h so far), the last 9 h on Thursday 8 May.
    expect(addWorkingMinutes(LABOUR_DAY_2025, local('2025-04-28T09:00'), 5 * DAY)).toEqual(local('2025-05-08T09:00'));
  });

  it('adds zero minutes on a working day as no time at all', () => {
    const at = local('2025-05-12T09:13');
    expect(addWorkingMinutes(PLAIN, at, 0)).toEqual(at);
  });

  it('starting on a non-working day, the clock starts at the next working day', () => {
    const saturday = local('2025-05-10T11:00');
    expect(addWorkingMinutes(PLAIN, saturday, 60)).toEqual(local('2025-05-12T01:00'));
    expect(addWorkingMinutes(PLAIN, saturday, 0)).toEqual(local('2025-05-12T00:00'));
    // Saturday 26 April 17:00 + 1 h: the next working day is the 调休 Sunday.
    expect(addWorkingMinutes(LABOUR_DAY_2025, local('2025-04-26T17:00'), 60)).toEqual(local('2025-04-27T01:00'));
    // During the holiday: resumes on Tuesday 6 May.
    expect(addWorkingMinutes(LABOUR_DAY_2025, local('2025-05-02T12:00'), 30)).toEqual(local('2025-05-06T00:30'));
  });

  it('landing exactly on the end of a working day gives midnight', () => {
    expect(addWorkingMinutes(PLAIN, local('2025-05-09T00:00'), DAY)).toEqual(local('2025-05-10T00:00'));
    expect(addWorkingMinutes(PLAIN, local('2025-05-09T00:00'), DAY + 1)).toEqual(local('2025-05-12T00:01'));
  });

  it('never returns an instant before the start', () => {
    const start = local('2025-05-10T11:00');
    expect(addWorkingMinutes(PLAIN, start, 0).getTime()).toBeGreaterThanOrEqual(start.getTime());
  });

  it('handles long spans (a year of working days)', () => {
    const end = addWorkingMinutes(PLAIN, local('2025-01-06T00:00'), 261 * DAY); // 2025 Jan 6 + 261 weekdays
    expect(workingMinutesBetween(PLAIN, local('2025-01-06T00:00'), end)).toBe(261 * DAY);
    expect(isWorkingDay(PLAIN, new Date(end.getTime() - 1))).toBe(true);
  });

  it('throws when the calendar has no working days', () => {
    const never: WorkingCalendar = { ...PLAIN, weekend: [0, 1, 2, 3, 4, 5, 6] };
    expect(() => addWorkingMinutes(never, local('2025-05-12T09:00'), 60)).toThrow(/no working days/);
  });
});

describe('workingMinutesBetween', () => {
  it('is plain time within a working day', () => {
    expect(workingMinutesBetween(PLAIN, local('2025-05-12T09:00'), local('2025-05-12T10:30'))).toBe(90);
  });

  it('is zero for an empty or reversed interval', () => {
    const at = local('2025-05-12T09:00');
    expect(workingMinutesBetween(PLAIN, at, at)).toBe(0);
    expect(workingMinutesBetween(PLAIN, local('2025-05-13T09:00'), at)).toBe(0);
  });

  it('leaves out the weekend', () => {
    expect(workingMinutesBetween(PLAIN, local('2025-05-09T17:00'), local('2025-05-12T17:00'))).toBe(DAY);
    expect(workingMinutesBetween(PLAIN, local('2025-05-10T00:00'), local('2025-05-12T00:00'))).toBe(0);
  });

  it('leaves out holidays and counts 调休 workdays', () => {
    expect(workingMinutesBetween(LABOUR_DAY_2025, local('2025-04-30T17:00'), local('2025-05-06T17:00'))).toBe(DAY);
    expect(workingMinutesBetween(PLAIN, local('2025-04-30T17:00'), local('2025-05-06T17:00'))).toBe(4 * DAY);
    expect(workingMinutesBetween(LABOUR_DAY_2025, local('2025-04-26T00:00'), local('2025-04-28T00:00'))).toBe(DAY);
  });

  it('counts the local day at the UTC+8 boundary', () => {
    // 15:00Z-17:00Z on Friday: one hour of Friday (local) and one hour of Saturday.
    expect(workingMinutesBetween(PLAIN, utc('2025-05-09T15:00:00Z'), utc('2025-05-09T17:00:00Z'))).toBe(60);
    expect(workingMinutesBetween(makeCalendar([], 0), utc('2025-05-09T15:00:00Z'), utc('2025-05-09T17:00:00Z'))).toBe(120);
  });
});


describe('addWorkingMinutes and workingMinutesBetween agree', () => {
  const calendars: [string, WorkingCalendar][] = [
    ['plain China calendar', PLAIN],
    ['Labour Day 2025 calendar', LABOUR_DAY_2025],
    ['UTC calendar with holidays', makeCalendar([{ date: '2025-05-02', kind: 'holiday' }, { date: '2025-05-10', kind: 'workday' }], 0)],
    ['UTC-5 calendar', makeCalendar([], -300)],
  ];

  for (const [name, cal] of calendars) {
    it(`workingMinutesBetween(start, addWorkingMinutes(start, m)) === m (${name})`, () => {
      const random = mulberry32(20250501);
      const from = local('2025-04-20T00:00').getTime();
      const spanMs = 30 * DAY * 60_000;
      for (let i = 0; i < 500; i++) {
        // Starts anywhere (including weekends, holidays and odd milliseconds); minutes up to 20 days.
        const start = new Date(from + Math.floor(random() * spanMs));
        const minutes = Math.floor(random() * 20 * DAY);
        const end = addWorkingMinutes(cal, start, minutes);
        expect(end.getTime(), `start ${start.toISOString()} + ${minutes}`).toBeGreaterThanOrEqual(start.getTime());
        expect(workingMinutesBetween(cal, start, end), `start ${start.toISOString()} + ${minutes}`).toBe(minutes);
      }
    });
  }

  it('addWorkingMinutes is monotonic in the minutes', () => {
    const random = mulberry32(42);
    for (let i = 0; i < 200; i++) {
      const start = new Date(local('2025-04-24T00:00').getTime() + Math.floor(random() * 14 * DAY * 60_000));
      const a = Math.floor(random() * 10 * DAY);
      const b = a + 1 + Math.floor(random() * DAY);
      expect(addWorkingMinutes(LABOUR_DAY_2025, start, b).getTime()).toBeGreaterThan(addWorkingMinutes(LABOUR_DAY_2025, start, a).getTime());
    }
  });

  it('adding in two steps equals adding at once', () => {
    const random = mulberry32(7);
    for (let i = 0; i < 200; i++) {
      const start = new Date(local('2025-04-24T00:00').getTime() + Math.floor(random() * 14 * DAY * 60_000));
      const a = 1 + Math.floor(random() * 5 * DAY);
      const b = 1 + Math.floor(random() * 5 * DAY);
      const twoSteps = addWorkingMinutes(LABOUR_DAY_2025, addWorkingMinutes(LABOUR_DAY_2025, start, a), b);
      expect(twoSteps).toEqual(addWorkingMinutes(LABOUR_DAY_2025, start, a + b));
    }
  });
});
