import { Module, type DynamicModule } from '@nestjs/common';
import { KafkaModule } from '@sluice/kafka';
import { CleanTelemetryConsumer } from './telemetry-intake/clean-telemetry.consumer';

/** Programs and actuator commands (actuator issue); for now the clean-stream consumer only. */
@Module({})
export class ActuatorControllerModule {
  /** `env` carries the KAFKA_* variables (tests pass their own broker). */
  static forRoot(env: NodeJS.ProcessEnv = process.env): DynamicModule {
    return {
      module: ActuatorControllerModule,
      imports: [KafkaModule.forRoot({ clientId: 'actuator-controller', env })],
      providers: [CleanTelemetryConsumer],
    };
  }
}
