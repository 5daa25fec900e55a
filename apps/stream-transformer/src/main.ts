import { loadConfig } from '@sluice/config';
import { bootstrapService } from '@sluice/service-runtime';
import { transformerEnvSchema } from './stream-transformer.config';
import { StreamTransformerModule } from './stream-transformer.module';

const config = loadConfig(transformerEnvSchema, process.env, 'stream-transformer');
void bootstrapService(StreamTransformerModule.forRoot(config), {
  name: 'stream-transformer',
  port: config.PORT,
  host: config.HOST,
  graceMs: config.SHUTDOWN_GRACE_MS,
  logLevel: config.LOG_LEVEL,
});
