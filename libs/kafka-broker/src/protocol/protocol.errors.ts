/**
 * A request frame that cannot be decoded: truncated, negative lengths, trailing garbage.
 * The server answers it by closing the offending connection only, as Kafka does, because
 * after a framing error the correlation of further bytes cannot be trusted.
 */
export class MalformedRequestError extends Error {
  constructor(
    readonly context: string,
    readonly field: string,
    readonly position: number,
    readonly detail: string,
  ) {
    super(`malformed ${context}: field '${field}' at byte ${position}: ${detail}`);
    this.name = 'MalformedRequestError';
  }
}

/** A request for an API key or version this broker does not implement (connection is closed). */
export class UnsupportedApiError extends Error {
  constructor(
    readonly apiKey: number,
    readonly apiVersion: number,
  ) {
    super(`unsupported api key ${apiKey} version ${apiVersion}`);
    this.name = 'UnsupportedApiError';
  }
}
