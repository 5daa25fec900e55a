import { Module } from '@nestjs/common';
import { PROTO_ROOT } from '@sluice/contracts';
import type { GrpcServerConfig } from '@sluice/grpc';
import { AuthModule } from '../auth/auth.module';
import type { GatewayConfig } from '../gateway.config';
import { ReadingsIngestModule } from '../readings-ingest/readings-ingest.module';
import { GrpcIngestController } from './grpc-ingest.controller';

/** gRPC streaming ingest (`sluice.ingest.v1.IngestService`), served on GRPC_PORT. */
@Module({
  imports: [AuthModule, ReadingsIngestModule],
  controllers: [GrpcIngestController],
})
export class GrpcIngestModule {}

/** The gateway's gRPC server, for runService's `grpc` option. */
export function gatewayGrpc(
  config: Pick<GatewayConfig, 'GRPC_PORT'>,
  host = '0.0.0.0',
): GrpcServerConfig {
  return {
    url: `${host}:${config.GRPC_PORT}`,
    protoFiles: [`${PROTO_ROOT}/sluice/ingest.proto`],
    packages: ['sluice.ingest.v1'],
  };
}
