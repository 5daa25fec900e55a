import { Module, type DynamicModule } from '@nestjs/common';
import { SimulationService } from './simulation/simulation.service';
import { SIMULATOR_CONFIG, type SimulatorConfig } from './simulator.config';

/** The simulated fleet posting to the gateway (bootstrapService adds /metrics and /health). */
@Module({})
export class SimulatorModule {
  static forRoot(config: SimulatorConfig): DynamicModule {
    return {
      module: SimulatorModule,
      providers: [{ provide: SIMULATOR_CONFIG, useValue: config }, SimulationService],
      exports: [SimulationService],
    };
  }
}
