import { Inject, Injectable } from '@nestjs/common';
import { BackendGrpcClient } from '../backend-services/backend-grpc.client';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';

/** The gateway's client of the actuator-controller (`sluice.actuators.v1.ActuatorService`). */
@Injectable()
export class ActuatorControllerClient extends BackendGrpcClient {
  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    super({
      name: 'actuator-controller',
      protoFile: 'sluice/actuators.proto',
      service: 'sluice.actuators.v1.ActuatorService',
      address: config.ACTUATOR_CONTROLLER_GRPC_ADDRESS,
      timeoutMs: 30_000,
      refusalCode: 'invalid_request',
    });
  }
}
