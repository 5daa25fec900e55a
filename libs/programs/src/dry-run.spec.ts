import { dryRun, type StoredReading } from './dry-run';
import { DryRunInputError } from './program.errors';
import { evaluate, type ProgramAction, type ProgramEvent } from './program.evaluator';
import { MINUTE, SECOND, seededRandom, T0 } from './program.fixtures';
import { initialState, type ProgramState } from './program-state';
import { parseProgram } from './program.validator';
import { idleShutdownTemplate, thermostatTemplate } from './program.templates';

const target = { id: 'thermo', tenant: 'acme', owner: 'ops', device: 'room-1', actuator: 'fan-1' };

function series(
  metric: string,
  values: readonly number[],
  start = T0,
  stepMs = MINUTE,
): StoredReading[] {
  return values.map((value, i) => ({
    tenant: 'acme',
    device: 'room-1',
    metric,
    time: start + i * stepMs,
    value,
  }));
}

describe('dry run', () => {
  const thermostat = parseProgram(
    thermostatTemplate({
      ...target,
      mode: 'cool',
      low: 26,
      high: 28,
      onDelay: '5m',
      timezone: 'Europe/Berlin',
    }),
  );

  it('returns exactly the hand-computed commands for a hand-built series, with reasons', () => {
    // minute:  0   1   2     3   4     5     6     7     8   9   10    11  12    13    14  15  16
    const temps = [
      27, 28, 28.5, 29, 28.2, 27.5, 27.9, 28.3, 27, 26, 25.9, 27, 28.1, 28.4, 25, 27, 29,
    ];
    const steps = dryRun(thermostat, series('temperature', temps), {
      from: T0,
      to: T0 + 25 * MINUTE,
      tickMs: MINUTE,
    });
    // +0  27: latch starts off                                → off
    // +2  28.5 > 28: latch on, the 5m hold starts              (still off)
    // +7  held since +2 for 5m (27.5 and 27.9 stay in band)    → on
    // +9  26 is not < 26; +10 25.9 < 26: latch off             → off
    // +12 latch on again, but +14 25 < 26 releases it before 5m
    // +16 29: latch on; no more readings, ticks reach +21      → on
    expect(
      steps.map((s) => [
        (s.time - T0) / MINUTE,
        s.action.kind === 'command' && s.action.params.state,
        s.reason,
      ]),
    ).toEqual([
      [0, 'off', 'temperature 27, hysteresis off since 10:00:00 (on > 28, off < 26)'],
      [7, 'on', 'temperature 28.3, hysteresis on (on > 28, off < 26) for 5m since 10:02:00'],
      [10, 'off', 'temperature 25.9 < 26 (hysteresis off)'],
      [21, 'on', 'temperature 29, hysteresis on (on > 28, off < 26) for 5m since 10:16:00'],
    ]);
    expect(steps.map((s) => s.action.kind === 'command' && s.action.idempotencyKey)).toEqual([
      'thermo:v1:fan-1:1',
      'thermo:v1:fan-1:2',
      'thermo:v1:fan-1:3',
      'thermo:v1:fan-1:4',
    ]);
  });

  it('uses readings before `from` to warm up windows without reporting their actions', () => {
    const idle = parseProgram(
      idleShutdownTemplate({ ...target, id: 'idle', below: 10, window: '10m' }),
    );
    // Idle since 20 minutes before `from`: the shutdown happened during warm-up (at -10m).
    const quiet = series('power', new Array(31).fill(2), T0 - 20 * MINUTE);
    expect(dryRun(idle, quiet, { from: T0, to: T0 + 10 * MINUTE, tickMs: MINUTE })).toEqual([]);
    // Busy until +5m, then idle: with warm-up the average is known from `from` on, and the
    // shutdown comes exactly when the last busy reading leaves the 10m window (+5m + 10m).
    const busyThenIdle = [
      ...series('power', new Array(25).fill(100), T0 - 20 * MINUTE),
      ...series('power', new Array(20).fill(2), T0 + 5 * MINUTE),
    ];
    const steps = dryRun(idle, busyThenIdle, { from: T0, to: T0 + 30 * MINUTE, tickMs: MINUTE });
    expect(steps.map((s) => [(s.time - T0) / MINUTE, s.action.kind])).toEqual([
      [14, 'command'],
      [14, 'alert'],
    ]);
    expect(steps[0].reason).toBe('avg(power, 10m) 2 < 10');
  });

  it('refuses unsorted readings and empty ranges', () => {
    const readings = series('temperature', [20, 21, 22]);
    const swapped = [readings[0], readings[2], readings[1]];
    expect(() =>
      dryRun(thermostat, swapped, { from: T0, to: T0 + 5 * MINUTE, tickMs: MINUTE }),
    ).toThrow(
      new DryRunInputError(
        'readings[2]',
        `not sorted by time (${T0 + MINUTE} after ${T0 + 2 * MINUTE})`,
      ),
    );
    expect(() => dryRun(thermostat, [], { from: T0, to: T0 - 1, tickMs: MINUTE })).toThrow(
      DryRunInputError,
    );
    expect(() => dryRun(thermostat, [], { from: T0, to: T0, tickMs: 0 })).toThrow(DryRunInputError);
  });
});

describe('restart safety', () => {
  // Every kind of state at once: a hysteresis latch with a pending hold, a window, pulse and alert edges.
  const program = parseProgram({
    id: 'greenhouse',
    version: 3,
    name: 'greenhouse',
    owner: 'ops',
    tenant: 'acme',
    devices: ['room-1'],
    actuators: ['fan-1', 'valve'],
    tree: {
      do: [
        {
          condition: {
            hysteresis: {
              metric: 'temperature',
              on: { op: '>', value: 28 },
              off: { op: '<', value: 26 },
            },
            for: '2m',
          },
          then: { action: 'set_state', actuator: 'fan-1', state: 'on' },
          else: { action: 'set_state', actuator: 'fan-1', state: 'off' },
        },
        {
          condition: {
            and: [
              { aggregate: 'avg', metric: 'humidity', window: '5m', op: '<', value: 40 },
              { cron: '*/15 * * * *', hold: '5m' },
            ],
          },
          then: {
            do: [
              { action: 'pulse', actuator: 'valve', duration: '20s' },
              { action: 'alert', severity: 'info', message: 'watering' },
            ],
          },
        },
      ],
    },
  });

  function events(seed: number, count: number): ProgramEvent[] {
    const random = seededRandom(seed);
    const out: ProgramEvent[] = [];
    let time = T0;
    let temperature = 27;
    let humidity = 45;
    for (let i = 0; i < count; i++) {
      time += Math.floor(5 * SECOND + random() * 40 * SECOND);
      const r = random();
      if (r < 0.45) {
        temperature += (random() - 0.5) * 1.2;
        out.push({
          type: 'reading',
          tenant: 'acme',
          device: 'room-1',
          metric: 'temperature',
          time,
          value: temperature,
        });
      } else if (r < 0.9) {
        humidity = Math.min(90, Math.max(10, humidity + (random() - 0.5) * 6));
        out.push({
          type: 'reading',
          tenant: 'acme',
          device: 'room-1',
          metric: 'humidity',
          time,
          value: humidity,
        });
      } else {
        out.push({ type: 'tick', time });
      }
    }
    return out;
  }

  function replay(all: readonly ProgramEvent[], store: (state: ProgramState) => ProgramState) {
    let state = initialState(program);
    const actions: ProgramAction[] = [];
    for (const event of all) {
      const result = evaluate(program, state, event, { trace: false });
      actions.push(...result.actions);
      state = store(result.state);
    }
    return { actions, state };
  }

  it('gives identical actions and state when the state goes through JSON after every input', () => {
    const all = events(7, 3000);
    const straight = replay(all, (state) => state);
    const viaRedis = replay(all, (state) => JSON.parse(JSON.stringify(state)) as ProgramState);
    expect(straight.actions.length).toBeGreaterThan(10);
    expect(
      new Set(straight.actions.map((a) => (a.kind === 'command' ? a.command : a.kind))),
    ).toEqual(new Set(['set_state', 'pulse', 'alert']));
    expect(viaRedis.actions).toEqual(straight.actions);
    expect(viaRedis.state).toEqual(straight.state);
  });

  it('continues a stream on "another replica" from the stored state exactly as if never stopped', () => {
    const all = events(11, 2000);
    const straight = replay(all, (state) => state);
    for (const cut of [1, 137, 800, 1999]) {
      const first = replay(all.slice(0, cut), (state) => state);
      let state = JSON.parse(JSON.stringify(first.state)) as ProgramState;
      const actions = [...first.actions];
      for (const event of all.slice(cut)) {
        const result = evaluate(program, state, event, { trace: false });
        actions.push(...result.actions);
        state = result.state;
      }
      expect(actions).toEqual(straight.actions);
    }
  });

  it('re-issues the same command with the same idempotency key after a crash before the state was saved', () => {
    let state = initialState(program);
    let checked = 0;
    let checkedTicks = 0;
    for (const event of events(5, 3000)) {
      const result = evaluate(program, state, event, { trace: false });
      const commands = result.actions.filter((a) => a.kind === 'command');
      if (commands.length > 0) {
        // The controller published, then died before storing result.state: the stored state is
        // the one before this input, and the input comes again (Kafka redelivery or a new tick).
        const stored = JSON.parse(JSON.stringify(state)) as ProgramState;
        expect(evaluate(program, stored, event, { trace: false }).actions).toEqual(result.actions);
        checked++;
        if (event.type === 'tick') {
          const laterTick = evaluate(
            program,
            stored,
            { type: 'tick', time: event.time + 700 },
            { trace: false },
          );
          expect(laterTick.actions.map((a) => a.idempotencyKey)).toEqual(
            result.actions.map((a) => a.idempotencyKey),
          );
          checkedTicks++;
        }
      }
      state = result.state;
    }
    expect(checked).toBeGreaterThan(5);
    expect(checkedTicks).toBeGreaterThan(0);
  });
});

describe('thermostat property: never two identical consecutive commands', () => {
  for (const onDelay of [undefined, '3m']) {
    it(`holds over random series (fixed seeds, onDelay ${onDelay ?? 'none'})`, () => {
      const program = parseProgram(
        thermostatTemplate({ ...target, mode: 'cool', low: 26, high: 28, onDelay }),
      );
      for (const seed of [1, 2, 3, 42, 1234]) {
        const random = seededRandom(seed);
        let state = initialState(program);
        let time = T0;
        let temperature = 20 + random() * 14;
        const issued: string[] = [];
        for (let i = 0; i < 3000; i++) {
          time += Math.floor(1 + random() * 90 * SECOND);
          const event: ProgramEvent =
            random() < 0.8
              ? {
                  type: 'reading',
                  tenant: 'acme',
                  device: 'room-1',
                  metric: 'temperature',
                  time,
                  // Mean-reverting around the band, so it is crossed often.
                  value: (temperature += (27 - temperature) * 0.05 + (random() - 0.5) * 1.5),
                }
              : { type: 'tick', time };
          const result = evaluate(program, state, event, { trace: false });
          state = JSON.parse(JSON.stringify(result.state)) as ProgramState;
          for (const action of result.actions) {
            if (action.kind === 'command') issued.push(String(action.params.state));
          }
        }
        expect(issued.length).toBeGreaterThan(5);
        issued.forEach((command, i) => {
          if (i > 0) expect(`${seed}#${i}: ${command}`).not.toBe(`${seed}#${i}: ${issued[i - 1]}`);
        });
      }
    });
  }
});
