import { runService } from '@sluice/service-runtime';
import { gatewayEnvSchema } from './gateway.config';
import { GatewayModule } from './gateway.module';
import { gatewayGrpc } from './grpc-ingest/grpc-ingest.module';

runService('ingest-gateway', gatewayEnvSchema, (config) => GatewayModule.forRoot(config), {
  grpc: (config) => gatewayGrpc(config),
});
