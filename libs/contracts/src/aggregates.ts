import { z } from 'zod';
import { DeviceIdSchema, EpochMsSchema, MetricNameSchema, TenantIdSchema } from './identifiers';

/** `aggregates.1m.v1`: a closed speed-layer window. Key `tenant/device`. */
export const WindowAggregateSchema = z.object({
  tenant: TenantIdSchema,
  device: DeviceIdSchema,
  metric: MetricNameSchema,
  windowStart: EpochMsSchema,
  windowEnd: EpochMsSchema,
  count: z.number().int().positive(),
  sum: z.number(),
  min: z.number(),
  max: z.number(),
  first: z.number(),
  firstTime: EpochMsSchema,
  last: z.number(),
  lastTime: EpochMsSchema,
});
export type WindowAggregate = z.infer<typeof WindowAggregateSchema>;
