import {
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { HealthModule, HealthService } from '@sluice/health';
import type pg from 'pg';
import { createPgPool, type PgPoolConfig } from './pg-pool.factory';

/** Injection token of the process's pg.Pool: `@Inject(PG_POOL) private readonly pool: pg.Pool`. */
export const PG_POOL = Symbol('PG_POOL');

@Injectable()
class PgPoolLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    private readonly health: HealthService,
  ) {}

  onModuleInit(): void {
    this.health.register('postgres', async () => {
      await this.pool.query('SELECT 1');
    });
  }

  // onApplicationShutdown runs after every beforeApplicationShutdown hook, i.e. after consumers
  // have finished their in-flight batches, so nothing still needs the pool when it closes.
  async onApplicationShutdown(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}

@Module({})
export class DbModule {
  static forRoot(config: PgPoolConfig): DynamicModule {
    return {
      module: DbModule,
      global: true,
      imports: [HealthModule],
      providers: [{ provide: PG_POOL, useFactory: () => createPgPool(config) }, PgPoolLifecycle],
      exports: [PG_POOL],
    };
  }
}
