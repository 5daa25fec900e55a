import type { Incident, NotificationKind } from './incident-lifecycle';

/** What every channel is told: one incident at one step of its lifecycle. */
export interface IncidentNotification {
  /** Same for every attempt of one delivery; receivers drop repeats of a key they have seen. */
  idempotencyKey: string;
  notification: NotificationKind;
  incident: Pick<
    Incident,
    | 'id'
    | 'tenant'
    | 'device'
    | 'metric'
    | 'kind'
    | 'severity'
    | 'status'
    | 'message'
    | 'evidence'
    | 'openedAt'
    | 'acknowledgedAt'
    | 'acknowledgedBy'
    | 'resolvedAt'
  >;
  sentAt: number;
}

const TITLES: Record<NotificationKind, string> = {
  opened: 'Incident opened',
  renotify: 'Incident still firing',
  escalated: 'Incident escalated (unacknowledged)',
  acknowledged: 'Incident acknowledged',
  resolved: 'Incident resolved',
};

const SEVERITY_EMOJI = {
  info: ':information_source:',
  warning: ':warning:',
  critical: ':rotating_light:',
};

export function notificationTitle(notification: IncidentNotification): string {
  const { incident } = notification;
  const subject = [incident.device, incident.metric].filter((part) => part !== null).join(' / ');
  return `[${incident.severity.toUpperCase()}] ${TITLES[notification.notification]}: ${incident.kind}${subject ? ` on ${subject}` : ''}`;
}

export function notificationText(notification: IncidentNotification): string {
  const { incident } = notification;
  return [
    notificationTitle(notification),
    '',
    incident.message,
    '',
    `tenant: ${incident.tenant}`,
    `incident: ${incident.id}`,
    `opened: ${new Date(incident.openedAt).toISOString()}`,
    ...(incident.acknowledgedBy ? [`acknowledged by: ${incident.acknowledgedBy}`] : []),
    `evidence: ${JSON.stringify(incident.evidence)}`,
  ].join('\n');
}

/**
 * Slack incoming-webhook payload: `text` (the notification fallback, required by Slack) plus
 * Block Kit `blocks` (a header section and a context line with the incident's fields).
 */
export function slackMessage(notification: IncidentNotification): {
  text: string;
  blocks: Array<Record<string, unknown>>;
} {
  const { incident } = notification;
  const title = notificationTitle(notification);
  return {
    text: title,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `${SEVERITY_EMOJI[incident.severity]} *${escapeSlack(title)}*\n${escapeSlack(incident.message)}`,
        },
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `tenant \`${incident.tenant}\` · incident \`${incident.id}\` · status *${incident.status}* · opened <!date^${Math.floor(incident.openedAt / 1000)}^{date_short_pretty} {time}|${new Date(incident.openedAt).toISOString()}>`,
          },
        ],
      },
    ],
  };
}

/** Slack treats &, < and > as control characters in mrkdwn. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
