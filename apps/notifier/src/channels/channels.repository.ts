import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AlertSeverity } from '@sluice/alerting';
import { PG_POOL } from '@sluice/db';
import type pg from 'pg';
import type { Channel, ChannelInput, ChannelType } from './channel-config';

type Queryable = Pick<pg.PoolClient, 'query'>;

interface ChannelRow {
  id: string;
  tenant: string;
  name: string;
  type: ChannelType;
  config: Record<string, unknown>;
  enabled: boolean;
  min_severity: AlertSeverity;
  escalation: boolean;
  created_at: Date;
  updated_at: Date;
}

const fromRow = (row: ChannelRow): Channel => ({
  id: row.id,
  tenant: row.tenant,
  name: row.name,
  type: row.type,
  config: row.config,
  enabled: row.enabled,
  minSeverity: row.min_severity,
  escalation: row.escalation,
  createdAt: row.created_at.getTime(),
  updatedAt: row.updated_at.getTime(),
});

@Injectable()
export class ChannelsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async forTenants(client: Queryable, tenants: readonly string[]): Promise<Channel[]> {
    if (tenants.length === 0) return [];
    const result = await client.query<ChannelRow>(
      `SELECT * FROM alert_channels WHERE tenant = ANY($1::text[]) ORDER BY id`,
      [tenants],
    );
    return result.rows.map(fromRow);
  }

  async list(tenant: string): Promise<Channel[]> {
    return this.forTenants(this.pool, [tenant]);
  }

  async get(tenant: string, id: string): Promise<Channel | undefined> {
    const result = await this.pool.query<ChannelRow>(
      `SELECT * FROM alert_channels WHERE tenant = $1 AND id = $2`,
      [tenant, id],
    );
    return result.rows[0] === undefined ? undefined : fromRow(result.rows[0]);
  }

  async create(tenant: string, input: ChannelInput): Promise<Channel> {
    const result = await this.pool.query<ChannelRow>(
      `INSERT INTO alert_channels (id, tenant, name, type, config, enabled, min_severity, escalation)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [
        `ch_${randomUUID()}`,
        tenant,
        input.name,
        input.type,
        JSON.stringify(input.config),
        input.enabled,
        input.minSeverity,
        input.escalation,
      ],
    );
    return fromRow(result.rows[0]);
  }

  async update(tenant: string, id: string, input: ChannelInput): Promise<Channel | undefined> {
    const result = await this.pool.query<ChannelRow>(
      `UPDATE alert_channels SET name = $3, type = $4, config = $5, enabled = $6, min_severity = $7,
         escalation = $8, updated_at = now()
       WHERE tenant = $1 AND id = $2 RETURNING *`,
      [
        tenant,
        id,
        input.name,
        input.type,
        JSON.stringify(input.config),
        input.enabled,
        input.minSeverity,
        input.escalation,
      ],
    );
    return result.rows[0] === undefined ? undefined : fromRow(result.rows[0]);
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    const result = await this.pool.query(
      `DELETE FROM alert_channels WHERE tenant = $1 AND id = $2`,
      [tenant, id],
    );
    return (result.rowCount ?? 0) > 0;
  }
}
