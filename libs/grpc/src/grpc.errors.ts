import { status as GrpcStatus } from '@grpc/grpc-js';

/** A failed gRPC call, with the method that failed and the server's status code and message. */
export class GrpcCallError extends Error {
  constructor(
    readonly method: string,
    readonly code: GrpcStatus,
    readonly details: string,
  ) {
    super(`gRPC ${method} failed: ${GrpcStatus[code] ?? code} (${details})`);
    this.name = 'GrpcCallError';
  }

  /** True for failures a caller may retry (server down, overloaded or too slow). */
  get retryable(): boolean {
    return (
      this.code === GrpcStatus.UNAVAILABLE ||
      this.code === GrpcStatus.DEADLINE_EXCEEDED ||
      this.code === GrpcStatus.RESOURCE_EXHAUSTED
    );
  }
}
