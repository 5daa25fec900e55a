import { severityRank, type AlertSeverity } from './alert-rules';
import type { NotificationKind } from './incident-lifecycle';

export interface ChannelRoute {
  id: string;
  enabled: boolean;
  minSeverity: AlertSeverity;
  /** Escalation channels hear only of escalations and of how escalated incidents ended. */
  escalation: boolean;
}

/** Channels that get this notification of an incident of this severity. */
export function routeNotification<C extends ChannelRoute>(
  channels: readonly C[],
  input: { notification: NotificationKind; severity: AlertSeverity; escalated: boolean },
): C[] {
  return channels.filter((channel) => {
    if (!channel.enabled) return false;
    if (severityRank(input.severity) < severityRank(channel.minSeverity)) return false;
    if (channel.escalation) {
      return (
        input.notification === 'escalated' ||
        (input.escalated &&
          (input.notification === 'acknowledged' || input.notification === 'resolved'))
      );
    }
    return input.notification !== 'escalated';
  });
}
