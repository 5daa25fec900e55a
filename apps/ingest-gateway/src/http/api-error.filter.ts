import {
  Catch,
  HttpException,
  Inject,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { ingestRequestsRejected } from '../readings-ingest/ingest.metrics';
import { ApiError } from './api-error';

/**
 * Turns every error — ours, Nest's and Fastify's own (malformed JSON, body too large, unsupported
 * media type, which Nest hands to filters as HttpException with the Fastify error as cause) — into
 * the one JSON error shape, naming the problem.
 */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrors');

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (passThrough(exception, request)) {
      void reply.status(exception.getStatus()).send(exception.getResponse());
      return;
    }
    const error = this.toApiError(exception);
    if (error.status >= 500 && !(exception instanceof ApiError)) {
      this.logger.error({
        msg: 'request failed',
        err: exception,
        method: request.method,
        url: request.url,
      });
    } else if (error.status >= 500) {
      this.logger.warn({
        msg: error.message,
        code: error.code,
        err: error.cause,
        url: request.url,
      });
    }
    if (request.url.startsWith('/api/v1/readings'))
      ingestRequestsRejected.inc({ reason: error.code });
    void reply.status(error.status).headers(error.headers).send(error.toBody());
  }

  private toApiError(exception: unknown): ApiError {
    if (exception instanceof ApiError) return exception;
    if (!(exception instanceof HttpException)) {
      return new ApiError(500, 'internal', 'internal error; the request may be retried');
    }
    const status = exception.getStatus();
    const cause = exception.cause as { code?: unknown; message?: unknown } | undefined;
    const code = typeof cause?.code === 'string' ? cause.code : undefined;
    const causeMessage = typeof cause?.message === 'string' ? cause.message : exception.message;

    if (status === 413 || code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const message = `request body exceeds the limit of ${this.config.HTTP_BODY_LIMIT_BYTES} bytes (HTTP_BODY_LIMIT_BYTES)`;
      return new ApiError(413, 'payload_too_large', message, [{ path: '(body)', message }]);
    }
    if (status === 415 || code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const message = 'Content-Type must be application/json';
      return new ApiError(415, 'unsupported_media_type', message, [
        { path: 'Content-Type', message: `${message} (${causeMessage})` },
      ]);
    }
    if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      return new ApiError(400, 'invalid_json', 'request body is empty', [
        { path: '(body)', message: 'must be a JSON object with a "readings" array' },
      ]);
    }
    if (
      status === 400 &&
      (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || isJsonSyntaxError(exception.cause))
    ) {
      return new ApiError(400, 'invalid_json', 'request body is not valid JSON', [
        { path: '(body)', message: causeMessage },
      ]);
    }
    if (status === 404) {
      return new ApiError(404, 'not_found', exception.message);
    }
    return new ApiError(status, snakeCase(httpStatusName(exception)), exception.message);
  }
}

/**
 * Outside /api (health, metrics) Nest's own HttpException bodies are the contract (the readiness
 * report in a 503), so they pass unchanged; Fastify's errors are still reshaped everywhere.
 */
function passThrough(exception: unknown, request: FastifyRequest): exception is HttpException {
  return (
    exception instanceof HttpException &&
    exception.cause === undefined &&
    !request.url.startsWith('/api/') &&
    typeof exception.getResponse() === 'object'
  );
}

function isJsonSyntaxError(cause: unknown): boolean {
  return cause instanceof SyntaxError;
}

function httpStatusName(exception: HttpException): string {
  return exception.name.replace(/Exception$/, '') || 'error';
}

function snakeCase(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}
