import { z } from 'zod';
import {
  DeviceIdSchema,
  EpochMsSchema,
  FiniteNumberSchema,
  MetricNameSchema,
  TagsSchema,
  TenantIdSchema,
  UnitSchema,
} from './identifiers';

export const IngestSourceSchema = z.enum([
  'http',
  'line-protocol',
  'csv',
  'grpc',
  'mqtt',
  'simulator',
]);
export type IngestSource = z.infer<typeof IngestSourceSchema>;

export const RawReadingSchema = z.object({
  metric: MetricNameSchema,
  time: EpochMsSchema,
  value: FiniteNumberSchema,
  unit: UnitSchema.optional(),
  tags: TagsSchema.optional(),
});
export type RawReading = z.infer<typeof RawReadingSchema>;

/**
 * `telemetry.raw.v1`: readings accepted by the gateway. One record carries a batch of readings of
 * ONE device (key `tenant/device`) so per-record costs (headers, offsets, commits) are paid once per
 * batch, not once per reading.
 */
export const RawReadingBatchSchema = z.object({
  tenant: TenantIdSchema,
  device: DeviceIdSchema,
  source: IngestSourceSchema,
  receivedAt: EpochMsSchema,
  readings: z.array(RawReadingSchema).min(1),
});
export type RawReadingBatch = z.infer<typeof RawReadingBatchSchema>;

export const CleanReadingSchema = z.object({
  metric: MetricNameSchema,
  time: EpochMsSchema,
  value: FiniteNumberSchema,
  unit: UnitSchema.optional(),
  anomaly: z
    .boolean()
    .optional()
    .describe(
      'true when an anomaly detector of the stream-transformer was firing after this reading (absent = false); the batch layer counts these into rollups',
    ),
});
export type CleanReading = z.infer<typeof CleanReadingSchema>;

/**
 * `telemetry.clean.v1`: validated, normalised and enriched readings. `rawPartition`/`rawOffset`
 * identify the raw record this batch came from: one raw record yields at most one clean record, so
 * consumers can fence per device on the raw position and ignore duplicates a transformer replay
 * produced.
 */
export const CleanReadingBatchSchema = z.object({
  tenant: TenantIdSchema,
  device: DeviceIdSchema,
  deviceTags: TagsSchema,
  rawPartition: z.number().int().nonnegative(),
  rawOffset: z.string().regex(/^\d+$/, 'must be a decimal Kafka offset'),
  readings: z.array(CleanReadingSchema).min(1),
});
export type CleanReadingBatch = z.infer<typeof CleanReadingBatchSchema>;

export const DlqReasonSchema = z.enum([
  'unparseable',
  'invalid_schema',
  'invalid_value',
  'unknown_unit',
  'unknown_device',
  'timestamp_out_of_range',
  'too_late',
  // the gateway's MQTT bridge: a message whose API key is missing, unknown, revoked or not allowed
  // to write the topic's tenant/device
  'unauthorized',
]);
export type DlqReason = z.infer<typeof DlqReasonSchema>;

/** `telemetry.dlq.v1`: everything Sluice refused after accepting it, with the reason and the original. */
export const DlqRecordSchema = z.object({
  reason: DlqReasonSchema,
  detail: z.string(),
  stage: z.string().describe('the service/stage that rejected the record, e.g. stream-transformer'),
  sourceTopic: z.string(),
  sourcePartition: z.number().int().nonnegative(),
  sourceOffset: z.string(),
  originalKey: z.string().nullable(),
  originalValue: z.string(),
  failedAt: EpochMsSchema,
});
export type DlqRecord = z.infer<typeof DlqRecordSchema>;
