import type { Incident, LifecyclePolicy } from '@sluice/alerting';
import type { IncidentSnapshot } from '@sluice/contracts';

/** An incident as the notifier stores it: the lifecycle's fields plus what only storage needs. */
export interface StoredIncident extends Incident {
  deviceTags: Record<string, string>;
  /** Notifications created so far; numbers the next one (part of its idempotency key). */
  notificationSeq: number;
}

export interface HistoryEntry {
  incidentId: string;
  at: number;
  type: string;
  detail: Record<string, unknown>;
}

export function incidentSnapshot(incident: Incident): IncidentSnapshot {
  return {
    id: incident.id,
    tenant: incident.tenant,
    device: incident.device,
    metric: incident.metric,
    kind: incident.kind,
    severity: incident.severity,
    status: incident.status,
    message: incident.message,
    evidence: incident.evidence,
    openedAt: incident.openedAt,
    acknowledgedAt: incident.acknowledgedAt,
    acknowledgedBy: incident.acknowledgedBy,
    resolvedAt: incident.resolvedAt,
  };
}

export function lifecyclePolicy(config: {
  INCIDENT_CLEAR_MS: number;
  INCIDENT_STALE_RESOLVE_MS: number;
  INCIDENT_COOLDOWN_MS: number;
  INCIDENT_RENOTIFY_MS: number;
  INCIDENT_ESCALATE_AFTER_MS: number;
}): LifecyclePolicy {
  return {
    clearMs: config.INCIDENT_CLEAR_MS,
    staleResolveMs: config.INCIDENT_STALE_RESOLVE_MS,
    cooldownMs: config.INCIDENT_COOLDOWN_MS,
    renotifyMs: config.INCIDENT_RENOTIFY_MS,
    escalateAfterMs: config.INCIDENT_ESCALATE_AFTER_MS,
  };
}
