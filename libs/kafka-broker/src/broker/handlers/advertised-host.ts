import type { RequestContext } from '../api-handler';
import type { BrokerDeps } from '../broker-deps';

/**
 * The host clients should connect to: the configured one, else the address this client
 * reached us on (so a broker bound to 0.0.0.0 is advertised as something routable).
 */
export function advertisedHost(ctx: RequestContext, deps: BrokerDeps): string {
  return deps.identity.advertisedHost ?? ctx.conn.localAddress;
}
