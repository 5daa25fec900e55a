import { status as GrpcStatus } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

export interface ServingIssue {
  path: string;
  message: string;
}

/**
 * A serving request the aggregator refuses (bad range, too many points…). Over gRPC it becomes
 * INVALID_ARGUMENT with details = JSON `{code, message, issues}`, which the gateway maps to 400.
 */
export class ServingRequestError extends Error {
  override readonly name = 'ServingRequestError';

  constructor(
    message: string,
    readonly issues: ServingIssue[] = [],
    readonly code = 'invalid_query',
  ) {
    super(message);
  }

  toRpc(): RpcException {
    return new RpcException({
      code: GrpcStatus.INVALID_ARGUMENT,
      message: JSON.stringify({ code: this.code, message: this.message, issues: this.issues }),
    });
  }
}
