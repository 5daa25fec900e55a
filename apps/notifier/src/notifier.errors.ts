import { status as GrpcStatus } from '@grpc/grpc-js';
import { grpcCall, GrpcRefusal, type RefusalIssue } from '@sluice/grpc';

export type NotifierErrorCode = 'invalid_argument' | 'not_found';

const GRPC_STATUS: Record<NotifierErrorCode, GrpcStatus> = {
  invalid_argument: GrpcStatus.INVALID_ARGUMENT,
  not_found: GrpcStatus.NOT_FOUND,
};

/**
 * Every refusal of the notifier's API. Over gRPC: the matching status with details = JSON
 * `{code, message, issues}`, which the gateway turns back into its REST error shape.
 */
export class NotifierError extends GrpcRefusal {
  declare readonly code: NotifierErrorCode;

  constructor(code: NotifierErrorCode, message: string, issues: RefusalIssue[] = []) {
    super(GRPC_STATUS[code], code, message, issues);
    this.name = 'NotifierError';
  }
}

export { grpcCall };
