import { runService } from '@sluice/service-runtime';
import { actuatorControllerEnvSchema } from './actuator-controller.config';
import { actuatorControllerGrpc, ActuatorControllerModule } from './actuator-controller.module';

runService(
  'actuator-controller',
  actuatorControllerEnvSchema,
  (config) => ActuatorControllerModule.forRoot(config),
  { grpc: (config) => actuatorControllerGrpc(config) },
);
