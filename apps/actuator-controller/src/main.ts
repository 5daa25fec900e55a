import { z } from 'zod';
import { httpEnv, loadConfig, logEnv, shutdownEnv } from '@sluice/config';
import { bootstrapService } from '@sluice/service-runtime';
import { ActuatorControllerModule } from './actuator-controller.module';

const config = loadConfig(
  z.object({ ...httpEnv(8083), ...logEnv, ...shutdownEnv }),
  process.env,
  'actuator-controller',
);
void bootstrapService(ActuatorControllerModule.forRoot(), {
  name: 'actuator-controller',
  port: config.PORT,
  host: config.HOST,
  graceMs: config.SHUTDOWN_GRACE_MS,
  logLevel: config.LOG_LEVEL,
});
