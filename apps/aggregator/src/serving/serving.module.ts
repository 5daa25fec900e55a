import { Module } from '@nestjs/common';
import { PG_POOL } from '@sluice/db';
import { REDIS } from '@sluice/redis';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { AGGREGATOR_CONFIG, type AggregatorConfig } from '../aggregator.config';
import { BatchLayerModule } from '../batch-layer/batch-layer.module';
import { BatchLayerService } from '../batch-layer/batch-layer.service';
import { RollupsRepository } from '../batch-layer/rollups.repository';
import { SeriesRepository } from './series.repository';
import { ServingGrpcController } from './serving.grpc.controller';
import { ServingService } from './serving.service';

/** The serving layer over gRPC: rollups below the batch watermark, speed layer above it. */
@Module({
  imports: [BatchLayerModule],
  controllers: [ServingGrpcController],
  providers: [
    {
      provide: ServingService,
      inject: [BatchLayerService, RollupsRepository, PG_POOL, REDIS, AGGREGATOR_CONFIG],
      useFactory: (
        batch: BatchLayerService,
        rollups: RollupsRepository,
        pool: Pool,
        redis: Redis,
        config: AggregatorConfig,
      ) =>
        new ServingService(batch, rollups, new SeriesRepository(pool), redis, {
          zone: config.BATCH_TIME_ZONE,
          speedWindowMs: config.SPEED_WINDOW_MS,
          maxDevices: 100,
          maxPoints: 200_000,
        }),
    },
  ],
})
export class ServingModule {}
