/**
 * The services of a Sluice pipeline in start order: consumers come up before the gateway accepts
 * traffic, and the simulator starts last so its first readings find everything ready.
 */
export interface ServiceDefinition {
  name: string;
  entry: string;
  defaultPort: number;
}

export const PIPELINE_SERVICES: readonly ServiceDefinition[] = [
  { name: 'stream-transformer', entry: 'apps/stream-transformer/src/main.ts', defaultPort: 8081 },
  { name: 'aggregator', entry: 'apps/aggregator/src/main.ts', defaultPort: 8082 },
  { name: 'actuator-controller', entry: 'apps/actuator-controller/src/main.ts', defaultPort: 8083 },
  { name: 'notifier', entry: 'apps/notifier/src/main.ts', defaultPort: 8084 },
  { name: 'ingest-gateway', entry: 'apps/ingest-gateway/src/main.ts', defaultPort: 8080 },
  { name: 'simulator', entry: 'apps/simulator/src/main.ts', defaultPort: 8085 },
];

export function serviceDefinition(name: string): ServiceDefinition {
  const found = PIPELINE_SERVICES.find((service) => service.name === name);
  if (!found)
    throw new Error(
      `unknown service "${name}" (known: ${PIPELINE_SERVICES.map((s) => s.name).join(', ')})`,
    );
  return found;
}
