import { Module } from '@nestjs/common';
import { ActuatorControllerClient } from './actuator-controller.client';
import { ActuatorsController } from './actuators.controller';

/** Actuators, manual commands, command history, conflicts, kill switch → actuator-controller gRPC. */
@Module({
  controllers: [ActuatorsController],
  providers: [ActuatorControllerClient],
  exports: [ActuatorControllerClient],
})
export class ActuatorsModule {}
