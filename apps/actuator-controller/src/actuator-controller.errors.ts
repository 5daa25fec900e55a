import { status as GrpcStatus } from '@grpc/grpc-js';
import { grpcCall, GrpcRefusal, type RefusalIssue } from '@sluice/grpc';

export type ControllerErrorCode =
  | 'invalid_argument'
  | 'invalid_program'
  | 'not_found'
  | 'already_exists'
  | 'conflict'
  | 'range_too_large';

const GRPC_STATUS: Record<ControllerErrorCode, GrpcStatus> = {
  invalid_argument: GrpcStatus.INVALID_ARGUMENT,
  invalid_program: GrpcStatus.INVALID_ARGUMENT,
  not_found: GrpcStatus.NOT_FOUND,
  already_exists: GrpcStatus.ALREADY_EXISTS,
  conflict: GrpcStatus.ABORTED,
  range_too_large: GrpcStatus.FAILED_PRECONDITION,
};

export type ControllerErrorIssue = RefusalIssue;

/**
 * Every refusal of the actuator-controller, with a code and the issues that explain it. Over gRPC
 * it becomes the matching status with details = JSON `{code, message, issues}`, which the gateway
 * turns back into its REST error shape.
 */
export class ControllerError extends GrpcRefusal {
  declare readonly code: ControllerErrorCode;

  constructor(code: ControllerErrorCode, message: string, issues: RefusalIssue[] = []) {
    super(GRPC_STATUS[code], code, message, issues);
    this.name = 'ControllerError';
  }
}

export { grpcCall };

/** Epoch ms of an optional timestamp column (0 when null), for proto int64 fields. */
export function epochMs(date: Date | null | undefined): number {
  return date ? date.getTime() : 0;
}
