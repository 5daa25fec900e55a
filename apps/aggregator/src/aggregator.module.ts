import { Module, type DynamicModule } from '@nestjs/common';
import { PROTO_ROOT } from '@sluice/contracts';
import type { GrpcServerConfig } from '@sluice/grpc';
import { DbModule } from '@sluice/db';
import { KafkaModule } from '@sluice/kafka';
import { RedisModule } from '@sluice/redis';
import { AGGREGATOR_CONFIG, type AggregatorConfig } from './aggregator.config';
import { BatchLayerModule } from './batch-layer/batch-layer.module';
import { RetentionModule } from './retention/retention.module';
import { ServingModule } from './serving/serving.module';
import { RawSinkModule } from './raw-sink/raw-sink.module';
import { SilenceDetectionModule } from './silence-detection/silence-detection.module';
import { SpeedLayerModule } from './speed-layer/speed-layer.module';

/** gRPC server of the aggregator: the serving layer (`sluice.serving.v1.ServingService`). */
export function aggregatorGrpc(
  config: Pick<AggregatorConfig, 'GRPC_PORT'>,
  host = '0.0.0.0',
): GrpcServerConfig {
  return {
    url: `${host}:${config.GRPC_PORT}`,
    protoFiles: [`${PROTO_ROOT}/sluice/serving.proto`],
    packages: ['sluice.serving.v1'],
  };
}

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
        BatchLayerModule,
        ServingModule,
        RetentionModule,
        SilenceDetectionModule,
      ],
    };
  }
}
