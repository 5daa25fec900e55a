import { Module } from '@nestjs/common';
import { KafkaModule } from '@sluice/kafka';
import { CleanTelemetryConsumer } from './telemetry-intake/clean-telemetry.consumer';

/** Programs and actuator commands (actuator issue); for now the clean-stream consumer only. */
@Module({
  imports: [KafkaModule.forRoot({ clientId: 'actuator-controller' })],
  providers: [CleanTelemetryConsumer],
})
export class ActuatorControllerModule {}
