import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module';
import { DevicesController } from './devices.controller';

/** `GET /api/v1/devices` and `GET /api/v1/devices/:id/latest`. */
@Module({ imports: [RegistryModule], controllers: [DevicesController] })
export class DevicesModule {}
