import {
  formatIssues,
  IngestSourceSchema,
  isPlainObject,
  quickCheck,
  RawReadingBatchSchema,
  RawReadingSchema,
  type CleanReading,
  type DlqReason,
  type DlqRecord,
} from '@sluice/contracts';
import type { ConsumedMessage } from '@sluice/kafka';
import { z } from 'zod';
import { normaliseUnit } from './unit-normaliser';

export const TRANSFORMER_STAGE = 'stream-transformer';

export interface TimestampWindow {
  /** Oldest accepted reading time, relative to the record's receivedAt (gateway accept time). */
  maxPastMs: number;
  /** Newest accepted reading time, relative to receivedAt: covers sensor clock skew. */
  maxFutureMs: number;
}

export interface RawRecordSource {
  topic: string;
  partition: number;
  message: ConsumedMessage;
}

export interface AcceptedReadings {
  tenant: string;
  device: string;
  receivedAt: number;
  readings: CleanReading[];
}

export interface RawRecordOutcome {
  /** Absent when the whole record, or every reading of it, was refused. */
  accepted?: AcceptedReadings;
  rejections: DlqRecord[];
  /** Readings repeating an earlier (metric, time) of the same record: kept once, like the raw table. */
  duplicatesDropped: number;
}

// The envelope is validated on its own so one bad reading costs only that reading, not the batch.
const EnvelopeSchema = RawReadingBatchSchema.extend({ readings: z.array(z.unknown()).min(1) });

// Producers other than the gateway may send ISO-8601 times or fractional epoch ms; both are
// normalised to integer epoch ms instead of refused (an ISO time without offset is ambiguous: refused).
const LenientReadingSchema = RawReadingSchema.extend({
  time: z.union([
    z.number().nonnegative().transform(Math.floor),
    z.iso.datetime({ offset: true }).transform((iso) => Date.parse(iso)),
  ]),
});

const INGEST_SOURCES: ReadonlySet<unknown> = new Set(IngestSourceSchema.options);

type Envelope = z.infer<typeof EnvelopeSchema>;
type LenientReading = z.infer<typeof LenientReadingSchema>;

/**
 * The envelope as `EnvelopeSchema` would return it, without zod, when it is plainly valid (what
 * the gateway produces); undefined sends the record through the schema for the verdict.
 */
function quickEnvelope(parsed: unknown): Envelope | undefined {
  if (!isPlainObject(parsed)) return undefined;
  const { tenant, device, source, receivedAt, readings } = parsed;
  if (
    quickCheck.tenantId(tenant) &&
    quickCheck.deviceId(device) &&
    INGEST_SOURCES.has(source) &&
    quickCheck.epochMs(receivedAt) &&
    Array.isArray(readings) &&
    readings.length > 0
  ) {
    return { tenant, device, source: source as Envelope['source'], receivedAt, readings };
  }
  return undefined;
}

/** `LenientReadingSchema`'s result for a plainly valid reading with an epoch-ms time; else undefined. */
function quickReading(raw: unknown): LenientReading | undefined {
  if (!isPlainObject(raw)) return undefined;
  const { metric, time, value, unit, tags } = raw;
  if (
    quickCheck.metricName(metric) &&
    quickCheck.finiteNumber(time) &&
    time >= 0 &&
    quickCheck.finiteNumber(value) &&
    (unit === undefined || quickCheck.unit(unit)) &&
    (tags === undefined || quickCheck.tags(tags))
  ) {
    return { metric, time: Math.floor(time), value, unit, tags };
  }
  return undefined;
}

/** Below this an epoch-ms time is before 1973 but a plausible "now" in seconds. */
const EPOCH_SECONDS_LIMIT = 1e11;

/**
 * Decodes, validates and normalises one raw record. Pure: enrichment (device tags) and output
 * encoding are the caller's. Every refused reading or record yields one DLQ record with the reason
 * and the original payload; nothing here throws on bad input.
 */
export function transformRawRecord(
  source: RawRecordSource,
  window: TimestampWindow,
  failedAt: number,
): RawRecordOutcome {
  const { message } = source;
  const reject = (reason: DlqReason, detail: string, originalValue: string): DlqRecord => ({
    reason,
    detail,
    stage: TRANSFORMER_STAGE,
    sourceTopic: source.topic,
    sourcePartition: source.partition,
    sourceOffset: message.offset,
    originalKey: message.key,
    originalValue,
    failedAt,
  });
  const originalText = message.value.toString('utf8');

  let parsed: unknown;
  try {
    if (message.value.length === 0) throw new Error('empty record value');
    parsed = JSON.parse(originalText);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      rejections: [reject('unparseable', `not JSON: ${detail}`, originalText)],
      duplicatesDropped: 0,
    };
  }

  let envelope = quickEnvelope(parsed);
  if (envelope === undefined) {
    const result = EnvelopeSchema.safeParse(parsed);
    if (!result.success) {
      const detail = formatIssues(result.error)
        .map((issue) => `${issue.path || '(record)'}: ${issue.message}`)
        .join('; ');
      return { rejections: [reject('invalid_schema', detail, originalText)], duplicatesDropped: 0 };
    }
    envelope = result.data;
  }

  const { tenant, device, source: ingestSource, receivedAt } = envelope;
  const rejections: DlqRecord[] = [];
  const readings: CleanReading[] = [];
  const seen = new Set<string>();
  let duplicatesDropped = 0;
  const earliest = receivedAt - window.maxPastMs;
  const latest = receivedAt + window.maxFutureMs;

  envelope.readings.forEach((raw, index) => {
    // A refused reading's DLQ payload is itself a valid raw batch of one: fix and re-publish.
    const original = (): string =>
      JSON.stringify({ tenant, device, source: ingestSource, receivedAt, readings: [raw] });
    const at = `readings[${index}]`;

    let reading = quickReading(raw);
    if (reading === undefined) {
      const result = LenientReadingSchema.safeParse(raw);
      if (!result.success) {
        const issues = formatIssues(result.error, at);
        const onValue = result.error.issues.some((issue) => issue.path[0] === 'value');
        const detail = issues
          .map((issue) => `${issue.path}: ${issue.message}${receivedSuffix(raw, issue.path, at)}`)
          .join('; ');
        rejections.push(reject(onValue ? 'invalid_value' : 'invalid_schema', detail, original()));
        return;
      }
      reading = result.data;
    }

    if (reading.time < earliest || reading.time > latest) {
      const hint =
        reading.time < EPOCH_SECONDS_LIMIT ? ' (looks like epoch seconds, expected ms)' : '';
      const detail =
        `${at}.time: ${reading.time} is outside [${earliest}, ${latest}] ` +
        `(receivedAt ${receivedAt} - ${window.maxPastMs} ms .. + ${window.maxFutureMs} ms)${hint}`;
      rejections.push(reject('timestamp_out_of_range', detail, original()));
      return;
    }

    const unit = normaliseUnit(reading.value, reading.unit);
    if (!unit.ok) {
      const field = unit.reason === 'unknown_unit' ? 'unit' : 'value';
      rejections.push(reject(unit.reason, `${at}.${field}: ${unit.detail}`, original()));
      return;
    }

    const identity = `${reading.metric}\u0000${reading.time}`;
    if (seen.has(identity)) {
      duplicatesDropped += 1;
      return;
    }
    seen.add(identity);
    readings.push(
      unit.unit === undefined
        ? { metric: reading.metric, time: reading.time, value: unit.value }
        : { metric: reading.metric, time: reading.time, value: unit.value, unit: unit.unit },
    );
  });

  return {
    accepted: readings.length > 0 ? { tenant, device, receivedAt, readings } : undefined,
    rejections,
    duplicatesDropped,
  };
}

/** ` (got "hot")` for the offending field, so a DLQ detail shows the value and not only the rule. */
function receivedSuffix(raw: unknown, path: string, prefix: string): string {
  const field = path.slice(prefix.length + 1);
  if (field === '' || field.includes('.') || typeof raw !== 'object' || raw === null) return '';
  const value = (raw as Record<string, unknown>)[field];
  const shown = JSON.stringify(value) ?? String(value);
  return ` (got ${shown.length > 80 ? `${shown.slice(0, 80)}…` : shown})`;
}
