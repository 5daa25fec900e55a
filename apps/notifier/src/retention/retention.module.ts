import { Module, type DynamicModule } from '@nestjs/common';
import { RetentionScheduler } from '@sluice/service-runtime';
import type { NotifierConfig } from '../notifier.config';
import { RetentionRepository } from './retention.repository';
import { RetentionService } from './retention.service';

/** Retention of the alert tables: bounded deletes of what the notifier no longer needs. */
@Module({})
export class RetentionModule {
  static register(config: NotifierConfig): DynamicModule {
    return {
      module: RetentionModule,
      providers: [
        RetentionRepository,
        {
          provide: RetentionService,
          inject: [RetentionRepository],
          useFactory: (repository: RetentionRepository) =>
            new RetentionService(repository, {
              incidentsDays: config.ALERT_RETENTION_INCIDENTS_DAYS,
              deliveriesDays: config.ALERT_RETENTION_DELIVERIES_DAYS,
              seenEventsDays: config.ALERT_RETENTION_SEEN_EVENTS_DAYS,
              silencesDays: config.ALERT_RETENTION_SILENCES_DAYS,
              cooldownMs: config.INCIDENT_COOLDOWN_MS,
              batchRows: config.ALERT_RETENTION_BATCH_ROWS,
            }),
        },
        {
          provide: RetentionScheduler,
          inject: [RetentionService],
          useFactory: (retention: RetentionService) =>
            new RetentionScheduler(retention, config.ALERT_RETENTION_INTERVAL_MS),
        },
      ],
    };
  }
}
