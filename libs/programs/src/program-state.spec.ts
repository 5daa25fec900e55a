import { evaluate } from './program.evaluator';
import { decidesOnLatestReadingOnly } from './program.compiler';
import { differsOnlyInLatestReadings, initialState, type ProgramState } from './program-state';
import { makeProgram, reading, SECOND, T0 } from './program.fixtures';
import type { ReadingEvent } from './program.evaluator';

const hysteresisFan = makeProgram({
  tree: {
    condition: {
      hysteresis: {
        metric: 'temperature',
        on: { op: '>', value: 26 },
        off: { op: '<', value: 22 },
      },
    },
    then: { action: 'set_state', state: 'on' },
    else: { action: 'set_state', state: 'off' },
  },
});

function after(state: ProgramState, event: ReadingEvent): ProgramState {
  return evaluate(hysteresisFan, state, event, { trace: false }).state;
}

describe('state that only the next reading replaces', () => {
  it('is all a program needs that reads the latest value of one series, without ticks', () => {
    expect(decidesOnLatestReadingOnly(hysteresisFan)).toBe(true);
    const withDelay = {
      condition: { metric: 'temperature', op: '>', value: 26, for: '1m' },
      then: { action: 'set_state', state: 'on' },
    };
    expect(decidesOnLatestReadingOnly(makeProgram({ tree: withDelay }))).toBe(false);
    const twoMetrics = {
      condition: {
        and: [
          { metric: 'temperature', op: '>', value: 26 },
          { metric: 'humidity', op: '>', value: 60 },
        ],
      },
      then: { action: 'set_state', state: 'on' },
    };
    expect(decidesOnLatestReadingOnly(makeProgram({ tree: twoMetrics }))).toBe(false);
    const windowed = {
      condition: { metric: 'temperature', aggregate: 'avg', window: '5m', op: '>', value: 26 },
      then: { action: 'set_state', state: 'on' },
    };
    expect(decidesOnLatestReadingOnly(makeProgram({ tree: windowed }))).toBe(false);
  });

  it('tells a reading that changed nothing but the latest value from one that changed a decision', () => {
    const first = after(initialState(hysteresisFan), reading('temperature', 24, T0));
    const calm = after(first, reading('temperature', 25, T0 + SECOND));
    expect(differsOnlyInLatestReadings(first, calm)).toBe(true);
    // the latch flips and a command is issued
    const hot = after(calm, reading('temperature', 27, T0 + 2 * SECOND));
    expect(differsOnlyInLatestReadings(calm, hot)).toBe(false);
    // a later state equal in everything but the latest value, built by another path (JSON)
    const stored = JSON.parse(JSON.stringify(hot)) as ProgramState;
    expect(
      differsOnlyInLatestReadings(stored, after(hot, reading('temperature', 26, T0 + 3 * SECOND))),
    ).toBe(true);
  });

  it('leads to the same decisions on the next newer reading', () => {
    const saved = after(initialState(hysteresisFan), reading('temperature', 27, T0));
    let current = saved;
    for (const [i, value] of [25, 24, 26, 23].entries())
      current = after(current, reading('temperature', value, T0 + (i + 1) * SECOND));
    expect(differsOnlyInLatestReadings(saved, current)).toBe(true);
    for (const value of [27, 21, 25]) {
      const next = reading('temperature', value, T0 + 10 * SECOND);
      const fromSaved = evaluate(hysteresisFan, saved, next, { trace: false });
      const fromCurrent = evaluate(hysteresisFan, current, next, { trace: false });
      expect(fromSaved.actions).toEqual(fromCurrent.actions);
      expect(fromSaved.state).toEqual(fromCurrent.state);
    }
  });
});
