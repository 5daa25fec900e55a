/**
 * Instant → wall clock in an IANA time zone, with the zone rules of Node's ICU.
 *
 * Why Intl.DateTimeFormat rather than luxon or date-fns-tz: schedules only ever need this one
 * conversion (instant to local date, weekday and time), Intl does it with the same ICU time zone
 * data those libraries wrap, and it adds no dependency. DST needs no special handling: on a
 * spring-forward day local times in the gap simply never occur, on a fall-back day the repeated
 * hour occurs twice, and a schedule compares against whatever the wall clock shows.
 */

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface WallClock {
  /** Local calendar date, `YYYY-MM-DD`. */
  readonly date: string;
  readonly weekday: Weekday;
  /** Seconds since local midnight as the wall clock shows them (0 … 86399). */
  readonly secondOfDay: number;
  /** `HH:MM:SS`. */
  readonly time: string;
}

const SHORT_WEEKDAYS: Record<string, Weekday> = {
  Mon: 'mon',
  Tue: 'tue',
  Wed: 'wed',
  Thu: 'thu',
  Fri: 'fri',
  Sat: 'sat',
  Sun: 'sun',
};

const formatters = new Map<string, Intl.DateTimeFormat>();
// Many programs evaluate the same instant in the same zone (one reading fans out to every program
// of its device, one tick to all programs); remembering the last answer per zone skips ICU.
const lastAnswer = new Map<string, { second: number; clock: WallClock }>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True when ICU knows the zone (an IANA name such as "Europe/Berlin", or "UTC"). */
export function isValidTimeZone(timeZone: string): boolean {
  if (formatters.has(timeZone)) return true;
  try {
    formatterFor(timeZone);
    return true;
  } catch (error: unknown) {
    if (error instanceof RangeError) return false;
    throw error;
  }
}

/** IANA zone names ICU knows, for "did you mean" suggestions. */
export function knownTimeZones(): readonly string[] {
  return ['UTC', ...Intl.supportedValuesOf('timeZone')];
}

export function wallClock(timeMs: number, timeZone: string): WallClock {
  const second = Math.floor(timeMs / 1000);
  const cached = lastAnswer.get(timeZone);
  if (cached && cached.second === second) return cached.clock;
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(second * 1000))) {
    parts[part.type] = part.value;
  }
  const hour = Number(parts.hour);
  const minute = Number(parts.minute);
  const sec = Number(parts.second);
  const clock: WallClock = {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: SHORT_WEEKDAYS[parts.weekday],
    secondOfDay: hour * 3600 + minute * 60 + sec,
    time: `${parts.hour}:${parts.minute}:${parts.second}`,
  };
  lastAnswer.set(timeZone, { second, clock });
  return clock;
}

/** `HH:MM:SS` for an instant close to `nowMs`, with the date prepended when the days differ. */
export function formatLocalTime(timeMs: number, timeZone: string, nowMs: number): string {
  const at = wallClock(timeMs, timeZone);
  const now = wallClock(nowMs, timeZone);
  return at.date === now.date ? at.time : `${at.date} ${at.time}`;
}

/** Seconds since midnight of a validated `HH:MM` / `HH:MM:SS` ("24:00" is the end of the day). */
export function parseTimeOfDay(text: string): number {
  const [h, m, s] = text.split(':').map(Number);
  return h * 3600 + m * 60 + (s ?? 0);
}
