import { Body, Controller, Headers, HttpCode, Post, Res } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import type { Principal } from '../auth/api-key';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { RequireScope } from '../auth/require-scope.decorator';
import { ApiError } from '../http/api-error';
import { UNPARSED_JSON_BODY, type JsonBody } from '../http/json-body.parser';
import { gatewayTraceparent } from '../http/trace-context';
import { ReadingsIngestService, type IngestResult } from './readings-ingest.service';

@Controller('api/v1/readings')
export class ReadingsIngestController {
  constructor(private readonly ingest: ReadingsIngestService) {}

  /**
   * 202: every reading is in Kafka (acks=all) and will reach storage. With `Idempotency-Key`, a
   * retry of an accepted batch gets the original 202 again (`Idempotent-Replayed: true`) and is not
   * published twice; 409 while the first attempt is still in flight, 422 for the same key with a
   * different body.
   *
   * The body arrives unparsed: a plainly valid batch is read straight from its bytes (see
   * `ReadingsRequestValidator.validateJson`), anything else is parsed and checked as usual.
   */
  @Post()
  @HttpCode(202)
  @RequireScope('write')
  @RouteConfig(UNPARSED_JSON_BODY)
  async post(
    @CurrentPrincipal() principal: Principal,
    @Body() body: JsonBody | undefined,
    @Headers('traceparent') traceparent: string | undefined,
    @Headers('content-type') contentType: string | undefined,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<IngestResult> {
    // Fastify also parses text/plain; a batch must be JSON, and saying so beats "not an object".
    if (!/^application\/json\b/i.test(contentType ?? '')) throw unsupportedMediaType(contentType);
    if (body === undefined) throw emptyBody();
    const { result, replayed } = await this.ingest.ingestOnce(
      principal,
      body,
      gatewayTraceparent(traceparent),
      idempotencyKey,
    );
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return result;
  }
}

function emptyBody(): ApiError {
  return new ApiError(400, 'invalid_json', 'request body is empty', [
    { path: '(body)', message: 'must be a JSON object with a "readings" array' },
  ]);
}

function unsupportedMediaType(contentType: string | undefined): ApiError {
  const message = 'Content-Type must be application/json';
  return new ApiError(415, 'unsupported_media_type', message, [
    { path: 'Content-Type', message: `${message} (got ${contentType ?? 'none'})` },
  ]);
}
