import type { ByteReader } from '../protocol/byte-reader';
import { ByteWriter } from '../protocol/byte-writer';
import { ErrorCode } from '../protocol/error-codes';
import type { ConnectionInfo } from '../server/kafka-connection';
import { StorageError } from '../storage';
import type { BrokerDeps } from './broker-deps';

export interface RequestContext {
  conn: ConnectionInfo;
  clientId: string;
  apiVersion: number;
}

/** One API: decode the request, handle it, encode the response, summarise its error code. */
export interface ApiHandler<Req, Res> {
  decode(r: ByteReader, version: number): Req;
  /** null = no response (acks=0 produce). */
  handle(req: Req, ctx: RequestContext, deps: BrokerDeps): Promise<Res | null>;
  encode(w: ByteWriter, version: number, res: Res): void;
  /** The first non-zero error code in the response, for the requests metric. */
  errorCode(res: Res): number;
}

export interface HandledRequest {
  body: Buffer[] | null;
  errorCode: number;
}

/** An ApiHandler with its request/response types erased, so handlers fit one table. */
export type ErasedApiHandler = (
  r: ByteReader,
  ctx: RequestContext,
  deps: BrokerDeps,
) => Promise<HandledRequest>;

export function defineApi<Req, Res>(h: ApiHandler<Req, Res>): ErasedApiHandler {
  return async (r, ctx, deps) => {
    const req = h.decode(r, ctx.apiVersion);
    const res = await h.handle(req, ctx, deps);
    if (res === null) return { body: null, errorCode: 0 };
    const w = new ByteWriter();
    h.encode(w, ctx.apiVersion, res);
    return { body: w.toChunks(), errorCode: h.errorCode(res) };
  };
}

/** First non-zero error code across nested per-topic/per-partition results. */
export function firstError(
  topics: ReadonlyArray<{ partitions: ReadonlyArray<{ errorCode: number }> }>,
): number {
  for (const t of topics) for (const p of t.partitions) if (p.errorCode !== 0) return p.errorCode;
  return 0;
}

/** Maps a storage failure to its Kafka error code; anything else is a broker bug (logged). */
export function errorCodeOf(err: unknown, deps: BrokerDeps, operation: string): number {
  if (err instanceof StorageError) {
    if (err.kafkaErrorCode === ErrorCode.KAFKA_STORAGE_ERROR) {
      deps.logger.error({ err, operation }, 'storage failure');
    }
    return err.kafkaErrorCode;
  }
  deps.logger.error({ err, operation }, 'unexpected error while handling a request');
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}
