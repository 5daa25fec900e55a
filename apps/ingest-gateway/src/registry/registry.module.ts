import { Module } from '@nestjs/common';
import { PG_POOL } from '@sluice/db';
import { ApiKeysRepository } from './api-keys.repository';
import { DemoSeedService } from './demo-seed.service';
import { DeviceActivityService } from './device-activity.service';
import { DevicesRepository } from './devices.repository';
import { REGISTRY_POOL } from './registry.tokens';
import { TenantsRepository } from './tenants.repository';

/** Tenants, devices and API keys in PostgreSQL; the demo seed. */
@Module({
  providers: [
    { provide: REGISTRY_POOL, useExisting: PG_POOL },
    TenantsRepository,
    DevicesRepository,
    ApiKeysRepository,
    DeviceActivityService,
    DemoSeedService,
  ],
  exports: [TenantsRepository, DevicesRepository, ApiKeysRepository, DeviceActivityService],
})
export class RegistryModule {}
