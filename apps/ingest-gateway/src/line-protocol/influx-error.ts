import { BodyLimitError, UnknownPrecisionError } from '@sluice/ingest-parsers';
import { ApiError } from '../http/api-error';

/**
 * An error answered the way InfluxDB answers: `{"code": "...", "message": "..."}` (the v2 shape,
 * which InfluxDB 2's v1-compatible `/write` also uses), plus `"error"` carrying the message, which
 * is what InfluxDB 1.x clients (the `influx` CLI, influxdb-python) read.
 */
export class InfluxError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'InfluxError';
  }

  toBody(): { code: string; message: string; error: string } {
    return { code: this.code, message: this.message, error: this.message };
  }
}

// InfluxDB's error codes (influxdata/influxdb kit/platform/errors), by HTTP status.
const CODE_BY_STATUS: Record<number, string> = {
  400: 'invalid',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not found',
  413: 'request too large',
  415: 'unsupported media type',
  429: 'too many requests',
  503: 'unavailable',
};

/** Maps whatever the shared ingest code threw (ApiError, parser errors) to InfluxDB's shape. */
export function toInfluxError(error: unknown): InfluxError {
  if (error instanceof InfluxError) return error;
  if (error instanceof UnknownPrecisionError) return new InfluxError(400, 'invalid', error.message);
  if (error instanceof BodyLimitError) {
    const variable =
      error.limit === 'bytes' ? 'LINE_PROTOCOL_MAX_BYTES' : 'LINE_PROTOCOL_MAX_LINES';
    return new InfluxError(413, 'request too large', `${error.message} (${variable})`);
  }
  if (error instanceof ApiError) {
    const detail = error.details[0];
    const message =
      detail !== undefined && detail.message !== error.message && error.status !== 503
        ? `${error.message}: ${detail.path}: ${detail.message}`
        : error.message;
    return new InfluxError(
      error.status,
      CODE_BY_STATUS[error.status] ?? 'internal error',
      message,
      error.headers,
    );
  }
  return new InfluxError(500, 'internal error', 'internal error; the write may be retried');
}
