import { Inject, Injectable } from '@nestjs/common';
import { BackendGrpcClient } from '../backend-services/backend-grpc.client';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';

/**
 * The gateway's client of the aggregator's serving layer (`sluice.serving.v1.ServingService`);
 * series pages arrive server-streamed (`stream`).
 */
@Injectable()
export class AggregatorClient extends BackendGrpcClient {
  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    super({
      name: 'aggregator',
      protoFile: 'sluice/serving.proto',
      service: 'sluice.serving.v1.ServingService',
      address: config.AGGREGATOR_GRPC_ADDRESS,
      timeoutMs: 30_000,
      refusalCode: 'invalid_query',
    });
  }
}
