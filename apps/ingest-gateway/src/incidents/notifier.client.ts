import { Inject, Injectable } from '@nestjs/common';
import { BackendGrpcClient } from '../backend-services/backend-grpc.client';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';

/** The gateway's client of the notifier (`sluice.alerts.v1.AlertsService`). */
@Injectable()
export class NotifierClient extends BackendGrpcClient {
  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    super({
      name: 'notifier',
      protoFile: 'sluice/alerts.proto',
      service: 'sluice.alerts.v1.AlertsService',
      address: config.NOTIFIER_GRPC_ADDRESS,
      timeoutMs: 15_000,
      refusalCode: 'invalid_request',
    });
  }
}
