import { Inject, Injectable } from '@nestjs/common';
import type { AlertSeverity, IncidentStatus, LifecyclePolicy } from '@sluice/alerting';
import { PG_POOL } from '@sluice/db';
import type pg from 'pg';
import type { HistoryEntry, StoredIncident } from './stored-incident';

type Queryable = Pick<pg.PoolClient, 'query'>;

interface IncidentRow {
  id: string;
  tenant: string;
  dedupe_key: string;
  device: string | null;
  metric: string | null;
  kind: string;
  severity: AlertSeverity;
  status: IncidentStatus;
  message: string;
  evidence: Record<string, unknown>;
  device_tags: Record<string, string>;
  opened_at: Date;
  last_firing_at: Date;
  clearing_since: Date | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  last_notified_at: Date | null;
  notification_pending: boolean;
  escalated_at: Date | null;
  event_count: number;
  notification_seq: number;
}

const ms = (value: Date | null): number | null => (value === null ? null : value.getTime());

function fromRow(row: IncidentRow): StoredIncident {
  return {
    id: row.id,
    tenant: row.tenant,
    dedupeKey: row.dedupe_key,
    device: row.device,
    metric: row.metric,
    kind: row.kind,
    severity: row.severity,
    status: row.status,
    message: row.message,
    evidence: row.evidence,
    deviceTags: row.device_tags,
    openedAt: row.opened_at.getTime(),
    lastFiringAt: row.last_firing_at.getTime(),
    clearingSince: ms(row.clearing_since),
    acknowledgedAt: ms(row.acknowledged_at),
    acknowledgedBy: row.acknowledged_by,
    resolvedAt: ms(row.resolved_at),
    resolvedBy: row.resolved_by,
    lastNotifiedAt: ms(row.last_notified_at),
    notificationPending: row.notification_pending,
    escalatedAt: ms(row.escalated_at),
    eventCount: row.event_count,
    notificationSeq: row.notification_seq,
  };
}

export interface IncidentFilter {
  status?: IncidentStatus | 'open';
  device?: string;
  metric?: string;
  kind?: string;
  severity?: AlertSeverity;
  limit: number;
  /** Only incidents opened before this (paging: pass the last openedAt of the previous page). */
  before?: number;
}

/** SQL of the incident tables: incidents, their history, seen alert ids, cooldown per key. */
@Injectable()
export class IncidentsRepository {
  constructor(@Inject(PG_POOL) readonly pool: pg.Pool) {}

  /** Runs `work` in one transaction on one connection. */
  async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Records alert event ids; returns those not seen before (a redelivered record is a no-op). */
  async markEventsSeen(client: Queryable, ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const result = await client.query<{ event_id: string }>(
      `INSERT INTO alert_events_seen (event_id) SELECT unnest($1::text[])
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [ids],
    );
    return new Set(result.rows.map((row) => row.event_id));
  }

  /** The open incidents of these keys, locked until the transaction ends (ordered: no deadlock). */
  async lockOpenByKeys(
    client: Queryable,
    keys: readonly string[],
  ): Promise<Map<string, StoredIncident>> {
    if (keys.length === 0) return new Map();
    const result = await client.query<IncidentRow>(
      `SELECT * FROM alert_incidents WHERE dedupe_key = ANY($1::text[]) AND status <> 'resolved'
       ORDER BY id FOR UPDATE`,
      [keys],
    );
    return new Map(result.rows.map((row) => [row.dedupe_key, fromRow(row)]));
  }

  async lastOpenedNotifications(
    client: Queryable,
    keys: readonly string[],
  ): Promise<Map<string, number>> {
    if (keys.length === 0) return new Map();
    const result = await client.query<{ dedupe_key: string; at: Date }>(
      `SELECT dedupe_key, last_opened_notification_at AS at FROM alert_dedupe_keys
       WHERE dedupe_key = ANY($1::text[])`,
      [keys],
    );
    return new Map(result.rows.map((row) => [row.dedupe_key, row.at.getTime()]));
  }

  /**
   * Open incidents with a timer that may be due at `now` (clear time, stale, held notification,
   * re-notify, escalation), locked; rows another transaction holds are skipped for this tick.
   */
  async lockDue(
    client: Queryable,
    now: number,
    policy: LifecyclePolicy,
    limit: number,
  ): Promise<StoredIncident[]> {
    const result = await client.query<IncidentRow>(
      `SELECT * FROM alert_incidents
        WHERE status <> 'resolved'
          AND (clearing_since <= to_timestamp(($1::float8 - $2) / 1000)
               OR notification_pending
               OR ($3::float8 > 0 AND last_firing_at <= to_timestamp(($1::float8 - $3) / 1000))
               OR (status = 'firing' AND (
                    ($4::float8 > 0 AND last_notified_at <= to_timestamp(($1::float8 - $4) / 1000))
                 OR ($5::float8 > 0 AND escalated_at IS NULL
                     AND opened_at <= to_timestamp(($1::float8 - $5) / 1000)))))
        ORDER BY id LIMIT $6 FOR UPDATE SKIP LOCKED`,
      [
        now,
        policy.clearMs,
        policy.staleResolveMs,
        policy.renotifyMs,
        policy.escalateAfterMs,
        limit,
      ],
    );
    return result.rows.map(fromRow);
  }

  async lockById(
    client: Queryable,
    tenant: string,
    id: string,
  ): Promise<StoredIncident | undefined> {
    const result = await client.query<IncidentRow>(
      `SELECT * FROM alert_incidents WHERE tenant = $1 AND id = $2 FOR UPDATE`,
      [tenant, id],
    );
    return result.rows[0] === undefined ? undefined : fromRow(result.rows[0]);
  }

  /** Inserts new and updates changed incidents, appends history, records "opened" notification times. */
  async save(
    client: Queryable,
    incidents: readonly StoredIncident[],
    history: readonly HistoryEntry[],
    openedNotifications: ReadonlyMap<string, number>,
  ): Promise<void> {
    if (incidents.length > 0) {
      await client.query(
        `INSERT INTO alert_incidents (id, tenant, dedupe_key, device, metric, kind, severity, status,
           message, evidence, device_tags, opened_at, last_firing_at, clearing_since, acknowledged_at,
           acknowledged_by, resolved_at, resolved_by, last_notified_at, notification_pending,
           escalated_at, event_count, notification_seq)
         SELECT r.id, r."tenant", r."dedupeKey", r.device, r.metric, r.kind, r.severity, r.status,
           r.message, r.evidence, r."deviceTags", to_timestamp(r."openedAt" / 1000.0), to_timestamp(r."lastFiringAt" / 1000.0),
           to_timestamp(r."clearingSince" / 1000.0), to_timestamp(r."acknowledgedAt" / 1000.0), r."acknowledgedBy", to_timestamp(r."resolvedAt" / 1000.0),
           r."resolvedBy", to_timestamp(r."lastNotifiedAt" / 1000.0), r."notificationPending", to_timestamp(r."escalatedAt" / 1000.0),
           r."eventCount", r."notificationSeq"
         FROM jsonb_to_recordset($1::jsonb) AS r(id text, "tenant" text, "dedupeKey" text, device text,
           metric text, kind text, severity text, status text, message text, evidence jsonb,
           "deviceTags" jsonb, "openedAt" float8, "lastFiringAt" float8, "clearingSince" float8,
           "acknowledgedAt" float8, "acknowledgedBy" text, "resolvedAt" float8, "resolvedBy" text,
           "lastNotifiedAt" float8, "notificationPending" boolean, "escalatedAt" float8,
           "eventCount" integer, "notificationSeq" integer)
         ON CONFLICT (id) DO UPDATE SET severity = EXCLUDED.severity, status = EXCLUDED.status,
           message = EXCLUDED.message, evidence = EXCLUDED.evidence,
           last_firing_at = EXCLUDED.last_firing_at, clearing_since = EXCLUDED.clearing_since,
           acknowledged_at = EXCLUDED.acknowledged_at, acknowledged_by = EXCLUDED.acknowledged_by,
           resolved_at = EXCLUDED.resolved_at, resolved_by = EXCLUDED.resolved_by,
           last_notified_at = EXCLUDED.last_notified_at,
           notification_pending = EXCLUDED.notification_pending,
           escalated_at = EXCLUDED.escalated_at, event_count = EXCLUDED.event_count,
           notification_seq = EXCLUDED.notification_seq`,
        [JSON.stringify(incidents)],
      );
    }
    if (history.length > 0) {
      await client.query(
        `INSERT INTO alert_incident_history (incident_id, at, type, detail)
         SELECT r."incidentId", to_timestamp(r.at / 1000.0), r.type, r.detail
         FROM jsonb_to_recordset($1::jsonb) AS r("incidentId" text, at float8, type text, detail jsonb)`,
        [JSON.stringify(history)],
      );
    }
    if (openedNotifications.size > 0) {
      await client.query(
        `INSERT INTO alert_dedupe_keys (dedupe_key, last_opened_notification_at)
         SELECT key, to_timestamp(at / 1000.0) FROM unnest($1::text[], $2::float8[]) AS r(key, at)
         ON CONFLICT (dedupe_key) DO UPDATE SET last_opened_notification_at = EXCLUDED.last_opened_notification_at`,
        [[...openedNotifications.keys()], [...openedNotifications.values()]],
      );
    }
  }

  async list(tenant: string, filter: IncidentFilter): Promise<StoredIncident[]> {
    const conditions = ['tenant = $1'];
    const params: unknown[] = [tenant];
    const add = (sql: string, value: unknown): void => {
      params.push(value);
      conditions.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.status === 'open') conditions.push(`status <> 'resolved'`);
    else if (filter.status !== undefined) add('status = ?', filter.status);
    if (filter.device !== undefined) add('device = ?', filter.device);
    if (filter.metric !== undefined) add('metric = ?', filter.metric);
    if (filter.kind !== undefined) add('kind = ?', filter.kind);
    if (filter.severity !== undefined) add('severity = ?', filter.severity);
    if (filter.before !== undefined)
      add('opened_at < to_timestamp(?::float8 / 1000)', filter.before);
    params.push(filter.limit);
    const result = await this.pool.query<IncidentRow>(
      `SELECT * FROM alert_incidents WHERE ${conditions.join(' AND ')}
       ORDER BY opened_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    return result.rows.map(fromRow);
  }

  async history(incidentIds: readonly string[]): Promise<HistoryEntry[]> {
    if (incidentIds.length === 0) return [];
    const result = await this.pool.query<{
      incident_id: string;
      at: Date;
      type: string;
      detail: Record<string, unknown>;
    }>(
      `SELECT incident_id, at, type, detail FROM alert_incident_history
       WHERE incident_id = ANY($1::text[]) ORDER BY id`,
      [incidentIds],
    );
    return result.rows.map((row) => ({
      incidentId: row.incident_id,
      at: row.at.getTime(),
      type: row.type,
      detail: row.detail,
    }));
  }

  /** Tags of the devices (registry table), for silences matching by tag. */
  async deviceTags(
    client: Queryable,
    tenant: string,
    devices: readonly string[],
  ): Promise<Map<string, Record<string, string>>> {
    if (devices.length === 0) return new Map();
    const result = await client.query<{ id: string; tags: Record<string, string> }>(
      `SELECT id, tags FROM devices WHERE tenant = $1 AND id = ANY($2::text[])`,
      [tenant, devices],
    );
    return new Map(result.rows.map((row) => [row.id, row.tags]));
  }
}
