import { z } from 'zod';
import { AlertSeveritySchema } from './alerts';
import { DeviceIdSchema, EpochMsSchema, MetricNameSchema, TenantIdSchema } from './identifiers';

/** A step of an incident's lifecycle that people are told about. */
export const NotificationKindSchema = z.enum([
  'opened',
  'renotify',
  'escalated',
  'acknowledged',
  'resolved',
]);

/** The incident as notifications show it (a snapshot taken when the notification was created). */
export const IncidentSnapshotSchema = z.object({
  id: z.string().min(1),
  tenant: TenantIdSchema,
  device: DeviceIdSchema.nullable(),
  metric: MetricNameSchema.nullable(),
  kind: z.string().min(1),
  severity: AlertSeveritySchema,
  status: z.enum(['firing', 'acknowledged', 'resolved']),
  message: z.string(),
  evidence: z.record(z.string(), z.unknown()),
  openedAt: EpochMsSchema,
  acknowledgedAt: EpochMsSchema.nullable(),
  acknowledgedBy: z.string().nullable(),
  resolvedAt: EpochMsSchema.nullable(),
});
export type IncidentSnapshot = z.infer<typeof IncidentSnapshotSchema>;

/**
 * `notifications.v1`: in-app incident notifications from the notifier (its outbox's WebSocket
 * channel), key = tenant. The gateway pushes them to `/ws` clients of the tenant that sent
 * `{"type":"subscribe-alerts"}`. `idempotencyKey` is unique per notification: a consumer seeing it
 * twice (outbox retry after a crash) drops the repeat.
 */
export const IncidentNotificationSchema = z.object({
  idempotencyKey: z.string().min(1),
  notification: NotificationKindSchema,
  incident: IncidentSnapshotSchema,
  sentAt: EpochMsSchema,
});
export type IncidentNotificationRecord = z.infer<typeof IncidentNotificationSchema>;
