import { z } from 'zod';
import { httpEnv, logEnv, shutdownEnv } from '@sluice/config';
import { runService } from '@sluice/service-runtime';
import { ActuatorControllerModule } from './actuator-controller.module';

runService('actuator-controller', z.object({ ...httpEnv(8083), ...logEnv, ...shutdownEnv }), () =>
  ActuatorControllerModule.forRoot(),
);
