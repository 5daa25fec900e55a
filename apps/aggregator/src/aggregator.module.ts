import { Module, type DynamicModule } from '@nestjs/common';
import { DbModule } from '@sluice/db';
import { KafkaModule } from '@sluice/kafka';
import { RedisModule } from '@sluice/redis';
import { AGGREGATOR_CONFIG, type AggregatorConfig } from './aggregator.config';
import { RawSinkModule } from './raw-sink/raw-sink.module';
import { SpeedLayerModule } from './speed-layer/speed-layer.module';

@Module({})
class AggregatorConfigModule {
  static forRoot(config: AggregatorConfig): DynamicModule {
    return {
      module: AggregatorConfigModule,
      global: true,
      providers: [{ provide: AGGREGATOR_CONFIG, useValue: config }],
      exports: [AGGREGATOR_CONFIG],
    };
  }
}

/**
 * The aggregator: raw sink (master data set) and speed layer; the batch and serving layers join
 * as sibling capability modules (bootstrapService adds /metrics and /health).
 */
@Module({})
export class AggregatorModule {
  /** `env` is passed on to the libs that read their own variables (Kafka). */
  static forRoot(config: AggregatorConfig, env: NodeJS.ProcessEnv = process.env): DynamicModule {
    return {
      module: AggregatorModule,
      imports: [
        AggregatorConfigModule.forRoot(config),
        DbModule.forRoot({
          url: config.DATABASE_URL,
          max: config.DATABASE_POOL_MAX,
          ssl: config.DATABASE_SSL,
          schema: config.DATABASE_SCHEMA,
          applicationName: 'aggregator',
        }),
        RedisModule.forRoot({
          url: config.REDIS_URL,
          keyPrefix: config.REDIS_KEY_PREFIX,
          connectionName: 'aggregator',
        }),
        KafkaModule.forRoot({ clientId: 'aggregator', env }),
        RawSinkModule,
        SpeedLayerModule,
      ],
    };
  }
}
