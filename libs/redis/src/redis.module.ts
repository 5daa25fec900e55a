import {
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { HealthModule, HealthService } from '@sluice/health';
import type { Redis } from 'ioredis';
import { createRedis, type RedisConfig } from './redis.factory';

/** Injection token of the process's ioredis client: `@Inject(REDIS) private readonly redis: Redis`. */
export const REDIS = Symbol('REDIS');

@Injectable()
class RedisLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly health: HealthService,
  ) {}

  onModuleInit(): void {
    this.health.register('redis', async () => {
      await this.redis.ping();
    });
  }

  // After beforeApplicationShutdown (consumers drained): QUIT lets queued commands finish.
  async onApplicationShutdown(): Promise<void> {
    if (this.redis.status === 'end') return;
    try {
      await this.redis.quit();
    } catch {
      // QUIT fails when the server is unreachable; drop the socket so the process can exit.
      this.redis.disconnect();
    }
  }
}

@Module({})
export class RedisModule {
  static forRoot(config: RedisConfig): DynamicModule {
    return {
      module: RedisModule,
      global: true,
      imports: [HealthModule],
      providers: [{ provide: REDIS, useFactory: () => createRedis(config) }, RedisLifecycle],
      exports: [REDIS],
    };
  }
}
