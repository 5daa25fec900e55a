import {
  parseProgram,
  thermostatTemplate,
  type Program,
  type ProgramDefinition,
} from '@sluice/programs';

/**
 * A cooling thermostat of tenant acme (fan `<id>-fan` on above 26, off below 22 on `<id>-room`'s
 * temperature): the program the unit specs need when any valid program will do.
 */
export function coolingThermostat(id: string, overrides: Partial<ProgramDefinition> = {}): Program {
  return parseProgram({
    ...thermostatTemplate({
      id,
      tenant: 'acme',
      owner: 'alice',
      device: `${id}-room`,
      actuator: `${id}-fan`,
      mode: 'cool',
      low: 22,
      high: 26,
    }),
    ...overrides,
  });
}
