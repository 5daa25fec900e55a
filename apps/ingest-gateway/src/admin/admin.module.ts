import { Module } from '@nestjs/common';
import { ApiKeysRepository } from '../registry/api-keys.repository';
import { DevicesRepository } from '../registry/devices.repository';
import { RegistryModule } from '../registry/registry.module';
import { TenantsRepository } from '../registry/tenants.repository';
import { AdminController } from './admin.controller';
import { RegistryAdmin } from './registry-admin';

/** `/api/v1/admin/...`: tenants, devices and API keys (the CLI uses the same RegistryAdmin). */
@Module({
  imports: [RegistryModule],
  controllers: [AdminController],
  providers: [
    {
      provide: RegistryAdmin,
      inject: [TenantsRepository, DevicesRepository, ApiKeysRepository],
      useFactory: (
        tenants: TenantsRepository,
        devices: DevicesRepository,
        keys: ApiKeysRepository,
      ) => new RegistryAdmin(tenants, devices, keys),
    },
  ],
})
export class AdminModule {}
