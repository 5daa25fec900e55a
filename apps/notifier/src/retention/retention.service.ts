import { BatchedDeletes } from '@sluice/service-runtime';
import { retentionMetrics } from './retention.metrics';
import type { RetentionRepository } from './retention.repository';

const DAY_MS = 86_400_000;
/**
 * A dedupe key's cooldown mark is one row per key (not per alert): keeping it a day past the
 * cooldown costs nothing and absorbs clock skew between replicas, which each compare the mark with
 * their own clock.
 */
const DEDUPE_KEY_MARGIN_MS = DAY_MS;

const RETAINED_TABLES = [
  'alert_deliveries',
  'alert_incident_history',
  'alert_incidents',
  'alert_events_seen',
  'alert_dedupe_keys',
  'alert_silences',
] as const;

export type RetainedTable = (typeof RETAINED_TABLES)[number];

export type RetentionOutcome = Record<RetainedTable, number>;

export interface RetentionSettings {
  /** Days to keep resolved incidents (with history and deliveries); 0 keeps them forever. */
  incidentsDays: number;
  /** Days to keep delivered and dead deliveries after their last activity; 0 keeps them forever. */
  deliveriesDays: number;
  /** Days to remember applied alert ids; 0 remembers them forever. */
  seenEventsDays: number;
  /** Days to keep silences after they ended; 0 keeps them forever. */
  silencesDays: number;
  /** INCIDENT_COOLDOWN_MS: a dedupe key's mark is needed while its cooldown runs. */
  cooldownMs: number;
  /** Rows deleted per statement. */
  batchRows: number;
}

/**
 * Retention of the notifier's tables: what is past its time goes, in statements of at most
 * `batchRows` rows; what the notifier still needs stays (open incidents, pending deliveries and
 * the incidents they belong to, cooldown marks still running, alert ids inside the dedupe window).
 */
export class RetentionService {
  constructor(
    private readonly repository: RetentionRepository,
    private readonly settings: RetentionSettings,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * One pass over the alert tables; returns the rows deleted per table. Checks `signal` between
   * statements and throws its reason once it is aborted (shutdown): the rows deleted so far stay
   * deleted and the next pass carries on.
   */
  async deleteExpired(signal?: AbortSignal): Promise<RetentionOutcome> {
    const now = this.clock();
    const cutoff = (days: number): number | null => (days > 0 ? now - days * DAY_MS : null);
    const incidents = cutoff(this.settings.incidentsDays);
    const deliveries = cutoff(this.settings.deliveriesDays);
    const seenEvents = cutoff(this.settings.seenEventsDays);
    const silences = cutoff(this.settings.silencesDays);
    const deletes = new BatchedDeletes(RETAINED_TABLES, {
      batchRows: this.settings.batchRows,
      metrics: retentionMetrics,
      signal,
    });

    // deliveries and history before their incidents: the incidents' ON DELETE CASCADE then has
    // nothing left to delete, so no statement deletes more than batchRows rows
    if (deliveries !== null || incidents !== null) {
      await deletes.drain('alert_deliveries', (limit) =>
        this.repository.deleteFinishedDeliveries(deliveries, incidents, limit),
      );
    }
    if (incidents !== null) {
      await deletes.drain('alert_incident_history', (limit) =>
        this.repository.deleteHistoryOfExpiredIncidents(incidents, limit),
      );
      await deletes.drain('alert_incidents', (limit) =>
        this.repository.deleteExpiredIncidents(incidents, limit),
      );
    }
    if (seenEvents !== null) {
      await deletes.drain('alert_events_seen', (limit) =>
        this.repository.deleteSeenEvents(seenEvents, limit),
      );
    }
    const dedupeKeys = now - this.settings.cooldownMs - DEDUPE_KEY_MARGIN_MS;
    await deletes.drain('alert_dedupe_keys', (limit) =>
      this.repository.deleteDedupeKeys(dedupeKeys, limit),
    );
    if (silences !== null) {
      await deletes.drain('alert_silences', (limit) =>
        this.repository.deleteEndedSilences(silences, limit),
      );
    }
    return deletes.completed(this.clock());
  }
}
