/**
 * The services of a Sluice pipeline in start order: consumers come up before the gateway accepts
 * traffic, and the simulator starts last so its first readings find everything ready.
 */
export interface ServiceDefinition {
  name: string;
  entry: string;
  defaultPort: number;
  /** Services that also serve gRPC get GRPC_PORT; every service learns their addresses. */
  defaultGrpcPort?: number;
  /** Node arguments instead of SERVICE_NODE_ARGS, for a service whose garbage differs. */
  nodeArgs?: readonly string[];
}

export const PIPELINE_SERVICES: readonly ServiceDefinition[] = [
  {
    name: 'stream-transformer',
    entry: 'apps/stream-transformer/src/main.ts',
    defaultPort: 8081,
    // At 20k readings/s a consumed batch of hundreds of records lives across the produce and Redis
    // round trips; with 64 MiB semi-spaces the transformer spent 23.1 µs per reading instead of
    // 25.8, the controller 25.7 instead of 28.3 (programs bench, same VM, 2026-12-06).
    nodeArgs: ['--max-semi-space-size=64'],
  },
  {
    name: 'aggregator',
    entry: 'apps/aggregator/src/main.ts',
    defaultPort: 8082,
    defaultGrpcPort: 9182,
  },
  {
    name: 'actuator-controller',
    entry: 'apps/actuator-controller/src/main.ts',
    defaultPort: 8083,
    defaultGrpcPort: 9183,
    // as the transformer: a batch's decoded inputs and states outlive the 16 MiB young generation
    nodeArgs: ['--max-semi-space-size=64'],
  },
  {
    name: 'notifier',
    entry: 'apps/notifier/src/main.ts',
    defaultPort: 8084,
    defaultGrpcPort: 9184,
  },
  {
    name: 'ingest-gateway',
    entry: 'apps/ingest-gateway/src/main.ts',
    defaultPort: 8080,
    defaultGrpcPort: 9180,
    // A 5000-point request body lives, parsed, for the ~60 ms until Kafka acknowledges it, so with
    // 16 MiB semi-spaces each scavenge copied the requests in flight; with 64 MiB the line-protocol
    // bench accepted 316k-321k points/s at 2.96-3.06 µs of gateway CPU per point (282k-290k at
    // 3.19-3.36 µs with 16 MiB, same quiet machine, 2026-12-05).
    nodeArgs: ['--max-semi-space-size=64'],
  },
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

/** The variable through which services find another service's gRPC server, e.g. AGGREGATOR_GRPC_ADDRESS. */
export function grpcAddressVariable(service: string): string {
  return `${service.toUpperCase().replace(/-/g, '_')}_GRPC_ADDRESS`;
}
