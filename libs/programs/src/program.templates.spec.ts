import Ajv2020 from 'ajv/dist/2020';
import { readFileSync } from 'node:fs';
import { dryRun } from './dry-run';
import {
  PROGRAM_SCHEMA_FILE,
  programJsonSchema,
  renderProgramSchemaFile,
} from './program-json-schema';
import { MINUTE, T0 } from './program.fixtures';
import {
  idleShutdownTemplate,
  scheduleTemplate,
  thermostatTemplate,
  thresholdCutoffTemplate,
} from './program.templates';
import { parseProgram } from './program.validator';
import { needsTicks } from './program.compiler';

const target = { id: 'tpl', tenant: 'acme', owner: 'ops', device: 'dev-1', actuator: 'act-1' };
const templates = {
  thermostat: thermostatTemplate({ ...target, mode: 'heat', low: 19, high: 21 }),
  schedule: scheduleTemplate({
    ...target,
    days: ['mon', 'fri'],
    from: '22:00',
    to: '06:00',
    timezone: 'Europe/Berlin',
  }),
  cutoff: thresholdCutoffTemplate({ ...target, metric: 'current', limit: 16, for: '10s' }),
  idle: idleShutdownTemplate({ ...target, below: 10, window: '15m' }),
};

function readings(metric: string, values: readonly number[]) {
  return values.map((value, i) => ({
    tenant: 'acme',
    device: 'dev-1',
    metric,
    time: T0 + i * MINUTE,
    value,
  }));
}

describe('templates', () => {
  it.each(Object.entries(templates))('%s is a valid program', (_name, definition) => {
    expect(() =>
      parseProgram(definition, { metrics: ['temperature', 'current', 'power'] }),
    ).not.toThrow();
  });

  it('heating thermostat switches on below low and off above high', () => {
    const steps = dryRun(
      parseProgram(templates.thermostat),
      readings('temperature', [20, 18.9, 20, 21.1, 20]),
      {
        from: T0,
        to: T0 + 5 * MINUTE,
        tickMs: MINUTE,
      },
    );
    expect(
      steps.map((s) => [
        (s.time - T0) / MINUTE,
        s.action.kind === 'command' && s.action.params.state,
      ]),
    ).toEqual([
      [0, 'off'],
      [1, 'on'],
      [3, 'off'],
    ]);
  });

  it('threshold cut-off cuts and alerts once, and never switches back on', () => {
    const program = parseProgram(templates.cutoff);
    const steps = dryRun(program, readings('current', [10, 17, 17, 5, 5]), {
      from: T0,
      to: T0 + 5 * MINUTE,
      tickMs: 5_000,
    });
    expect(steps.map((s) => [(s.time - T0) / 1000, s.action.kind])).toEqual([
      [70, 'command'],
      [70, 'alert'],
    ]);
    expect(steps[1].action).toMatchObject({
      severity: 'critical',
      message: 'act-1 cut off: current above 16',
    });
  });
});

describe('published JSON Schema', () => {
  it('is up to date with the zod schemas (regenerate: node -r @swc-node/register libs/programs/src/program-json-schema.ts)', () => {
    // Compared as data, so formatting the file does not make it stale.
    expect(JSON.parse(readFileSync(PROGRAM_SCHEMA_FILE, 'utf8'))).toEqual(
      JSON.parse(renderProgramSchemaFile()),
    );
  });

  it('accepts the templates and rejects what the validator rejects structurally', () => {
    const validate = new Ajv2020({ strict: false }).compile(programJsonSchema());
    for (const definition of Object.values(templates)) expect(validate(definition)).toBe(true);
    expect(
      validate({
        ...templates.thermostat,
        tree: {
          condition: { metric: 't', op: '=>', value: 1 },
          then: { action: 'set_state', state: 'on' },
        },
      }),
    ).toBe(false);
    expect(
      validate({
        ...templates.thermostat,
        tree: {
          condition: { metric: 't', op: '>', value: 1, for: '5 min' },
          then: { action: 'set_state', state: 'on' },
        },
      }),
    ).toBe(false);
    expect(validate({ ...templates.thermostat, extra: true })).toBe(false);
  });
});

describe('needsTicks', () => {
  it('is true only for programs whose verdict can change without a reading', () => {
    expect(needsTicks(parseProgram(templates.thermostat))).toBe(false);
    expect(needsTicks(parseProgram(templates.schedule))).toBe(true);
    expect(needsTicks(parseProgram(templates.cutoff))).toBe(true);
    expect(needsTicks(parseProgram(templates.idle))).toBe(true);
  });
});
