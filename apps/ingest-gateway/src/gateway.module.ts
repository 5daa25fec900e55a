import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { DbModule } from '@sluice/db';
import { KafkaModule } from '@sluice/kafka';
import { RedisModule } from '@sluice/redis';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import { CsvUploadsModule } from './csv-uploads/csv-uploads.module';
import { GrpcIngestModule } from './grpc-ingest/grpc-ingest.module';
import { MqttBridgeModule } from './mqtt-bridge/mqtt-bridge.module';
import { DashboardHostingModule } from './dashboard-hosting/dashboard-hosting.module';
import { PipelineStatusModule } from './pipeline-status/pipeline-status.module';
import { ActuatorsModule } from './actuators/actuators.module';
import { DevicesModule } from './devices/devices.module';
import { GATEWAY_CONFIG, type GatewayConfig } from './gateway.config';
import { IncidentsModule } from './incidents/incidents.module';
import { ApiErrorFilter } from './http/api-error.filter';
import { JsonBodyParserRegistration } from './http/json-body.parser';
import { LineProtocolModule } from './line-protocol/line-protocol.module';
import { LiveStreamModule } from './live-stream/live-stream.module';
import { ProgramsModule } from './programs/programs.module';
import { ReadingsIngestModule } from './readings-ingest/readings-ingest.module';
import { RegistryModule } from './registry/registry.module';
import { SeriesModule } from './series/series.module';

@Module({})
class GatewayConfigModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayConfigModule,
      global: true,
      providers: [{ provide: GATEWAY_CONFIG, useValue: config }],
      exports: [GATEWAY_CONFIG],
    };
  }
}

/** The ingest gateway: REST under /api/v1, WebSocket at /ws (bootstrapService adds /metrics, /health). */
@Module({})
export class GatewayModule {
  /** `env` is passed on to the libs that read their own variables (Kafka). */
  static forRoot(config: GatewayConfig, env: NodeJS.ProcessEnv = process.env): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        GatewayConfigModule.forRoot(config),
        DbModule.forRoot({
          url: config.DATABASE_URL,
          max: config.DATABASE_POOL_MAX,
          ssl: config.DATABASE_SSL,
          schema: config.DATABASE_SCHEMA,
          applicationName: 'ingest-gateway',
        }),
        RedisModule.forRoot({
          url: config.REDIS_URL,
          keyPrefix: config.REDIS_KEY_PREFIX,
          connectionName: 'ingest-gateway',
        }),
        KafkaModule.forRoot({ clientId: 'ingest-gateway', env }),
        RegistryModule,
        AuthModule,
        ReadingsIngestModule,
        LineProtocolModule,
        AdminModule,
        CsvUploadsModule,
        GrpcIngestModule,
        MqttBridgeModule,
        DevicesModule,
        SeriesModule,
        ProgramsModule,
        IncidentsModule,
        ActuatorsModule,
        LiveStreamModule,
        PipelineStatusModule,
        DashboardHostingModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ApiErrorFilter }, JsonBodyParserRegistration],
    };
  }
}
