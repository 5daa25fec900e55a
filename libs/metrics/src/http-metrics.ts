import type { FastifyInstance } from 'fastify';
import { LATENCY_BUCKETS_SECONDS } from './buckets';
import { createHistogram } from './metric-factories';

/**
 * Times every HTTP request of a Fastify server into
 * `sluice_http_request_duration_seconds{route,method,status_class}`. The route is the registered
 * template (`/api/v1/devices/:id/latest`), never the raw URL, and requests that matched no route
 * share `route="unmatched"`: a scanner walking random paths cannot grow the label set.
 */
export function instrumentHttpServer(fastify: FastifyInstance): void {
  const duration = createHistogram({
    name: 'sluice_http_request_duration_seconds',
    help: 'HTTP request latency by route template, method and status class (2xx, 4xx, ...)',
    labelNames: ['route', 'method', 'status_class'] as const,
    buckets: [...LATENCY_BUCKETS_SECONDS],
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    duration.observe(
      {
        route: request.routeOptions.url ?? 'unmatched',
        method: request.method,
        status_class: `${Math.floor(reply.statusCode / 100)}xx`,
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
