import { Module, type DynamicModule } from '@nestjs/common';
import { DbModule } from '@sluice/db';
import { KafkaModule } from '@sluice/kafka';
import { AlertsConsumer } from './alert-intake/alerts.consumer';
import { AlertsGrpcController } from './alerts-api/alerts.grpc.controller';
import { ChannelsRepository } from './channels/channels.repository';
import { DeliveriesRepository } from './deliveries/deliveries.repository';
import { DeliveryWorker } from './deliveries/delivery.worker';
import { IncidentTickerScheduler } from './incidents/incident-ticker.scheduler';
import { IncidentService } from './incidents/incident.service';
import { IncidentsRepository } from './incidents/incidents.repository';
import { NOTIFIER_CONFIG, type NotifierConfig } from './notifier.config';
import { ConsumerLagAlerter } from './pipeline-health/consumer-lag.alerter';
import { RetentionModule } from './retention/retention.module';
import { SilencesRepository } from './silences/silences.repository';

/**
 * The notifier: alerts.v1 → incidents (lifecycle in PostgreSQL) → outbox deliveries (webhook,
 * Slack, email, in-app via notifications.v1), and the gRPC API the gateway calls.
 */
@Module({})
export class NotifierModule {
  /** `env` carries the KAFKA_* variables (tests pass their own broker). */
  static forRoot(config: NotifierConfig, env: NodeJS.ProcessEnv = process.env): DynamicModule {
    return {
      module: NotifierModule,
      imports: [
        DbModule.forRoot({
          url: config.DATABASE_URL,
          max: config.DATABASE_POOL_MAX,
          ssl: config.DATABASE_SSL,
          schema: config.DATABASE_SCHEMA,
          applicationName: 'notifier',
        }),
        KafkaModule.forRoot({ clientId: 'notifier', env }),
        RetentionModule.register(config),
      ],
      controllers: [AlertsGrpcController],
      providers: [
        { provide: NOTIFIER_CONFIG, useValue: config },
        IncidentsRepository,
        SilencesRepository,
        ChannelsRepository,
        DeliveriesRepository,
        DeliveryWorker,
        IncidentService,
        IncidentTickerScheduler,
        AlertsConsumer,
        ConsumerLagAlerter,
      ],
    };
  }
}
