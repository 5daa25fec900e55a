import {
  Metadata,
  status as GrpcStatus,
  type sendUnaryData,
  type ServerDuplexStream,
  type ServerReadableStream,
  type StatusObject,
} from '@grpc/grpc-js';
import type { Readable } from 'node:stream';
import { Controller, Logger } from '@nestjs/common';
import { GrpcStreamCall } from '@nestjs/microservices';
import { ApiKeyAuthService } from '../auth/api-key-auth.service';
import { AuthError } from '../auth/auth.errors';
import { extractApiKey, hasScope, type Principal } from '../auth/api-key';
import { ApiError } from '../http/api-error';
import { gatewayTraceparent } from '../http/trace-context';
import { ReadingsIngestService } from '../readings-ingest/readings-ingest.service';
import { grpcBatchesAccepted, grpcStreamsFinished } from './grpc-ingest.metrics';
import { toGrpcStatus } from './grpc-status';

/** `sluice.ingest.v1.ReadingBatch` as @grpc/proto-loader decodes it (defaults on, int64 as string). */
export interface ReadingBatchMessage {
  device: string;
  readings: Array<{
    device: string;
    metric: string;
    timeMs: string;
    value: number;
    unit: string;
    tags: Record<string, string>;
  }>;
  batchId: string;
}

export interface BatchAckMessage {
  sequence: number;
  batchId: string;
  accepted: number;
}

export interface StreamSummaryMessage {
  messages: number;
  accepted: number;
}

const SERVICE = 'IngestService';

/**
 * `sluice.ingest.v1.IngestService` (libs/contracts/proto/sluice/ingest.proto). Every message goes
 * through `ReadingsIngestService` — the same validation, device authorisation and Kafka publish as
 * POST /api/v1/readings. Messages are pulled with `for await`, which pauses the call while a batch
 * is being published: gRPC's flow control then holds the client back, so the gateway never buffers
 * more than one message per stream.
 */
@Controller()
export class GrpcIngestController {
  private readonly logger = new Logger(GrpcIngestController.name);

  constructor(
    private readonly auth: ApiKeyAuthService,
    private readonly ingest: ReadingsIngestService,
  ) {}

  @GrpcStreamCall(SERVICE, 'StreamReadings')
  async streamReadings(
    call: ServerReadableStream<ReadingBatchMessage, StreamSummaryMessage>,
    callback: sendUnaryData<StreamSummaryMessage>,
  ): Promise<void> {
    const outcome = await this.consume(call, () => undefined);
    if ('error' in outcome) callback(outcome.error, null);
    else callback(null, { messages: outcome.messages, accepted: outcome.accepted });
    grpcStreamsFinished.inc({ method: 'StreamReadings', outcome: grpcOutcome(outcome) });
  }

  @GrpcStreamCall(SERVICE, 'StreamReadingsWithAcks')
  async streamReadingsWithAcks(
    call: ServerDuplexStream<ReadingBatchMessage, BatchAckMessage>,
  ): Promise<void> {
    const outcome = await this.consume(call, (ack) => {
      call.write(ack);
    });
    if ('error' in outcome) call.emit('error', outcome.error);
    else call.end();
    grpcStreamsFinished.inc({ method: 'StreamReadingsWithAcks', outcome: grpcOutcome(outcome) });
  }

  private async consume(
    call: ServerReadableStream<ReadingBatchMessage, unknown>,
    onAck: (ack: BatchAckMessage) => void,
  ): Promise<{ messages: number; accepted: number } | { error: Partial<StatusObject> }> {
    let principal: Principal;
    try {
      principal = await this.authenticate(call.metadata);
    } catch (error) {
      return { error: toGrpcStatus(error, 'authentication') };
    }
    const traceparent = gatewayTraceparent(metadataValue(call.metadata, 'traceparent'));
    let messages = 0;
    let accepted = 0;
    try {
      // destroyOnReturn false: a finished loop must not destroy a duplex call before its acks and
      // status are written
      const stream = (call as Readable).iterator({ destroyOnReturn: false });
      for await (const message of stream as AsyncIterable<ReadingBatchMessage>) {
        const sequence = messages + 1;
        try {
          const result = await this.ingest.ingest(
            principal,
            toJsonBatch(message),
            traceparent,
            'grpc',
          );
          accepted += result.accepted;
          messages = sequence;
          grpcBatchesAccepted.inc();
          onAck({ sequence, batchId: message.batchId, accepted: result.accepted });
        } catch (error) {
          if (!(error instanceof ApiError))
            this.logger.error({ msg: 'gRPC ingest failed', err: error, sequence });
          return {
            error: toGrpcStatus(error, `message ${sequence}`, {
              'sluice-accepted-messages': String(messages),
            }),
          };
        }
      }
    } catch (error) {
      // the client cancelled or the connection broke: nothing to answer to
      return {
        error: {
          code: GrpcStatus.CANCELLED,
          details: `stream broken after ${messages} message(s): ${(error as Error).message}`,
        },
      };
    }
    return { messages, accepted };
  }

  private async authenticate(metadata: Metadata): Promise<Principal> {
    const principal = await this.auth.authenticate(
      extractApiKey({
        authorization: metadataValue(metadata, 'authorization'),
        'x-api-key': metadataValue(metadata, 'x-api-key'),
      }),
    );
    if (!hasScope(principal, 'write')) throw AuthError.missingScope('write');
    return principal;
  }
}

function grpcOutcome(outcome: object): string {
  if (!('error' in outcome)) return 'ok';
  const code = (outcome.error as Partial<StatusObject>).code ?? GrpcStatus.UNKNOWN;
  return GrpcStatus[code] ?? 'UNKNOWN';
}

function metadataValue(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The message as a POST /api/v1/readings body, so the HTTP validator names fields the same way
 * (`readings[3].time`). proto3 cannot tell an empty string from an absent one: empty unit, device
 * and tag maps mean "none".
 */
export function toJsonBatch(message: ReadingBatchMessage): unknown {
  return {
    ...(message.device === '' ? {} : { device: message.device }),
    readings: message.readings.map((reading) => ({
      ...(reading.device === '' ? {} : { device: reading.device }),
      metric: reading.metric,
      time: Number(reading.timeMs),
      value: reading.value,
      ...(reading.unit === '' ? {} : { unit: reading.unit }),
      ...(Object.keys(reading.tags).length === 0 ? {} : { tags: reading.tags }),
    })),
  };
}
