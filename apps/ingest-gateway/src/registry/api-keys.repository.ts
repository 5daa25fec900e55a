import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { ApiKeyScope } from '../auth/api-key';
import { REGISTRY_POOL } from './registry.tokens';

export interface ApiKeyRecord {
  id: string;
  tenant: string;
  name: string;
  scopes: ApiKeyScope[];
  deviceIds: string[] | null;
  revokedAt: Date | null;
}

export interface NewApiKey {
  id: string;
  tenant: string;
  keyHash: string;
  name: string;
  scopes: ApiKeyScope[];
  deviceIds: string[] | null;
}

@Injectable()
export class ApiKeysRepository {
  constructor(@Inject(REGISTRY_POOL) private readonly pool: Pool) {}

  async findByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.pool.query<ApiKeyRecord>(
      `SELECT id, tenant, name, scopes, device_ids AS "deviceIds", revoked_at AS "revokedAt"
         FROM api_keys WHERE key_hash = $1`,
      [keyHash],
    );
    return rows[0];
  }

  /** Creates the key, or — same id — updates it to the given secret and scopes (used by seeding). */
  async upsert(key: NewApiKey): Promise<void> {
    await this.pool.query(
      `INSERT INTO api_keys (id, tenant, key_hash, name, scopes, device_ids)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE
         SET key_hash = EXCLUDED.key_hash, name = EXCLUDED.name, scopes = EXCLUDED.scopes,
             device_ids = EXCLUDED.device_ids, revoked_at = NULL`,
      [key.id, key.tenant, key.keyHash, key.name, key.scopes, key.deviceIds],
    );
  }

  async revoke(id: string): Promise<void> {
    await this.pool.query(
      'UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL',
      [id],
    );
  }

  async markUsed(ids: readonly string[], usedAt: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE api_keys SET last_used_at = GREATEST(COALESCE(last_used_at, $2), $2) WHERE id = ANY($1)`,
      [ids, usedAt],
    );
  }
}
