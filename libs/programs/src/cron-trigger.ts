/**
 * The most recent occurrence of a cron expression at or before an instant, in a time zone.
 *
 * Occurrences are defined by cron-parser's forward iteration (`next()`), because its backward
 * iteration disagrees with it around DST changes: going back it skips an occurrence that falls in
 * the spring-forward gap (forward, it moves it to after the jump) and yields both copies of one in
 * the repeated fall-back hour (forward, only the first). So `prev()` only finds an anchor two
 * occurrences back, and the answer is found by stepping forward from there.
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

function lookup(expression: string, tz: string, now: number): OccurrenceInterval {
  const backwards = CronExpressionParser.parse(expression, { tz, currentDate: new Date(now + 1) });
  backwards.prev();
  const anchor = backwards.prev().getTime();
  const forwards = CronExpressionParser.parse(expression, {
    tz,
    currentDate: new Date(anchor - 1),
  });
  let previous = anchor;
  let next = forwards.next().getTime();
  while (next <= now) {
    previous = next;
    next = forwards.next().getTime();
  }
  return { previous, next };
}

export function latestOccurrence(expression: string, timezone: string, now: number): number {
  const key = `${timezone}\u0000${expression}`;
  let known = intervals.get(key);
  if (!known || now < known.previous || now >= known.next) {
    known = lookup(expression, timezone, now);
    intervals.set(key, known);
  }
  return known.previous;
}
