import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { REGISTRY_POOL } from './registry.tokens';

@Injectable()
export class TenantsRepository {
  constructor(@Inject(REGISTRY_POOL) private readonly pool: Pool) {}

  async upsert(id: string, name: string): Promise<void> {
    await this.pool.query(
      'INSERT INTO tenants (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name',
      [id, name],
    );
  }
}
