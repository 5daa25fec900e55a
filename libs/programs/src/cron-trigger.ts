/**
 * The most recent occurrence of a cron expression at or before an instant, in a time zone.
 *
 * cron-parser needs about a millisecond per lookup, far too slow to repeat for every evaluation of
 * every program; an occurrence stays the answer until the next one, so each (expression, zone)
 * remembers the interval [previous, next) it last computed and reuses it while `now` is inside.
 */
import { CronExpressionParser } from 'cron-parser';

interface OccurrenceInterval {
  readonly previous: number;
  readonly next: number;
}

const intervals = new Map<string, OccurrenceInterval>();

export function latestOccurrence(expression: string, timezone: string, now: number): number {
  const key = `${timezone}\u0000${expression}`;
  const known = intervals.get(key);
  if (known && known.previous <= now && now < known.next) return known.previous;
  // prev() is strictly before currentDate, so +1 ms lets an occurrence at exactly `now` count.
  const previous = CronExpressionParser.parse(expression, {
    tz: timezone,
    currentDate: new Date(now + 1),
  })
    .prev()
    .getTime();
  const next = CronExpressionParser.parse(expression, { tz: timezone, currentDate: new Date(now) })
    .next()
    .getTime();
  intervals.set(key, { previous, next });
  return previous;
}
