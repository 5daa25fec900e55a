import {
  status as GrpcStatus,
  Metadata,
  type Client,
  type ClientReadableStream,
} from '@grpc/grpc-js';
import type { OnApplicationShutdown } from '@nestjs/common';
import { callUnary, createGrpcClient, GrpcCallError } from '@sluice/grpc';
import { ApiError } from '../http/api-error';

/** How a backend's refusals map to HTTP; any other status means the backend did not answer (503). */
const REFUSAL_HTTP_STATUS: Partial<Record<GrpcStatus, number>> = {
  [GrpcStatus.INVALID_ARGUMENT]: 400,
  [GrpcStatus.NOT_FOUND]: 404,
  [GrpcStatus.ALREADY_EXISTS]: 409,
  [GrpcStatus.ABORTED]: 409,
  [GrpcStatus.FAILED_PRECONDITION]: 422,
};

export interface BackendServiceSpec {
  /** Service name as users see it in errors, e.g. `notifier` (→ code `notifier_unavailable`). */
  name: string;
  /** Proto file relative to PROTO_ROOT and the fully qualified gRPC service. */
  protoFile: string;
  service: string;
  address: string;
  /** Deadline of a call unless the caller passes one. */
  timeoutMs: number;
  /** Error code when the backend's refusal carries none. */
  refusalCode: string;
}

/**
 * The gateway's client of one backend service over gRPC: a deadline on every call, the backend's
 * refusals (a JSON `{code, message, issues}` in the status details) turned back into the gateway's
 * ApiError shape, and an unreachable or failing backend answered as 503 with Retry-After.
 */
export abstract class BackendGrpcClient implements OnApplicationShutdown {
  private client: Client | undefined;

  protected constructor(private readonly spec: BackendServiceSpec) {}

  private get grpc(): Client {
    this.client ??= createGrpcClient({
      protoFile: this.spec.protoFile,
      service: this.spec.service,
      address: this.spec.address,
    });
    return this.client;
  }

  async call<T>(method: string, request: unknown, timeoutMs = this.spec.timeoutMs): Promise<T> {
    try {
      return await callUnary<T>(this.grpc, method, request, { timeoutMs });
    } catch (error) {
      throw this.toApiError(error);
    }
  }

  /** Messages of a server-streaming call; the call is cancelled if the consumer stops early. */
  async *stream<T>(method: string, request: unknown, timeoutMs = 120_000): AsyncGenerator<T> {
    const fn = (this.grpc as unknown as Record<string, unknown>)[method] as (
      request: unknown,
      metadata: Metadata,
      options: { deadline: number },
    ) => ClientReadableStream<T>;
    const call = fn.call(this.grpc, request, new Metadata(), { deadline: Date.now() + timeoutMs });
    try {
      for await (const message of call) yield message as T;
    } catch (error) {
      const serviceError = error as { code?: number; details?: string; message?: string };
      if (typeof serviceError.code !== 'number') throw error;
      throw this.toApiError(
        new GrpcCallError(
          method,
          serviceError.code,
          serviceError.details || serviceError.message || '',
        ),
      );
    } finally {
      call.cancel();
    }
  }

  onApplicationShutdown(): void {
    this.client?.close();
  }

  private toApiError(error: unknown): unknown {
    if (!(error instanceof GrpcCallError)) return error;
    const status = REFUSAL_HTTP_STATUS[error.code];
    if (status === undefined) {
      return new ApiError(
        503,
        `${this.spec.name.replace(/-/g, '_')}_unavailable`,
        `the ${this.spec.name} did not answer (${error.message})`,
        [],
        { 'retry-after': '5' },
      );
    }
    let body: {
      code?: string;
      message?: string;
      issues?: Array<{ path: string; message: string }>;
    };
    try {
      body = JSON.parse(error.details) as typeof body;
    } catch {
      body = { message: error.details };
    }
    return new ApiError(
      status,
      body.code ?? this.spec.refusalCode,
      body.message ?? error.details,
      (body.issues ?? []).map((issue) => ({ path: issue.path, message: issue.message })),
    );
  }
}
