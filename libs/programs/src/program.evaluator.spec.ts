import { evaluate, ProgramInputError } from './program.evaluator';
import { makeProgram, MINUTE, reading, run, SECOND, summary, T0, tick } from './program.fixtures';
import { initialState, ProgramStateError, type ProgramState } from './program-state';

const ON = { action: 'set_state', state: 'on' } as const;
const OFF = { action: 'set_state', state: 'off' } as const;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

describe('evaluator: conditions over latest values', () => {
  const strict = makeProgram({
    tree: { condition: { metric: 'temperature', op: '>', value: 28 }, then: ON, else: OFF },
  });
  const inclusive = makeProgram({
    tree: { condition: { metric: 'temperature', op: '>=', value: 28 }, then: ON, else: OFF },
  });

  it('compares at the threshold exactly as the operator says (> vs >=)', () => {
    expect(
      summary(
        run(strict, [reading('temperature', 28, T0), reading('temperature', 28.01, T0 + SECOND)])
          .actions,
      ),
    ).toEqual(['fan-1 set_state off @ +0s', 'fan-1 set_state on @ +1s']);
    expect(summary(run(inclusive, [reading('temperature', 28, T0)]).actions)).toEqual([
      'fan-1 set_state on @ +0s',
    ]);
  });

  it('decides nothing before the first reading of a metric', () => {
    const result = evaluate(strict, initialState(strict), tick(T0));
    expect(result.actions).toEqual([]);
    expect(result.trace.conditions).toEqual([
      { path: 'tree.condition', value: null, detail: 'no reading of temperature yet' },
    ]);
  });

  it('issues a command only when the decided command changes (edge-triggered)', () => {
    const events = [27, 27.5, 29, 30, 29, 27, 26].map((v, i) =>
      reading('temperature', v, T0 + i * MINUTE),
    );
    expect(summary(run(strict, events).actions)).toEqual([
      'fan-1 set_state off @ +0s',
      'fan-1 set_state on @ +120s',
      'fan-1 set_state off @ +300s',
    ]);
  });

  it('explains each action with the values that decided it', () => {
    const { actions } = run(strict, [reading('temperature', 28.4, T0)]);
    expect(actions[0]).toMatchObject({
      kind: 'command',
      programId: 'p1',
      programVersion: 1,
      tenant: 'acme',
      priority: 0,
      actuator: 'fan-1',
      command: 'set_state',
      params: { state: 'on' },
      time: T0,
      path: 'tree.then',
      reason: 'temperature 28.4 > 28',
      idempotencyKey: 'p1:v1:fan-1:1',
    });
    const off = run(strict, [reading('temperature', 27, T0)]).actions[0];
    expect(off.reason).toBe('temperature 27 <= 28');
  });

  it('compares two metrics with an offset', () => {
    const program = makeProgram({
      tree: {
        condition: { metric: 'temp_in', op: '>', metricRef: 'temp_out', offset: 2 },
        then: ON,
        else: OFF,
      },
    });
    const { actions } = run(program, [
      reading('temp_in', 24, T0),
      reading('temp_out', 22, T0 + SECOND),
      reading('temp_in', 24.5, T0 + 2 * SECOND),
    ]);
    expect(summary(actions)).toEqual(['fan-1 set_state off @ +1s', 'fan-1 set_state on @ +2s']);
    expect(actions[0].reason).toBe('temp_in 24 <= temp_out 22 + 2');
    expect(actions[1].reason).toBe('temp_in 24.5 > temp_out 22 + 2');
  });

  it('reads the named device when the program has several', () => {
    const program = makeProgram({
      devices: ['room-1', 'room-2'],
      tree: {
        condition: {
          metric: 'temperature',
          device: 'room-2',
          op: '>',
          metricRef: 'temperature',
          deviceRef: 'room-1',
        },
        then: ON,
        else: OFF,
      },
    });
    const { actions } = run(program, [
      reading('temperature', 20, T0, 'room-1'),
      reading('temperature', 21, T0 + SECOND, 'room-2'),
    ]);
    expect(actions.map((a) => a.reason)).toEqual(['room-2 temperature 21 > room-1 temperature 20']);
  });

  it('treats a value older than staleAfter as unknown and keeps the last command', () => {
    const program = makeProgram({
      staleAfter: '10m',
      tree: { condition: { metric: 'temperature', op: '>', value: 28 }, then: ON, else: OFF },
    });
    const first = run(program, [reading('temperature', 30, T0), tick(T0 + 10 * MINUTE)]);
    expect(summary(first.actions)).toEqual(['fan-1 set_state on @ +0s']);
    const stale = evaluate(program, first.state, tick(T0 + 10 * MINUTE + 1));
    expect(stale.actions).toEqual([]);
    expect(stale.trace.conditions[0]).toEqual({
      path: 'tree.condition',
      value: null,
      detail: 'temperature is stale (last reading 08:00:00)',
    });
    // Back with the same verdict: no duplicate command, the state was never released.
    expect(
      evaluate(program, stale.state, reading('temperature', 31, T0 + 11 * MINUTE)).actions,
    ).toEqual([]);
  });
});

describe('evaluator: window aggregates', () => {
  const idle = makeProgram({
    tree: {
      condition: { aggregate: 'avg', metric: 'power', window: '5m', op: '<', value: 10 },
      then: OFF,
      else: ON,
    },
  });

  it('stays unknown until a whole window has been observed, then uses (now - window, now]', () => {
    // One reading a minute: 4, 4, 4, 4, 4, 40 …
    const events = [4, 4, 4, 4, 4, 40, 4].map((v, i) => reading('power', v, T0 + i * MINUTE));
    const { actions } = run(idle, events);
    // +4m: only 4m observed → unknown. +5m: window (+0m, +5m] = 4,4,4,4,40 → avg 11.2 → on.
    // +6m: (+1m, +6m] = 4,4,4,40,4 → avg 11.2 → unchanged.
    expect(summary(actions)).toEqual(['fan-1 set_state on @ +300s']);
    expect(actions[0].reason).toBe('avg(power, 5m) 11.2 >= 10');
  });

  it('lets old readings fall out of the window on ticks', () => {
    const events = [
      ...[4, 4, 4, 4, 4, 4].map((v, i) => reading('power', v, T0 + i * MINUTE)),
      reading('power', 50, T0 + 6 * MINUTE),
      tick(T0 + 10 * MINUTE),
      tick(T0 + 11 * MINUTE),
    ];
    // +5m avg 4 → off; +6m avg (4·4+50)/5 = 13.2 → on; +10m window (+5m,+10m] = 50 → on;
    // +11m window (+6m, +11m] still holds the 50 (reading at +6m): on. Nothing new after +6m.
    expect(summary(run(idle, events).actions)).toEqual([
      'fan-1 set_state off @ +300s',
      'fan-1 set_state on @ +360s',
    ]);
    const later = run(idle, [...events, tick(T0 + 12 * MINUTE)]);
    // +12m: window empty → average unknown → no decision.
    expect(later.actions).toHaveLength(2);
    expect(later.state.series['room-1'].power.wt).toEqual([]);
  });

  it('counts readings, and a count over an empty window is zero, not unknown', () => {
    const silent = makeProgram({
      tree: {
        condition: { aggregate: 'count', metric: 'power', window: '2m', op: '==', value: 0 },
        then: { action: 'alert', severity: 'warning', message: 'no power readings' },
      },
    });
    const { actions } = run(silent, [
      reading('power', 1, T0),
      tick(T0 + 2 * MINUTE),
      tick(T0 + 3 * MINUTE),
    ]);
    expect(actions).toEqual([
      expect.objectContaining({
        kind: 'alert',
        time: T0 + 2 * MINUTE,
        reason: 'count(power, 2m) 0 == 0',
      }),
    ]);
  });

  it('computes min, max and sum', () => {
    const check = (aggregate: 'min' | 'max' | 'sum', expected: string) => {
      const program = makeProgram({
        tree: {
          condition: { aggregate, metric: 'power', window: '3m', op: '>', value: 1000 },
          then: ON,
          else: OFF,
        },
      });
      const { actions } = run(
        program,
        [3, 9, 1, 5].map((v, i) => reading('power', v, T0 + i * MINUTE)),
      );
      expect(actions[0].reason).toBe(expected);
    };
    check('min', 'min(power, 3m) 1 <= 1000');
    check('max', 'max(power, 3m) 9 <= 1000');
    check('sum', 'sum(power, 3m) 15 <= 1000');
  });

  it('stores a late reading in the window without moving time backwards', () => {
    const program = makeProgram({
      tree: {
        condition: { aggregate: 'max', metric: 'power', window: '5m', op: '>', value: 100 },
        then: ON,
        else: OFF,
      },
    });
    let { state } = run(program, [reading('power', 1, T0), reading('power', 1, T0 + 6 * MINUTE)]);
    const late = evaluate(program, state, reading('power', 500, T0 + 4 * MINUTE));
    state = late.state;
    expect(state.time).toBe(T0 + 6 * MINUTE);
    expect(state.series['room-1'].power).toMatchObject({
      t: T0 + 6 * MINUTE,
      v: 1,
      wt: [T0 + 4 * MINUTE, T0 + 6 * MINUTE],
    });
    expect(summary(late.actions)).toEqual(['fan-1 set_state on @ +360s']);
  });
});

describe('evaluator: for durations', () => {
  const program = makeProgram({
    timezone: 'Europe/Berlin',
    tree: {
      condition: { metric: 'temperature', op: '>', value: 28, for: '5m' },
      then: ON,
      else: OFF,
    },
  });

  it('turns true when the condition has held for exactly the duration, not a millisecond before', () => {
    const { state, actions } = run(program, [
      reading('temperature', 20, T0 - MINUTE),
      reading('temperature', 28.4, T0),
      tick(T0 + 5 * MINUTE - 1),
    ]);
    expect(summary(actions, T0 - MINUTE)).toEqual(['fan-1 set_state off @ +0s']);
    const at = evaluate(program, state, tick(T0 + 5 * MINUTE));
    expect(summary(at.actions)).toEqual(['fan-1 set_state on @ +300s']);
    expect(at.actions[0].reason).toBe('temperature 28.4 > 28 for 5m since 10:00:00');
  });

  it('restarts the timer when the condition is interrupted', () => {
    const { actions } = run(program, [
      reading('temperature', 29, T0),
      reading('temperature', 27, T0 + 2 * MINUTE),
      reading('temperature', 29, T0 + 3 * MINUTE),
      tick(T0 + 5 * MINUTE),
      tick(T0 + 8 * MINUTE - 1),
      tick(T0 + 8 * MINUTE),
    ]);
    expect(summary(actions)).toEqual(['fan-1 set_state off @ +0s', 'fan-1 set_state on @ +480s']);
  });

  it('explains a pending hold in the trace', () => {
    const { state } = run(program, [reading('temperature', 29, T0)]);
    const result = evaluate(program, state, tick(T0 + 2 * MINUTE + 10 * SECOND));
    expect(result.trace.conditions[0]).toEqual({
      path: 'tree.condition',
      value: false,
      detail: 'temperature 29 > 28 for only 2m10s of 5m (since 10:00:00)',
    });
  });

  it('keeps timing a condition while another branch is active', () => {
    // The inner `for` must see the temperature even while the schedule branch is not taken.
    const scheduled = makeProgram({
      tree: {
        condition: { schedule: { from: '08:05', to: '09:00' } },
        then: {
          condition: { metric: 'temperature', op: '>', value: 28, for: '5m' },
          then: ON,
          else: OFF,
        },
      },
    });
    const { actions } = run(scheduled, [reading('temperature', 29, T0), tick(T0 + 5 * MINUTE)]);
    expect(summary(actions)).toEqual(['fan-1 set_state on @ +300s']);
  });
});

describe('evaluator: hysteresis', () => {
  const thermostat = (on: '>' | '>=', off: '<' | '<=') =>
    makeProgram({
      tree: {
        condition: {
          hysteresis: {
            metric: 'temperature',
            on: { op: on, value: 28 },
            off: { op: off, value: 26 },
          },
        },
        then: ON,
        else: OFF,
      },
    });

  it('latches on past the on-threshold and off past the off-threshold, exactly at the boundaries', () => {
    const temps = [27, 28, 28.1, 26, 25.99, 27, 28];
    const events = temps.map((v, i) => reading('temperature', v, T0 + i * MINUTE));
    expect(summary(run(thermostat('>', '<'), events).actions)).toEqual([
      'fan-1 set_state off @ +0s',
      'fan-1 set_state on @ +120s',
      'fan-1 set_state off @ +240s',
    ]);
    expect(summary(run(thermostat('>=', '<='), events).actions)).toEqual([
      'fan-1 set_state off @ +0s',
      'fan-1 set_state on @ +60s',
      'fan-1 set_state off @ +180s',
      'fan-1 set_state on @ +360s',
    ]);
  });

  it('says why it is on inside the band', () => {
    const { actions, state } = run(thermostat('>', '<'), [reading('temperature', 28.5, T0)]);
    expect(actions[0].reason).toBe('temperature 28.5 > 28 (hysteresis on)');
    const inBand = evaluate(thermostat('>', '<'), state, reading('temperature', 27, T0 + MINUTE));
    expect(inBand.trace.conditions[0].detail).toBe(
      'temperature 27, hysteresis on since 08:00:00 (on > 28, off < 26)',
    );
  });

  it('latches on a window aggregate', () => {
    const program = makeProgram({
      tree: {
        condition: {
          hysteresis: {
            metric: 'power',
            aggregate: 'max',
            window: '2m',
            on: { op: '>', value: 100 },
            off: { op: '<', value: 10 },
          },
        },
        then: ON,
        else: OFF,
      },
    });
    const events = [50, 150, 50, 50, 5].map((v, i) => reading('power', v, T0 + i * MINUTE));
    // +2m max(150,50)=150 on; +3m max(50,50)=50 stays; +4m max(50,5)=50 stays on.
    expect(summary(run(program, events).actions)).toEqual(['fan-1 set_state on @ +120s']);
  });
});

describe('evaluator: and / or / not with unknowns', () => {
  const program = makeProgram({
    tree: {
      condition: {
        and: [
          { metric: 'temperature', op: '>', value: 28 },
          { not: { metric: 'humidity', op: '>', value: 80 } },
        ],
      },
      then: ON,
      else: OFF,
    },
  });

  it('is false when any part is false even if another is unknown, unknown otherwise', () => {
    expect(run(program, [reading('temperature', 30, T0)]).actions).toEqual([]);
    expect(summary(run(program, [reading('temperature', 20, T0)]).actions)).toEqual([
      'fan-1 set_state off @ +0s',
    ]);
    const both = run(program, [
      reading('temperature', 30, T0),
      reading('humidity', 50, T0 + SECOND),
    ]);
    expect(both.actions.map((a) => a.reason)).toEqual([
      'temperature 30 > 28 and humidity 50 <= 80',
    ]);
  });

  it('names only the parts that decided an or', () => {
    const either = makeProgram({
      tree: {
        condition: {
          or: [
            { metric: 'a', op: '>', value: 1 },
            { metric: 'b', op: '>', value: 1 },
          ],
        },
        then: ON,
        else: OFF,
      },
    });
    expect(run(either, [reading('b', 5, T0)]).actions[0].reason).toBe('b 5 > 1');
    const none = run(either, [reading('a', 0, T0), reading('b', 0, T0)]);
    expect(none.actions[0].reason).toBe('a 0 <= 1 and b 0 <= 1');
  });

  it('resolves named conditions and sub-trees', () => {
    const named = makeProgram({
      definitions: { hot: { metric: 'temperature', op: '>', value: 28 }, fanOn: ON },
      tree: { condition: { ref: 'hot' }, then: { ref: 'fanOn' }, else: OFF },
    });
    const { actions } = run(named, [reading('temperature', 29, T0)]);
    expect(actions[0]).toMatchObject({
      path: 'definitions.fanOn',
      reason: 'hot: temperature 29 > 28',
    });
  });
});

describe('evaluator: leaves', () => {
  it('sets levels and re-issues only when the level changes', () => {
    const program = makeProgram({
      actuators: ['dimmer'],
      tree: {
        condition: { metric: 'lux', op: '<', value: 100 },
        then: { action: 'set_level', level: 80 },
        else: { action: 'set_level', level: 0 },
      },
    });
    const events = [50, 60, 200, 300, 10].map((v, i) => reading('lux', v, T0 + i * MINUTE));
    expect(summary(run(program, events).actions)).toEqual([
      'dimmer set_level 80 @ +0s',
      'dimmer set_level 0 @ +120s',
      'dimmer set_level 80 @ +240s',
    ]);
  });

  it('fires a pulse once per activation, and again after the condition lapsed', () => {
    const program = makeProgram({
      actuators: ['valve'],
      tree: {
        condition: { metric: 'moisture', op: '<', value: 30 },
        then: { action: 'pulse', duration: '30s' },
      },
    });
    const events = [20, 25, 40, 20].map((v, i) => reading('moisture', v, T0 + i * MINUTE));
    const { actions } = run(program, events);
    expect(summary(actions)).toEqual([
      'valve pulse on 30000 @ +0s',
      'valve pulse on 30000 @ +180s',
    ]);
    expect(actions.map((a) => a.kind === 'command' && a.idempotencyKey)).toEqual([
      'p1:v1:valve:1',
      'p1:v1:valve:2',
    ]);
  });

  it('raises an alert once per activation and issues commands of a do list together', () => {
    const program = makeProgram({
      tree: {
        condition: { metric: 'current', op: '>', value: 16 },
        then: {
          do: [
            { action: 'set_state', state: 'off' },
            { action: 'alert', severity: 'critical', message: 'overcurrent' },
          ],
        },
      },
    });
    const events = [20, 21, 5, 30].map((v, i) => reading('current', v, T0 + i * MINUTE));
    const { actions } = run(program, events);
    expect(summary(actions)).toEqual([
      'fan-1 set_state off @ +0s',
      'alert critical @ +0s',
      'fan-1 set_state off @ +180s',
      'alert critical @ +180s',
    ]);
    expect(actions[1]).toMatchObject({
      kind: 'alert',
      message: 'overcurrent',
      reason: 'current 20 > 16',
    });
  });

  it('re-issues after a branch without else released the actuator, but not after an unknown', () => {
    const program = makeProgram({
      staleAfter: '5m',
      tree: { condition: { metric: 'temperature', op: '>', value: 28 }, then: ON },
    });
    const events = [
      reading('temperature', 30, T0),
      tick(T0 + 6 * MINUTE), // stale: unknown, nothing released
      reading('temperature', 30, T0 + 7 * MINUTE),
      reading('temperature', 20, T0 + 8 * MINUTE), // released: someone else may switch it now
      reading('temperature', 30, T0 + 9 * MINUTE),
    ];
    expect(summary(run(program, events).actions)).toEqual([
      'fan-1 set_state on @ +0s',
      'fan-1 set_state on @ +540s',
    ]);
  });

  it('lets the first leaf in tree order win when two leaves decide one actuator', () => {
    const program = makeProgram({ tree: { do: [ON, OFF] } });
    const result = evaluate(program, initialState(program), tick(T0));
    expect(summary(result.actions)).toEqual(['fan-1 set_state on @ +0s']);
    expect(result.desired).toEqual({ 'fan-1': { command: 'set_state', params: { state: 'on' } } });
    expect(result.trace.decisions).toEqual([
      { path: 'tree.do[0]', target: 'fan-1', outcome: 'issued' },
      { path: 'tree.do[1]', target: 'fan-1', outcome: 'shadowed' },
    ]);
  });

  it('reports the standing decision even when nothing is issued', () => {
    const program = makeProgram({
      tree: { condition: { metric: 't', op: '>', value: 1 }, then: ON, else: OFF },
    });
    const { state } = run(program, [reading('t', 5, T0)]);
    const again = evaluate(program, state, reading('t', 6, T0 + SECOND));
    expect(again.actions).toEqual([]);
    expect(again.desired).toEqual({ 'fan-1': { command: 'set_state', params: { state: 'on' } } });
  });
});

describe('evaluator: inputs and state', () => {
  const program = makeProgram({
    tree: { condition: { metric: 'temperature', op: '>', value: 28 }, then: ON, else: OFF },
  });

  it('ignores readings of other tenants and devices without touching the state', () => {
    const state = initialState(program);
    const other = evaluate(program, state, { ...reading('temperature', 30, T0), device: 'room-2' });
    expect(other.state).toBe(state);
    expect(other.actions).toEqual([]);
    expect(other.trace.ignored).toBe("reading of acme/room-2 is outside the program's scope");
    expect(
      evaluate(program, state, { ...reading('temperature', 30, T0), tenant: 'other' }).state,
    ).toBe(state);
  });

  it('never mutates the state it is given', () => {
    const { state } = run(program, [reading('temperature', 20, T0)]);
    deepFreeze(state);
    expect(() =>
      run(program, [reading('temperature', 30, T0 + MINUTE), tick(T0 + 2 * MINUTE)], state),
    ).not.toThrow();
  });

  it('refuses readings and times that are not finite numbers', () => {
    const state = initialState(program);
    expect(() => evaluate(program, state, reading('temperature', NaN, T0))).toThrow(
      ProgramInputError,
    );
    expect(() => evaluate(program, state, tick(Infinity))).toThrow('time must be a finite number');
  });

  it('refuses the state of another program', () => {
    const state: ProgramState = initialState({ id: 'other', version: 1 });
    expect(() => evaluate(program, state, tick(T0))).toThrow(ProgramStateError);
  });

  it('keeps data and issued commands across a new version but resets timers and latches', () => {
    const timed = makeProgram({
      tree: {
        condition: { metric: 'temperature', op: '>', value: 28, for: '5m' },
        then: ON,
        else: OFF,
      },
    });
    const { state } = run(timed, [
      reading('temperature', 20, T0),
      reading('temperature', 30, T0 + MINUTE),
    ]);
    expect(state.holds).toEqual({ 'tree.condition': T0 + MINUTE });
    const v2 = makeProgram({
      version: 2,
      tree: {
        condition: { metric: 'temperature', op: '>', value: 28, for: '5m' },
        then: ON,
        else: OFF,
      },
    });
    const next = evaluate(v2, state, tick(T0 + 6 * MINUTE));
    expect(next.actions).toEqual([]); // the hold restarted at +6m under v2
    expect(next.state.program).toEqual({ id: 'p1', version: 2 });
    expect(next.state.issued['fan-1']).toMatchObject({ params: { state: 'off' }, seq: 1 });
    const on = evaluate(v2, next.state, tick(T0 + 11 * MINUTE));
    expect(on.actions[0]).toMatchObject({ idempotencyKey: 'p1:v2:fan-1:2' });
  });
});
