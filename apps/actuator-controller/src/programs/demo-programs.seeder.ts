import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { parseProgram, thermostatTemplate } from '@sluice/programs';
import {
  ACTUATOR_CONTROLLER_CONFIG,
  type ActuatorControllerConfig,
} from '../actuator-controller.config';
import { ProgramsRepository } from './programs.repository';

export const DEMO_TENANT = 'demo';

/** The simulator's rule: device `sim-NNN` has actuators `sim-NNN-fan` and `sim-NNN-heater`. */
export function demoDeviceId(index: number): string {
  return `sim-${String(index).padStart(3, '0')}`;
}

/**
 * SEED_DEMO=true: a cooling and a heating thermostat program (enabled) for each simulated room, so
 * `npm start` shows the closed loop: the bands are the simulator's former local thermostat's
 * (heat below 19 until above 20.5 °C, cool above 24 until below 22.5 °C). Existing programs are
 * left as they are.
 */
@Injectable()
export class DemoProgramsSeeder implements OnModuleInit {
  private readonly logger = new Logger(DemoProgramsSeeder.name);

  constructor(
    private readonly programs: ProgramsRepository,
    @Inject(ACTUATOR_CONTROLLER_CONFIG) private readonly config: ActuatorControllerConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.SEED_DEMO) return;
    let created = 0;
    for (let index = 1; index <= this.config.SEED_DEMO_DEVICES; index++) {
      const device = demoDeviceId(index);
      const target = { tenant: DEMO_TENANT, owner: 'demo-seed', device };
      const definitions = [
        thermostatTemplate({
          ...target,
          id: `demo-cool-${device}`,
          actuator: `${device}-fan`,
          mode: 'cool',
          low: 22.5,
          high: 24,
        }),
        thermostatTemplate({
          ...target,
          id: `demo-heat-${device}`,
          actuator: `${device}-heater`,
          mode: 'heat',
          low: 19,
          high: 20.5,
        }),
      ];
      for (const definition of definitions) {
        const program = parseProgram({ ...definition, enabled: true });
        if (await this.programs.insert(program)) created++;
      }
    }
    if (created > 0) this.logger.log({ msg: 'demo thermostat programs seeded', created });
  }
}
