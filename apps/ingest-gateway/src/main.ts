import { runService } from '@sluice/service-runtime';
import { gatewayEnvSchema } from './gateway.config';
import { GatewayModule } from './gateway.module';

runService('ingest-gateway', gatewayEnvSchema, (config) => GatewayModule.forRoot(config));
