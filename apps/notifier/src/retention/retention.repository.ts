import { Inject, Injectable } from '@nestjs/common';
import { PG_POOL } from '@sluice/db';
import type pg from 'pg';

/**
 * SQL of the retention pass. Every method deletes at most `limit` rows in one statement (bounded
 * locks and WAL per step) and returns how many went. Candidates are locked `FOR UPDATE SKIP
 * LOCKED`: replicas running a pass at the same time take disjoint rows instead of waiting on each
 * other, and a row another transaction is changing (a delivery being re-sent, an incident being
 * acknowledged) is left for the next pass. A row changed since the statement's snapshot is
 * re-checked against the conditions when it is locked, so it goes only if it still qualifies.
 * Cut-offs are epoch milliseconds.
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
  async deleteFinishedDeliveries(
    deliveryCutoff: number | null,
    incidentCutoff: number | null,
    limit: number,
  ): Promise<number> {
    const result = await this.pool.query(
      `WITH doomed AS (
         SELECT d.id FROM alert_deliveries d
          WHERE d.status IN ('delivered', 'dead')
            AND (GREATEST(d.created_at, d.next_attempt_at, d.delivered_at) < to_timestamp($1::float8 / 1000)
                 OR d.incident_id IN (SELECT i.id FROM alert_incidents i
                                       WHERE i.status = 'resolved'
                                         AND i.resolved_at < to_timestamp($2::float8 / 1000)))
          LIMIT $3
          FOR UPDATE OF d SKIP LOCKED
       )
       DELETE FROM alert_deliveries d USING doomed WHERE d.id = doomed.id`,
      [deliveryCutoff, incidentCutoff, limit],
    );
    return result.rowCount ?? 0;
  }

  /**
   * History of incidents resolved before `cutoff` that have no pending delivery (an incident kept
   * for its pending delivery keeps its history).
   */
  async deleteHistoryOfExpiredIncidents(cutoff: number, limit: number): Promise<number> {
    const result = await this.pool.query(
      `WITH doomed AS (
         SELECT h.id FROM alert_incident_history h
           JOIN alert_incidents i ON i.id = h.incident_id
          WHERE i.status = 'resolved' AND i.resolved_at < to_timestamp($1::float8 / 1000)
            AND NOT EXISTS (SELECT 1 FROM alert_deliveries d
                             WHERE d.incident_id = i.id AND d.status = 'pending')
          LIMIT $2
          FOR UPDATE OF h SKIP LOCKED
       )
       DELETE FROM alert_incident_history h USING doomed WHERE h.id = doomed.id`,
      [cutoff, limit],
    );
    return result.rowCount ?? 0;
  }

  /**
   * Incidents resolved before `cutoff` once their deliveries and history are gone (deleted by the
   * two steps above, in bounded batches, rather than by one unbounded ON DELETE CASCADE). An
   * incident with a pending delivery therefore stays until it is delivered or dead.
   */
  async deleteExpiredIncidents(cutoff: number, limit: number): Promise<number> {
    const result = await this.pool.query(
      `WITH doomed AS (
         SELECT i.id FROM alert_incidents i
          WHERE i.status = 'resolved' AND i.resolved_at < to_timestamp($1::float8 / 1000)
            AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.incident_id = i.id)
            AND NOT EXISTS (SELECT 1 FROM alert_incident_history h WHERE h.incident_id = i.id)
          LIMIT $2
          FOR UPDATE SKIP LOCKED
       )
       DELETE FROM alert_incidents i USING doomed WHERE i.id = doomed.id`,
      [cutoff, limit],
    );
    return result.rowCount ?? 0;
  }

  /** Seen alert ids first received before `cutoff`. */
  async deleteSeenEvents(cutoff: number, limit: number): Promise<number> {
    const result = await this.pool.query(
      `WITH doomed AS (
         SELECT event_id FROM alert_events_seen
          WHERE received_at < to_timestamp($1::float8 / 1000)
          LIMIT $2
          FOR UPDATE SKIP LOCKED
       )
       DELETE FROM alert_events_seen e USING doomed WHERE e.event_id = doomed.event_id`,
      [cutoff, limit],
    );
    return result.rowCount ?? 0;
  }

  /** Cooldown marks of dedupe keys whose last "opened" notification is before `cutoff`. */
  async deleteDedupeKeys(cutoff: number, limit: number): Promise<number> {
    const result = await this.pool.query(
      `WITH doomed AS (
         SELECT dedupe_key FROM alert_dedupe_keys
          WHERE last_opened_notification_at < to_timestamp($1::float8 / 1000)
          LIMIT $2
          FOR UPDATE SKIP LOCKED
       )
       DELETE FROM alert_dedupe_keys k USING doomed WHERE k.dedupe_key = doomed.dedupe_key`,
      [cutoff, limit],
    );
    return result.rowCount ?? 0;
  }

  /** Silences that ended before `cutoff`. */
  async deleteEndedSilences(cutoff: number, limit: number): Promise<number> {
    const result = await this.pool.query(
      `WITH doomed AS (
         SELECT id FROM alert_silences
          WHERE ends_at < to_timestamp($1::float8 / 1000)
          LIMIT $2
          FOR UPDATE SKIP LOCKED
       )
       DELETE FROM alert_silences s USING doomed WHERE s.id = doomed.id`,
      [cutoff, limit],
    );
    return result.rowCount ?? 0;
  }
}
