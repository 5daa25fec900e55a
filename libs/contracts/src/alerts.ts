import { z } from 'zod';
import { DeviceIdSchema, EpochMsSchema, MetricNameSchema, TenantIdSchema } from './identifiers';

export const AlertSeveritySchema = z.enum(['info', 'warning', 'critical']);

/** `alerts.v1`: an anomaly or health event. Key `tenant/device`, or `tenant/_system` for pipeline events. */
export const AlertEventSchema = z.object({
  id: z.string().min(1).describe('idempotency key of this event'),
  tenant: TenantIdSchema,
  device: DeviceIdSchema.nullable(),
  metric: MetricNameSchema.nullable(),
  kind: z
    .string()
    .min(1)
    .describe('detector or event kind, e.g. threshold, zscore, silence, actuator_unacknowledged'),
  severity: AlertSeveritySchema,
  state: z.enum(['firing', 'resolved']),
  message: z.string(),
  evidence: z.record(z.string(), z.unknown()),
  at: EpochMsSchema,
});
export type AlertEvent = z.infer<typeof AlertEventSchema>;
