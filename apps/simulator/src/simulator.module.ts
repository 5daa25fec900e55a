import { Module, type DynamicModule } from '@nestjs/common';
import { KafkaModule } from '@sluice/kafka';
import { ActuatorAgentController } from './actuator-agent/actuator-agent.controller';
import { ActuatorAgentService } from './actuator-agent/actuator-agent.service';
import { SimulationService } from './simulation/simulation.service';
import { agentEnabled, SIMULATOR_CONFIG, type SimulatorConfig } from './simulator.config';

/** The simulated fleet posting to the gateway (bootstrapService adds /metrics and /health). */
@Module({})
export class SimulatorModule {
  static forRoot(config: SimulatorConfig, env: NodeJS.ProcessEnv = process.env): DynamicModule {
    const agent = agentEnabled(config);
    return {
      module: SimulatorModule,
      imports: agent ? [KafkaModule.forRoot({ clientId: 'simulator', env })] : [],
      controllers: agent ? [ActuatorAgentController] : [],
      providers: [
        { provide: SIMULATOR_CONFIG, useValue: config },
        SimulationService,
        ...(agent ? [ActuatorAgentService] : []),
      ],
      exports: [SimulationService],
    };
  }
}
