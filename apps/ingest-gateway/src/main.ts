import { loadConfig } from '@sluice/config';
import { bootstrapService } from '@sluice/service-runtime';
import { gatewayEnvSchema } from './gateway.config';
import { GatewayModule } from './gateway.module';

const config = loadConfig(gatewayEnvSchema, process.env, 'ingest-gateway');
void bootstrapService(GatewayModule.forRoot(config), {
  name: 'ingest-gateway',
  port: config.PORT,
  host: config.HOST,
  graceMs: config.SHUTDOWN_GRACE_MS,
  bodyLimit: config.HTTP_BODY_LIMIT_BYTES,
  logLevel: config.LOG_LEVEL,
});
