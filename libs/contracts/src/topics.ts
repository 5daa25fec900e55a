/**
 * Versioned topic names: the one list every producer and consumer imports. A breaking change to a
 * record contract gets a new topic (`.v2`) so old and new consumers can run side by side.
 */
export const Topics = {
  telemetryRaw: 'telemetry.raw.v1',
  telemetryClean: 'telemetry.clean.v1',
  telemetryDlq: 'telemetry.dlq.v1',
  aggregates1m: 'aggregates.1m.v1',
  alerts: 'alerts.v1',
  actuatorCommands: 'actuator.commands.v1',
  actuatorEvents: 'actuator.events.v1',
  notifications: 'notifications.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

export const ALL_TOPICS: readonly TopicName[] = Object.values(Topics);

/** Telemetry records are keyed by device so one device's readings stay ordered in one partition. */
export function deviceKey(tenant: string, device: string): string {
  return `${tenant}/${device}`;
}

export function parseDeviceKey(key: string): { tenant: string; device: string } | undefined {
  const slash = key.indexOf('/');
  if (slash <= 0 || slash === key.length - 1) return undefined;
  return { tenant: key.slice(0, slash), device: key.slice(slash + 1) };
}
