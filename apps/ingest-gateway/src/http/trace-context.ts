import { randomBytes } from 'node:crypto';
import { isValidTraceparent, newTraceparent } from '@sluice/contracts';

/**
 * The traceparent the gateway puts on the records of one request: a new span of the caller's trace
 * when the request carries a valid W3C `traceparent`, otherwise a new trace.
 */
export function gatewayTraceparent(incoming: string | string[] | undefined): string {
  const header = Array.isArray(incoming) ? incoming[0] : incoming;
  if (!isValidTraceparent(header)) return newTraceparent();
  const [version, traceId, , flags] = header.split('-');
  return `${version}-${traceId}-${randomBytes(8).toString('hex')}-${flags}`;
}
