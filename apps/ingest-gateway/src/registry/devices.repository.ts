import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { REGISTRY_POOL } from './registry.tokens';

export interface DeviceRecord {
  id: string;
  tags: Record<string, string>;
  metadata: Record<string, unknown>;
  createdAt: Date;
  lastSeenAt: Date | null;
}

export interface DeviceListQuery {
  tenant: string;
  /** Only these ids (a device-scoped key); null = all. */
  ids: readonly string[] | null;
  limit: number;
  /** Keyset pagination: devices with an id greater than this. */
  after?: string;
}

const DEVICE_COLUMNS = `id, tags, metadata, created_at AS "createdAt", last_seen_at AS "lastSeenAt"`;

@Injectable()
export class DevicesRepository {
  constructor(@Inject(REGISTRY_POOL) private readonly pool: Pool) {}

  async list(query: DeviceListQuery): Promise<DeviceRecord[]> {
    const { rows } = await this.pool.query<DeviceRecord>(
      `SELECT ${DEVICE_COLUMNS} FROM devices
        WHERE tenant = $1 AND ($2::text[] IS NULL OR id = ANY($2)) AND ($3::text IS NULL OR id > $3)
        ORDER BY id LIMIT $4`,
      [query.tenant, query.ids, query.after ?? null, query.limit],
    );
    return rows;
  }

  async find(tenant: string, id: string): Promise<DeviceRecord | undefined> {
    const { rows } = await this.pool.query<DeviceRecord>(
      `SELECT ${DEVICE_COLUMNS} FROM devices WHERE tenant = $1 AND id = $2`,
      [tenant, id],
    );
    return rows[0];
  }

  /** Which of `ids` exist for the tenant. */
  async existing(tenant: string, ids: readonly string[]): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ id: string }>(
      'SELECT id FROM devices WHERE tenant = $1 AND id = ANY($2)',
      [tenant, ids],
    );
    return new Set(rows.map((row) => row.id));
  }

  /** Registers the devices that do not exist yet (without tags); existing ones are untouched. */
  async registerMissing(tenant: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `INSERT INTO devices (tenant, id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
      [tenant, ids],
    );
  }

  /** Creates the device or replaces its tags and metadata (seeding, admin API). */
  async upsert(
    tenant: string,
    id: string,
    tags: Record<string, string>,
    metadata: Record<string, unknown> = {},
  ): Promise<void> {
    await this.pool.query(
      `INSERT INTO devices (tenant, id, tags, metadata) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant, id) DO UPDATE SET tags = EXCLUDED.tags, metadata = EXCLUDED.metadata`,
      [tenant, id, JSON.stringify(tags), JSON.stringify(metadata)],
    );
  }

  /**
   * Creates the device, or fills in the tags of one that was auto-registered without any; tags an
   * operator already set are never overwritten (seeding runs on every start).
   */
  async seed(tenant: string, id: string, tags: Record<string, string>): Promise<void> {
    await this.pool.query(
      `INSERT INTO devices (tenant, id, tags) VALUES ($1, $2, $3)
       ON CONFLICT (tenant, id) DO UPDATE SET tags = EXCLUDED.tags WHERE devices.tags = '{}'::jsonb`,
      [tenant, id, JSON.stringify(tags)],
    );
  }

  /** Deletes the device; false when it did not exist. Its stored readings are kept. */
  async delete(tenant: string, id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'DELETE FROM devices WHERE tenant = $1 AND id = $2',
      [tenant, id],
    );
    return rowCount === 1;
  }

  /** One statement for many devices: last-seen updates are batched, never one per request. */
  async markSeen(
    entries: ReadonlyArray<{ tenant: string; id: string; seenAt: Date }>,
  ): Promise<void> {
    if (entries.length === 0) return;
    await this.pool.query(
      `UPDATE devices d SET last_seen_at = GREATEST(COALESCE(d.last_seen_at, s.seen_at), s.seen_at)
         FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS s(tenant, id, seen_at)
        WHERE d.tenant = s.tenant AND d.id = s.id`,
      [entries.map((e) => e.tenant), entries.map((e) => e.id), entries.map((e) => e.seenAt)],
    );
  }
}
