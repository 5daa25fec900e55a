import { Inject, Injectable } from '@nestjs/common';
import type { IncidentNotification } from '@sluice/alerting';
import { PG_POOL } from '@sluice/db';
import type pg from 'pg';

type Queryable = Pick<pg.PoolClient, 'query'>;

export type DeliveryChannelType = 'webhook' | 'slack' | 'email' | 'websocket';
export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

export interface NewDelivery {
  idempotencyKey: string;
  tenant: string;
  incidentId: string | null;
  channelId: string | null;
  channelType: DeliveryChannelType;
  notification: string;
  payload: IncidentNotification;
}

export interface Delivery extends NewDelivery {
  id: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

/** A delivery a worker claimed, with its channel's current configuration (null: channel gone). */
export interface ClaimedDelivery extends Delivery {
  channelConfig: Record<string, unknown> | null;
}

interface DeliveryRow {
  id: string;
  idempotency_key: string;
  tenant: string;
  incident_id: string | null;
  channel_id: string | null;
  channel_type: DeliveryChannelType;
  notification: string;
  payload: IncidentNotification;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
  channel_config?: Record<string, unknown> | null;
}

const fromRow = (row: DeliveryRow): Delivery => ({
  id: row.id,
  idempotencyKey: row.idempotency_key,
  tenant: row.tenant,
  incidentId: row.incident_id,
  channelId: row.channel_id,
  channelType: row.channel_type,
  notification: row.notification,
  payload: row.payload,
  status: row.status,
  attempts: row.attempts,
  nextAttemptAt: row.next_attempt_at.getTime(),
  lastError: row.last_error,
  createdAt: row.created_at.getTime(),
  deliveredAt: row.delivered_at === null ? null : row.delivered_at.getTime(),
});

export interface DeliveryFilter {
  status?: DeliveryStatus;
  incidentId?: string;
  channelId?: string;
  limit: number;
  /** Paging: deliveries with a smaller id than this. */
  beforeId?: string;
}

/** The notification outbox. */
@Injectable()
export class DeliveriesRepository {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  /** Adds deliveries in the caller's transaction; a key already present is skipped. */
  async enqueue(client: Queryable, deliveries: readonly NewDelivery[]): Promise<string[]> {
    if (deliveries.length === 0) return [];
    const result = await client.query<{ id: string }>(
      `INSERT INTO alert_deliveries (idempotency_key, tenant, incident_id, channel_id, channel_type, notification, payload)
       SELECT r."idempotencyKey", r.tenant, r."incidentId", r."channelId", r."channelType", r.notification, r.payload
       FROM jsonb_to_recordset($1::jsonb) AS r("idempotencyKey" text, tenant text, "incidentId" text,
         "channelId" text, "channelType" text, notification text, payload jsonb)
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
      [JSON.stringify(deliveries)],
    );
    return result.rows.map((row) => row.id);
  }

  /** Adds deliveries outside any transaction (test notifications). */
  async enqueueNow(deliveries: readonly NewDelivery[]): Promise<string[]> {
    return this.enqueue(this.pool, deliveries);
  }

  /**
   * Claims due deliveries (or the given ones) for `leaseMs`: the attempt is counted before the
   * send, so a worker killed mid-send leaves a claimed row that another worker retries — with the
   * same idempotency key — once the lease has passed.
   */
  async claim(input: {
    limit: number;
    leaseMs: number;
    now: number;
    ids?: readonly string[];
  }): Promise<ClaimedDelivery[]> {
    const result = await this.pool.query<DeliveryRow>(
      `WITH due AS (
         SELECT id FROM alert_deliveries
          WHERE status = 'pending'
            AND (locked_until IS NULL OR locked_until <= to_timestamp($3::float8 / 1000))
            AND ($4::bigint[] IS NULL AND next_attempt_at <= to_timestamp($3::float8 / 1000)
                 OR id = ANY($4::bigint[]))
          ORDER BY next_attempt_at, id
          LIMIT $1
          FOR UPDATE SKIP LOCKED
       )
       UPDATE alert_deliveries d
          SET locked_until = to_timestamp(($3::float8 + $2) / 1000), attempts = d.attempts + 1
         FROM due
        WHERE d.id = due.id
       RETURNING d.*, (SELECT c.config FROM alert_channels c WHERE c.id = d.channel_id AND c.enabled) AS channel_config`,
      [input.limit, input.leaseMs, input.now, input.ids ?? null],
    );
    return result.rows.map((row) => ({
      ...fromRow(row),
      channelConfig: row.channel_config ?? null,
    }));
  }

  async markDelivered(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE alert_deliveries SET status = 'delivered', delivered_at = now(), locked_until = NULL, last_error = NULL
       WHERE id = ANY($1::bigint[])`,
      [ids],
    );
  }

  /** A failed attempt: retry at `retryAt`, or dead-letter when `retryAt` is null. */
  async markFailed(id: string, error: string, retryAt: number | null): Promise<void> {
    await this.pool.query(
      `UPDATE alert_deliveries
          SET status = CASE WHEN $3::float8 IS NULL THEN 'dead' ELSE 'pending' END,
              next_attempt_at = COALESCE(to_timestamp($3::float8 / 1000), next_attempt_at),
              locked_until = NULL, last_error = $2
        WHERE id = $1`,
      [id, error.slice(0, 2000), retryAt],
    );
  }

  async list(tenant: string, filter: DeliveryFilter): Promise<Delivery[]> {
    const conditions = ['tenant = $1'];
    const params: unknown[] = [tenant];
    const add = (sql: string, value: unknown): void => {
      params.push(value);
      conditions.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.status !== undefined) add('status = ?', filter.status);
    if (filter.incidentId !== undefined) add('incident_id = ?', filter.incidentId);
    if (filter.channelId !== undefined) add('channel_id = ?', filter.channelId);
    if (filter.beforeId !== undefined) add('id < ?::bigint', filter.beforeId);
    params.push(filter.limit);
    const result = await this.pool.query<DeliveryRow>(
      `SELECT * FROM alert_deliveries WHERE ${conditions.join(' AND ')} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    return result.rows.map(fromRow);
  }

  async get(tenant: string, id: string): Promise<Delivery | undefined> {
    const result = await this.pool.query<DeliveryRow>(
      `SELECT * FROM alert_deliveries WHERE tenant = $1 AND id = $2::bigint`,
      [tenant, id],
    );
    return result.rows[0] === undefined ? undefined : fromRow(result.rows[0]);
  }

  /**
   * Puts a delivery back in the queue with fresh attempts. The idempotency key stays: a receiver
   * that already processed it (but answered with an error) will not act twice.
   */
  async requeue(tenant: string, id: string): Promise<Delivery | undefined> {
    const result = await this.pool.query<DeliveryRow>(
      `UPDATE alert_deliveries
          SET status = 'pending', attempts = 0, next_attempt_at = now(), locked_until = NULL, delivered_at = NULL
        WHERE tenant = $1 AND id = $2::bigint RETURNING *`,
      [tenant, id],
    );
    return result.rows[0] === undefined ? undefined : fromRow(result.rows[0]);
  }
}
