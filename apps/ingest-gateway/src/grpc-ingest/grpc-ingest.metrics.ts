import { createCounter } from '@sluice/metrics';

export const grpcStreamsFinished = createCounter({
  name: 'sluice_gateway_grpc_ingest_streams_total',
  help: 'gRPC ingest streams finished, by method and status (ok or the gRPC status name)',
  labelNames: ['method', 'outcome'] as const,
});

export const grpcBatchesAccepted = createCounter({
  name: 'sluice_gateway_grpc_ingest_messages_total',
  help: 'gRPC ingest messages (batches) whose readings are in Kafka',
});
