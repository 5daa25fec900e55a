import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { HealthService } from '@sluice/health';
import { createLogger } from '@sluice/logging';
import type { Kafka } from 'kafkajs';
import { BatchConsumer, type BatchConsumerOptions } from './batch-consumer';
import { createKafka, type KafkaLogger } from './kafka-client.factory';
import { kafkaConnection, loadKafkaEnv } from './kafka-env';
import { consumerMetricsObserver } from './kafka-metrics';
import { KafkaProducer } from './kafka-producer';
import { pingKafka } from './topic-admin';

export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');
export const KAFKA_LOGGER = Symbol('KAFKA_LOGGER');
export const KAFKA_LAG_REFRESH_MS = Symbol('KAFKA_LAG_REFRESH_MS');

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
    @Inject(KAFKA_LAG_REFRESH_MS) private readonly lagRefreshMs: number,
  ) {}

  register(options: Omit<BatchConsumerOptions, 'logger' | 'observer'>): BatchConsumer {
    if (this.started) throw new Error(`consumer ${options.groupId} registered after start-up`);
    const consumer = new BatchConsumer(this.kafka, {
      lagRefreshMs: this.lagRefreshMs,
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
    const config = loadKafkaEnv(options.env ?? process.env, options.clientId);
    const kafka = createKafka({
      ...kafkaConnection(config, options.clientId),
      logger: options.logger,
    });
    return {
      module: KafkaModule,
      global: true,
      providers: [
        { provide: KAFKA_CLIENT, useValue: kafka },
        // Consumers always log (handler failures, crashes, the shutdown summary); kafkajs's own
        // chatty internals only when the service passes a logger explicitly (createKafka above).
        { provide: KAFKA_LOGGER, useValue: options.logger ?? createLogger(options.clientId) },
        { provide: KAFKA_LAG_REFRESH_MS, useValue: config.KAFKA_LAG_REFRESH_MS },
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
