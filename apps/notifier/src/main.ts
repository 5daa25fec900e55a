import { z } from 'zod';
import { httpEnv, loadConfig, logEnv, shutdownEnv } from '@sluice/config';
import { bootstrapService } from '@sluice/service-runtime';
import { NotifierModule } from './notifier.module';

const config = loadConfig(
  z.object({ ...httpEnv(8084), ...logEnv, ...shutdownEnv }),
  process.env,
  'notifier',
);
void bootstrapService(NotifierModule.forRoot(), {
  name: 'notifier',
  port: config.PORT,
  host: config.HOST,
  graceMs: config.SHUTDOWN_GRACE_MS,
  logLevel: config.LOG_LEVEL,
});
