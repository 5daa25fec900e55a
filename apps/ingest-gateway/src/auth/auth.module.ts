import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { RegistryModule } from '../registry/registry.module';
import { ApiKeyAuthService } from './api-key-auth.service';
import { ApiKeyGuard } from './api-key.guard';

/** API-key authentication: a global guard that acts on routes marked with @RequireScope. */
@Module({
  imports: [RegistryModule],
  providers: [ApiKeyAuthService, { provide: APP_GUARD, useClass: ApiKeyGuard }],
  exports: [ApiKeyAuthService],
})
export class AuthModule {}
