import { ByteReader } from './byte-reader';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/**
 * Request header v1 (api_key, api_version, correlation_id, client_id). Every non-flexible
 * request this broker accepts uses it; flexible versions (header v2) are never advertised.
 * Returns the reader positioned at the request body.
 */
export function decodeRequestHeader(frame: Buffer): { header: RequestHeader; body: ByteReader } {
  const r = new ByteReader(frame, 'request header');
  const apiKey = r.int16('api_key');
  const apiVersion = r.int16('api_version');
  const correlationId = r.int32('correlation_id');
  const clientId = r.nullableString('client_id');
  return {
    header: { apiKey, apiVersion, correlationId, clientId },
    body: new ByteReader(frame, `request api_key=${apiKey} v${apiVersion}`, r.position),
  };
}
