import { randomBytes } from 'node:crypto';

/** Header names every Sluice record carries (values are UTF-8 strings). */
export const RecordHeaders = {
  schemaVersion: 'sluice-schema-version',
  /** Epoch ms at which the gateway accepted the data: the start of every end-to-end latency. */
  ingestTs: 'sluice-ingest-ts',
  /** W3C trace context, https://www.w3.org/TR/trace-context/ */
  traceparent: 'traceparent',
} as const;

export const CURRENT_SCHEMA_VERSION = '1';

export type HeaderMap = Record<string, string>;

export function buildHeaders(input: { ingestTs: number; traceparent?: string }): HeaderMap {
  return {
    [RecordHeaders.schemaVersion]: CURRENT_SCHEMA_VERSION,
    [RecordHeaders.ingestTs]: String(input.ingestTs),
    [RecordHeaders.traceparent]: input.traceparent ?? newTraceparent(),
  };
}

export function readIngestTs(headers: HeaderMap): number | undefined {
  const raw = headers[RecordHeaders.ingestTs];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

export function isValidTraceparent(value: string | undefined): value is string {
  return value !== undefined && TRACEPARENT.test(value) && !/^00-0{32}-/.test(value);
}

export function newTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}
