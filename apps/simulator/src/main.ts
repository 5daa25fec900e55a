import { loadConfig } from '@sluice/config';
import { bootstrapService } from '@sluice/service-runtime';
import { simulatorEnvSchema } from './simulator.config';
import { SimulatorModule } from './simulator.module';

const config = loadConfig(simulatorEnvSchema, process.env, 'simulator');
void bootstrapService(SimulatorModule.forRoot(config), {
  name: 'simulator',
  port: config.PORT,
  host: config.HOST,
  graceMs: config.SHUTDOWN_GRACE_MS,
  logLevel: config.LOG_LEVEL,
});
