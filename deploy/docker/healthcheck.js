// Docker HEALTHCHECK: healthy = GET /health/ready answers 2xx (dependencies reachable, not
// draining). The image has no curl; Node's fetch does the request. `migrate` is a one-shot job.
const DEFAULT_PORTS = {
  'ingest-gateway': 8080,
  'stream-transformer': 8081,
  aggregator: 8082,
  'actuator-controller': 8083,
  notifier: 8084,
  simulator: 8085,
};
const service = process.env.SERVICE ?? '';
if (service === 'migrate') process.exit(0);
const port = process.env.PORT ?? DEFAULT_PORTS[service];
fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(2500) })
  .then((response) => process.exit(response.ok ? 0 : 1))
  .catch(() => process.exit(1));
