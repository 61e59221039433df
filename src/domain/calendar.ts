// Working-day calendars. Some bureaus count limits in working days: time then runs only on working days,
// which are Monday to Friday unless the calendar says otherwise (public holidays, and weekend days made
// working days by 调休). Days are local days at a fixed UTC offset (China has no daylight saving).

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

export interface WorkingCalendar {
  /** Local time's offset from UTC in minutes (Asia/Shanghai: 480). */
  utcOffsetMinutes: number;
  /** Days of the week that are not working days (0 = Sunday ... 6 = Saturday). */
  weekend: readonly number[];
  /** Local dates (YYYY-MM-DD) that are holidays although they fall on a weekday. */
  holidays: ReadonlySet<string>;
  /** Local dates (YYYY-MM-DD) that are working days although they fall on a weekend (调休). */
  workdays: ReadonlySet<string>;
}

export const CHINA_OFFSET_MINUTES = 480;

export function makeCalendar(days: { date: string; kind: 'holiday' | 'workday' }[] = [], utcOffsetMinutes = CHINA_OFFSET_MINUTES): WorkingCalendar {
  return {
    utcOffsetMinutes,
    weekend: [0, 6],
    holidays: new Set(days.filter((d) => d.kind === 'holiday').map((d) => d.date)),
    workdays: new Set(days.filter((d) => d.kind === 'workday').map((d) => d.date)),
  };
}

/** The local date (YYYY-MM-DD) of an instant. */
export function localDate(cal: WorkingCalendar, at: Date): string {
  return new Date(at.getTime() + cal.utcOffsetMinutes * MINUTE_MS).toISOString().slice(0, 10);
}

export function isWorkingDay(cal: WorkingCalendar, at: Date): boolean {
  const date = localDate(cal, at);
  if (cal.workdays.has(date)) return true;
  if (cal.holidays.has(date)) return false;
  const weekday = new Date(at.getTime() + cal.utcOffsetMinutes * MINUTE_MS).getUTCDay();
  return !cal.weekend.includes(weekday);
}

/** Start of the local day that contains `at`, as an instant. */
function startOfLocalDay(cal: WorkingCalendar, at: Date): number {
  const offset = cal.utcOffsetMinutes * MINUTE_MS;
  return Math.floor((at.getTime() + offset) / DAY_MS) * DAY_MS - offset;
}

/** The instant `minutes` of working time after `start`: time on non-working days does not count. */
export function addWorkingMinutes(cal: WorkingCalendar, start: Date, minutes: number): Date {
  let remaining = minutes * MINUTE_MS;
  let cursor = start.getTime();
  // Walk day by day; a limit of years would still be a few hundred iterations.
  for (let guard = 0; guard < 20_000; guard++) {
    const dayEnd = startOfLocalDay(cal, new Date(cursor)) + DAY_MS;
    if (isWorkingDay(cal, new Date(cursor))) {
      const available = dayEnd - cursor;
      if (remaining <= available) return new Date(cursor + remaining);
      remaining -= available;
    }
    cursor = dayEnd;
  }
  throw new Error('working calendar has no working days');
}

/** Working minutes between two instants (0 when `end` is before `start`). */
export function workingMinutesBetween(cal: WorkingCalendar, start: Date, end: Date): number {
  let total = 0;
  let cursor = start.getTime();
  const stop = end.getTime();
  while (cursor < stop) {
    const dayEnd = Math.min(startOfLocalDay(cal, new Date(cursor)) + DAY_MS, stop);
    if (isWorkingDay(cal, new Date(cursor))) total += dayEnd - cursor;
    cursor = dayEnd;
  }
  return total / MINUTE_MS;
}
