import { evaluate, type ProgramEvent } from './program.evaluator';
import { makeProgram, MINUTE, reading, seededRandom, T0 } from './program.fixtures';
import { initialState, type ProgramState } from './program-state';
import type { Program } from './program.schema';

const ON = { action: 'set_state', state: 'on' } as const;
const OFF = { action: 'set_state', state: 'off' } as const;

/** Programs that decide on the latest temperature alone: the shapes the shortcut may answer. */
const PROGRAMS: Record<string, Program> = {
  thermostat: makeProgram({
    tree: {
      condition: {
        hysteresis: {
          metric: 'temperature',
          on: { op: '>', value: 28 },
          off: { op: '<=', value: 26 },
        },
      },
      then: ON,
      else: OFF,
    },
  }),
  'compare without else (releases)': makeProgram({
    tree: { condition: { metric: 'temperature', op: '>=', value: 27 }, then: ON },
  }),
  'equality, and/or/not, alert and level': makeProgram({
    actuators: ['fan-1', 'dimmer'],
    tree: {
      condition: {
        or: [
          { metric: 'temperature', op: '==', value: 27 },
          {
            and: [
              { metric: 'temperature', op: '>', value: 25 },
              { not: { metric: 'temperature', op: '!=', value: 29 } },
            ],
          },
        ],
      },
      then: {
        do: [
          { action: 'set_state', state: 'on', actuator: 'fan-1' },
          { action: 'set_level', level: 40, actuator: 'dimmer' },
          { action: 'alert', severity: 'warning', message: 'warm' },
        ],
      },
      else: { action: 'set_level', level: 0, actuator: 'dimmer' },
    },
  }),
  'pulse and shadowed leaf': makeProgram({
    tree: {
      condition: { metric: 'temperature', op: '<', value: 27 },
      then: { do: [{ action: 'pulse', duration: '30s' }, ON] },
      else: OFF,
    },
  }),
};

/** Readings around the thresholds (exactly on them too), some late, some of another metric or device. */
function events(seed: number, count: number): ProgramEvent[] {
  const random = seededRandom(seed);
  const values = [24, 25, 26, 26.5, 27, 27.5, 28, 28.5, 29, 30];
  let time = T0;
  return Array.from({ length: count }, () => {
    const roll = random();
    time += Math.floor(random() * MINUTE);
    const value = values[Math.floor(random() * values.length)];
    if (roll < 0.08) return reading('temperature', value, time - 5 * MINUTE); // late
    if (roll < 0.15) return reading('humidity', value, time);
    if (roll < 0.2) return reading('temperature', value, time, 'room-2'); // outside the scope
    if (roll < 0.4) return reading('temperature', 24 + random() * 6, time);
    return reading('temperature', value, time);
  });
}

describe('steady verdicts: the shortcut for readings that change no condition', () => {
  it.each(Object.entries(PROGRAMS))(
    '%s: every result equals a full evaluation of the same state, and repeats take the shortcut',
    (_name, program) => {
      // its own program object, so its own compiled program and record: always the full path
      const reference = structuredClone(program);
      let shortcut = 0;
      for (const seed of [1, 2, 3, 4, 5]) {
        let fast: ProgramState = initialState(program);
        let full: ProgramState = initialState(program);
        for (const event of events(seed, 400)) {
          const expected = evaluate(reference, structuredClone(full), event, { trace: false });
          const result = evaluate(program, fast, event, { trace: false });
          expect(result.state).toEqual(expected.state);
          expect(result.actions).toEqual(expected.actions);
          expect(result.desired).toEqual(expected.desired);
          expect(result.trace).toEqual(expected.trace);
          // a full evaluation builds new latches and holds; the shortcut keeps the previous ones
          if (
            result.state.holds === fast.holds &&
            event.type === 'reading' &&
            event.device === 'room-1'
          )
            shortcut++;
          fast = result.state;
          full = expected.state;
        }
      }
      expect(shortcut).toBeGreaterThan(500);
    },
  );

  it('evaluates in full when the value crosses a threshold, a latch would flip or a trace is asked for', () => {
    const program = PROGRAMS.thermostat;
    const first = evaluate(program, initialState(program), reading('temperature', 27, T0), {
      trace: false,
    });
    const steady = evaluate(program, first.state, reading('temperature', 26.5, T0 + MINUTE), {
      trace: false,
    });
    expect(steady.state.holds).toBe(first.state.holds);

    const flipped = evaluate(program, steady.state, reading('temperature', 28.5, T0 + 2 * MINUTE), {
      trace: false,
    });
    expect(flipped.state.holds).not.toBe(steady.state.holds);
    expect(flipped.actions).toMatchObject([{ command: 'set_state', params: { state: 'on' } }]);

    const traced = evaluate(program, flipped.state, reading('temperature', 29, T0 + 3 * MINUTE));
    expect(traced.state.holds).not.toBe(flipped.state.holds);
    expect(traced.trace.conditions).toHaveLength(1);
  });

  it('leaves a state read back from storage (JSON) to the full evaluation', () => {
    const program = PROGRAMS.thermostat;
    const first = evaluate(program, initialState(program), reading('temperature', 27, T0), {
      trace: false,
    });
    const stored = JSON.parse(JSON.stringify(first.state)) as ProgramState;
    const next = evaluate(program, stored, reading('temperature', 26.5, T0 + MINUTE), {
      trace: false,
    });
    expect(next.state.holds).not.toBe(stored.holds);
    expect(next.state).toEqual(
      evaluate(program, first.state, reading('temperature', 26.5, T0 + MINUTE), { trace: false })
        .state,
    );
  });
});
