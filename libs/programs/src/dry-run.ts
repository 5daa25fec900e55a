/**
 * Replays stored readings (and ticks) through the evaluator and returns the actions the program
 * would have taken, with the reason for each. The same `evaluate` the controller runs, so a dry
 * run and live evaluation cannot disagree.
 */
import { DryRunInputError } from './program.errors';
import { evaluate, type ProgramAction, type ReadingEvent } from './program.evaluator';
import { initialState, type ProgramState } from './program-state';
import type { Program } from './program.schema';

export type StoredReading = Omit<ReadingEvent, 'type'>;

export interface DryRunOptions {
  /** First instant whose actions are reported (epoch ms). Earlier readings only warm the state up. */
  readonly from: number;
  /** Last instant evaluated (inclusive); later readings are not used. */
  readonly to: number;
  /** Interval of ticks from `from` to `to`, as the controller's timer would send them. */
  readonly tickMs: number;
  /** State to start from (default: a fresh program). */
  readonly state?: ProgramState;
}

export interface DryRunStep {
  readonly time: number;
  readonly action: ProgramAction;
  readonly reason: string;
}

/**
 * Readings must be sorted by time. A tick at the same instant as a reading comes after it.
 * Readings before `from` (e.g. one window of history for aggregates) are evaluated but their
 * actions are not reported: a command issued during warm-up is the actuator's state at `from`,
 * and is only reported again if it changes.
 */
export function dryRun(
  program: Program,
  readings: Iterable<StoredReading>,
  options: DryRunOptions,
): DryRunStep[] {
  const { from, to, tickMs } = options;
  if (!Number.isFinite(from) || !Number.isFinite(to) || from > to) {
    throw new DryRunInputError('from/to', `need finite from <= to, got ${from} .. ${to}`);
  }
  if (!Number.isFinite(tickMs) || tickMs <= 0) {
    throw new DryRunInputError(
      'tickMs',
      `must be a positive number of milliseconds, got ${tickMs}`,
    );
  }
  let state = options.state ?? initialState(program);
  const steps: DryRunStep[] = [];
  const run = (event: Parameters<typeof evaluate>[2]): void => {
    const result = evaluate(program, state, event, { trace: false });
    state = result.state;
    if (event.time < from) return;
    for (const action of result.actions)
      steps.push({ time: action.time, action, reason: action.reason });
  };

  let nextTick = from;
  let previous = -Infinity;
  let index = 0;
  for (const reading of readings) {
    if (reading.time < previous) {
      throw new DryRunInputError(
        `readings[${index}]`,
        `not sorted by time (${reading.time} after ${previous})`,
      );
    }
    previous = reading.time;
    index++;
    if (reading.time > to) break;
    for (; nextTick < reading.time && nextTick <= to; nextTick += tickMs)
      run({ type: 'tick', time: nextTick });
    run({ type: 'reading', ...reading });
  }
  for (; nextTick <= to; nextTick += tickMs) run({ type: 'tick', time: nextTick });
  return steps;
}
