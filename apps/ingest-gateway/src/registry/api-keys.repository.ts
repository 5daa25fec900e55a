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
  rateLimitPerS: number | null;
  rateLimitBurst: number | null;
}

/** What the admin API shows of a key: everything but the hash. */
export interface ApiKeySummary extends ApiKeyRecord {
  createdAt: Date;
  lastUsedAt: Date | null;
}

const KEY_COLUMNS = `id, tenant, name, scopes, device_ids AS "deviceIds", revoked_at AS "revokedAt",
  rate_limit_per_s AS "rateLimitPerS", rate_limit_burst AS "rateLimitBurst"`;

export interface NewApiKey {
  id: string;
  tenant: string;
  keyHash: string;
  name: string;
  scopes: ApiKeyScope[];
  deviceIds: string[] | null;
  rateLimitPerS?: number | null;
  rateLimitBurst?: number | null;
}

@Injectable()
export class ApiKeysRepository {
  constructor(@Inject(REGISTRY_POOL) private readonly pool: Pool) {}

  async findByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.pool.query<ApiKeyRecord>(
      `SELECT ${KEY_COLUMNS} FROM api_keys WHERE key_hash = $1`,
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

  /** Creates a key; false when the id is taken. */
  async create(key: NewApiKey): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO api_keys (id, tenant, key_hash, name, scopes, device_ids, rate_limit_per_s, rate_limit_burst)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
      [
        key.id,
        key.tenant,
        key.keyHash,
        key.name,
        key.scopes,
        key.deviceIds,
        key.rateLimitPerS ?? null,
        key.rateLimitBurst ?? null,
      ],
    );
    return rowCount === 1;
  }

  /** A tenant's keys (all tenants when `tenant` is null), never with their hash. */
  async list(tenant: string | null): Promise<ApiKeySummary[]> {
    const { rows } = await this.pool.query<ApiKeySummary>(
      `SELECT ${KEY_COLUMNS}, created_at AS "createdAt", last_used_at AS "lastUsedAt"
         FROM api_keys WHERE ($1::text IS NULL OR tenant = $1) ORDER BY tenant, created_at, id`,
      [tenant],
    );
    return rows;
  }

  async find(id: string): Promise<ApiKeySummary | undefined> {
    const { rows } = await this.pool.query<ApiKeySummary>(
      `SELECT ${KEY_COLUMNS}, created_at AS "createdAt", last_used_at AS "lastUsedAt"
         FROM api_keys WHERE id = $1`,
      [id],
    );
    return rows[0];
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
