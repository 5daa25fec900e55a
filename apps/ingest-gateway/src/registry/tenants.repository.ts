import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { REGISTRY_POOL } from './registry.tokens';

export interface TenantRecord {
  id: string;
  name: string;
  createdAt: Date;
}

@Injectable()
export class TenantsRepository {
  constructor(@Inject(REGISTRY_POOL) private readonly pool: Pool) {}

  async list(): Promise<TenantRecord[]> {
    const { rows } = await this.pool.query<TenantRecord>(
      'SELECT id, name, created_at AS "createdAt" FROM tenants ORDER BY id',
    );
    return rows;
  }

  async find(id: string): Promise<TenantRecord | undefined> {
    const { rows } = await this.pool.query<TenantRecord>(
      'SELECT id, name, created_at AS "createdAt" FROM tenants WHERE id = $1',
      [id],
    );
    return rows[0];
  }

  /** Creates the tenant; false when the id is taken. */
  async create(id: string, name: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'INSERT INTO tenants (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING',
      [id, name],
    );
    return rowCount === 1;
  }

  async upsert(id: string, name: string): Promise<void> {
    await this.pool.query(
      'INSERT INTO tenants (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name',
      [id, name],
    );
  }
}
