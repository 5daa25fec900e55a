import { status as GrpcStatus } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

/** One thing wrong with a request: where (`tree.then.condition.metric`) and what. */
export interface RefusalIssue {
  path: string;
  code?: string;
  message: string;
}

/**
 * A service's refusal of a gRPC request: a gRPC status plus details carrying JSON
 * `{code, message, issues}`, which the gateway decodes back into its REST error shape. Services
 * subclass it with their own code → status table.
 */
export class GrpcRefusal extends Error {
  constructor(
    readonly grpcStatus: GrpcStatus,
    readonly code: string,
    message: string,
    readonly issues: RefusalIssue[] = [],
  ) {
    super(message);
    this.name = 'GrpcRefusal';
  }

  toRpc(): RpcException {
    return new RpcException({
      code: this.grpcStatus,
      message: JSON.stringify({ code: this.code, message: this.message, issues: this.issues }),
    });
  }
}

/** Runs a gRPC handler body, sending refusals as their status (anything else stays an INTERNAL error). */
export async function grpcCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof GrpcRefusal) throw error.toRpc();
    throw error;
  }
}
