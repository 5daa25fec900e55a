/**
 * Computes every condition of a program at one instant, with three-valued logic: true, false, or
 * null when it cannot be known (no reading yet, a stale reading, a window not yet observed in full).
 *
 * All conditions are computed on every evaluation, not only those on the branch being taken:
 * `for` timers and hysteresis latches describe the data, so they must keep tracking it even while
 * another branch is active — "temperature has been above 28 for 5 minutes" is a fact about the
 * temperature, not about which part of the tree was looked at.
 */
import { latestOccurrence } from './cron-trigger';
import type {
  CompiledCondition,
  CompiledProgram,
  SeriesRef,
  ValueSource,
} from './program.compiler';
import type { ProgramState, SeriesState } from './program-state';
import type { Operator, OrderingOperator } from './program.schema';
import { wallClock, WEEKDAYS, type WallClock } from './wall-clock';

export type Tri = boolean | null;

export type MissingReason =
  | { readonly kind: 'no_value'; readonly series: SeriesRef }
  | { readonly kind: 'stale'; readonly series: SeriesRef; readonly at: number }
  | { readonly kind: 'partial_window'; readonly series: SeriesRef; readonly observedMs: number }
  | { readonly kind: 'empty_window'; readonly series: SeriesRef };

export interface ConditionOutcome {
  /** The condition's value, `for` applied. */
  readonly value: Tri;
  /** Before `for`. */
  readonly raw: Tri;
  readonly left?: number;
  readonly right?: number;
  readonly missing?: MissingReason;
  /** Since when the raw condition has held (conditions with `for`). */
  readonly holdSince?: number;
  readonly latch?: { readonly on: boolean; readonly since: number; readonly flipped: boolean };
  readonly clock?: WallClock;
  readonly occurrence?: number;
}

export interface ConditionResults {
  readonly outcomes: readonly ConditionOutcome[];
  readonly holds: ProgramState['holds'];
  readonly latches: ProgramState['latches'];
}

type SeriesMap = ProgramState['series'];
type Read = { value: number; missing?: undefined } | { value?: undefined; missing: MissingReason };

export function compare(left: number, op: Operator, right: number): boolean {
  switch (op) {
    case '>':
      return left > right;
    case '>=':
      return left >= right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '==':
      return left === right;
    case '!=':
      return left !== right;
  }
}

function aggregateOf(
  source: ValueSource & { aggregate: object },
  s: SeriesState,
  now: number,
): Read {
  const { fn, windowMs } = source.aggregate;
  if (now - s.first < windowMs) {
    return {
      missing: { kind: 'partial_window', series: source.series, observedMs: now - s.first },
    };
  }
  const times = s.wt ?? [];
  const values = s.wv ?? [];
  const from = now - windowMs;
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = times.length - 1; i >= 0 && times[i] > from; i--) {
    if (times[i] > now) continue;
    const v = values[i];
    count++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (fn === 'count') return { value: count };
  if (count === 0) return { missing: { kind: 'empty_window', series: source.series } };
  switch (fn) {
    case 'avg':
      return { value: sum / count };
    case 'sum':
      return { value: sum };
    case 'min':
      return { value: min };
    case 'max':
      return { value: max };
  }
}

function read(source: ValueSource, series: SeriesMap, now: number, staleMs: number | null): Read {
  const s = series[source.series.device]?.[source.series.metric];
  if (!s) return { missing: { kind: 'no_value', series: source.series } };
  if (source.aggregate) return aggregateOf(source as ValueSource & { aggregate: object }, s, now);
  if (staleMs !== null && now - s.t > staleMs) {
    return { missing: { kind: 'stale', series: source.series, at: s.t } };
  }
  return { value: s.v };
}

function inSchedule(
  c: Extract<CompiledCondition, { kind: 'schedule' }>,
  clock: WallClock,
): boolean {
  const second = clock.secondOfDay;
  if (c.fromSecond < c.toSecond) {
    return (
      (c.days === null || c.days.has(clock.weekday)) &&
      second >= c.fromSecond &&
      second < c.toSecond
    );
  }
  // Across midnight: the evening part belongs to a listed day, the morning part to the day after.
  if (second >= c.fromSecond) return c.days === null || c.days.has(clock.weekday);
  if (second < c.toSecond) {
    const yesterday = WEEKDAYS[(WEEKDAYS.indexOf(clock.weekday) + 6) % 7];
    return c.days === null || c.days.has(yesterday);
  }
  return false;
}

function threshold(x: number, t: { op: OrderingOperator; value: number }): boolean {
  return compare(x, t.op, t.value);
}

export function evaluateConditions(
  compiled: CompiledProgram,
  series: SeriesMap,
  previous: Pick<ProgramState, 'holds' | 'latches'>,
  now: number,
): ConditionResults {
  const outcomes: ConditionOutcome[] = new Array(compiled.conditions.length);
  const holds: Record<string, number> = {};
  const latches: Record<string, { on: boolean; since: number }> = {};
  const staleMs = compiled.staleMs;

  for (const c of compiled.conditions) {
    let outcome: ConditionOutcome;
    switch (c.kind) {
      case 'compare': {
        const left = read(c.left, series, now, staleMs);
        outcome =
          left.missing !== undefined
            ? { value: null, raw: null, missing: left.missing }
            : { value: null, raw: compare(left.value, c.op, c.value), left: left.value };
        break;
      }
      case 'metrics': {
        const left = read(c.left, series, now, staleMs);
        const right = read(c.right, series, now, staleMs);
        const missing = left.missing ?? right.missing;
        outcome =
          missing !== undefined || left.value === undefined || right.value === undefined
            ? { value: null, raw: null, missing }
            : {
                value: null,
                raw: compare(left.value, c.op, right.value + c.offset),
                left: left.value,
                right: right.value,
              };
        break;
      }
      case 'hysteresis': {
        const x = read(c.source, series, now, staleMs);
        const before = previous.latches[c.path];
        if (x.value === undefined) {
          if (before) latches[c.path] = before;
          outcome = { value: null, raw: null, missing: x.missing };
          break;
        }
        let latch = before ?? { on: false, since: now };
        let flipped = false;
        if (latch.on && threshold(x.value, c.off)) {
          latch = { on: false, since: now };
          flipped = true;
        } else if (!latch.on && threshold(x.value, c.on)) {
          latch = { on: true, since: now };
          flipped = true;
        }
        latches[c.path] = latch;
        outcome = { value: null, raw: latch.on, left: x.value, latch: { ...latch, flipped } };
        break;
      }
      case 'schedule': {
        const clock = wallClock(now, c.timezone);
        outcome = { value: null, raw: inSchedule(c, clock), clock };
        break;
      }
      case 'cron': {
        const occurrence = latestOccurrence(c.expression, c.timezone, now);
        outcome = { value: null, raw: now - occurrence < c.holdMs, occurrence };
        break;
      }
      case 'and':
      case 'or': {
        const decisive = c.kind === 'or';
        let sawUnknown = false;
        let result: Tri = !decisive;
        for (const child of c.children) {
          const v = outcomes[child].value;
          if (v === decisive) {
            result = decisive;
            break;
          }
          if (v === null) sawUnknown = true;
        }
        if (result !== decisive && sawUnknown) result = null;
        outcome = { value: null, raw: result };
        break;
      }
      case 'not': {
        const v = outcomes[c.child].value;
        outcome = { value: null, raw: v === null ? null : !v };
        break;
      }
      case 'ref':
        outcome = { value: null, raw: outcomes[c.child].value };
        break;
    }
    outcomes[c.index] = applyFor(c, outcome, previous.holds, holds, now);
  }
  return { outcomes, holds, latches };
}

/**
 * `for`: the raw condition must have been true at every evaluation for at least forMs (>=). Sets
 * `value` on the outcome, which the caller has just built for this evaluation alone.
 */
function applyFor(
  c: CompiledCondition,
  outcome: ConditionOutcome,
  before: ProgramState['holds'],
  holds: Record<string, number>,
  now: number,
): ConditionOutcome {
  const fresh = outcome as { -readonly [K in keyof ConditionOutcome]: ConditionOutcome[K] };
  if (c.forMs === null || outcome.raw !== true) {
    fresh.value = outcome.raw;
    return fresh;
  }
  const since = before[c.path] ?? now;
  holds[c.path] = since;
  fresh.value = now - since >= c.forMs;
  fresh.holdSince = since;
  return fresh;
}
