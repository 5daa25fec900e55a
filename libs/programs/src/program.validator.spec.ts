import { ProgramValidationError, type ProgramIssue } from './program.errors';
import type { ProgramDefinition } from './program.schema';
import { parseProgram, validateProgram, type ValidationContext } from './program.validator';

const base = {
  id: 'p1',
  version: 1,
  name: 'test',
  owner: 'ops',
  tenant: 'acme',
  devices: ['room-1'],
  actuators: ['fan-1'],
};
const ON = { action: 'set_state', state: 'on' };
const OFF = { action: 'set_state', state: 'off' };
const HOT = { metric: 'temperature', op: '>', value: 28 };

function issuesOf(
  program: Record<string, unknown>,
  context: ValidationContext = {},
): ProgramIssue[] {
  const result = validateProgram({ ...base, ...program }, context);
  return result.ok ? [] : [...result.issues];
}

function messages(program: Record<string, unknown>, context: ValidationContext = {}): string[] {
  return issuesOf(program, context).map((issue) => `${issue.path}: ${issue.message}`);
}

describe('program validation', () => {
  it('accepts a valid program and applies defaults', () => {
    const result = validateProgram({ ...base, tree: { condition: HOT, then: ON, else: OFF } });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.program.priority).toBe(0);
    expect(result.program.enabled).toBe(false);
    expect(result.program.timezone).toBe('UTC');
  });

  it('points an unknown metric at its node path with a did-you-mean', () => {
    const tree = {
      condition: HOT,
      then: {
        condition: { schedule: { from: '08:00', to: '18:00' } },
        then: ON,
        else: { condition: { metric: 'temprature', op: '>', value: 30 }, then: ON, else: OFF },
      },
      else: OFF,
    };
    expect(messages({ tree }, { metrics: ['temperature', 'humidity'] })).toEqual([
      'tree.then.else.condition.metric: unknown metric "temprature" — did you mean "temperature"?',
    ]);
  });

  it('lists the known metrics when nothing is close', () => {
    expect(
      messages(
        { tree: { condition: { ...HOT, metric: 'co2' }, then: ON } },
        { metrics: ['temperature'] },
      ),
    ).toEqual(['tree.condition.metric: unknown metric "co2" (known: temperature)']);
  });

  it('checks metrics per device when the context is keyed by device', () => {
    const context = { metrics: { 'room-1': ['temperature'], 'room-2': ['humidity'] } };
    const program = {
      devices: ['room-1', 'room-2'],
      tree: {
        condition: {
          and: [
            { ...HOT, device: 'room-1' },
            { metric: 'temperature', device: 'room-2', op: '<', value: 1 },
          ],
        },
        then: ON,
      },
    };
    expect(messages(program, context)).toEqual([
      'tree.condition.and[1].metric: unknown metric "temperature" (known: humidity)',
    ]);
  });

  it('reports a bad operator, with the intended one when it is a common misspelling', () => {
    expect(messages({ tree: { condition: { ...HOT, op: '=>' }, then: ON } })).toEqual([
      'tree.condition.op: bad operator "=>" — did you mean ">="? (expected one of >, >=, <, <=, ==, !=)',
    ]);
    expect(issuesOf({ tree: { condition: { ...HOT, op: 'above' }, then: ON } })[0]).toMatchObject({
      path: 'tree.condition.op',
      code: 'bad_operator',
    });
  });

  it('requires ordering operators in hysteresis thresholds', () => {
    const tree = {
      condition: {
        hysteresis: {
          metric: 'temperature',
          on: { op: '==', value: 28 },
          off: { op: '<', value: 26 },
        },
      },
      then: ON,
    };
    expect(messages({ tree })).toEqual([
      'tree.condition.hysteresis.on.op: bad operator "==": a hysteresis threshold needs an ordering operator (>, >=, <, <=)',
    ]);
  });

  it('reports durations that do not parse', () => {
    const tree = {
      condition: {
        and: [
          { ...HOT, for: '5 min' },
          { aggregate: 'avg', metric: 'power', window: '0s', op: '<', value: 1 },
        ],
      },
      then: { action: 'pulse', duration: '1h30', state: 'on' },
    };
    expect(issuesOf({ tree }).map((i) => [i.path, i.code])).toEqual([
      ['tree.condition.and[0].for', 'bad_duration'],
      ['tree.condition.and[1].window', 'bad_duration'],
      ['tree.then.duration', 'bad_duration'],
    ]);
    expect(messages({ tree: { condition: { ...HOT, for: '5m1h' }, then: ON } })[0]).toContain(
      'largest unit first',
    );
  });

  it('reports schedules with bad times, empty ranges and unknown time zones', () => {
    const schedule = (spec: Record<string, unknown>) => ({
      tree: { condition: { schedule: spec }, then: ON },
    });
    expect(messages(schedule({ from: '25:00', to: '06:00' }))).toEqual([
      'tree.condition.schedule.from: time of day "25:00" is not HH:MM or HH:MM:SS between 00:00 and 24:00',
    ]);
    expect(messages(schedule({ from: '08:00', to: '08:00' }))).toEqual([
      'tree.condition.schedule.to: "from" and "to" are both "08:00", an empty range; for a whole day use "00:00" to "24:00"',
    ]);
    expect(messages(schedule({ from: '08:00', to: '09:00', timezone: 'Europe/Berln' }))).toEqual([
      'tree.condition.schedule.timezone: unknown time zone "Europe/Berln" — did you mean "Europe/Berlin"?',
    ]);
    expect(messages(schedule({ from: '08:00', to: '09:00', days: ['monday'] }))[0]).toBe(
      'tree.condition.schedule.days[0]: "monday" is not allowed here (expected "mon", "tue", "wed", "thu", "fri", "sat", "sun")',
    );
    expect(messages({ timezone: 'Mars/Olympus', tree: ON })[0]).toMatch(
      /^timezone: unknown time zone/,
    );
  });

  it('reports cron expressions that do not parse and holds that can never be met', () => {
    expect(issuesOf({ tree: { condition: { cron: '61 * * * *' }, then: ON } })).toEqual([
      expect.objectContaining({ path: 'tree.condition.cron', code: 'bad_cron' }),
    ]);
    expect(messages({ tree: { condition: { cron: '0 7 * * *', for: '5m' }, then: ON } })).toEqual([
      `tree.condition.for: "for" (5m) is longer than the trigger's hold (1m): it could never be true`,
    ]);
  });

  it('detects reference cycles, unknown references and references of the wrong kind', () => {
    const program = {
      definitions: {
        loop: { condition: { ref: 'hot' }, then: { ref: 'loop' } },
        a: { ref: 'b' },
        b: { ref: 'a' },
        hot: HOT,
        fanOn: ON,
      },
      tree: {
        condition: { ref: 'hott' },
        then: { ref: 'hot' },
        else: { condition: { ref: 'fanOn' }, then: { ref: 'fanOn' } },
      },
    };
    expect(messages(program)).toEqual([
      'tree.condition.ref: unknown definition "hott" — did you mean "hot"?',
      'tree.then.ref: missing leaf: "hot" is a condition, but an action node is needed here (a branch must end in an action)',
      'tree.else.condition.ref: "fanOn" is a sub-tree of actions, but a condition is needed here',
      'definitions.loop: reference cycle loop → loop: a definition cannot contain itself',
      'definitions.a: reference cycle a → b → a: a definition cannot contain itself',
    ]);
  });

  it('accepts references used correctly and resolves them', () => {
    const program = parseProgram({
      ...base,
      definitions: { hot: HOT, veryHot: { ref: 'hot', for: '1m' }, fanOn: ON },
      tree: {
        condition: { or: [{ ref: 'hot' }, { ref: 'veryHot' }] },
        then: { ref: 'fanOn' },
        else: OFF,
      },
    });
    expect(program.definitions?.fanOn).toEqual(ON);
  });

  it('reports branches that cannot yield an action', () => {
    expect(issuesOf({ tree: { condition: HOT } }).map((i) => [i.path, i.code])).toEqual([
      ['tree.then', 'missing_leaf'],
    ]);
    expect(
      issuesOf({ tree: { condition: HOT, then: { do: [] } } }).map((i) => [i.path, i.code]),
    ).toEqual([['tree.then.do', 'missing_leaf']]);
    expect(messages({ tree: { condition: HOT, then: HOT } })).toEqual([
      'tree.then: a condition cannot stand here, nothing would be done when it holds: wrap it as {"condition": …, "then": <action>}',
    ]);
  });

  it('reports wrong types at their exact field', () => {
    expect(
      messages({
        version: '1',
        enabled: 'yes',
        tree: { condition: { ...HOT, value: '28' }, then: ON },
      }),
    ).toEqual([
      'version: expected a number, got string "1"',
      'enabled: expected true or false, got string "yes"',
      'tree.condition.value: expected a number, got string "28"',
    ]);
    expect(messages({ tree: { condition: { and: HOT }, then: ON } })).toEqual([
      'tree.condition.and: expected an array of conditions, got an object',
    ]);
    expect(messages({ tree: { condition: ON, then: ON } })).toEqual([
      'tree.condition: expected a condition, found an action or branch node',
    ]);
    expect(messages({ tree: 'on' })).toEqual([
      'tree: expected a node (an action {"action": …}, a branch {"condition": …, "then": …, "else": …}, {"do": [...]} or {"ref": name}), got string "on"',
    ]);
  });

  it('suggests the intended key for misspelt fields and nodes', () => {
    expect(messages({ tree: { condition: HOT, then: ON, esle: OFF } })).toEqual([
      'tree.esle: unknown field "esle" — did you mean "else"?',
    ]);
    expect(messages({ tree: { conditon: HOT, then: ON } })[0]).toBe(
      'tree: unrecognised node with keys "conditon", "then" — did you mean "condition"?; expected an action {"action": …}, a branch {"condition": …, "then": …, "else": …}, {"do": [...]} or {"ref": name}',
    );
    expect(messages({ tree: { action: 'set_sate', state: 'on' } })).toEqual([
      'tree.action: unknown action "set_sate" — did you mean "set_state"? (expected set_state, set_level, pulse, alert)',
    ]);
  });

  it('reports nodes that mix two constructs', () => {
    expect(issuesOf({ tree: { condition: HOT, then: ON, action: 'set_state' } })[0]).toMatchObject({
      path: 'tree',
      code: 'ambiguous_node',
    });
    expect(issuesOf({ tree: { condition: { and: [HOT], or: [HOT] }, then: ON } })[0]).toMatchObject(
      {
        path: 'tree.condition',
        code: 'ambiguous_node',
      },
    );
  });

  it('requires a device on conditions and an actuator on commands when there are several', () => {
    const program = {
      devices: ['room-1', 'room-2'],
      actuators: ['fan-1', 'fan-2'],
      tree: {
        condition: HOT,
        then: ON,
        else: { action: 'set_level', actuator: 'fan-3', level: 10 },
      },
    };
    expect(messages(program)).toEqual([
      'tree.condition.device: "device" is required: the program reads several devices (room-1, room-2)',
      'tree.then.actuator: "actuator" is required: the program drives several actuators (fan-1, fan-2)',
      'tree.else.actuator: actuator "fan-3" is not one of the program\'s actuators (fan-1, fan-2) — did you mean "fan-1"?',
    ]);
  });

  it('checks devices and actuators against what the tenant has', () => {
    expect(
      messages({ devices: ['room-9'], tree: ON }, { devices: ['room-1'], actuators: ['fan-2'] }),
    ).toEqual([
      'devices[0]: unknown device "room-9" — did you mean "room-1"?',
      'actuators[0]: unknown actuator "fan-1" — did you mean "fan-2"?',
    ]);
  });

  it('reports hysteresis thresholds that overlap', () => {
    const tree = {
      condition: {
        hysteresis: {
          metric: 'temperature',
          on: { op: '>', value: 28 },
          off: { op: '<', value: 30 },
        },
      },
      then: ON,
    };
    expect(messages({ tree })).toEqual([
      'tree.condition.hysteresis.off: "on" (> 28) and "off" (< 30) overlap: a value of 29 satisfies both; the off-threshold must lie on the other side of the on-threshold',
    ]);
    const touching = {
      condition: {
        hysteresis: {
          metric: 'temperature',
          on: { op: '>=', value: 28 },
          off: { op: '<=', value: 28 },
        },
      },
      then: ON,
    };
    expect(issuesOf({ tree: touching })[0]?.message).toContain('a value of 28 satisfies both');
    const heater = {
      condition: {
        hysteresis: {
          metric: 'temperature',
          on: { op: '<', value: 19 },
          off: { op: '>=', value: 21 },
        },
      },
      then: ON,
    };
    expect(issuesOf({ tree: heater })).toEqual([]);
  });

  it('returns every issue of a badly broken program, not just the first', () => {
    const issues = issuesOf({
      tenant: 'Acme Corp',
      devices: [],
      tree: {
        condition: {
          and: [{ ...HOT, op: '=' }, { cron: 'nope' }, { schedule: { from: '8', to: '9' } }],
        },
        then: { do: [{ action: 'pulse', duration: 'soon' }, { action: 'alert' }] },
        else: { ref: 'missing' },
      },
    });
    expect(issues.map((i) => `${i.path} ${i.code}`)).toEqual([
      'tenant invalid_value',
      'devices invalid_value',
      'tree.condition.and[0].op bad_operator',
      'tree.condition.and[1].cron bad_cron',
      'tree.condition.and[2].schedule.from bad_time',
      'tree.condition.and[2].schedule.to bad_time',
      'tree.then.do[0].duration bad_duration',
      'tree.then.do[1].message missing_field',
      'tree.else.ref unknown_ref',
    ]);
  });

  it('rejects something that is not a program at all', () => {
    expect(validateProgram(null)).toEqual({
      ok: false,
      issues: [
        { path: '', code: 'invalid_type', message: 'a program must be a JSON object, got null' },
      ],
    });
  });

  it('throws every issue from parseProgram, one per line', () => {
    const broken: ProgramDefinition = {
      ...base,
      tree: {
        condition: { metric: 'x', op: '>', value: 1, for: 'later' },
        then: { action: 'set_level', level: 5 },
      },
    };
    expect(() => parseProgram(broken, { metrics: ['temperature'] })).toThrow(
      ProgramValidationError,
    );
    try {
      parseProgram(broken, { metrics: ['temperature'] });
    } catch (error: unknown) {
      expect((error as ProgramValidationError).message).toBe(
        [
          'program is invalid (2 issues):',
          '  tree.condition.for: duration "later" does not parse: write a number and a unit (ms, s, m, h, d), largest unit first, e.g. "30s", "5m", "1h30m"',
          '  tree.condition.metric: unknown metric "x" (known: temperature)',
        ].join('\n'),
      );
    }
  });
});
