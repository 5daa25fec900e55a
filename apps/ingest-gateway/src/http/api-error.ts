/** One problem in a request: where (`readings[3].value`, `Authorization`, `(body)`) and what is wrong. */
export interface ApiErrorDetail {
  path: string;
  message: string;
  /** The offending input, when echoing it back helps (never for secrets). */
  value?: unknown;
}

export interface ApiErrorBody {
  error: { code: string; message: string; details: ApiErrorDetail[] };
}

/**
 * Every error the gateway answers with, whatever produced it (validation, auth, Fastify's own body
 * parsing, Kafka): one JSON shape so clients handle errors in one place.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ApiErrorDetail[] = [],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): ApiErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}
