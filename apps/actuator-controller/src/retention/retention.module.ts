import { Module, type DynamicModule } from '@nestjs/common';
import { RetentionScheduler } from '@sluice/service-runtime';
import type { ActuatorControllerConfig } from '../actuator-controller.config';
import { RetentionRepository } from './retention.repository';
import { RetentionService } from './retention.service';

/**
 * Retention of the command tables: bounded deletes of final commands, their events and conflicts.
 * COMMAND_RETENTION_INTERVAL_MS=0 registers no scheduler (the tables are then kept forever).
 */
@Module({})
export class RetentionModule {
  static register(config: ActuatorControllerConfig): DynamicModule {
    const intervalMs = config.COMMAND_RETENTION_INTERVAL_MS;
    return {
      module: RetentionModule,
      providers: [
        RetentionRepository,
        {
          provide: RetentionService,
          inject: [RetentionRepository],
          useFactory: (repository: RetentionRepository) =>
            new RetentionService(repository, {
              days: config.COMMAND_RETENTION_DAYS,
              batchRows: config.COMMAND_RETENTION_BATCH_ROWS,
            }),
        },
        ...(intervalMs > 0
          ? [
              {
                provide: RetentionScheduler,
                inject: [RetentionService],
                useFactory: (retention: RetentionService) =>
                  new RetentionScheduler(retention, intervalMs),
              },
            ]
          : []),
      ],
    };
  }
}
