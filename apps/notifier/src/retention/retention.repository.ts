import { Inject, Injectable } from '@nestjs/common';
import { deleteLockedBatch, PG_POOL } from '@sluice/db';
import type pg from 'pg';

/**
 * SQL of the retention pass: each method is one bounded, `SKIP LOCKED` step (`deleteLockedBatch`)
 * and returns how many rows went. A row another transaction is changing (a delivery being re-sent,
 * an incident being acknowledged) is left for the next pass. Cut-offs are epoch milliseconds.
 */
@Injectable()
export class RetentionRepository {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  /**
   * Delivered and dead deliveries whose last activity (created, last attempt scheduled, delivered)
   * is before `deliveryCutoff`, or whose incident was resolved before `incidentCutoff` (null: no
   * cut-off). Pending ones are never touched. Idempotency keys are derived from the incident's
   * notification sequence, persisted with the delivery, so a deleted key is never enqueued again.
   */
  deleteFinishedDeliveries(
    deliveryCutoff: number | null,
    incidentCutoff: number | null,
    limit: number,
  ): Promise<number> {
    return deleteLockedBatch(
      this.pool,
      {
        table: 'alert_deliveries',
        key: 'id',
        candidates: `SELECT d.id FROM alert_deliveries d
          WHERE d.status IN ('delivered', 'dead')
            AND (GREATEST(d.created_at, d.next_attempt_at, d.delivered_at) < to_timestamp($1::float8 / 1000)
                 OR d.incident_id IN (SELECT i.id FROM alert_incidents i
                                       WHERE i.status = 'resolved'
                                         AND i.resolved_at < to_timestamp($2::float8 / 1000)))`,
        lockOf: 'd',
      },
      [deliveryCutoff, incidentCutoff],
      limit,
    );
  }

  /**
   * History of incidents resolved before `cutoff` that have no pending delivery (an incident kept
   * for its pending delivery keeps its history).
   */
  deleteHistoryOfExpiredIncidents(cutoff: number, limit: number): Promise<number> {
    return deleteLockedBatch(
      this.pool,
      {
        table: 'alert_incident_history',
        key: 'id',
        candidates: `SELECT h.id FROM alert_incident_history h
            JOIN alert_incidents i ON i.id = h.incident_id
          WHERE i.status = 'resolved' AND i.resolved_at < to_timestamp($1::float8 / 1000)
            AND NOT EXISTS (SELECT 1 FROM alert_deliveries d
                             WHERE d.incident_id = i.id AND d.status = 'pending')`,
        lockOf: 'h',
      },
      [cutoff],
      limit,
    );
  }

  /**
   * Incidents resolved before `cutoff` once their deliveries and history are gone (deleted by the
   * two steps above, in bounded batches, rather than by one unbounded ON DELETE CASCADE). An
   * incident with a pending delivery therefore stays until it is delivered or dead.
   */
  deleteExpiredIncidents(cutoff: number, limit: number): Promise<number> {
    return deleteLockedBatch(
      this.pool,
      {
        table: 'alert_incidents',
        key: 'id',
        candidates: `SELECT i.id FROM alert_incidents i
          WHERE i.status = 'resolved' AND i.resolved_at < to_timestamp($1::float8 / 1000)
            AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.incident_id = i.id)
            AND NOT EXISTS (SELECT 1 FROM alert_incident_history h WHERE h.incident_id = i.id)`,
      },
      [cutoff],
      limit,
    );
  }

  /** Seen alert ids first received before `cutoff`. */
  deleteSeenEvents(cutoff: number, limit: number): Promise<number> {
    return deleteLockedBatch(
      this.pool,
      {
        table: 'alert_events_seen',
        key: 'event_id',
        candidates: `SELECT event_id FROM alert_events_seen
          WHERE received_at < to_timestamp($1::float8 / 1000)`,
      },
      [cutoff],
      limit,
    );
  }

  /** Cooldown marks of dedupe keys whose last "opened" notification is before `cutoff`. */
  deleteDedupeKeys(cutoff: number, limit: number): Promise<number> {
    return deleteLockedBatch(
      this.pool,
      {
        table: 'alert_dedupe_keys',
        key: 'dedupe_key',
        candidates: `SELECT dedupe_key FROM alert_dedupe_keys
          WHERE last_opened_notification_at < to_timestamp($1::float8 / 1000)`,
      },
      [cutoff],
      limit,
    );
  }

  /** Silences that ended before `cutoff`. */
  deleteEndedSilences(cutoff: number, limit: number): Promise<number> {
    return deleteLockedBatch(
      this.pool,
      {
        table: 'alert_silences',
        key: 'id',
        candidates: `SELECT id FROM alert_silences WHERE ends_at < to_timestamp($1::float8 / 1000)`,
      },
      [cutoff],
      limit,
    );
  }
}
