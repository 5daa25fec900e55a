import { Module } from '@nestjs/common';
import { PG_POOL } from '@sluice/db';
import type { Pool } from 'pg';
import { TRANSFORMER_CONFIG, type TransformerConfig } from '../stream-transformer.config';
import { transformMetrics } from '../transform/transform.metrics';
import { DeviceTagsCache } from './device-tags.cache';
import { DevicesRepository } from './devices.repository';

/** Device tags from the registry, cached in-process. */
@Module({
  providers: [
    {
      provide: DevicesRepository,
      inject: [PG_POOL],
      useFactory: (pool: Pool) => new DevicesRepository(pool),
    },
    {
      provide: DeviceTagsCache,
      inject: [DevicesRepository, TRANSFORMER_CONFIG],
      useFactory: (devices: DevicesRepository, config: TransformerConfig) => {
        const metrics = transformMetrics();
        return new DeviceTagsCache(devices, {
          ttlMs: config.DEVICE_CACHE_TTL_MS,
          maxEntries: config.DEVICE_CACHE_MAX_ENTRIES,
          onStaleServed: () => metrics.staleTagsServed.inc(),
        });
      },
    },
  ],
  exports: [DeviceTagsCache],
})
export class EnrichmentModule {}
