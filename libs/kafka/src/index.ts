export * from './errors';
export * from './kafka-client.factory';
export * from './kafka-producer';
export * from './batch-consumer';
export * from './topic-admin';
export type { Kafka } from 'kafkajs';
export * from './kafka-metrics';
export * from './kafka.module';
