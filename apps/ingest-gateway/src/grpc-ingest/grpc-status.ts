import { Metadata, status as GrpcStatus, type StatusObject } from '@grpc/grpc-js';
import { ApiError } from '../http/api-error';

const BY_HTTP_STATUS: Record<number, GrpcStatus> = {
  400: GrpcStatus.INVALID_ARGUMENT,
  401: GrpcStatus.UNAUTHENTICATED,
  403: GrpcStatus.PERMISSION_DENIED,
  404: GrpcStatus.NOT_FOUND,
  409: GrpcStatus.ALREADY_EXISTS,
  413: GrpcStatus.INVALID_ARGUMENT,
  429: GrpcStatus.RESOURCE_EXHAUSTED,
  503: GrpcStatus.UNAVAILABLE,
};

/**
 * The gRPC status for an error of the shared ingest path. `details` is the HTTP error body's message
 * followed by its first detail (path: message), prefixed with where in the stream it happened; the
 * `retry-after` header becomes a trailer.
 */
export function toGrpcStatus(
  error: unknown,
  where: string,
  trailers: Record<string, string> = {},
): Partial<StatusObject> {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  if (!(error instanceof ApiError)) {
    return {
      code: GrpcStatus.INTERNAL,
      details: `${where}: internal error; messages after the accepted ones may be retried`,
      metadata,
    };
  }
  const retryAfter = error.headers['retry-after'];
  if (retryAfter !== undefined) metadata.set('retry-after', retryAfter);
  const first = error.details[0];
  const more = error.details.length > 1 ? ` (+${error.details.length - 1} more)` : '';
  const detail = first === undefined ? '' : ` — ${first.path}: ${first.message}${more}`;
  return {
    code: BY_HTTP_STATUS[error.status] ?? GrpcStatus.INTERNAL,
    details: `${where}: ${error.code}: ${error.message}${detail}`,
    metadata,
  };
}
