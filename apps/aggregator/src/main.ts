import { loadConfig } from '@sluice/config';
import { bootstrapService } from '@sluice/service-runtime';
import { aggregatorEnvSchema } from './aggregator.config';
import { AggregatorModule } from './aggregator.module';

const config = loadConfig(aggregatorEnvSchema, process.env, 'aggregator');
void bootstrapService(AggregatorModule.forRoot(config), {
  name: 'aggregator',
  port: config.PORT,
  host: config.HOST,
  graceMs: config.SHUTDOWN_GRACE_MS,
  logLevel: config.LOG_LEVEL,
});
