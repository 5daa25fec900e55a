import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { kafkaEnv, loadConfig } from '@sluice/config';
import { HealthService } from '@sluice/health';
import type { Kafka } from 'kafkajs';
import { z } from 'zod';
import { BatchConsumer, type BatchConsumerOptions } from './batch-consumer';
import { createKafka, type KafkaLogger } from './kafka-client.factory';
import { consumerMetricsObserver } from './kafka-metrics';
import { KafkaProducer } from './kafka-producer';
import { pingKafka } from './topic-admin';

export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');
export const KAFKA_LOGGER = Symbol('KAFKA_LOGGER');

const kafkaModuleEnv = z.object({
  ...kafkaEnv,
  KAFKA_PRODUCE_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
});

export interface KafkaModuleOptions {
  clientId: string;
  logger?: KafkaLogger;
  env?: NodeJS.ProcessEnv;
}

/**
 * Owns every consumer of the service: starts them once the app is bootstrapped and stops them
 * first at shutdown (finishing and committing the in-flight batch) while the producer they use is
 * still connected.
 */
@Injectable()
export class KafkaConsumerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly consumers: BatchConsumer[] = [];
  private started = false;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(KAFKA_LOGGER) private readonly logger: KafkaLogger | undefined,
  ) {}

  register(options: Omit<BatchConsumerOptions, 'logger' | 'observer'>): BatchConsumer {
    if (this.started) throw new Error(`consumer ${options.groupId} registered after start-up`);
    const consumer = new BatchConsumer(this.kafka, {
      ...options,
      logger: this.logger,
      observer: consumerMetricsObserver(),
    });
    consumer.onCrash((error) => {
      // kafkajs restarts retriable crashes itself; a non-retriable one leaves the consumer dead, and
      // a dead consumer must not look healthy.
      this.logger?.error({ err: error, groupId: options.groupId }, 'Kafka consumer crashed');
    });
    this.consumers.push(consumer);
    return consumer;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.started = true;
    await Promise.all(this.consumers.map((consumer) => consumer.start()));
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.consumers.map((consumer) => consumer.stop()));
  }
}

@Injectable()
class KafkaProducerLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(private readonly producer: KafkaProducer) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.producer.connect();
  }

  // After consumers stopped (beforeApplicationShutdown), so their last batch could still produce.
  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect();
  }
}

@Injectable()
class KafkaHealthRegistration {
  constructor(@Inject(KAFKA_CLIENT) kafka: Kafka, health: HealthService) {
    health.register('kafka', () => pingKafka(kafka));
  }
}

@Module({})
export class KafkaModule {
  static forRoot(options: KafkaModuleOptions): DynamicModule {
    const config = loadConfig(kafkaModuleEnv, options.env ?? process.env, options.clientId);
    const kafka = createKafka({
      brokers: config.KAFKA_BROKERS,
      clientId: config.KAFKA_CLIENT_ID ?? options.clientId,
      ssl: config.KAFKA_SSL,
      sasl:
        config.KAFKA_SASL_MECHANISM && config.KAFKA_SASL_USERNAME && config.KAFKA_SASL_PASSWORD
          ? {
              mechanism: config.KAFKA_SASL_MECHANISM,
              username: config.KAFKA_SASL_USERNAME,
              password: config.KAFKA_SASL_PASSWORD,
            }
          : undefined,
      logger: options.logger,
    });
    return {
      module: KafkaModule,
      global: true,
      providers: [
        { provide: KAFKA_CLIENT, useValue: kafka },
        { provide: KAFKA_LOGGER, useValue: options.logger },
        {
          provide: KafkaProducer,
          useValue: new KafkaProducer(kafka, { sendTimeoutMs: config.KAFKA_PRODUCE_TIMEOUT_MS }),
        },
        KafkaProducerLifecycle,
        KafkaConsumerHost,
        KafkaHealthRegistration,
      ],
      exports: [KAFKA_CLIENT, KafkaProducer, KafkaConsumerHost],
    };
  }
}
