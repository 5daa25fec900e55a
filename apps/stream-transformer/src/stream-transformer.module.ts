import { Module, type DynamicModule } from '@nestjs/common';
import { DbModule } from '@sluice/db';
import { KafkaModule } from '@sluice/kafka';
import { RedisModule } from '@sluice/redis';
import { TRANSFORMER_CONFIG, type TransformerConfig } from './stream-transformer.config';
import { TransformModule } from './transform/transform.module';

@Module({})
class TransformerConfigModule {
  static forRoot(config: TransformerConfig): DynamicModule {
    return {
      module: TransformerConfigModule,
      global: true,
      providers: [{ provide: TRANSFORMER_CONFIG, useValue: config }],
      exports: [TRANSFORMER_CONFIG],
    };
  }
}

/** The stream-transformer (bootstrapService adds /metrics and /health). */
@Module({})
export class StreamTransformerModule {
  /** `env` is passed on to the libs that read their own variables (Kafka). */
  static forRoot(config: TransformerConfig, env: NodeJS.ProcessEnv = process.env): DynamicModule {
    return {
      module: StreamTransformerModule,
      imports: [
        TransformerConfigModule.forRoot(config),
        DbModule.forRoot({
          url: config.DATABASE_URL,
          max: config.DATABASE_POOL_MAX,
          ssl: config.DATABASE_SSL,
          schema: config.DATABASE_SCHEMA,
          applicationName: 'stream-transformer',
        }),
        RedisModule.forRoot({
          url: config.REDIS_URL,
          keyPrefix: config.REDIS_KEY_PREFIX,
          connectionName: 'stream-transformer',
        }),
        KafkaModule.forRoot({ clientId: 'stream-transformer', env }),
        TransformModule,
      ],
    };
  }
}
