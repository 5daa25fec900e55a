import { severityRank, type AlertSeverity } from './alert-rules';

export type IncidentStatus = 'firing' | 'acknowledged' | 'resolved';
export type NotificationKind = 'opened' | 'renotify' | 'escalated' | 'acknowledged' | 'resolved';

/** Timers of the lifecycle, all in ms; 0 turns renotify, escalation and stale resolve off. */
export interface LifecyclePolicy {
  /** A `resolved` event resolves the incident only after the condition stayed clear this long. */
  clearMs: number;
  /** An incident without any firing event for this long resolves (a detector that went away). */
  staleResolveMs: number;
  /** Least time between two `opened` notifications of one dedupe key (across incidents). */
  cooldownMs: number;
  /** Repeat the notification this often while the incident fires unacknowledged. */
  renotifyMs: number;
  /** Notify the escalation channels once the incident fired this long unacknowledged. */
  escalateAfterMs: number;
}

/** The alert fields the lifecycle reads (a subset of `alerts.v1`'s AlertEvent). */
export interface IncidentAlert {
  tenant: string;
  device: string | null;
  metric: string | null;
  kind: string;
  severity: AlertSeverity;
  state: 'firing' | 'resolved';
  message: string;
  evidence: Record<string, unknown>;
  at: number;
}

export interface Incident {
  id: string;
  tenant: string;
  dedupeKey: string;
  device: string | null;
  metric: string | null;
  kind: string;
  severity: AlertSeverity;
  status: IncidentStatus;
  message: string;
  evidence: Record<string, unknown>;
  openedAt: number;
  lastFiringAt: number;
  /** When the condition last cleared (a `resolved` event) with no firing since; null while firing. */
  clearingSince: number | null;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  /** Last `opened`/`renotify` notification actually sent. */
  lastNotifiedAt: number | null;
  /** The `opened` notification is owed (held back by a cooldown or a silence). */
  notificationPending: boolean;
  escalatedAt: number | null;
  eventCount: number;
}

export interface LifecycleContext {
  policy: LifecyclePolicy;
  now: number;
  /** An active silence matches the incident: notifications are held back, the incident still updates. */
  silenced: boolean;
}

export interface IncidentChange {
  incident: Incident;
  /** Notifications to deliver, in order. */
  notifications: NotificationKind[];
  /** What happened, for the incident's history. */
  history: Array<{ type: string; detail: Record<string, unknown> }>;
}

export function dedupeKey(
  alert: Pick<IncidentAlert, 'tenant' | 'device' | 'metric' | 'kind'>,
): string {
  return `${alert.tenant}/${alert.device ?? '_system'}/${alert.metric ?? '_'}/${alert.kind}`;
}

const isOpen = (incident: Incident): boolean => incident.status !== 'resolved';

/**
 * Applies one alert event. `current` is the open incident of the event's dedupe key, if any;
 * `lastOpenedNotificationAt` is when this key last had an `opened` notification (for the
 * cooldown across incidents). Returns undefined when the event changes nothing (a `resolved`
 * event with no open incident).
 *
 * Flapping: a `resolved` event only starts the clear timer, and a firing event before `clearMs`
 * elapsed cancels it, so a condition flapping faster than `clearMs` stays one incident.
 */
export function applyAlert(
  current: Incident | undefined,
  alert: IncidentAlert,
  ctx: LifecycleContext & { newId: () => string; lastOpenedNotificationAt: number | null },
): IncidentChange | undefined {
  if (current !== undefined && !isOpen(current)) current = undefined;
  if (alert.state === 'resolved') {
    if (current === undefined || current.clearingSince !== null) return undefined;
    return {
      incident: { ...current, clearingSince: ctx.now, eventCount: current.eventCount + 1 },
      notifications: [],
      history: [{ type: 'cleared', detail: { message: alert.message, at: alert.at } }],
    };
  }
  if (current !== undefined) {
    const escalatesSeverity = severityRank(alert.severity) > severityRank(current.severity);
    return {
      incident: {
        ...current,
        severity: escalatesSeverity ? alert.severity : current.severity,
        message: alert.message,
        evidence: alert.evidence,
        lastFiringAt: ctx.now,
        clearingSince: null,
        eventCount: current.eventCount + 1,
      },
      notifications: [],
      history:
        current.clearingSince !== null
          ? [{ type: 'refired', detail: { message: alert.message, at: alert.at } }]
          : [],
    };
  }
  const inCooldown =
    ctx.lastOpenedNotificationAt !== null &&
    ctx.now - ctx.lastOpenedNotificationAt < ctx.policy.cooldownMs;
  const notifyNow = !ctx.silenced && !inCooldown;
  const incident: Incident = {
    id: ctx.newId(),
    tenant: alert.tenant,
    dedupeKey: dedupeKey(alert),
    device: alert.device,
    metric: alert.metric,
    kind: alert.kind,
    severity: alert.severity,
    status: 'firing',
    message: alert.message,
    evidence: alert.evidence,
    openedAt: ctx.now,
    lastFiringAt: ctx.now,
    clearingSince: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    lastNotifiedAt: notifyNow ? ctx.now : null,
    notificationPending: !notifyNow,
    escalatedAt: null,
    eventCount: 1,
  };
  return {
    incident,
    notifications: notifyNow ? ['opened'] : [],
    history: [
      {
        type: 'opened',
        detail: {
          message: alert.message,
          at: alert.at,
          ...(notifyNow ? {} : { held: ctx.silenced ? 'silenced' : 'cooldown' }),
        },
      },
    ],
  };
}

/**
 * Advances an open incident's timers to `now`: auto-resolve after the clear time (or when stale),
 * the held `opened` notification once cooldown and silence are over, re-notification, escalation.
 * Returns undefined when nothing is due.
 */
export function tickIncident(
  incident: Incident,
  ctx: LifecycleContext & { lastOpenedNotificationAt: number | null },
): IncidentChange | undefined {
  if (!isOpen(incident)) return undefined;
  const { policy, now } = ctx;
  const cleared = incident.clearingSince !== null && now - incident.clearingSince >= policy.clearMs;
  const stale = policy.staleResolveMs > 0 && now - incident.lastFiringAt >= policy.staleResolveMs;
  if (cleared || stale) {
    return resolveIncident(incident, { now, by: null, reason: cleared ? 'cleared' : 'stale' });
  }
  if (ctx.silenced) return undefined;

  const unacknowledged = incident.status === 'firing';
  if (incident.notificationPending) {
    const inCooldown =
      ctx.lastOpenedNotificationAt !== null &&
      now - ctx.lastOpenedNotificationAt < policy.cooldownMs;
    if (inCooldown || !unacknowledged) return undefined;
    return {
      incident: { ...incident, notificationPending: false, lastNotifiedAt: now },
      notifications: ['opened'],
      history: [{ type: 'notified', detail: { notification: 'opened', late: true } }],
    };
  }
  if (!unacknowledged) return undefined;
  const notifications: NotificationKind[] = [];
  let next = incident;
  if (
    policy.escalateAfterMs > 0 &&
    incident.escalatedAt === null &&
    now - incident.openedAt >= policy.escalateAfterMs
  ) {
    next = { ...next, escalatedAt: now };
    notifications.push('escalated');
  }
  if (
    policy.renotifyMs > 0 &&
    incident.lastNotifiedAt !== null &&
    now - incident.lastNotifiedAt >= policy.renotifyMs
  ) {
    next = { ...next, lastNotifiedAt: now };
    notifications.push('renotify');
  }
  if (notifications.length === 0) return undefined;
  return {
    incident: next,
    notifications,
    history: notifications.map((notification) => ({ type: 'notified', detail: { notification } })),
  };
}

/** A person acknowledged the incident: re-notification and escalation stop. */
export function acknowledgeIncident(
  incident: Incident,
  input: { now: number; by: string },
): IncidentChange | undefined {
  if (incident.status !== 'firing') return undefined;
  return {
    incident: {
      ...incident,
      status: 'acknowledged',
      acknowledgedAt: input.now,
      acknowledgedBy: input.by,
    },
    // nobody heard of an incident whose opened notification is still held: nothing to follow up
    notifications: incident.notificationPending ? [] : ['acknowledged'],
    history: [{ type: 'acknowledged', detail: { by: input.by } }],
  };
}

/** Resolves the incident (by a person, or by the lifecycle when `by` is null). */
export function resolveIncident(
  incident: Incident,
  input: { now: number; by: string | null; reason: string },
): IncidentChange | undefined {
  if (!isOpen(incident)) return undefined;
  return {
    incident: {
      ...incident,
      status: 'resolved',
      resolvedAt: input.now,
      resolvedBy: input.by,
      notificationPending: false,
    },
    notifications: incident.notificationPending ? [] : ['resolved'],
    history: [{ type: 'resolved', detail: { by: input.by, reason: input.reason } }],
  };
}
