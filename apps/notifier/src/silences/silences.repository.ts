import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { SilenceWindow } from '@sluice/alerting';
import { PG_POOL } from '@sluice/db';
import type pg from 'pg';

type Queryable = Pick<pg.PoolClient, 'query'>;

export interface Silence extends SilenceWindow {
  createdBy: string;
  createdAt: number;
}

export type NewSilence = Omit<Silence, 'id' | 'createdAt'>;

interface SilenceRow {
  id: string;
  tenant: string;
  device: string | null;
  metric: string | null;
  kind: string | null;
  tag_key: string | null;
  tag_value: string | null;
  starts_at: Date;
  ends_at: Date;
  reason: string;
  created_by: string;
  created_at: Date;
}

const fromRow = (row: SilenceRow): Silence => ({
  id: row.id,
  tenant: row.tenant,
  device: row.device,
  metric: row.metric,
  kind: row.kind,
  tagKey: row.tag_key,
  tagValue: row.tag_value,
  startsAt: row.starts_at.getTime(),
  endsAt: row.ends_at.getTime(),
  reason: row.reason,
  createdBy: row.created_by,
  createdAt: row.created_at.getTime(),
});

@Injectable()
export class SilencesRepository {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  /** Silences of these tenants that have not ended at `now` (including future ones). */
  async current(client: Queryable, tenants: readonly string[], now: number): Promise<Silence[]> {
    if (tenants.length === 0) return [];
    const result = await client.query<SilenceRow>(
      `SELECT * FROM alert_silences WHERE tenant = ANY($1::text[]) AND ends_at > to_timestamp($2::float8 / 1000)`,
      [tenants, now],
    );
    return result.rows.map(fromRow);
  }

  async list(tenant: string, includeExpired: boolean, now: number): Promise<Silence[]> {
    const result = await this.pool.query<SilenceRow>(
      `SELECT * FROM alert_silences WHERE tenant = $1
         AND ($2::boolean OR ends_at > to_timestamp($3::float8 / 1000))
       ORDER BY starts_at DESC, id LIMIT 1000`,
      [tenant, includeExpired, now],
    );
    return result.rows.map(fromRow);
  }

  async create(silence: NewSilence): Promise<Silence> {
    const result = await this.pool.query<SilenceRow>(
      `INSERT INTO alert_silences (id, tenant, device, metric, kind, tag_key, tag_value, starts_at, ends_at, reason, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::float8 / 1000), to_timestamp($9::float8 / 1000), $10, $11)
       RETURNING *`,
      [
        `sil_${randomUUID()}`,
        silence.tenant,
        silence.device,
        silence.metric,
        silence.kind,
        silence.tagKey,
        silence.tagValue,
        silence.startsAt,
        silence.endsAt,
        silence.reason,
        silence.createdBy,
      ],
    );
    return fromRow(result.rows[0]);
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    const result = await this.pool.query(
      `DELETE FROM alert_silences WHERE tenant = $1 AND id = $2`,
      [tenant, id],
    );
    return (result.rowCount ?? 0) > 0;
  }
}
